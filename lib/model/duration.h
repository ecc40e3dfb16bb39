/* Connection durations of one protocol as a K-component lognormal mixture with right
 * censoring, K = 1 to CR_DUR_KMAX (models/duration.stan is the same model in Stan, K as data;
 * docs/durations.md):
 *   log D ~ sum_j w_j Normal(m_j, s_j),  m_1 < ... < m_K,  D in seconds
 *   w ~ dirichlet(2, ..., 2); m_j ~ normal(0, 5); s_j ~ lognormal(0, 1)
 * The priors are weakly informative on the log-seconds scale: m within e^+-10 (45 us to 6 h) at
 * two sd, each log-spread between 0.14 and 7 at 95%, and every w_j kept off 0 so that no
 * component can vanish and leave its mean to the prior alone (for K = 2 the dirichlet is the
 * beta(2, 2) of w). How many components the data need is chosen by PSIS-LOO
 * (lib/sizing/sizing_duration.c).
 *
 * Likelihood on binned durations. Timestamps have 1 ms resolution, so a duration of d ms says D
 * is in [d, d + 1) ms, and every ended duration contributes that interval's probability: no
 * log(0) for 0 ms, and ties cannot pull a component onto one value with a vanishing spread.
 * The intervals are then merged into bins of width max(1 ms, lower edge / coarsen) on a fixed
 * grid, and a bin of k durations contributes k log P(lo <= D < hi): the exact likelihood of the
 * durations rounded down to the grid, so a gradient costs O(bins) instead of O(connections)
 * (about 100 per factor e of durations, some 1,300 bins for 1 ms to 3 h at coarsen 100).
 * Durations still running at capture end contribute log P(D > c), c their age then rounded down
 * to the same grid (c = 0 carries no information and is left out). coarsen 0 keeps 1 ms
 * everywhere: the likelihood of the durations as measured, which the tests compare with. */
#ifndef CR_DURATION_H
#define CR_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "flows/flows.h"
#include "model/model.h"

/* Bins at most 1% of their lower edge wide: the posterior moves by about 0.01 posterior sd
 * (docs/durations.md, tests/model/test_duration.c). */
#define CR_DURATION_COARSEN 100

/* The most components fitted: the synthetic TCP lifetimes need four (refused connections,
 * three groups of sessions; docs/durations.md), and each one more costs a fit. */
#define CR_DUR_KMAX 4
#define CR_DUR_MAXDIM (3 * CR_DUR_KMAX - 1)

/* Unconstrained coordinates of a K-component fit, in duration.stan's parameter order: the
 * simplex w by Stan's stick-breaking (K - 1 values, logit z_j + log(K - 1 - j)), the ordered m
 * (m_1, then log(m_j - m_{j-1})), log s (K). Outputs (m->constrain) are w_1..w_{K-1}, m (K),
 * s (K): w_K, one minus the others, is left out (for K = 1 a constant, which has no R-hat). */
#define CR_DUR_DIM(k) (3 * (k) - 1)
#define CR_DUR_NOUT(k) CR_DUR_DIM(k)
#define CR_DUR_Y_M(k) ((k) - 1)
#define CR_DUR_Y_S(k) (2 * (k) - 1)

typedef struct {
    int nedge;
    double *edge_ms;     /* ascending bin edges in ms (whole numbers); edge_ms[0] may be 0 */
    double *x;           /* log(edge_ms / 1000), log seconds (-INFINITY for 0) */
    double *n_event;     /* [nedge - 1]: ended durations in [edge_ms[i], edge_ms[i + 1]) */
    double *n_cens;      /* [nedge]: durations alive at capture end, counted as D > edge_ms[i] */
    size_t nended, ncens; /* connections behind n_event and n_cens */
    size_t ncens_zero;   /* connections alive at capture end that started at it (left out) */
} cr_duration_data;

/* From n durations in ms (>= 0); censored[i] set means ms[i] is a lower bound (still alive).
 * coarsen: CR_DURATION_COARSEN, or 0 for 1 ms bins throughout. */
void cr_duration_data_init(cr_duration_data *d, size_t n, const int64_t *ms,
                           const uint8_t *censored, int coarsen);
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
                                 uint8_t proto, int coarsen);

/* Fills m for data d (d must outlive m) and k components (1..CR_DUR_KMAX), on duration.stan's
 * unconstrained scale; m->dim is CR_DUR_DIM(k), from which the density reads k. */
void cr_duration_model(cr_model *m, const cr_duration_data *d, int k);
/* Log density (constants dropped, Jacobians included) and gradient on duration.stan's scale:
 * the function behind m->logp of cr_duration_model, exposed for tests. */
double cr_duration_logp(const cr_model *m, const double *theta, double *grad, void *scratch);

/* Where the chains start. A mixture's posterior can have local modes far below the main one:
 * on UDP flows of DNS lookups (tens of ms), lookups never answered (0 ms) and QUIC sessions
 * (seconds), one component spread from 1 ms to hours (log-sd 3.4) holds a mode 2,100 log units
 * below the one that fits, and chains started at random settle in it, every convergence
 * criterion passing (docs/durations.md). So the density is first climbed (Newton) from starts
 * that split the data at quantiles into k groups, and the chains sample in coordinates centred
 * on the highest mode found and whitened by its Laplace approximation, theta = mode + R^-T u
 * with R R' minus the Hessian there: the posterior is near standard normal in u whatever the
 * correlations between components (with three or four, a diagonal scale needed trees four to
 * seven times larger), and the sampler's inits, uniform in (-2, 2), lie within 2 sd of the mode
 * along every principal direction. */
typedef struct {
    const cr_duration_data *d;
    int k;                       /* components */
    double mode[CR_DUR_MAXDIM];  /* duration.stan's unconstrained scale */
    double scale[CR_DUR_MAXDIM]; /* Laplace sd at the mode (1 where the curvature is not usable) */
    double root[CR_DUR_MAXDIM * CR_DUR_MAXDIM]; /* R, lower triangular, CR_DUR_DIM(k) square
                                                  * (the identity where the curvature is not
                                                  * usable) */
    double lp;                   /* log density at the mode */
    int starts, modes;           /* ascents made, distinct modes they reached */
    double next_lp;              /* the best other mode's log density, -INFINITY if none */
    double next_mode[CR_DUR_MAXDIM]; /* that mode */
} cr_duration_start;

/* The ascents run on up to `threads` threads (0: one per CPU); the result does not depend on
 * how many. */
void cr_duration_find_start(const cr_duration_data *d, int k, int threads, cr_duration_start *s);
/* The same posterior in s's coordinates u (s must outlive m); outputs as cr_duration_model's. */
void cr_duration_model_at(cr_model *m, const cr_duration_start *s);
/* theta = mode + R^-T u. */
void cr_duration_start_theta(const cr_duration_start *s, const double *u, double *theta);

/* One posterior draw (log-seconds scale). */
typedef struct {
    int k;
    double w[CR_DUR_KMAX], m[CR_DUR_KMAX], s[CR_DUR_KMAX];
} cr_duration_params;

/* The draw's parameters from m->constrain's output of a k-component model. */
cr_duration_params cr_duration_params_at(int k, const double *out);
/* P(D > t) for t seconds. */
double cr_duration_survival(const cr_duration_params *p, double t);
/* E[D] in seconds. */
double cr_duration_mean(const cr_duration_params *p);
/* E[min(D, t)], the area under P(D > .) up to t seconds (t may be infinite): comparable with
 * cr_km_mean. */
double cr_duration_mean_within(const cr_duration_params *p, double t);
/* A duration in seconds from the mixture. */
double cr_duration_draw(const cr_duration_params *p, gsl_rng *r);
/* A total duration in seconds given that the connection is already age seconds old (D > age):
 * for connections open when a simulation starts. */
double cr_duration_draw_beyond(const cr_duration_params *p, double age, gsl_rng *r);

/* Pointwise log-likelihood for PSIS-LOO. The observations are the occupied bins and the groups
 * of censored durations, in edge order (a bin [edge i-1, edge i) before the durations censored
 * at edge i); observation j stands for weight[j] connections with the same log-likelihood, so
 * loo's "one row repeated weight times" (lib/loo/loo.h) is exact. */
size_t cr_duration_nobs(const cr_duration_data *d);
void cr_duration_obs_weights(const cr_duration_data *d, double *weight);
/* The log-likelihood of one connection of each observation under p, into ll[nobs]. */
void cr_duration_loglik(const cr_duration_data *d, const cr_duration_params *p, double *ll);

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
/* The area under the estimate up to its last step (the mean when the longest duration ended,
 * a lower bound of it otherwise). */
double cr_km_mean(const cr_km *km);
void cr_km_free(cr_km *km);

/* The predictive check of a fit that a network engineer can read: Kaplan-Meier's P(D > t) at
 * 1 s, 10 s, 60 s, 300 s and 3600 s, and its area up to the longest ended duration (the
 * restricted mean), against the same statistics of replicated data sets. Replicate i takes
 * every connection's duration from posterior draw i and watches it as long as the real one
 * was watched, so a replicate has the data's size and censoring. Each statistic gets the mid-p
 * value P(T_rep > T_obs) + P(T_rep = T_obs) / 2 and fails below 0.01 or above 0.99 (lib/ppc's
 * thresholds), i.e. outside the central 98% of the replicates. A time no connection was
 * watched for (beyond every capture) is not checked. Replicate i's random numbers come from
 * (seed, i) alone, whatever the thread count. */
enum { CR_DUR_PPC_NTIMES = 5, CR_DUR_PPC_RMST = CR_DUR_PPC_NTIMES, CR_DUR_PPC_NSTATS };
extern const double cr_duration_ppc_times[CR_DUR_PPC_NTIMES]; /* seconds */

typedef struct {
    size_t n;
    const int64_t *ms;        /* each connection's duration as observed, ms */
    const uint8_t *censored;  /* still open at capture end (NULL: none) */
    const int64_t *follow_ms; /* how long it could be watched: its capture's end - its start */
    int beyond_ended;         /* a connection alive at the end of its watch shows as ended there
                               * (1: UDP, as cr_flow_duration takes it) or as censored (0: TCP) */
} cr_duration_obs;

typedef struct {
    double t;      /* the time checked, or the restricted mean's horizon, seconds */
    int defined;   /* 0: nobody was watched for t */
    double obs;    /* Kaplan-Meier's P(D > t), or its area in seconds */
    double rep_mean, rep_median, rep_lo, rep_hi; /* over replicates; lo, hi: 1% and 99% */
    double p;
    int fail;
} cr_duration_ppc_stat;

typedef struct {
    int nrep;
    cr_duration_ppc_stat stat[CR_DUR_PPC_NSTATS];
    int nfail;
} cr_duration_ppc;

/* nrep replicates, replicate i from draws[i]; threads 0: one per CPU. */
void cr_duration_ppc_run(const cr_duration_obs *o, const cr_duration_params *draws, int nrep,
                         uint64_t seed, int threads, cr_duration_ppc *out);

#endif
