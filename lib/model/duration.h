/* Connection durations of one protocol as a two-component lognormal mixture with right
 * censoring (models/duration.stan is the same model in Stan):
 *   log D ~ w Normal(m1, s1) + (1 - w) Normal(m2, s2),  m1 < m2,  D in seconds
 *   w ~ beta(2, 2); m1, m2 ~ normal(0, 5); s1, s2 ~ lognormal(0, 1)
 * The priors are weakly informative on the log-seconds scale: m within e^+-10 (45 us to 6 h) at
 * two sd, each log-spread between 0.14 and 7 at 95%, and w kept off 0 and 1 so that neither
 * component can vanish and leave its mean to the prior alone.
 *
 * Timestamps have 1 ms resolution, so a duration of d ms (end_ms - start_ms) says D is in
 * [d, d + 1) ms. Below CR_DURATION_EXACT_MS that interval is the likelihood, P(d <= D < d + 1),
 * and a duration of 0 ms contributes P(D < 1 ms): no log(0), and the many identical short
 * durations (single-packet UDP flows) cannot pull a component onto one value with a vanishing
 * spread, which a density would reward without bound. From CR_DURATION_EXACT_MS up the interval
 * is narrower than 0.1% of D and the density at d + 0.5 ms stands in for it (same likelihood up
 * to a constant). Durations still running at capture end contribute log P(D > c), c their age
 * then (ms); c = 0 carries no information and is left out. */
#ifndef CR_DURATION_H
#define CR_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "flows/flows.h"
#include "model/model.h"

#define CR_DURATION_EXACT_MS 1000

/* Unconstrained coordinates, in duration.stan's parameter order (w, ordered m, s). Outputs
 * (m->constrain) are w, m1, m2, s1, s2 in the same positions. */
enum { CR_DUR_LOGIT_W, CR_DUR_M1, CR_DUR_LOG_DM, CR_DUR_LOG_S1, CR_DUR_LOG_S2, CR_DUR_DIM };

typedef struct {
    size_t nexact;
    double *exact_ms;     /* durations >= CR_DURATION_EXACT_MS */
    int nbin;
    int *bin_ms;          /* distinct durations below CR_DURATION_EXACT_MS, ascending */
    double *bin_n;        /* how many connections have each */
    size_t ncens;
    double *cens_ms;      /* ages at capture end (> 0) of connections still alive then */
    size_t ncens_zero;    /* connections alive at capture end that started at it (left out) */
} cr_duration_data;

/* From n durations in ms (>= 0); censored[i] set means ms[i] is a lower bound (still alive). */
void cr_duration_data_init(cr_duration_data *d, size_t n, const int64_t *ms,
                           const uint8_t *censored);
void cr_duration_data_free(cr_duration_data *d);

/* A flow's duration in ms and whether it is right-censored (returns 1) or ended (0).
 * TCP closed by FIN or RST: end_ms - start_ms. TCP open: known alive until the capture end, so
 * censored at capture_end_ms - start_ms (capture_end_ms < last_ms, e.g. CR_NA_I64 when unknown,
 * falls back to last_ms). UDP: last_ms - start_ms, the flow's life with replies, ended: UDP has
 * no close, so a flow whose last packet is near the capture end may live on (the firewall's idle
 * timer decides that, not the flow). */
int cr_flow_duration(const cr_flow *f, int64_t capture_end_ms, int64_t *ms);

/* The durations of every flow of protocol proto (CR_PROTO_TCP or CR_PROTO_UDP); capture_end_ms
 * per machine (may be NULL: then last_ms), machine[i] the 0-based machine of flow i. */
void cr_duration_data_from_flows(cr_duration_data *d, const cr_flow *fl, size_t n,
                                 const int *machine, const int64_t *capture_end_ms,
                                 uint8_t proto);

/* Fills m for data d (d must outlive m). */
void cr_duration_model(cr_model *m, const cr_duration_data *d);
/* Log density (constants dropped, Jacobians included) and gradient: the function behind
 * m->logp, exposed for tests. */
double cr_duration_logp(const cr_model *m, const double *theta, double *grad, void *scratch);

/* One posterior draw in the output layout (log-seconds scale). */
typedef struct {
    double w, m1, m2, s1, s2;
} cr_duration_params;

/* The draw's parameters from m->constrain's output (or any w, m1, m2, s1, s2 array). */
cr_duration_params cr_duration_params_at(const double *out);
/* P(D > t) for t seconds. */
double cr_duration_survival(const cr_duration_params *p, double t);
/* A duration in seconds from the mixture. */
double cr_duration_draw(const cr_duration_params *p, gsl_rng *r);
/* A total duration in seconds given that the connection is already age seconds old (D > age):
 * for connections open when a simulation starts. */
double cr_duration_draw_beyond(const cr_duration_params *p, double age, gsl_rng *r);

/* The Kaplan-Meier estimate of P(D > t) from the same durations, the empirical alternative:
 * a step function with a step at each distinct ended duration, and Greenwood's standard
 * error. */
typedef struct {
    size_t n;
    double *t;  /* distinct ended durations (the unit of the input), ascending */
    double *s;  /* P(D > t[i]) */
    double *se; /* Greenwood standard error of s[i] */
} cr_km;

void cr_km_estimate(cr_km *km, size_t n, const double *t, const uint8_t *censored);
/* P(D > t) with its standard error in *se (may be NULL). */
double cr_km_at(const cr_km *km, double t, double *se);
void cr_km_free(cr_km *km);

#endif
