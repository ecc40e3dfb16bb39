/* Datasheet limits against the simulation (docs/report.md, "Capacity"): how often each limit is
 * exceeded, from the predictive sample (every simulated second, or minute for log lines, of
 * every draw pooled, as the table's quantiles are), and the largest N whose recommended figure
 * stays within it, found by simulating more N. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "sizing/sizing_internal.h"

/* ---- Reading limits ---- */

/* A number above 0 with an optional k or M: "20k", "1.5M", "5000". */
static int amount(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno)
        return -1;
    if (*end == 'k' || *end == 'K')
        x *= 1e3, end++;
    else if (*end == 'M')
        x *= 1e6, end++;
    if (*end || !(x > 0) || !(x <= 1e12))
        return -1;
    *out = x;
    return 0;
}

static int limit_index(const char *key, size_t len)
{
    for (int k = 0; k < CR_SZ_NDATASHEET; k++)
        if (strlen(cr_sizing_limit_names[k]) == len && !strncmp(key, cr_sizing_limit_names[k], len))
            return k;
    return -1;
}

/* One "key=value" into c (where not skipped); the error names `where` ("--capacity X" or
 * "FILE:LINE"). */
static int one_limit(cr_sizing_config *c, const char *where, const char *item, size_t len,
                     int *seen, const int *skip, cr_err *e)
{
    const char *eq = memchr(item, '=', len);
    int k = eq ? limit_index(item, (size_t)(eq - item)) : -1;
    if (k < 0)
        return cr_fail(e, "%s: unknown limit '%.*s' (expected cps=, sessions= or logs= and a "
                          "number)", where, (int)(eq ? eq - item : (ptrdiff_t)len), item);
    char v[64];
    size_t vl = len - (size_t)(eq + 1 - item);
    snprintf(v, sizeof v, "%.*s", (int)(vl < sizeof v ? vl : sizeof v - 1), eq + 1);
    double x;
    if (vl >= sizeof v || amount(v, &x) != 0)
        return cr_fail(e, "%s: %s: '%s' is not a number above 0 (k and M allowed: 20k, 1.5M)",
                       where, cr_sizing_limit_names[k], v);
    if (seen[k]++)
        return cr_fail(e, "%s: %s given twice", where, cr_sizing_limit_names[k]);
    if (!skip || !skip[k])
        c->capacity[k] = x;
    return 0;
}

int cr_sizing_parse_capacity(cr_sizing_config *c, const char *opt, const char *arg, int *given,
                             cr_err *e)
{
    int seen[CR_SZ_NDATASHEET] = {0};
    char where[160];
    snprintf(where, sizeof where, "%s %s", opt, arg);
    if (!*arg)
        return cr_fail(e, "%s '': expected cps=, sessions= or logs= and a number", opt);
    for (const char *p = arg;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (one_limit(c, where, p, len, seen, NULL, e) != 0)
            return -1;
        if (!comma)
            break;
        p = comma + 1;
    }
    for (int k = 0; given && k < CR_SZ_NDATASHEET; k++)
        given[k] |= seen[k];
    return 0;
}

int cr_sizing_read_capacity(cr_sizing_config *c, const char *path, const int *skip, cr_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cr_fail(e, "%s: %s", path, strerror(errno));
    int seen[CR_SZ_NDATASHEET] = {0}, rc = 0, any = 0;
    char line[512], where[600];
    for (int no = 1; rc == 0 && fgets(line, sizeof line, f); no++) {
        snprintf(where, sizeof where, "%s:%d", path, no);
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = cr_fail(e, "%s: line longer than %zu characters", where, sizeof line - 2);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        /* without blanks: "cps = 20k" is "cps=20k" */
        size_t n = 0;
        for (char *q = line; *q; q++)
            if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n')
                line[n++] = *q;
        line[n] = 0;
        if (n == 0)
            continue;
        any = 1;
        rc = one_limit(c, where, line, n, seen, skip, e);
    }
    fclose(f);
    if (rc == 0 && !any)
        rc = cr_fail(e, "%s: no limits (expected lines such as cps=20k, sessions=1.5M, "
                        "logs=5000)", path);
    return rc;
}

/* ---- Against the simulation ---- */

/* A limit in the units of its table row: log lines per second -> per whole minute. */
static double threshold(const cr_sizing_config *c, int k)
{
    return k == CR_SZ_LOGRATE ? 60 * c->capacity[k] : c->capacity[k];
}

void cr_sz_exceedance(const cr_sizing_config *c, cr_sizing *s, int u, const double *const *x)
{
    for (int k = 0; k < CR_SZ_NDATASHEET; k++) {
        cr_sizing_capacity *cap = &s->cap[k];
        cap->p[u] = cap->p_mcse[u] = NAN;
        if (!(c->capacity[k] > 0))
            continue;
        /* The seconds within a draw slot are dependent: the share's error is read off the
         * slots' own shares, along the fit's chains (lib/sim/mcse.h). */
        const int D = cr_sizing_sim_draws(c, s), j = cr_sz_sample_of[k];
        const size_t per = s->nsample[j] / (size_t)D;
        cap->p[u] = cr_sim_share_above(x[k], D, c->draws, cr_sz_sample_chain(s, j), (long)per,
                                       threshold(c, k), &cap->p_mcse[u]);
    }
}

/* The recommended figures of the datasheet quantities at the N simulated so far. */
typedef struct {
    long n;
    double size[CR_SZ_NDATASHEET];
} point;

typedef struct {
    const cr_sizing_config *c;
    const cr_sizing *s;
    int pi; /* the percentile's index */
    point *pts;
    size_t npts, cap;
} search;

/* The figures at N: the table's when N is one of its, else a simulation of N alone on the run's
 * seed (the same draws, the same streams), kept for the other limits. */
static int figures_at(search *sr, long N, const point **out, int *simulated, cr_err *e)
{
    for (size_t i = 0; i < sr->npts; i++)
        if (sr->pts[i].n == N) {
            *out = &sr->pts[i];
            return 0;
        }
    const cr_sizing_config *c = sr->c;
    cr_sizing t = *sr->s; /* the fits and session law of s, samples of its own */
    memset(t.sample, 0, sizeof t.sample);
    cr_sizing_config one = *c;
    one.nusers = 1;
    one.users[0] = (int)N;
    one.max_batches = 1; /* each N of the search at the cost of one simulation */
    int rc = cr_sizing_simulate(&one, sr->s->draws[0], sr->s->draws[1], &t, e);
    for (int k = 0; k < 3; k++)
        free(t.sample[0][k]);
    if (rc != 0)
        return -1;
    (*simulated)++;
    xgrow(&sr->pts, &sr->cap, sr->npts + 1, sizeof *sr->pts);
    point *p = &sr->pts[sr->npts++];
    p->n = N;
    for (int k = 0; k < CR_SZ_NDATASHEET; k++)
        p->size[k] = cr_sz_quantile(&t.sum[0][cr_sizing_datasheet_metric[k]], sr->pi) *
                     c->headroom;
    *out = p;
    return 0;
}

/* Where a power law through (n0, f0) and (n1, f1) reaches L (figures > 0, n0 < n1). */
static double power_law_at(double n0, double f0, double n1, double f1, double L)
{
    double b = log(f1 / f0) / log(n1 / n0);
    return n0 * pow(L / f0, 1 / (b > 0.05 ? b : 0.05));
}

/* The largest N with figure k within the limit. Percentiles of N users grow about as a power
 * of N (N for the mean, sqrt(N) for the spread about it), so the steps are taken on log-log
 * axes: beyond the table's N by extrapolating its last two, then between a bracket by
 * interpolating it (regula falsi; a bisection when one end has stayed twice), to the user
 * below 100 users and to 1% above. The simulation's noise makes the figure only nearly
 * monotone in N; its common random numbers keep the steps consistent. */
static int largest_n(search *sr, int k, cr_sizing_capacity *cap, cr_err *e)
{
    const cr_sizing_config *c = sr->c;
    const cr_sizing *s = sr->s;
    double L = threshold(c, k), f_lo = 0, f_hi = 0, n_prev = 0, f_prev = 0;
    long lo = 0, hi = -1;
    const point *p;
    for (int u = 0; u < c->nusers && hi < 0; u++) {
        if (s->fig[u][k].size <= L) {
            n_prev = (double)lo, f_prev = f_lo;
            lo = c->users[u], f_lo = s->fig[u][k].size;
        } else {
            hi = c->users[u], f_hi = s->fig[u][k].size;
        }
    }
    while (hi < 0 && lo < c->search_max) {
        double guess = n_prev >= 1 && f_prev > 0 && f_lo > f_prev
                           ? power_law_at(n_prev, f_prev, (double)lo, f_lo, L) * 1.05
                           : 10.0 * (double)lo;
        long next = (long)fmin(fmin(guess, 100.0 * (double)lo), (double)c->search_max);
        next = next > lo ? next : lo + 1;
        if (figures_at(sr, next, &p, &cap->simulations, e) != 0)
            return -1;
        if (p->size[k] <= L)
            n_prev = (double)lo, f_prev = f_lo, lo = next, f_lo = p->size[k];
        else
            hi = next, f_hi = p->size[k];
    }
    cap->at_least = hi < 0;
    int kept = 0; /* which end stayed at the last steps: -1 lo, +1 hi, twice: -2, +2 */
    while (hi > 0 && hi - lo > (lo >= 100 ? lo / 100 : 1)) {
        double mid;
        if (lo >= 1 && f_lo > 0 && f_hi > f_lo && abs(kept) < 2)
            mid = power_law_at((double)lo, f_lo, (double)hi, f_hi, L);
        else
            mid = lo >= 1 && hi > 4 * lo ? sqrt((double)lo * (double)hi) : (lo + hi) / 2.0;
        long n = (long)floor(mid);
        n = n <= lo ? lo + 1 : n >= hi ? hi - 1 : n;
        if (figures_at(sr, n, &p, &cap->simulations, e) != 0)
            return -1;
        if (p->size[k] <= L) {
            lo = n, f_lo = p->size[k];
            kept = kept > 0 ? kept + 1 : 1;
        } else {
            hi = n, f_hi = p->size[k];
            kept = kept < 0 ? kept - 1 : -1;
        }
    }
    cap->max_users = lo;
    return 0;
}

int cr_sz_limit_search(const cr_sizing_config *c, cr_sizing *s, cr_err *e)
{
    search sr = {.c = c, .s = s, .pi = cr_sz_percentile_index(c->percentile)};
    int rc = 0;
    for (int k = 0; k < CR_SZ_NDATASHEET && rc == 0; k++) {
        s->cap[k].max_users = 0;
        s->cap[k].at_least = s->cap[k].simulations = 0;
        if (c->capacity[k] > 0)
            rc = largest_n(&sr, k, &s->cap[k], e);
    }
    free(sr.pts);
    return rc;
}
