/* What the report's first screen says (docs/report.md, "The first screen"): per N and datasheet
 * quantity the figure to size for -- the chosen percentile of the simulated seconds times a
 * headroom -- with its Monte Carlo error and the spread of that percentile over posterior
 * draws; and the caveats of this run in plain words. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "series/cps_sample.h"
#include "sizing/sizing_internal.h"

const char *const cr_sizing_limit_names[CR_SZ_NDATASHEET] = {"cps", "sessions", "logs"};
const int cr_sizing_datasheet_metric[CR_SZ_NDATASHEET] = {CR_SZ_NEW, CR_SZ_CONC, CR_SZ_FWLOGS};
const double cr_sizing_percentiles[CR_SZ_NPERCENTILES] = {50, 90, 95, 99, 99.9};

const int cr_sz_sample_of[CR_SZ_NDATASHEET] = {0, 2, 1};

int cr_sz_percentile_index(double pct)
{
    for (int i = 0; i < CR_SZ_NPERCENTILES; i++)
        if (pct == cr_sizing_percentiles[i])
            return i;
    return -1;
}

double cr_sz_quantile(const cr_sim_summary *m, int i)
{
    const double q[CR_SZ_NPERCENTILES] = {m->q50, m->q90, m->q95, m->q99, m->q999};
    return q[i];
}

double cr_sz_quantile_mcse(const cr_sim_mcse *m, int i)
{
    const double q[CR_SZ_NPERCENTILES] = {m->q50, m->q90, m->q95, m->q99, m->q999};
    return q[i];
}

int cr_sizing_parse_percentile(cr_sizing_config *c, const char *arg, cr_err *e)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || cr_sz_percentile_index(v) < 0)
        return cr_fail(e, "--percentile %s: expected one of 50, 90, 95, 99, 99.9 (the table's "
                          "percentiles)", arg);
    c->percentile = v;
    return 0;
}

double *cr_sizing_log_minutes(const cr_sizing_config *c, const cr_sizing *s, int u)
{
    size_t n = s->nsample[1], per = n / (size_t)cr_sizing_sim_draws(c, s);
    double *x = xmalloc((n + 1) * sizeof *x);
    for (size_t m = 0; m < n; m++) /* as the table's firewall_logs_per_min, to the bit */
        x[m] = s->sample[u][1][m] * s->logs_per_draw[m / per % (size_t)c->draws];
    return x;
}

/* 5% and 95% over draws of each draw's own mid-quantile p of x[d * per + i]; NAN when a
 * draw has under 5 values beyond it, where its own quantile is little more than its maximum. */
static void draws_spread(const double *x, int ndraws, size_t per, double p, double *out)
{
    out[0] = out[1] = NAN;
    if ((double)per * (1 - p) < 5 || ndraws < 2)
        return;
    double *y = xmalloc(per * sizeof *y), *q = xmalloc((size_t)ndraws * sizeof *q);
    for (int d = 0; d < ndraws; d++) {
        memcpy(y, x + (size_t)d * per, per * sizeof *y);
        cr_sim_sort(y, per);
        q[d] = cr_sim_midquantile_sorted(y, per, p);
    }
    cr_sim_sort(q, (size_t)ndraws);
    out[0] = cr_sim_midquantile_sorted(q, (size_t)ndraws, 0.05);
    out[1] = cr_sim_midquantile_sorted(q, (size_t)ndraws, 0.95);
    free(y);
    free(q);
}

int cr_sizing_recommend(const cr_sizing_config *c, cr_sizing *s, cr_err *e)
{
    int pi = cr_sz_percentile_index(c->percentile);
    if (pi < 0)
        return cr_fail(e, "percentile %g: not one of the table's", c->percentile);
    free(s->logs_per_draw);
    s->logs_per_draw = xmalloc((size_t)c->draws * sizeof *s->logs_per_draw);
    cr_sz_sessions sm = {.fw = &c->fw, .s = s};
    cr_sz_logs_per_session(&sm, c, s->logs_per_draw);
    for (int u = 0; u < c->nusers; u++) {
        double *logs = cr_sizing_log_minutes(c, s, u);
        const double *x[CR_SZ_NDATASHEET] = {s->sample[u][0], s->sample[u][2], logs};
        for (int k = 0; k < CR_SZ_NDATASHEET; k++) {
            int metric = cr_sizing_datasheet_metric[k];
            cr_sizing_figure *f = &s->fig[u][k];
            f->q = cr_sz_quantile(&s->sum[u][metric], pi);
            f->q_mcse = cr_sz_quantile_mcse(&s->mcse[u][metric], pi);
            f->size = f->q * c->headroom;
            f->size_mcse = f->q_mcse * c->headroom;
            /* the spread over posterior draws from the first batch, which has each once */
            const int D = cr_sizing_sim_draws(c, s);
            size_t per = s->nsample[cr_sz_sample_of[k]] / (size_t)D;
            draws_spread(x[k], c->draws, per, c->percentile / 100, f->draws_q);
            f->draws_beyond = cr_sim_draws_above(x[k], D, (long)per, f->q);
        }
        cr_sz_exceedance(c, s, u, x);
        free(logs);
    }
    return cr_sz_limit_search(c, s, e);
}

/* ---- Words ---- */

static const char *const noun[CR_SZ_NDATASHEET] = {"new sessions/s", "concurrent sessions",
                                                    "firewall log lines/min"};

const char *cr_sz_human(double x, char *buf, size_t n)
{
    if (!isfinite(x)) {
        snprintf(buf, n, "n/a");
        return buf;
    }
    if (fabs(x) < 100) { /* counts as they are, rates to three digits */
        snprintf(buf, n, x == floor(x) ? "%.0f" : "%.3g", x);
        return buf;
    }
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", fabs(x));
    size_t len = strlen(digits), o = 0;
    if (x < 0 && o + 1 < n)
        buf[o++] = '-';
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = 0;
    return buf;
}

/* "99th", "99.9th", "50th" */
static const char *ordinal(double pct, char *buf, size_t n)
{
    snprintf(buf, n, "%gth", pct);
    return buf;
}

/* Appends to a caveat under construction. */
typedef struct {
    char *buf;
    size_t n, len;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    if (t->len >= t->n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->buf + t->len, t->n - t->len, fmt, ap);
    va_end(ap);
    t->len += k > 0 ? (size_t)k : 0;
}

/* The names of the machines with flag `which` (0 short capture, 1 outlier), at most four. */
static int flagged(const cr_sizing *s, int which, text *t)
{
    int n = 0;
    for (int i = 0; s->checks && i < s->data->nmachines; i++) {
        const cr_sizing_machine_check *m = &s->checks[i];
        if (!(which ? m->outlier : m->short_capture))
            continue;
        if (n < 4)
            put(t, "%s%s", n ? ", " : "", s->data->m[i].id);
        n++;
    }
    if (n > 4)
        put(t, " and %d more", n - 4);
    return n;
}

/* Each caveat kind fills t when it applies to s, returning 1, else 0; `which` counts within a
 * kind that can apply several times (failed parts, outliers, quantities). */
static int caveat(const cr_sizing_config *c, const cr_sizing *s, int kind, int which, text *t)
{
    const cr_sizing_data *d = s->data;
    int big = c->nusers - 1, N = c->users[big];
    char a[64], b[64], a2[64], b2[64], p[16];
    switch (kind) {
    case 0: { /* failed checks */
        char advice[512];
        if (!cr_sizing_advice(s, which, advice, sizeof advice))
            return 0;
        put(t, "Check failed for %s.", advice);
        return 1;
    }
    case 1: /* few machines */
        if (which || d->nmachines >= 5)
            return 0;
        put(t, "Only %d machine%s captured: how much users differ from one another is learned "
               "from %s, so the upper percentiles carry that uncertainty; captures of 5 or more "
               "machines narrow them.", d->nmachines, d->nmachines == 1 ? " was" : "s were",
            d->nmachines == 1 ? "one example (mostly the prior's)" : "so few examples");
        return 1;
    case 2: { /* short captures */
        if (which)
            return 0;
        put(t, "Under %.0f minutes of capture: ", CR_SZ_SHORT_CAPTURE / 60);
        int n = flagged(s, 0, t);
        put(t, ". %s little of %s users' habits (a busy hour, an update) and rest%s on few "
               "seconds.", n == 1 ? "It shows" : "They show", n == 1 ? "its" : "their",
            n == 1 ? "s" : "");
        return n > 0;
    }
    case 3: { /* outliers, one each */
        int seen = 0;
        for (int i = 0; s->checks && i < d->nmachines; i++) {
            const cr_sizing_machine_check *m = &s->checks[i];
            if (!m->outlier || seen++ != which)
                continue;
            put(t, "%s is %s than 97.7%% of the fitted population (machine effect %+.1f sd)",
                d->m[i].id, m->z > 0 ? "busier" : "quieter", m->z);
            if (isfinite(m->q99_without[0]))
                put(t, ": without it, the 99th percentile for %d users would be %s new "
                       "sessions/s and %s concurrent sessions (with it %s and %s).", N,
                    cr_sz_human(m->q99_without[0], a, 64), cr_sz_human(m->q99_without[1], b, 64),
                    cr_sz_human(s->sum[big][CR_SZ_NEW].q99, a2, 64),
                    cr_sz_human(s->sum[big][CR_SZ_CONC].q99, b2, 64));
            else
                put(t, "; check that it is a user like the ones to size for.");
            return 1;
        }
        return 0;
    }
    case 4: { /* flow records */
        int n = 0;
        for (int i = 0; i < d->nmachines; i++)
            n += d->m[i].flow_records;
        if (which || !n)
            return 0;
        put(t, "%d of the %d machines come from flow records or firewall logs, not packet "
               "captures: their connections end at their last packet rather than at their "
               "close, and an exporter's active and idle timeouts can cut long connections into "
               "pieces (docs/flowlogs.md).", n, d->nmachines);
        return 1;
    }
    case 8: { /* a sample of hosts or of machine-minutes */
        long cells = cr_cps_cells(&d->cps);
        int cut = c->fit_cells > 0 && cells > c->fit_cells;
        if (which || (!d->population_hosts && !cut))
            return 0;
        if (d->population_hosts)
            put(t, "The %d machines are a uniform sample of the %zu inside hosts of the logs "
                   "(--sample-hosts). ", d->nmachines, d->population_hosts);
        if (cut)
            put(t, "The rate fits saw %ld of their %ld machine-minutes, a uniform sample of "
                   "each machine's minutes (--fit-cells). ",
                cr_cps_sample_cells(&d->cps, c->fit_cells), cells);
        put(t, "A sample estimates the same population with less information: `connrate "
               "validate` on hosts left out says whether it was enough (docs/scale.md).");
        return 1;
    }
    case 9: { /* the busy hour */
        const cr_sizing_window *w = &d->window;
        if (which || w->kind == CR_SZ_WINDOW_ALL)
            return 0;
        put(t, "Sized for the busy hour: minutes %ld to %ld of the data (%ld minutes",
            w->start_s / 60, w->end_s / 60, w->minutes);
        if (w->origin_ms >= CR_SZ_DATED_MS) {
            cr_utc_text(w->origin_ms + 1000LL * w->start_s, a, sizeof a);
            put(t, " from %s", a);
        }
        put(t, "), with %.1f%% of its new connections: the rate fits and every check saw only "
               "its seconds, the durations the connections that start in it", 100 * w->new_share);
        if (w->machines_outside)
            put(t, "; %d machine%s without a second in it %s left out", w->machines_outside,
                w->machines_outside == 1 ? "" : "s", w->machines_outside == 1 ? "is" : "are");
        put(t, " (--window all sizes every second; docs/scale.md, \"The busy hour\").");
        return 1;
    }
    case 5: /* the burn-in cap */
        if (which || !(s->missed_max > 0.01))
            return 0;
        put(t, "Session times have a tail longer than the simulated %ld s of warm-up can hold: "
               "concurrent sessions are understated, by up to %.0f%% of their mean.",
            s->burnin_max, 100 * s->missed_max);
        return 1;
    default: { /* the chosen percentile, poorly pinned down: one per quantity at the largest N */
        if (which >= CR_SZ_NDATASHEET)
            return 0;
        const cr_sizing_figure *f = &s->fig[big][which];
        int few = c->percentile >= 99 && f->draws_beyond < 5;
        double rel = f->q > 0 ? f->q_mcse / f->q : 0;
        if (!few && !(rel > 0.1))
            return 0;
        put(t, "The %s percentile of %s for %d users ", ordinal(c->percentile, p, sizeof p),
            noun[which], N);
        if (few)
            put(t, "rests on %d of %d posterior draws, so its Monte Carlo error understates how "
                   "uncertain it is", f->draws_beyond, cr_sizing_sim_draws(c, s));
        else
            put(t, "is uncertain by %.0f%% from the simulation alone", 100 * rel);
        put(t, "; a larger --max-batches narrows it.");
        return 1;
    }
    case 7: { /* the effort stopped above its target: by the cap, or by the fit's draws */
        const cr_sizing_effort *ef = &s->effort;
        if (which || ef->limited_by == CR_SIM_EFFORT_MET)
            return 0;
        static const char *const words[CR_SZ_NMETRICS] = {
            [CR_SZ_NEW] = "new sessions/s", [CR_SZ_LOGS] = "log lines/min",
            [CR_SZ_CONC] = "concurrent sessions"};
        if (ef->limited_by == CR_SIM_EFFORT_CAP)
            put(t, "The simulation stopped at --max-batches (%d batch%s of %d draws x %ld s per "
                   "N)", ef->batches, ef->batches > 1 ? "es" : "", c->draws, c->seconds);
        else
            put(t, "The simulation stopped after %d batch%s of %d draws x %ld s per N",
                ef->batches, ef->batches > 1 ? "es" : "", c->draws, c->seconds);
        put(t, " with a 99th percentile still less precise than --mcse-target %.1f%%: the "
               "least precise, of %s at N = %d, has a Monte Carlo error of %.1f%% "
               "(sizing.json's \"effort\" lists every one above the target).",
            100 * c->mcse_target, words[ef->worst_metric], c->users[ef->worst_n],
            100 * ef->worst);
        if (ef->fit_factor > 1)
            put(t, " %s: the fits' posterior draws, which every batch shares, limit %s, and "
                   "about %.0f times as many as this run used would meet the target (--run-on "
                   "%.0f runs the fits' chains on to that many).",
                ef->limited_by == CR_SIM_EFFORT_FIT ? "More batches would not bring it there"
                                                    : "More batches alone would not do",
                ef->limited_by == CR_SIM_EFFORT_FIT ? "it" : "some of them",
                ceil(ef->fit_factor * ef->run_on), ceil(ef->fit_factor * ef->run_on));
        return 1;
    }
    }
}

int cr_sizing_caveat(const cr_sizing_config *c, const cr_sizing *s, int i, char *buf, size_t n)
{
    enum { KINDS = 10, MAX_EACH = 64 };
    for (int kind = 0; kind < KINDS; kind++)
        for (int which = 0; which < MAX_EACH; which++) {
            text t = {buf, n, 0};
            buf[0] = 0;
            if (!caveat(c, s, kind, which, &t))
                break;
            if (i-- == 0)
                return 1;
        }
    buf[0] = 0;
    return 0;
}

void cr_sizing_print_summary(const cr_sizing_config *c, const cr_sizing *s)
{
    int big = c->nusers - 1;
    char a[64], b[64], m[64], p[16];
    for (int k = 0; k < CR_SZ_NDATASHEET; k++) {
        const cr_sizing_figure *f = &s->fig[big][k];
        cr_info("size for %d users: %s %s (%s percentile %s +- %s x headroom %g)\n",
                c->users[big], cr_sz_human(f->size, a, sizeof a), noun[k],
                ordinal(c->percentile, p, sizeof p), cr_sz_human(f->q, b, sizeof b),
                cr_sz_human(f->q_mcse, m, sizeof m), c->headroom);
    }
    for (int k = 0; k < CR_SZ_NDATASHEET; k++) {
        const cr_sizing_capacity *cap = &s->cap[k];
        if (!(c->capacity[k] > 0))
            continue;
        char within[96];
        if (cap->max_users > 0)
            snprintf(within, sizeof within, "%s%ld users", cap->at_least ? "at least " : "up to ",
                     cap->max_users);
        else
            snprintf(within, sizeof within, "not even one user");
        cr_info("capacity %s=%s: exceeded in %.3g%% +- %.2g%% of %s for %d users; %s within "
                "it at the %s percentile x %g\n", cr_sizing_limit_names[k],
                cr_sz_human(c->capacity[k], a, sizeof a), 100 * cap->p[big], 100 * cap->p_mcse[big],
                k == CR_SZ_LOGRATE ? "minutes" : "seconds", c->users[big], within,
                ordinal(c->percentile, p, sizeof p), c->headroom);
    }
}
