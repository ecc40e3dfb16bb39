/* Steps 2 and 3 of a sizing run: the fits, then the simulation of every N. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "ingest/packet.h"
#include "series/cps_sample.h"
#include "sim/effort.h"
#include "sim/parallel.h"
#include "sizing/sizing_internal.h"

const char *const cr_sizing_metric_names[CR_SZ_NMETRICS] = {
    "new_per_s",         "logs_per_min",   "concurrent", "firewall_logs_per_min",
    "log_bytes_per_day", "ends_per_s_x60"};

/* Keeps the streams of the termination simulation and of the log-count estimate apart from the
 * arrivals' (cr_sim_seed_stream mixes the seed through splitmix64, so any distinct value
 * does). */
#define SEED_ENDS 0x656e6473ULL
#define SEED_LOGS 0x6c6f6773ULL
#define SEED_FIT_CELLS 0x63656c6cULL /* which minutes the fits see */
#define LOGS_SESSIONS 4000

void cr_sizing_config_default(cr_sizing_config *c)
{
    memset(c, 0, sizeof *c);
    static const int users[] = {1, 10, 50, 100};
    c->nusers = 4;
    memcpy(c->users, users, sizeof users);
    cr_fw_profile_get(&c->fw, "none", NULL);
    c->seed = 42;
    /* many short draws: the tail quantiles rest on how many draws reach them (docs/simulation.md,
     * "Stability") */
    c->draws = 1000;
    c->seconds = 720;
    c->mcse_target = 0.015;
    c->max_batches = 4;
    c->run_on = 1;
    c->log_bytes = 800;
    cr_fit_options_default(&c->fit);
    c->model = CR_LADDER_NBH_BURST;
    c->burnin_cap = 7200;
    c->percentile = 99;
    c->headroom = 1.25;
    c->search_max = 100000;
    c->fit_cells = 5000;
}

int cr_sizing_parse_users(cr_sizing_config *c, const char *arg, cr_err *e)
{
    int n = 0;
    const char *p = arg;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || v < 1 || v > 1000000)
            return cr_fail(e, "--users %s: expected numbers from 1 to 1000000 separated by commas",
                           arg);
        if (n == CR_SZ_MAX_USERS)
            return cr_fail(e, "--users %s: at most %d values", arg, CR_SZ_MAX_USERS);
        if (n > 0 && v <= c->users[n - 1])
            return cr_fail(e, "--users %s: values must be increasing", arg);
        c->users[n++] = (int)v;
        p = *end ? end + 1 : end;
    }
    if (n == 0)
        return cr_fail(e, "--users %s: expected at least one number", arg);
    c->nusers = n;
    return 0;
}

/* ---- Step 2: rate fits ---- */

/* Where the kept fit's population draws go: c->draws of them for the simulation, from lib/fit's
 * result, with the chain each comes from, and the exact per-user mean E[y] over all of them with
 * its Monte Carlo error. */
typedef struct {
    int ndraws;
    cr_sim_draw *out, *all; /* all: kept when `keep_all` */
    int *chain;             /* [ndraws]: cr_sizing_slot_chains */
    int nall, keep_all;
    const char *what;
    double mean, mcse;
} kept_draws;

/* k's draws from res, whose rows hold outputs cols[0..ncols) of m (all of them: cols NULL). */
static int take_draws(kept_draws *k, const cr_model *m, const cr_chains_result *res,
                      const int *cols, int ncols, cr_err *e)
{
    int total = res->chains * res->samples;
    cr_sim_draw *all = xmalloc((size_t)total * sizeof *all);
    int rc = cr_sizing_draws_from_columns(m, res, cols, ncols, total, all, k->what, e);
    if (rc == 0) {
        for (int i = 0; i < k->ndraws; i++) /* evenly thinned, as the sampler's slots are */
            k->out[i] = all[cr_sizing_thin_row(i, (size_t)total, k->ndraws)];
        cr_sizing_slot_chains(res->chains, res->samples, k->ndraws, k->chain);
        double *ey = xmalloc((size_t)total * sizeof *ey);
        for (int i = 0; i < total; i++)
            ey[i] = cr_sim_user_mean(&all[i]);
        cr_diag_ws *ws = cr_diag_ws_new();
        cr_diag_summary sm;
        cr_diag_summarise(ey, res->chains, res->samples, ws, &sm);
        cr_diag_ws_free(ws);
        k->mean = sm.mean;
        k->mcse = sm.mcse_mean;
        free(ey);
    }
    if (rc == 0 && k->keep_all) {
        free(k->all);
        k->all = all;
        k->nall = total;
    } else
        free(all);
    return rc ? -1 : 0;
}

static int keep_draws(void *ctx, const cr_model *m, const cr_chains_result *res, cr_err *e)
{
    return take_draws(ctx, m, res, NULL, 0, e);
}

/* The kept model's predictive checks counted: every statistic and count class of every machine
 * and the pooled check, the failing pooled ones named. */
static void tally_ppc(const cr_ppc_result *r, cr_sizing_ppc *p)
{
    memset(p, 0, sizeof *p);
    p->ran = 1;
    size_t len = 0;
    for (int k = -1; k < r->nmachines; k++) {
        const cr_ppc_check *c = k < 0 ? &r->pooled : &r->machines[k];
        p->checks += CR_PPC_NSTATS + c->ncls;
        for (int j = 0; j < CR_PPC_NSTATS; j++)
            p->failed += c->stat[j].fail;
        for (int j = 0; j < c->ncls; j++)
            p->failed += c->cls_fail[j];
        for (int j = 0; j < CR_PPC_NSTATS + c->ncls && k < 0; j++) {
            char what[40];
            if (j < CR_PPC_NSTATS && c->stat[j].fail)
                snprintf(what, sizeof what, "%s", cr_ppc_stat_names[j]);
            else if (j >= CR_PPC_NSTATS && c->cls_fail[j - CR_PPC_NSTATS]) {
                char cls[32];
                cr_ppc_class_label(c, j - CR_PPC_NSTATS, cls, sizeof cls);
                snprintf(what, sizeof what, "class %s", cls);
            } else
                continue;
            if (len + strlen(what) + 2 < sizeof p->pooled)
                len += (size_t)snprintf(p->pooled + len, sizeof p->pooled - len, "%s%s",
                                        len ? " " : "", what);
        }
    }
}

/* New connections are tcp_new + udp_new (the series "new") and terminations tcp_end + udp_end
 * ("end"): one model each, so the TCP and UDP activity of one user share its rate. The fit is
 * the ladder's loop for the configured model (or the whole ladder): convergence, retries and
 * the predictive checks; lib/sim draws from whichever model it keeps, c->draws draws into
 * *draws. The result keeps the population draws and the checks for the outputs. */
int cr_sz_fit_sum(const cr_cps_table *t, int a, int b, const char *name,
                  const cr_sizing_config *c, cr_fit_result *res, cr_fit_status *st,
                  cr_sizing_ppc *ppc, cr_sim_draw **draws, int **chain, cr_sim_draw **all,
                  int *nall, double *mean, double *mcse, cr_err *e)
{
    cr_fit_ladder_options lo;
    cr_fit_ladder_options_default(&lo);
    lo.fit = c->fit;
    lo.model = c->model;
    lo.holdout = 0;
    lo.draws = CR_FIT_DRAWS_POPULATION; /* the latent effects would be 620 MB on 8 x 8 h */
    *draws = xmalloc((size_t)c->draws * sizeof **draws);
    kept_draws k = {c->draws, *draws, NULL, xmalloc((size_t)c->draws * sizeof *k.chain), 0,
                    all != NULL, name, NAN, NAN};
    lo.kept = keep_draws;
    lo.kept_ctx = &k;
    cr_cps_table sampled;
    int cut = cr_cps_sample_minutes(t, c->fit_cells, c->seed ^ SEED_FIT_CELLS, &sampled);
    if (cut)
        t = &sampled;
    int *y = xmalloc((t->nrows ? t->nrows : 1) * sizeof *y);
    for (size_t i = 0; i < t->nrows; i++)
        y[i] = t->count[a][i] + t->count[b][i];
    cr_series series = {name, y};
    int rc = cr_fit_ladder_series(t, &series, &lo, res, e);
    free(y);
    if (cut)
        cr_cps_sample_free(&sampled);
    if (rc == 0) {
        *st = res->status;
        tally_ppc(&cr_fit_kept(res)->ppc, ppc);
        *mean = k.mean;
        *mcse = k.mcse;
    }
    if (rc == 0 && all) {
        *all = k.all;
        *nall = k.nall;
    } else
        free(k.all);
    if (rc == 0 && chain)
        *chain = k.chain;
    else
        free(k.chain);
    return rc;
}

/* ---- Step 3: simulation ---- */

/* Firewall log lines per session, averaged per draw (the per-second log rate is the session
 * end rate times this: interim logs are counted at the session's end, docs/report.md). */
void cr_sz_logs_per_session(const cr_sz_sessions *sm, const cr_sizing_config *c, double *lps)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int d = 0; d < c->draws; d++) {
        cr_sim_seed_stream(r, c->seed ^ SEED_LOGS, d);
        double sum = 0;
        for (int i = 0; i < LOGS_SESSIONS; i++)
            sum += cr_fw_logs(sm->fw, cr_sz_session_seconds((void *)sm, r, d));
        lps[d] = sum / LOGS_SESSIONS;
    }
    gsl_rng_free(r);
}

static double mean_of(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    return n ? m / (double)n : 0;
}

/* The summary and Monte Carlo errors of a sample laid out [batch][slot][value]; the sample
 * keeps its layout when `keep` is set (a copy is sorted), else it is sorted in place. */
static void summarize(double *x, int ndraws, int nslots, const int *chain, long per, int keep,
                      cr_sim_summary *s, cr_sim_mcse *m)
{
    size_t n = (size_t)ndraws * (size_t)per;
    double *y = keep ? xmalloc((n + 1) * sizeof *y) : x;
    if (keep)
        memcpy(y, x, n * sizeof *y);
    cr_sim_summarize_draws(y, ndraws, nslots, chain, per, s, m);
    if (keep)
        free(y);
}

static void scale_summary(const cr_sim_summary *a, const cr_sim_mcse *am, double k,
                          cr_sim_summary *b, cr_sim_mcse *bm)
{
    *b = *a;
    *bm = *am;
    b->mean *= k, b->q50 *= k, b->q90 *= k, b->q95 *= k, b->q99 *= k, b->q999 *= k, b->max *= k;
    bm->mean *= k, bm->q50 *= k, bm->q90 *= k, bm->q95 *= k, bm->q99 *= k, bm->q999 *= k;
}

/* The means of the table are exact (lib/sim/means.h): N times the per-user expectations over
 * every posterior draw, not the mean of the simulated seconds, which wanders with the few draws
 * that carry a heavy-tailed rate. Their errors combine those of independent factors. */
void cr_sz_exact_means(const cr_sizing *s, double N, cr_sim_summary *sum, cr_sim_mcse *mcse)
{
    const int end = s->logs_from_fit; /* terminations from their fit, else one per session */
    const double r = s->rate_mean[0], rse = s->rate_mcse[0];
    const double q = s->rate_mean[end], qse = s->rate_mcse[end];
    const double T = s->session_mean, Tse = s->session_mcse;
    const double L = s->logs_per_session, Lse = s->lps_mcse;
    sum[CR_SZ_NEW].mean = N * r;
    mcse[CR_SZ_NEW].mean = N * rse;
    sum[CR_SZ_LOGS].mean = sum[CR_SZ_ENDS_X60].mean = 60 * N * q;
    mcse[CR_SZ_LOGS].mean = mcse[CR_SZ_ENDS_X60].mean = 60 * N * qse;
    sum[CR_SZ_CONC].mean = N * r * T;
    mcse[CR_SZ_CONC].mean = N * hypot(rse * T, r * Tse);
    sum[CR_SZ_FWLOGS].mean = 60 * N * q * L;
    mcse[CR_SZ_FWLOGS].mean = 60 * N * hypot(qse * L, q * Lse);
}

/* sd / sqrt(n) of independent values (the duration draws are evenly thinned). */
static double mcse_of(const double *x, int n)
{
    if (n < 2)
        return NAN;
    double m = mean_of(x, (size_t)n), ss = 0;
    for (int i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    return sqrt(ss / (n - 1) / n);
}

/* What the simulation of one population needs whatever N: the law of its sessions with its
 * kernels built once, and the firewall's log lines per session of each draw. */
typedef struct {
    cr_sz_sessions sm;
    cr_sim_sessions ss;
    cr_sim_kernels k;
    double *lps;
} sim_setup;

void cr_sz_raw_free(cr_sz_raw *r)
{
    free(r->arr);
    free(r->ends);
    free(r->alive);
    free(r->minutes);
    free(r->fw);
    memset(r, 0, sizeof *r);
}

/* N users of one population: arrivals, sessions held and their ends from the new-connection
 * draws, terminations from their own fit's draws when the population's logs come from it;
 * then the terminations and firewall log lines of each whole minute. */
static int simulate_raw(const cr_sizing_config *c, int nusers, uint64_t seed,
                        const cr_sim_draw *dnew, const cr_sim_draw *dend, const cr_sizing *s,
                        const sim_setup *x, cr_sz_raw *r, cr_err *e)
{
    const int logs_from_fit = s->logs_from_fit;
    memset(r, 0, sizeof *r);
    r->chain[0] = cr_sz_sample_chain(s, 0);
    r->chain[1] = cr_sz_sample_chain(s, 1);
    size_t n = (size_t)c->draws * (size_t)c->seconds;
    cr_sim_config sc;
    cr_sim_config_default(&sc);
    sc.nusers = nusers;
    sc.seconds = c->seconds;
    sc.seed = seed;
    sc.threads = c->threads;
    r->arr = xmalloc(n * sizeof *r->arr);
    r->ends = xmalloc(n * sizeof *r->ends);
    r->alive = xmalloc(n * sizeof *r->alive);
    r->batches = 1;
    if (cr_sim_concurrency(dnew, c->draws, &sc, &x->ss, r->arr, r->ends, r->alive, &r->info,
                           e) != 0)
        goto fail;
    if (logs_from_fit) {
        sc.seed = seed ^ SEED_ENDS;
        if (cr_sim_users(dend, c->draws, &sc, r->ends, NULL, e) != 0)
            goto fail;
    }
    size_t per = (size_t)c->seconds / 60, nmin = (size_t)c->draws * per;
    r->minutes = xmalloc((nmin + 1) * sizeof *r->minutes);
    r->fw = xmalloc((nmin + 1) * sizeof *r->fw);
    for (size_t m = 0; m < nmin; m++) {
        const double *y = r->ends + (m / per) * (size_t)c->seconds + (m % per) * 60;
        double sum = 0;
        for (int i = 0; i < 60; i++)
            sum += y[i];
        r->minutes[m] = sum;
        r->fw[m] = sum * x->lps[m / per];
    }
    return 0;
fail:
    cr_sz_raw_free(r);
    return -1;
}

void cr_sz_raw_add(cr_sz_raw *to, const cr_sz_raw *r, const cr_sizing_config *c)
{
    size_t D = (size_t)r->batches * (size_t)c->draws;
    size_t n = D * (size_t)c->seconds, nmin = D * (size_t)(c->seconds / 60);
    for (size_t i = 0; i < n; i++) {
        to->arr[i] += r->arr[i];
        to->ends[i] += r->ends[i];
        to->alive[i] += r->alive[i];
    }
    for (size_t m = 0; m < nmin; m++) {
        to->minutes[m] += r->minutes[m];
        to->fw[m] += r->fw[m];
    }
    to->info.burnin = r->info.burnin > to->info.burnin ? r->info.burnin : to->info.burnin;
    to->info.missed = fmax(to->info.missed, r->info.missed);
    /* the sum's slots follow the chains only where every population's slot i comes from the
     * same chain position */
    for (int k = 0; k < 2; k++)
        if (to->chain[k] && (!r->chain[k] || memcmp(to->chain[k], r->chain[k],
                                                    (size_t)c->draws * sizeof *r->chain[k])))
            to->chain[k] = NULL;
}

/* to[0..n) followed by from[0..m), to grown (a fresh array when to is NULL). */
static double *append(double *to, size_t n, const double *from, size_t m)
{
    to = xrealloc(to, (n + m + 1) * sizeof *to);
    memcpy(to + n, from, m * sizeof *to);
    return to;
}

void cr_sz_raw_append(cr_sz_raw *to, const cr_sz_raw *r, const cr_sizing_config *c)
{
    const size_t sec = (size_t)c->draws * (size_t)c->seconds;
    const size_t min = (size_t)c->draws * (size_t)(c->seconds / 60);
    const size_t a = (size_t)to->batches, b = (size_t)r->batches;
    to->arr = append(to->arr, a * sec, r->arr, b * sec);
    to->ends = append(to->ends, a * sec, r->ends, b * sec);
    to->alive = append(to->alive, a * sec, r->alive, b * sec);
    to->minutes = append(to->minutes, a * min, r->minutes, b * min);
    to->fw = append(to->fw, a * min, r->fw, b * min);
    if (to->batches == 0)
        memcpy(to->chain, r->chain, sizeof to->chain);
    to->batches += r->batches;
    to->info.burnin = r->info.burnin > to->info.burnin ? r->info.burnin : to->info.burnin;
    to->info.missed = fmax(to->info.missed, r->info.missed);
}

void cr_sz_bytes(const cr_sizing_config *c, cr_sim_summary *sum, cr_sim_mcse *mcse)
{
    scale_summary(&sum[CR_SZ_FWLOGS], &mcse[CR_SZ_FWLOGS], 1440 * c->log_bytes, &sum[CR_SZ_BYTES],
                  &mcse[CR_SZ_BYTES]);
}

const int *cr_sz_sample_chain(const cr_sizing *s, int k)
{
    return s->slot_chain[k == 1 ? s->logs_from_fit : 0];
}

/* The three samples the effort aims at: new/s, logs per minute, concurrent; their slots'
 * chains. */
static void effort_samples(const cr_sz_raw *r, const cr_sizing_config *c, double *x[3],
                           long per[3], const int *chain[3])
{
    x[0] = r->arr, x[1] = r->minutes, x[2] = r->alive;
    per[0] = per[2] = c->seconds;
    per[1] = c->seconds / 60;
    chain[0] = chain[2] = r->chain[0];
    chain[1] = r->chain[1];
}

void cr_sz_raw_summarize(cr_sz_raw *r, const cr_sizing_config *c, cr_sim_summary *sum,
                         cr_sim_mcse *mcse, double *sample[3], size_t nsample[3])
{
    const int D = r->batches * c->draws;
    size_t n = (size_t)D * (size_t)c->seconds;
    long per = c->seconds / 60, pers[3];
    const int *chain[3];
    summarize(r->fw, D, c->draws, r->chain[1], per, 0, &sum[CR_SZ_FWLOGS], &mcse[CR_SZ_FWLOGS]);
    for (size_t k = 0; k < n; k++)
        r->ends[k] *= 60;
    summarize(r->ends, D, c->draws, r->chain[1], c->seconds, 0, &sum[CR_SZ_ENDS_X60],
              &mcse[CR_SZ_ENDS_X60]);
    effort_samples(r, c, sample, pers, chain);
    for (int k = 0; k < CR_SZ_NEFFORT; k++) {
        int metric = cr_sizing_effort_metrics[k];
        summarize(sample[k], D, c->draws, chain[k], pers[k], 1, &sum[metric], &mcse[metric]);
        nsample[k] = (size_t)D * (size_t)pers[k];
    }
    r->arr = r->minutes = r->alive = NULL;
    cr_sz_raw_free(r);
}

const int cr_sizing_effort_metrics[CR_SZ_NEFFORT] = {CR_SZ_NEW, CR_SZ_LOGS, CR_SZ_CONC};

int cr_sizing_sim_draws(const cr_sizing_config *c, const cr_sizing *s)
{
    return (s->effort.batches > 0 ? s->effort.batches : 1) * c->draws;
}

static double rel_mcse(double q, double mcse)
{
    return mcse == 0 ? 0 : mcse / fabs(q);
}

double cr_sizing_rel_mcse(const cr_sizing *s, int u, int metric)
{
    return rel_mcse(s->sum[u][metric].q99, s->mcse[u][metric].q99);
}

/* Batch b's rate draws. The kept draws thin the fit's nall in chain order, slot i taking the
 * first of its group of about nall / D consecutive ones (sizing_draws.c); batch b takes the
 * (b mod K)-th of each group, K the smallest group's size, so the first K batches use K x D
 * distinct draws before any is simulated again with other users. Slot i keeps its session
 * law (the durations' draw i) throughout. */
static const cr_sim_draw *batch_draws(const cr_sim_draw *kept, const cr_sim_draw *all, int nall,
                                      int D, int b, cr_sim_draw *buf)
{
    const int K = all ? nall / D : 0;
    if (K < 2 || b % K == 0)
        return kept;
    for (int i = 0; i < D; i++)
        buf[i] = all[cr_sizing_thin_row(i, (size_t)nall, D) + (size_t)(b % K)];
    return buf;
}

/* The simulation of every N, batch by batch (lib/sim/effort.h): the samples grow in raw[]. */
typedef struct {
    const cr_sizing_config *c;
    const cr_sizing *s;
    const sim_setup *x;
    const cr_sim_draw *dnew, *dend;
    cr_sim_draw *buf[2];
    cr_sz_raw raw[CR_SZ_MAX_USERS];
} effort_run;

static int add_batches(void *ctx, int from, int to, cr_err *e)
{
    effort_run *R = ctx;
    const cr_sizing_config *c = R->c;
    const cr_sizing *s = R->s;
    for (int b = from; b < to; b++) {
        const cr_sim_draw *dn = batch_draws(R->dnew, s->all_draws[0], s->nall[0], c->draws, b,
                                            R->buf[0]);
        const cr_sim_draw *de = batch_draws(R->dend, s->all_draws[1], s->nall[1], c->draws, b,
                                            R->buf[1]);
        for (int u = 0; u < c->nusers; u++) {
            cr_sz_raw r;
            if (simulate_raw(c, c->users[u], cr_sim_batch_seed(c->seed, b), dn, de, s, R->x,
                             &r, e) != 0)
                return -1;
            cr_sz_raw_append(&R->raw[u], &r, c);
            cr_sz_raw_free(&r);
        }
    }
    return 0;
}

static void effort_errors(void *ctx, int batches, double *rel)
{
    effort_run *R = ctx;
    const cr_sizing_config *c = R->c;
    for (int u = 0; u < c->nusers; u++) {
        double *x[3];
        long per[3];
        const int *chain[3];
        effort_samples(&R->raw[u], c, x, per, chain);
        for (int k = 0; k < CR_SZ_NEFFORT; k++) {
            cr_sim_summary sm;
            cr_sim_mcse m;
            summarize(x[k], batches * c->draws, c->draws, chain[k], per[k], 1, &sm, &m);
            rel[u * CR_SZ_NEFFORT + k] = rel_mcse(sm.q99, m.q99);
        }
    }
    int w = 0;
    for (int i = 1; i < c->nusers * CR_SZ_NEFFORT; i++)
        w = rel[i] > rel[w] ? i : w;
    cr_info("simulated %d batch%s of %d draws x %ld s per N: largest relative mcse of a q99 "
            "%.1f%% (%s, N=%d)\n", batches, batches > 1 ? "es" : "", c->draws, c->seconds,
            100 * rel[w], cr_sizing_metric_names[cr_sizing_effort_metrics[w % CR_SZ_NEFFORT]],
            c->users[w / CR_SZ_NEFFORT]);
}

static int simulate_all(const cr_sizing_config *c, const cr_sim_draw *dnew,
                        const cr_sim_draw *dend, const sim_setup *x, cr_sizing *s, cr_err *e)
{
    cr_sim_effort ef = {c->mcse_target, c->max_batches > 1 ? c->max_batches : 1};
    if (ef.max_batches > INT32_MAX / c->draws)
        ef.max_batches = INT32_MAX / c->draws;
    effort_run R = {c, s, x, dnew, dend, {NULL, NULL}, {{0}}};
    for (int k = 0; k < 2; k++)
        R.buf[k] = xmalloc((size_t)c->draws * sizeof *R.buf[k]);
    cr_sim_effort_result res;
    int rc = cr_sim_effort_run(&ef, c->nusers * CR_SZ_NEFFORT, add_batches, effort_errors, &R,
                               &res, e);
    s->effort = (cr_sizing_effort){res.batches, res.capped, res.limited_by, res.worst,
                                   res.which >= 0 ? res.which / CR_SZ_NEFFORT : -1,
                                   res.which >= 0 ? cr_sizing_effort_metrics[res.which %
                                                                             CR_SZ_NEFFORT]
                                                  : -1,
                                   res.fit_factor, 1};
    for (int u = 0; u < c->nusers; u++) {
        cr_sz_raw *r = &R.raw[u];
        if (rc != 0) {
            cr_sz_raw_free(r);
            continue;
        }
        if (r->info.burnin > s->burnin_max)
            s->burnin_max = r->info.burnin;
        if (r->info.missed > s->missed_max)
            s->missed_max = r->info.missed;
        long burnin = r->info.burnin;
        cr_sz_raw_summarize(r, c, s->sum[u], s->mcse[u], s->sample[u], s->nsample);
        cr_sz_exact_means(s, c->users[u], s->sum[u], s->mcse[u]);
        cr_sz_bytes(c, s->sum[u], s->mcse[u]);
        cr_info("N=%d: new/s mean %.2f q99 %.0f; logs/min q99 %.0f; concurrent mean %.1f q99 "
                "%.0f (burn-in %ld s)\n", c->users[u], s->sum[u][CR_SZ_NEW].mean,
                s->sum[u][CR_SZ_NEW].q99, s->sum[u][CR_SZ_LOGS].q99, s->sum[u][CR_SZ_CONC].mean,
                s->sum[u][CR_SZ_CONC].q99, burnin);
    }
    if (rc == 0 && res.limited_by == CR_SIM_EFFORT_CAP)
        cr_info("--max-batches %d stopped the simulation above --mcse-target %g\n",
                c->max_batches, c->mcse_target);
    if (rc == 0 && res.limited_by == CR_SIM_EFFORT_FIT)
        cr_info("the fit's draws limit the Monte Carlo error above --mcse-target %g after %d "
                "batch%s: %.1f times as many of them (--run-on), not batches, would lower it\n",
                c->mcse_target, res.batches, res.batches > 1 ? "es" : "", res.fit_factor);
    free(R.buf[0]);
    free(R.buf[1]);
    return rc;
}

static void choose_logs_source(cr_sizing *s, const cr_sim_draw *dnew, const cr_sim_draw *dend,
                               int ndraws)
{
    double mn = 0, me = 0;
    for (int d = 0; d < ndraws; d++) {
        mn += cr_sim_user_mean(&dnew[d]);
        me += cr_sim_user_mean(&dend[d]);
    }
    const cr_sizing_data *d = s->data;
    s->logs_from_fit = d->closes_visible;
    unsigned long long nnew = d->total[CR_CPS_TCP_NEW] + d->total[CR_CPS_UDP_NEW];
    unsigned long long nend = d->total[CR_CPS_TCP_END] + d->total[CR_CPS_UDP_END];
    if (d->closes_visible) {
        s->logs_check_ratio = mn / me;
        snprintf(s->logs_why, sizeof s->logs_why,
                 "every input is a capture with TCP flags, so closes are visible (%llu "
                 "terminations seen for %llu new connections): log volume comes from the fitted "
                 "terminations (tcp_end + udp_end); the new-connection rate, which session ends "
                 "match in steady state, is %.2f times it (posterior mean rates per user)",
                 nend, nnew, s->logs_check_ratio);
    } else {
        s->logs_check_ratio = me / mn;
        snprintf(s->logs_why, sizeof s->logs_why,
                 "an input is a single-pass export, which shows few TCP closes (%llu of %llu "
                 "outbound streams never show one): log volume is derived from new connections "
                 "and session times, as every session ends once; the fitted terminations give "
                 "only %.2f times as many",
                 (unsigned long long)d->tcp_never_closed, (unsigned long long)d->tcp_streams,
                 s->logs_check_ratio);
    }
}

static void setup_open(const cr_sizing_config *c, const cr_sizing *s, sim_setup *x)
{
    x->sm = (cr_sz_sessions){.fw = &c->fw, .s = s};
    cr_sz_sessions_cache(&x->sm, c->draws);
    x->lps = xmalloc((size_t)c->draws * sizeof *x->lps);
    cr_sz_logs_per_session(&x->sm, c, x->lps);
    cr_sim_sessions_default(&x->ss);
    x->ss.burnin_cap = c->burnin_cap;
    x->ss.session_seconds = cr_sz_session_seconds;
    x->ss.stoploss = cr_sz_session_stoploss;
    x->ss.ctx = &x->sm;
    cr_sim_kernels_build(&x->ss, c->draws, c->seconds, c->threads, &x->k);
    x->ss.kernels = &x->k;
}

static void setup_close(sim_setup *x)
{
    cr_sim_kernels_free(&x->k);
    free(x->lps);
    free(x->sm.within);
}

int cr_sz_simulate_raw(const cr_sizing_config *c, const cr_sizing *s, int nusers, uint64_t seed,
                       cr_sz_raw *r, cr_err *e)
{
    sim_setup x;
    setup_open(c, s, &x);
    int rc = simulate_raw(c, nusers, seed, s->draws[0], s->draws[1], s, &x, r, e);
    setup_close(&x);
    return rc;
}

/* The session law's expectations, then every N simulated on setup x. */
static int simulate_on_setup(const cr_sizing_config *c, const cr_sim_draw *dnew,
                             const cr_sim_draw *dend, sim_setup *x, cr_sizing *s, cr_err *e)
{
    s->logs_per_session = mean_of(x->lps, (size_t)c->draws);
    s->lps_mcse = mcse_of(x->lps, c->draws);
    double *et = xmalloc((size_t)c->draws * sizeof *et);
    for (int d = 0; d < c->draws; d++)
        et[d] = cr_sz_session_stoploss(&x->sm, d, 0);
    s->session_mean = mean_of(et, (size_t)c->draws);
    s->session_mcse = mcse_of(et, c->draws);
    /* without fits of its own (a caller's draws), the rates' expectations are those draws' */
    for (int k = 0; k < 2 && s->fit[k].nrungs == 0; k++) {
        const cr_sim_draw *dr = k ? dend : dnew;
        for (int d = 0; d < c->draws; d++)
            et[d] = dr ? cr_sim_user_mean(&dr[d]) : 0;
        s->rate_mean[k] = mean_of(et, (size_t)c->draws);
        s->rate_mcse[k] = mcse_of(et, c->draws);
    }
    free(et);
    return simulate_all(c, dnew, dend, x, s, e);
}

int cr_sizing_simulate(const cr_sizing_config *c, const cr_sim_draw *dnew,
                       const cr_sim_draw *dend, cr_sizing *s, cr_err *e)
{
    sim_setup x;
    setup_open(c, s, &x);
    int rc = simulate_on_setup(c, dnew, dend, &x, s, e);
    setup_close(&x);
    return rc;
}

/* Runs fit k's chains on to `factor` times their draws and takes its draws again. */
static int run_fit_on(const cr_sizing_config *c, cr_sizing *s, int k, int factor, cr_err *e)
{
    cr_fit_result *f = &s->fit[k];
    const cr_fit_rung *g = cr_fit_kept(f);
    if (cr_fit_run_on(f, g->fit.res.samples * (factor - 1), c->threads, e) != 0)
        return -1;
    kept_draws kd = {c->draws, s->draws[k], s->all_draws[k], s->slot_chain[k], 0,
                     s->all_draws[k] != NULL, f->series, NAN, NAN};
    int rc = take_draws(&kd, &g->ld.m, &g->fit.res, g->draw_cols, g->ndraw_cols, e);
    s->all_draws[k] = kd.all;
    s->nall[k] = kd.nall;
    s->rate_mean[k] = kd.mean;
    s->rate_mcse[k] = kd.mcse;
    *(k ? &s->fit_end : &s->fit_new) = f->status;
    return rc;
}

/* Where the fits' draws, which every batch shares, hold a q99's error above the target: the
 * fits' chains run on (c->run_on at most) and the simulation starts again on all their draws,
 * with as many more batches, on the same setup (the session law does not change). Starting
 * again costs the first simulation; reusing its batches would tie them to draws the longer
 * chains place elsewhere. */
static int simulate_on(const cr_sizing_config *c, sim_setup *x, cr_sizing *s, cr_err *e)
{
    double want = ceil(s->effort.fit_factor);
    int factor = want < c->run_on ? (int)want : c->run_on;
    if (factor < 2 || s->fit[0].nrungs == 0)
        return 0;
    cr_info("the fits' chains run on to %d times their draws, and the simulation starts again\n",
            factor);
    for (int k = 0; k <= s->logs_from_fit; k++)
        if (run_fit_on(c, s, k, factor, e) != 0)
            return -1;
    for (int u = 0; u < CR_SZ_MAX_USERS; u++)
        for (int k = 0; k < 3; k++) {
            free(s->sample[u][k]);
            s->sample[u][k] = NULL;
        }
    cr_sizing_config more = *c;
    more.max_batches = c->max_batches * factor;
    int rc = simulate_on_setup(&more, s->draws[0], s->draws[1], x, s, e);
    s->effort.run_on = factor;
    return rc;
}

/* Wall time of each stage on stderr (never in the outputs, which must not depend on speed). */
static void stage(cr_sizing *s, const char *what, double *t)
{
    double t1 = cr_now();
    cr_info("stage %-12s %7.1f s\n", what, t1 - *t);
    s->stage_seconds += t1 - *t;
    *t = t1;
}

/* The observed shares the session-time model plugs in (their uncertainty is small next to the
 * durations' and is not propagated). */
static void observed_shares(const cr_sizing_data *d, cr_sizing *s)
{
    double tcp = 0, rst = 0, idle = 0, udp = 0, dns = 0;
    const cr_sz_flows *f = &d->flows;
    for (size_t i = 0; i < f->n; i++) {
        const cr_flow *x = &f->fl[i];
        int64_t ms;
        int idled;
        int censored = cr_sz_flow_duration(f, i, &ms, &idled);
        if (x->proto == CR_PROTO_TCP && !censored) {
            tcp++;
            rst += x->reason == CR_REASON_RST;
            idle += idled;
        } else if (x->proto == CR_PROTO_UDP) {
            udp++;
            dns += x->dport == 53;
        }
    }
    double nnew = (double)(d->total[CR_CPS_TCP_NEW] + d->total[CR_CPS_UDP_NEW]);
    s->p_tcp = nnew > 0 ? d->total[CR_CPS_TCP_NEW] / nnew : 0;
    s->p_rst = tcp > 0 ? rst / tcp : 0;
    s->p_idle = tcp > 0 ? idle / tcp : 0;
    s->p_dns = udp > 0 ? dns / udp : 0;
}

int cr_sizing_run(const cr_sizing_data *d, const cr_sizing_config *c, cr_sizing *s, cr_err *e)
{
    memset(s, 0, sizeof *s);
    s->data = d;
    double t = cr_now();
    if (cr_sz_fit_sum(&d->cps, CR_CPS_TCP_NEW, CR_CPS_UDP_NEW, "new", c, &s->fit[0],
                      &s->fit_new, &s->ppc_new, &s->draws[0], &s->slot_chain[0],
                      &s->all_draws[0], &s->nall[0],
                      &s->rate_mean[0],
                      &s->rate_mcse[0], e))
        return -1;
    stage(s, "fit new", &t);
    if (cr_sz_fit_sum(&d->cps, CR_CPS_TCP_END, CR_CPS_UDP_END, "end", c, &s->fit[1],
                      &s->fit_end, &s->ppc_end, &s->draws[1], &s->slot_chain[1],
                      &s->all_draws[1], &s->nall[1],
                      &s->rate_mean[1],
                      &s->rate_mcse[1], e))
        return -1;
    stage(s, "fit end", &t);
    s->horizon = c->max_session > 0 ? c->max_session : d->longest_capture;
    cr_info("durations are cut at %.0f s (%s)\n", s->horizon,
            c->max_session > 0 ? "--max-session" : "the longest capture; --max-session changes it");
    const double H = s->horizon > 0 ? s->horizon : INFINITY;
    if (cr_sz_fit_duration(&d->flows, CR_PROTO_TCP, c, H, &s->dur[0], e) != 0 ||
        cr_sz_fit_duration(&d->flows, CR_PROTO_UDP, c, H, &s->dur[1], e) != 0)
        return -1;
    stage(s, "durations", &t);
    observed_shares(d, s);
    snprintf(s->model, sizeof s->model, "%s", s->fit_new.model);
    choose_logs_source(s, s->draws[0], s->draws[1], c->draws);
    sim_setup x;
    setup_open(c, s, &x);
    int rc = simulate_on_setup(c, s->draws[0], s->draws[1], &x, s, e);
    if (rc == 0)
        rc = simulate_on(c, &x, s, e);
    setup_close(&x);
    if (rc == 0)
        stage(s, "simulation", &t);
    if (rc == 0 && (rc = cr_sz_check_machines(d, c, s, e)) == 0)
        stage(s, "machines", &t);
    if (rc == 0 && (rc = cr_sizing_recommend(c, s, e)) == 0)
        stage(s, "capacity", &t);
    return rc;
}

/* The parts of a run that can fail their checks, and what to do about each. */
typedef struct {
    const char *what;
    int pass;
    const char *why;
    int rate; /* a rate fit (else durations) */
} part;

static int parts_of(const cr_sizing *s, part *p)
{
    p[0] = (part){"new connections", s->fit_new.pass, s->fit_new.reasons, 1};
    p[1] = (part){"terminations", s->fit_end.pass, s->fit_end.reasons, 1};
    p[2] = (part){"TCP durations", !s->dur[0].fitted || s->dur[0].check.pass,
                  s->dur[0].check.reasons, 0};
    p[3] = (part){"UDP durations", !s->dur[1].fitted || s->dur[1].check.pass,
                  s->dur[1].check.reasons, 0};
    return 4;
}

void cr_sizing_status(const cr_sizing *s, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    part parts[4];
    int np = parts_of(s, parts);
    for (int i = 0; i < np; i++)
        if (!parts[i].pass && len < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s fit: %s", len ? "; " : "FAIL: ",
                                    parts[i].what, parts[i].why);
    if (!len)
        snprintf(buf, n, "PASS");
}

int cr_sizing_advice(const cr_sizing *s, int i, char *buf, size_t n)
{
    part parts[4];
    int np = parts_of(s, parts), k = -1;
    for (int j = 0; j < np && i >= 0; j++)
        if (!parts[j].pass && i-- == 0)
            k = j;
    if (k < 0)
        return 0;
    const part *p = &parts[k];
    int ppc = p->rate && strstr(p->why, "ppc") != NULL;
    int sampler = strstr(p->why, "divergences") || strstr(p->why, "rhat") ||
                  strstr(p->why, "ess_") || strstr(p->why, "ebfmi");
    if (p->rate && sampler)
        snprintf(buf, n, "%s: the sampler did not converge; rerun with --model auto (the ladder "
                         "keeps a model that does) or a longer --warmup, and with more machines "
                         "the between-user spread is better pinned down", p->what);
    else if (ppc)
        snprintf(buf, n, "%s: the model does not reproduce the captured seconds (the report's "
                         "checks say which statistic); rerun with --model auto, which tries "
                         "every model of the ladder, bursts included", p->what);
    else
        snprintf(buf, n, "%s: the mixture misses what Kaplan-Meier sees in the captured "
                         "durations (the report's checks say where); more or longer captures "
                         "help, and --max-session bounds the tail the sizing relies on",
                 p->what);
    return 1;
}

void cr_sizing_free(cr_sizing *s)
{
    free(s->extra_html);
    free(s->logs_per_draw);
    free(s->checks);
    for (int k = 0; k < 2; k++) {
        free(s->draws[k]);
        free(s->all_draws[k]);
        free(s->slot_chain[k]);
    }
    for (int i = 0; i < 2; i++) {
        free(s->dur[i].draws);
        cr_fit_result_free(&s->fit[i]);
    }
    for (int u = 0; u < CR_SZ_MAX_USERS; u++)
        for (int k = 0; k < 3; k++)
            free(s->sample[u][k]);
    memset(s, 0, sizeof *s);
}
