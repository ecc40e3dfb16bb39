/* Shared between the files of lib/sizing. */
#ifndef CR_SIZING_INTERNAL_H
#define CR_SIZING_INTERNAL_H

#include <gsl/gsl_rng.h>

#include "flows/flows.h"
#include "series/cps_table.h"
#include "sizing/sizing.h"

/* A TCP connection that never closed and was silent for this long before its capture ended is
 * taken to have ended at its last packet (an idle session the firewall ages out), not to be
 * still running: otherwise every abandoned connection would be a duration beyond the capture
 * and the mixture's tail would run to days (docs/report.md). */
#define CR_SZ_IDLE_MS 300000

/* Duration in ms of flow i and whether it is right-censored (1) or ended (0); *idle set when it
 * ended by the rule above. */
int cr_sz_flow_duration(const cr_sz_flows *f, size_t i, int64_t *ms, int *idle);

/* Fits the duration mixture of one protocol and keeps c->draws evenly thinned draws; the means
 * it prints and keeps are of durations cut at horizon seconds (INFINITY: not cut). */
int cr_sz_fit_duration(const cr_sz_flows *f, uint8_t proto, const cr_sizing_config *c,
                       double horizon, cr_sizing_duration *d, cr_err *e);

/* The law of the time a new session holds a firewall entry (sizing_sessions.c): TCP or UDP by
 * the observed share, a duration from that protocol's posterior draw, plus the profile's hold
 * for how it ended. ctx of both functions is a cr_sz_sessions. */
typedef struct {
    const cr_fw_profile *fw;
    const cr_sizing *s;
} cr_sz_sessions;

/* One session time of posterior draw `draw` (cr_sim_session_fn). */
double cr_sz_session_seconds(void *ctx, gsl_rng *r, int draw);
/* E[(T - x)+] of that law, in closed form (cr_sim_stoploss_fn). */
double cr_sz_session_stoploss(void *ctx, int draw, double x);

/* The rate fit of the series count[a] + count[b] of t, called name: the ladder's loop for
 * c->model (convergence, retries, predictive checks), c->draws draws for lib/sim into a fresh
 * *draws, the exact per-user mean over every draw and its Monte Carlo error. */
int cr_sz_fit_sum(const cr_cps_table *t, int a, int b, const char *name,
                  const cr_sizing_config *c, cr_fit_result *res, cr_fit_status *st,
                  cr_sizing_ppc *ppc, cr_sim_draw **draws, double *mean, double *mcse, cr_err *e);

/* Per machine: what it did, the fit's view of it, short and outlying machines flagged and,
 * for those, the q99 at the largest N without them (s->checks). */
int cr_sz_check_machines(const cr_sizing_data *d, const cr_sizing_config *c, cr_sizing *s,
                         cr_err *e);

/* "DIR/a" or "DIR/a/b" in a fresh buffer (b may be NULL). */
char *cr_sz_path(const char *dir, const char *a, const char *b);

#endif
