/* Shared between the files of lib/sizing. */
#ifndef CR_SIZING_INTERNAL_H
#define CR_SIZING_INTERNAL_H

#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "flows/flows.h"
#include "series/cps_table.h"
#include "sim/concurrency.h"
#include "sizing/sizing.h"

/* A TCP connection that never closed and was silent for this long before its capture ended is
 * taken to have ended at its last packet (an idle session the firewall ages out), not to be
 * still running: otherwise every abandoned connection would be a duration beyond the capture
 * and the mixture's tail would run to days (docs/report.md). */
#define CR_SZ_IDLE_MS 300000

/* Duration in ms of flow i and whether it is right-censored (1) or ended (0); *idle set when it
 * ended by the rule above. A TCP connection that never closed and was silent for less than that
 * is censored at its last packet, not at the capture end: by the rule it ends at its last packet
 * should the silence go on, so all the capture shows is that it lasted that long. Censored at
 * the capture end, the short connections abandoned in a capture's last 300 s (1% of the
 * synthetic TCP flows) counted as alive through their silence, and Kaplan-Meier and the fit
 * gave each the mean of the durations beyond that age: +14% on the TCP mean (37.6 s against
 * 33.1 s on docs/validation.md's 40 machines). */
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
    /* NULL, or E[min(D, horizon)] of draw d's TCP and UDP durations at [2 d] and [2 d + 1]
     * (cr_sz_sessions_cache): the stop-loss is evaluated at every second of every draw, and
     * this constant was most of its cost. */
    double *within;
} cr_sz_sessions;

/* Fills sm->within for draws 0..ndraws-1 (freed by the caller). */
void cr_sz_sessions_cache(cr_sz_sessions *sm, int ndraws);

/* Firewall log lines per session of each of c->draws draws, lps[draw]: the mean of cr_fw_logs
 * over sessions of that draw's law (a stream of its own per draw, so always the same). */
void cr_sz_logs_per_session(const cr_sz_sessions *sm, const cr_sizing_config *c, double *lps);

/* One session time of posterior draw `draw` (cr_sim_session_fn). */
double cr_sz_session_seconds(void *ctx, gsl_rng *r, int draw);
/* E[(T - x)+] of that law, in closed form (cr_sim_stoploss_fn). */
double cr_sz_session_stoploss(void *ctx, int draw, double x);

/* The rate fit of the series count[a] + count[b] of t, called name: the ladder's loop for
 * c->model (convergence, retries, predictive checks), c->draws draws for lib/sim into a fresh
 * *draws (the chain each comes from into a fresh *chain when chain is not NULL), the exact
 * per-user mean over every draw and its Monte Carlo error; every draw into a fresh *all (*nall
 * of them) when all is not NULL. */
int cr_sz_fit_sum(const cr_cps_table *t, int a, int b, const char *name,
                  const cr_sizing_config *c, cr_fit_result *res, cr_fit_status *st,
                  cr_sizing_ppc *ppc, cr_sim_draw **draws, int **chain, cr_sim_draw **all,
                  int *nall, double *mean, double *mcse, cr_err *e);

/* Per machine: what it did, the fit's view of it, short and outlying machines flagged and,
 * for those, the q99 at the largest N without them (s->checks). */
int cr_sz_check_machines(const cr_sizing_data *d, const cr_sizing_config *c, cr_sizing *s,
                         cr_err *e);

/* The predictive sample of N users of one sized population before it is summarised, laid out
 * [draw][second] (arr, ends, alive) and [draw][minute] (minutes: terminations, fw: firewall
 * log lines), batches x c->draws draws of c->seconds seconds. */
typedef struct {
    double *arr, *ends, *alive, *minutes, *fw;
    int batches;
    /* the slots' chains (cr_sz_sample_chain, borrowed) of arr and alive, and of ends, minutes
     * and fw */
    const int *chain[2];
    cr_sim_concurrency_info info;
} cr_sz_raw;

/* The chains the slots of sample k (0 new/s, 1 log lines per minute, 2 concurrent) follow:
 * the new-connection fit's, for log lines the terminations' when they come from their fit. */
const int *cr_sz_sample_chain(const cr_sizing *s, int k);
/* One batch of N users of s (its fits and session model, as cr_sizing_run left them) with
 * random streams from seed. */
int cr_sz_simulate_raw(const cr_sizing_config *c, const cr_sizing *s, int nusers, uint64_t seed,
                       cr_sz_raw *r, cr_err *e);
/* Adds r into to, second by second and minute by minute: users of independent populations
 * together (with as many batches). */
void cr_sz_raw_add(cr_sz_raw *to, const cr_sz_raw *r, const cr_sizing_config *c);
/* Appends r's batches to to's (to may be empty: all zero). */
void cr_sz_raw_append(cr_sz_raw *to, const cr_sz_raw *r, const cr_sizing_config *c);
/* Every metric's summary and Monte Carlo errors but the means (which are exact, from the
 * fits) and bytes per day (cr_sz_bytes, once the means are in); the samples of new/s, logs per minute and sessions held move to sample[] (the
 * figures'), the rest of r is freed. */
void cr_sz_raw_summarize(cr_sz_raw *r, const cr_sizing_config *c, cr_sim_summary *sum,
                         cr_sim_mcse *mcse, double *sample[3], size_t nsample[3]);
void cr_sz_raw_free(cr_sz_raw *r);
/* The means of N users of s, exact (lib/sim/means.h): N times the per-user expectations over
 * every posterior draw, not the mean of the simulated seconds, which wanders with the few draws
 * that carry a heavy-tailed rate; their errors combine those of independent factors. Sets the
 * mean of every metric but bytes per day. */
void cr_sz_exact_means(const cr_sizing *s, double N, cr_sim_summary *sum, cr_sim_mcse *mcse);
/* Log bytes per day from firewall log lines per minute: x 1440 x bytes per line, a positive
 * scale, under which the mean, every mid-quantile and their errors scale too. */
void cr_sz_bytes(const cr_sizing_config *c, cr_sim_summary *sum, cr_sim_mcse *mcse);

/* sizing.csv's table of nusers rows of every metric (sizing_write.c). */
int cr_sz_write_table_csv(const char *path, int nusers, const int *users,
                          const cr_sim_summary (*sum)[CR_SZ_NMETRICS],
                          const cr_sim_mcse (*mcse)[CR_SZ_NMETRICS], cr_err *e);
/* sizing.json's "sizing" member of the same table; a JSON string (escaped) and a number (null
 * when not finite), as every JSON connrate writes. */
void cr_sz_json_table(FILE *f, int nusers, const int *users,
                      const cr_sim_summary (*sum)[CR_SZ_NMETRICS],
                      const cr_sim_mcse (*mcse)[CR_SZ_NMETRICS]);
void cr_sz_jstr(FILE *f, const char *s);
void cr_sz_jnum(FILE *f, double x);

/* The s->sample a datasheet quantity's row comes from (its log lines: the terminations per
 * minute, times the lines per session of cr_sizing_log_minutes). */
extern const int cr_sz_sample_of[CR_SZ_NDATASHEET];

/* The table's quantile at percentile index i of cr_sizing_percentiles, and its mcse. */
double cr_sz_quantile(const cr_sim_summary *m, int i);
double cr_sz_quantile_mcse(const cr_sim_mcse *m, int i);
/* The index of pct in cr_sizing_percentiles, -1 if it is not one. */
int cr_sz_percentile_index(double pct);

/* The share of values of x[k] (the datasheet quantities of N index u as cr_sizing_recommend
 * lays them out) above each limit of c, with its Monte Carlo error, into s->cap[k]. */
void cr_sz_exceedance(const cr_sizing_config *c, cr_sizing *s, int u, const double *const *x);
/* The largest N within each limit of c (sizing_capacity.c), simulating more N as needed. */
int cr_sz_limit_search(const cr_sizing_config *c, cr_sizing *s, cr_err *e);

/* A count or rate for people: thousands separated, few decimals ("n/a" when not finite). */
const char *cr_sz_human(double x, char *buf, size_t n);
/* Bytes for people: "1.23 GB". */
const char *cr_sz_bytes_text(double x, char *buf, size_t n);
/* Text into HTML, escaped. */
void cr_sz_html(FILE *f, const char *s);
/* report.html's first screen (sizing_lead.c). */
void cr_sz_report_lead(FILE *f, const cr_sizing_config *c, const cr_sizing *s);

/* "DIR/a" or "DIR/a/b" in a fresh buffer (b may be NULL). */
char *cr_sz_path(const char *dir, const char *a, const char *b);

#endif
