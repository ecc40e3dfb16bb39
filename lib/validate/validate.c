#include "validate/validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"
#include "common/progress.h"
#include "common/splitmix.h"
#include "common/xalloc.h"
#include "sim/quantiles.h"

const char *const cr_validate_metric_names[CR_VAL_NMETRICS] = {"new_per_s", "logs_per_min",
                                                               "concurrent"};
/* The sizing metric each one checks. */
static const int sizing_metric[CR_VAL_NMETRICS] = {CR_SZ_NEW, CR_SZ_LOGS, CR_SZ_CONC};

void cr_validate_config_default(cr_validate_config *v)
{
    memset(v, 0, sizeof *v);
    v->fit_machines = 0; /* half of them */
    v->ngroups = 3;
    v->groups[0] = 1;
    v->groups[1] = 10;
    v->groups[2] = 30;
    v->seed = 42;
    v->warmup_s = 300;
    v->random_groups = 100;
    v->folds = 1;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* The machines in an order drawn from the seed alone (Fisher-Yates on splitmix64). */
static void shuffle(int *x, int n, uint64_t seed)
{
    for (int i = 0; i < n; i++)
        x[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(cr_splitmix64(seed + (uint64_t)i) % (uint64_t)(i + 1));
        int t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
}

/* A growable sample of observed values. */
typedef struct {
    double *x;
    size_t n, cap;
} sample;

static void push(sample *s, double v)
{
    xgrow(&s->x, &s->cap, s->n + 1, sizeof *s->x);
    s->x[s->n++] = v;
}

/* Seconds of each capture left out of the concurrency comparison: the warm-up, or a quarter of
 * a shorter capture. */
static size_t skip_of(double warmup_s, size_t len)
{
    return (size_t)warmup_s < len / 4 ? (size_t)warmup_s : len / 4;
}

/* Groups of g held-out machines: each machine alone when g is 1, else ngroups random subsets
 * drawn from the seed (a group of N users from the population, as the prediction is; the
 * subsets overlap, the users within one do not). Each group's summed series over the seconds
 * all its machines cover goes into the metric's sample. */
static void observe_groups(const cr_observed *obs, const int *held, int nheld, int g,
                           const cr_validate_config *vc, sample out[CR_VAL_NMETRICS],
                           int *ngroups)
{
    *ngroups = g == 1 ? nheld : vc->random_groups;
    int *pick = xmalloc((size_t)nheld * sizeof *pick);
    for (int q = 0; q < *ngroups; q++) {
        memcpy(pick, held, (size_t)nheld * sizeof *pick);
        for (int i = 0; i < g && g > 1; i++) { /* the first g of a partial Fisher-Yates */
            uint64_t h = cr_splitmix64(vc->seed ^ ((uint64_t)g << 40) ^ ((uint64_t)q << 20) ^
                                       (uint64_t)i);
            int j = i + (int)(h % (uint64_t)(nheld - i));
            int t = pick[i];
            pick[i] = pick[j];
            pick[j] = t;
        }
        const int *m = g == 1 ? held + q : pick;
        size_t len = SIZE_MAX;
        for (int i = 0; i < g; i++)
            len = obs[m[i]].nsec < len ? obs[m[i]].nsec : len;
        size_t skip = skip_of(vc->warmup_s, len);
        for (size_t s = 0; s < len; s++) {
            double nw = 0, al = 0;
            for (int i = 0; i < g; i++) {
                nw += obs[m[i]].new_per_s[s];
                al += obs[m[i]].alive[s];
            }
            push(&out[CR_VAL_NEW], nw);
            if (s >= skip)
                push(&out[CR_VAL_CONC], al);
        }
        for (size_t mi = 0; mi + 1 <= len / 60; mi++) {
            double ends = 0;
            for (int i = 0; i < g; i++)
                for (size_t s = mi * 60; s < mi * 60 + 60; s++)
                    ends += obs[m[i]].ends[s];
            push(&out[CR_VAL_LOGS], ends);
        }
    }
    free(pick);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The concurrency a capture of the held-out machines' median length shows: simulated from an
 * empty table (a capture does not see the sessions opened before it started) over that many
 * seconds, pooled after the same warm-up as the observations. pred[u] per group size. */
static int concurrency_as_observed(const cr_sizing_config *sc, const cr_sizing *s,
                                   const cr_observed *obs, const int *held, int nheld,
                                   const cr_validate_config *vc, cr_sim_summary *pred, cr_err *e)
{
    size_t *len = xmalloc((size_t)nheld * sizeof *len);
    for (int i = 0; i < nheld; i++)
        len[i] = obs[held[i]].nsec;
    qsort(len, (size_t)nheld, sizeof *len, cmp_size);
    long L = (long)len[nheld / 2];
    free(len);
    L = L < 60 ? 60 : (L + 59) / 60 * 60;
    cr_sizing_config c = *sc;
    c.burnin_cap = 0;
    c.seconds = L;
    c.nusers = vc->ngroups;
    memcpy(c.users, vc->groups, (size_t)vc->ngroups * sizeof *c.users);
    cr_sizing t = *s; /* the fits and session law of s, samples of its own */
    memset(t.sample, 0, sizeof t.sample);
    int rc = cr_sizing_simulate(&c, s->draws[0], s->draws[1], &t, e);
    size_t skip = skip_of(vc->warmup_s, (size_t)L), keep = 0;
    for (int u = 0; u < vc->ngroups && rc == 0; u++) {
        const double *alive = t.sample[u][2];
        double *x = xmalloc(t.nsample[2] * sizeof *x);
        keep = 0;
        for (size_t k = 0; k < t.nsample[2]; k++)
            if (k % (size_t)L >= skip)
                x[keep++] = alive[k];
        cr_sim_summarize(x, keep, &pred[u]);
        free(x);
    }
    for (int u = 0; u < CR_SZ_MAX_USERS; u++)
        for (int k = 0; k < 3; k++)
            free(t.sample[u][k]);
    return rc;
}

static void compare(sample *o, const cr_sim_summary *pred, cr_validate_row *r)
{
    r->nobs = o->n;
    r->pred_mean = pred->mean;
    r->pred_q90 = pred->q90;
    r->pred_q99 = pred->q99;
    if (o->n == 0) {
        r->obs_mean = r->obs_q90 = r->obs_q99 = r->above_q90 = r->above_q99 = NAN;
        return;
    }
    double sum = 0;
    for (size_t i = 0; i < o->n; i++)
        sum += o->x[i];
    r->obs_mean = sum / (double)o->n;
    cr_sim_sort(o->x, o->n);
    /* above a mid-quantile as it counts: observed counts equal to it half above, and between
     * two counts by their runs' middles, so that held-out data distributed as the prediction
     * are above its q99 in 1% of values, not in P(X >= ceil(q99)) of them */
    r->above_q90 = 1 - cr_sim_mid_cdf_sorted(o->x, o->n, pred->q90);
    r->above_q99 = 1 - cr_sim_mid_cdf_sorted(o->x, o->n, pred->q99);
    r->obs_q90 = cr_sim_midquantile_sorted(o->x, o->n, 0.90);
    r->obs_q99 = cr_sim_midquantile_sorted(o->x, o->n, 0.99);
}

/* One split by `seed`: r's fit set, held-out set, fit data and sizing; rows filled. */
static int one_split(const cr_sizing_data *d, const cr_validate_config *vc,
                     const cr_sizing_config *sc, uint64_t seed, cr_validate_result *r,
                     cr_validate_row row[CR_VAL_MAX_GROUPS][CR_VAL_NMETRICS], cr_err *e)
{
    int K = d->nmachines, F = vc->fit_machines > 0 ? vc->fit_machines : K / 2;
    int *order = xmalloc((size_t)K * sizeof *order);
    shuffle(order, K, seed);
    r->nfit = F;
    r->nheld = K - F;
    r->fit = xmalloc((size_t)F * sizeof *r->fit);
    r->held = xmalloc((size_t)(K - F) * sizeof *r->held);
    memcpy(r->fit, order, (size_t)F * sizeof *r->fit);
    memcpy(r->held, order + F, (size_t)(K - F) * sizeof *r->held);
    free(order);
    qsort(r->fit, (size_t)F, sizeof *r->fit, cmp_int);
    cr_sizing_data_subset(d, r->fit, F, &r->fit_data);
    cr_sizing_config c = *sc;
    c.nusers = vc->ngroups;
    memcpy(c.users, vc->groups, (size_t)vc->ngroups * sizeof *c.users);
    cr_info("validate: fitting %d machines, holding out %d\n", F, K - F);
    if (cr_sizing_run(&r->fit_data, &c, &r->sizing, e) != 0)
        return -1;
    cr_observed *obs = xcalloc((size_t)K, sizeof *obs);
    for (int i = 0; i < K - F; i++)
        cr_observed_machine(d, r->held[i], &sc->fw, &obs[r->held[i]]);
    cr_sim_summary conc[CR_VAL_MAX_GROUPS];
    int rc = concurrency_as_observed(&c, &r->sizing, obs, r->held, K - F, vc, conc, e);
    cr_validate_config v = *vc;
    v.seed = seed;
    for (int u = 0; u < vc->ngroups && rc == 0; u++) {
        sample smp[CR_VAL_NMETRICS];
        memset(smp, 0, sizeof smp);
        int ng;
        observe_groups(obs, r->held, K - F, vc->groups[u], &v, smp, &ng);
        for (int k = 0; k < CR_VAL_NMETRICS; k++) {
            cr_validate_row *w = &row[u][k];
            w->users = vc->groups[u];
            w->ngroups = ng;
            compare(&smp[k], k == CR_VAL_CONC ? &conc[u] : &r->sizing.sum[u][sizing_metric[k]],
                    w);
            w->above_q99_lo = w->above_q99_hi = w->above_q99;
            free(smp[k].x);
        }
    }
    for (int i = 0; i < K; i++)
        cr_observed_free(&obs[i]);
    free(obs);
    return rc;
}

/* Folds pooled: the observed values of every fold against its own prediction, so the shares
 * above the quantiles are averaged over fit sets (each weighted by its observed values) and the
 * predictions' own uncertainty is judged, not one draw of it. */
static void pool(cr_validate_row *acc, const cr_validate_row *w, int fold)
{
    if (fold == 0) {
        *acc = *w;
        return;
    }
    double a = (double)acc->nobs, b = (double)w->nobs, t = a + b > 0 ? a + b : 1;
    double f = (double)fold;
#define AVG(x) acc->x = (acc->x * f + w->x) / (f + 1)
#define WEIGHTED(x) acc->x = (acc->x * a + w->x * b) / t
    AVG(pred_mean);
    AVG(pred_q90);
    AVG(pred_q99);
    AVG(obs_q90);
    AVG(obs_q99);
    WEIGHTED(obs_mean);
    WEIGHTED(above_q90);
    WEIGHTED(above_q99);
#undef AVG
#undef WEIGHTED
    acc->above_q99_lo = fmin(acc->above_q99_lo, w->above_q99);
    acc->above_q99_hi = fmax(acc->above_q99_hi, w->above_q99);
    acc->nobs += w->nobs;
    acc->ngroups += w->ngroups;
}

int cr_validate_run(const cr_sizing_data *d, const cr_validate_config *vc,
                    const cr_sizing_config *sc, cr_validate_result *r, cr_err *e)
{
    memset(r, 0, sizeof *r);
    int K = d->nmachines, F = vc->fit_machines > 0 ? vc->fit_machines : K / 2;
    if (F < 1 || F >= K)
        return cr_fail(e, "validate: %d machines: cannot fit %d and hold out the rest (at least "
                          "one of each)", K, F);
    if (vc->groups[vc->ngroups - 1] > K - F)
        return cr_fail(e, "validate: groups of %d users, but %d machine%s held out",
                       vc->groups[vc->ngroups - 1], K - F, K - F == 1 ? " is" : "s are");
    int folds = vc->folds > 0 ? vc->folds : 1;
    for (int f = 0; f < folds; f++) {
        /* the first split's fit is kept for the outputs; the others only add their rows */
        cr_validate_result other, *x = f == 0 ? r : &other;
        memset(&other, 0, sizeof other);
        cr_validate_row row[CR_VAL_MAX_GROUPS][CR_VAL_NMETRICS];
        if (folds > 1)
            cr_info("validate: split %d of %d\n", f + 1, folds);
        int rc = one_split(d, vc, sc, vc->seed + (uint64_t)f * 0x9e3779b97f4a7c15ULL, x, row, e);
        for (int u = 0; u < vc->ngroups && rc == 0; u++)
            for (int k = 0; k < CR_VAL_NMETRICS; k++)
                pool(&r->row[u][k], &row[u][k], f);
        if (f > 0)
            cr_validate_free(&other);
        if (rc != 0)
            return -1;
    }
    r->folds = folds;
    return 0;
}

void cr_validate_free(cr_validate_result *r)
{
    cr_sizing_free(&r->sizing);
    cr_sizing_data_free(&r->fit_data);
    free(r->fit);
    free(r->held);
    memset(r, 0, sizeof *r);
}
