/* The four figures of a sizing run: the predictive distribution of each primary metric per N
 * (50/95/99% marked), and their quantiles against N on log-log axes. */
#include <stdio.h>
#include <stdlib.h>

#include "report/plot.h"
#include "sizing/sizing_internal.h"

static const struct {
    const char *file, *title, *xlabel;
} figures[3] = {
    {"new_per_s", "New sessions per second: posterior predictive distribution per N",
     "new sessions per second, per user"},
    {"logs_per_min", "Log lines per minute (terminations per whole minute): posterior "
     "predictive per N", "log lines per minute, per user"},
    {"concurrent", "Concurrent sessions: posterior predictive distribution per N",
     "concurrent sessions, per user"},
};

/* "99%: 34,668 (347/user)": the total for N users, what a firewall sees */
static void mark_label(const char *what, double x, int users, char *buf, size_t n)
{
    if (users > 1)
        snprintf(buf, n, "%s: %.4g (%.3g/user)", what, x, x / users);
    else
        snprintf(buf, n, "%s: %.4g", what, x);
}

static int distribution(const char *dir, int k, const cr_sizing_config *c, const cr_sizing *s,
                        cr_plot_svg *keep, cr_err *e)
{
    static const int metric[3] = {CR_SZ_NEW, CR_SZ_LOGS, CR_SZ_CONC};
    cr_plot_sample ps[CR_SZ_MAX_USERS];
    cr_plot_mark marks[CR_SZ_MAX_USERS][2];
    char titles[CR_SZ_MAX_USERS][48], labels[CR_SZ_MAX_USERS][2][96];
    int n = c->nusers < 12 ? c->nusers : 12;
    for (int u = 0; u < n; u++) {
        int N = c->users[u];
        snprintf(titles[u], sizeof titles[u], "N = %d user%s", N, N == 1 ? "" : "s");
        const cr_sim_summary *m = &s->sum[u][metric[k]];
        mark_label("median", m->q50, N, labels[u][0], sizeof labels[u][0]);
        mark_label("99%", m->q99, N, labels[u][1], sizeof labels[u][1]);
        marks[u][0] = (cr_plot_mark){m->q50, labels[u][0], CR_PLOT_INK, 0};
        marks[u][1] = (cr_plot_mark){m->q99, labels[u][1], CR_PLOT_RED, 1};
        ps[u] = (cr_plot_sample){titles[u], s->sample[u][k], s->nsample[k], N, 2, marks[u]};
    }
    cr_plot_key keys[2] = {{"median", CR_PLOT_KEY_LINE, CR_PLOT_INK},
                           {"99% quantile", CR_PLOT_KEY_DASHED, CR_PLOT_RED}};
    char sub[256];
    snprintf(sub, sizeof sub, "Per user (values / N), the same axes in every panel; x: log(1 + x) "
                              "scale; bars: share of simulated %s, log scale",
             k == 1 ? "minutes" : "seconds");
    cr_plot_dist d = {figures[k].title, sub, figures[k].xlabel, k == 1 ? "minutes" : "seconds",
                      2, keys, n, ps};
    char *path = cr_sz_path(dir, "plots", figures[k].file);
    int rc = cr_plot_distributions(path, &d, keep, e);
    free(path);
    return rc;
}

static int scaling(const char *dir, const cr_sizing_config *c, const cr_sizing *s,
                   cr_plot_svg *keep, cr_err *e)
{
    static const int metric[3] = {CR_SZ_NEW, CR_SZ_LOGS, CR_SZ_CONC};
    static const char *const ylabel[3] = {"new sessions / s", "log lines / min",
                                          "concurrent sessions"};
    static const char *const title[3] = {"New sessions per second", "Log lines per minute",
                                         "Concurrent sessions"};
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
    for (int k = 0; k < 3; k++)
        if (distribution(dir, k, c, s, &svg[k], e) != 0)
            return -1;
    return scaling(dir, c, s, &svg[CR_SZ_FIG_SCALING], e);
}
