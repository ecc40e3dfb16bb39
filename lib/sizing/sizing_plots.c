/* The four figures of a sizing run: the predictive distribution of each datasheet quantity per
 * N, per user on shared axes (plot.h, cr_plot_distributions) with the median, the chosen
 * percentile, the recommended figure and any datasheet limit marked; and their quantiles
 * against N on log-log axes. */
#include <stdio.h>
#include <stdlib.h>

#include "report/plot.h"
#include "sizing/sizing_internal.h"

/* In the order of the files; `limit` is the datasheet quantity (CR_SZ_CPS ...). */
static const struct {
    const char *file, *title, *xlabel, *unit;
    int limit;
} figures[3] = {
    {"new_per_s", "New sessions per second: posterior predictive distribution per N",
     "new sessions per second, per user", "seconds", CR_SZ_CPS},
    {"logs_per_min", "Firewall log lines per minute: posterior predictive distribution per N",
     "firewall log lines per minute, per user", "minutes", CR_SZ_LOGRATE},
    {"concurrent", "Concurrent sessions (session table): posterior predictive distribution "
     "per N", "concurrent sessions, per user", "seconds", CR_SZ_SESSIONS},
};

#define NMARKS 4

/* "99%: 34,668 (347/user)": the total for N users, what a firewall sees */
static void mark_label(const char *what, double x, int users, char *buf, size_t n)
{
    char v[64], pu[64];
    cr_sz_human(x, v, sizeof v);
    if (users > 1)
        snprintf(buf, n, "%s: %s (%s/user)", what, v, cr_sz_human(x / users, pu, sizeof pu));
    else
        snprintf(buf, n, "%s: %s", what, v);
}

static int distribution(const char *dir, int f, const cr_sizing_config *c, const cr_sizing *s,
                        cr_plot_svg *keep, cr_err *e)
{
    int k = figures[f].limit, metric = cr_sizing_datasheet_metric[k];
    cr_plot_sample ps[CR_SZ_MAX_USERS];
    cr_plot_mark marks[CR_SZ_MAX_USERS][NMARKS];
    char titles[CR_SZ_MAX_USERS][48], labels[CR_SZ_MAX_USERS][NMARKS][96], pct[16];
    double *logs[CR_SZ_MAX_USERS] = {NULL};
    int n = c->nusers < 12 ? c->nusers : 12, limit = c->capacity[k] > 0;
    snprintf(pct, sizeof pct, "%g%%", c->percentile);
    for (int u = 0; u < n; u++) {
        int N = c->users[u], nm = 0;
        snprintf(titles[u], sizeof titles[u], "N = %d user%s", N, N == 1 ? "" : "s");
        const cr_sizing_figure *fig = &s->fig[u][k];
        const struct {
            const char *what;
            double x;
            int color, dashed;
        } want[NMARKS] = {{"median", s->sum[u][metric].q50, CR_PLOT_INK, 0},
                          {pct, fig->q, CR_PLOT_RED, 1},
                          {"size for", fig->size, CR_PLOT_GREEN, 0},
                          {"limit", k == CR_SZ_LOGRATE ? 60 * c->capacity[k] : c->capacity[k],
                           CR_PLOT_PURPLE, 2}};
        for (int m = 0; m < NMARKS - !limit; m++) {
            mark_label(want[m].what, want[m].x, N, labels[u][m], sizeof labels[u][m]);
            marks[u][nm++] = (cr_plot_mark){want[m].x, labels[u][m], want[m].color,
                                            want[m].dashed};
        }
        const double *x = s->sample[u][cr_sz_sample_of[k]];
        if (k == CR_SZ_LOGRATE)
            x = logs[u] = cr_sizing_log_minutes(c, s, u);
        ps[u] = (cr_plot_sample){titles[u], x, s->nsample[cr_sz_sample_of[k]], N, nm, marks[u]};
    }
    char pct_key[48], size_key[64], sub[256];
    snprintf(pct_key, sizeof pct_key, "%g%% quantile", c->percentile);
    snprintf(size_key, sizeof size_key, "%g%% quantile x %g", c->percentile, c->headroom);
    cr_plot_key keys[NMARKS] = {{"median", CR_PLOT_KEY_LINE, CR_PLOT_INK},
                                {pct_key, CR_PLOT_KEY_DASHED, CR_PLOT_RED},
                                {size_key, CR_PLOT_KEY_LINE, CR_PLOT_GREEN},
                                {"datasheet limit", CR_PLOT_KEY_DASHED, CR_PLOT_PURPLE}};
    snprintf(sub, sizeof sub, "Per user (values / N), the same axes in every panel; x: log(1 + x) "
                              "scale; bars: share of simulated %s, log scale", figures[f].unit);
    cr_plot_dist d = {figures[f].title, sub, figures[f].xlabel, figures[f].unit,
                      NMARKS - !limit, keys, n, ps};
    char *path = cr_sz_path(dir, "plots", figures[f].file);
    int rc = cr_plot_distributions(path, &d, keep, e);
    free(path);
    for (int u = 0; u < n; u++)
        free(logs[u]);
    return rc;
}

static int scaling(const char *dir, const cr_sizing_config *c, const cr_sizing *s,
                   cr_plot_svg *keep, cr_err *e)
{
    static const int metric[3] = {CR_SZ_NEW, CR_SZ_FWLOGS, CR_SZ_CONC};
    static const char *const ylabel[3] = {"new sessions / s", "firewall log lines / min",
                                          "concurrent sessions"};
    static const char *const title[3] = {"New sessions per second",
                                         "Firewall log lines per minute", "Concurrent sessions"};
    double x[CR_SZ_MAX_USERS], y[3][4][CR_SZ_MAX_USERS];
    cr_plot_series ser[3][4];
    cr_plot_loglog panels[3];
    for (int u = 0; u < c->nusers; u++)
        x[u] = c->users[u];
    for (int p = 0; p < 3; p++) {
        for (int u = 0; u < c->nusers; u++) {
            const cr_sim_summary *m = &s->sum[u][metric[p]];
            y[p][0][u] = m->q99;
            y[p][1][u] = m->q95;
            y[p][2][u] = m->q50;
            y[p][3][u] = m->mean;
        }
        ser[p][0] = (cr_plot_series){"99th percentile", y[p][0], CR_PLOT_RED, 0};
        ser[p][1] = (cr_plot_series){"95th percentile", y[p][1], CR_PLOT_ORANGE, 0};
        ser[p][2] = (cr_plot_series){"median", y[p][2], CR_PLOT_BLUE, 0};
        ser[p][3] = (cr_plot_series){"mean", y[p][3], CR_PLOT_INK, 0};
        panels[p] = (cr_plot_loglog){title[p], ylabel[p], c->nusers, x, 4, ser[p]};
    }
    char *path = cr_sz_path(dir, "plots", "scaling");
    int rc = cr_plot_loglogs(path, "How the sizing quantities scale with the number of users",
                             "users (N)", 3, panels, keep, e);
    free(path);
    return rc;
}

int cr_sizing_plots(const char *dir, const cr_sizing_config *c, const cr_sizing *s,
                    cr_plot_svg svg[CR_SZ_NFIGURES], cr_err *e)
{
    for (int f = 0; f < 3; f++)
        if (distribution(dir, f, c, s, &svg[f], e) != 0)
            return -1;
    return scaling(dir, c, s, &svg[CR_SZ_FIG_SCALING], e);
}
