/* The first screen of report.html (docs/report.md, "The first screen"): one sentence per
 * datasheet quantity with the figure to size for, how it was reached and how sure it is; the
 * caveats of this input; the figures for every N; and, with --capacity, each datasheet limit
 * against the simulation. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sizing/sizing_internal.h"

static const char *const what[CR_SZ_NDATASHEET] = {
    "new sessions per second", "concurrent sessions", "firewall log lines per minute"};
static const char *const header[CR_SZ_NDATASHEET] = {
    "New sessions / s", "Concurrent sessions", "Firewall log lines / min"};
/* what one simulated value is */
static const char *const unit[CR_SZ_NDATASHEET] = {"seconds", "seconds", "minutes"};

/* "(the default of --percentile)" or "(set by --percentile; the default is 99)" */
static void setting(FILE *f, const char *opt, double value, double dflt)
{
    if (value == dflt)
        fprintf(f, " (the default of <code>%s</code>)", opt);
    else
        fprintf(f, " (set by <code>%s</code>; the default is %g)", opt, dflt);
}

static void sentence(FILE *f, const cr_sizing_config *c, const cr_sizing *s, int k,
                     const cr_sizing_config *dflt)
{
    int big = c->nusers - 1, N = c->users[big];
    const cr_sizing_figure *fig = &s->fig[big][k];
    char a[64], b[64], m[64];
    fprintf(f, "<p><b>For %d user%s, size for %s %s</b>", N, N == 1 ? "" : "s",
            cr_sz_human(fig->size, a, sizeof a), what[k]);
    if (k == CR_SZ_LOGRATE) {
        fprintf(f, " (%s per second, %s a day at %g bytes a line; profile <code>",
                cr_sz_human(fig->size / 60, b, sizeof b),
                cr_sz_bytes_text(fig->size * 1440 * c->log_bytes, m, sizeof m), c->log_bytes);
        cr_sz_html(f, c->fw.name);
        fprintf(f, "</code>: %.3g lines per session)", s->logs_per_session);
    }
    fprintf(f, ": the %gth percentile of simulated %s", c->percentile, unit[k]);
    setting(f, "--percentile", c->percentile, dflt->percentile);
    fprintf(f, ", %s &plusmn; %s (Monte Carlo error), times a headroom of %g",
            cr_sz_human(fig->q, a, sizeof a), cr_sz_human(fig->q_mcse, b, sizeof b),
            c->headroom);
    setting(f, "--headroom", c->headroom, dflt->headroom);
    fputs(".", f);
    if (isfinite(fig->draws_q[0]))
        fprintf(f, " Over the posterior, one draw's own %gth percentile lies between %s and %s "
                   "(90%% of draws): what the captures leave unknown about these users.",
                c->percentile, cr_sz_human(fig->draws_q[0], a, sizeof a),
                cr_sz_human(fig->draws_q[1], b, sizeof b));
    fputs("</p>\n", f);
}

static void caveats(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    char buf[1024];
    if (!cr_sizing_caveat(c, s, 0, buf, sizeof buf)) {
        fprintf(f, "<p class=\"note\" id=\"caveats\">No caveats: %d machines, none captured for "
                   "under %.0f minutes or far from the others, every fit passed its checks.</p>\n",
                s->data->nmachines, CR_SZ_SHORT_CAPTURE / 60);
        return;
    }
    fputs("<div class=\"caveats\" id=\"caveats\"><b>Caveats for this input</b>\n<ul>\n", f);
    for (int i = 0; cr_sizing_caveat(c, s, i, buf, sizeof buf); i++) {
        fputs("<li>", f);
        cr_sz_html(f, buf);
        fputs("</li>\n", f);
    }
    fputs("</ul></div>\n", f);
}

static void per_n(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    char a[64], b[64], m[64];
    fputs("<table id=\"recommended\">\n<thead><tr><th class=\"l\">Users</th>", f);
    for (int k = 0; k < CR_SZ_NDATASHEET; k++)
        fprintf(f, "<th>%s</th>", header[k]);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (int u = 0; u < c->nusers; u++) {
        fprintf(f, "<tr><td class=\"l\">%d</td>", c->users[u]);
        for (int k = 0; k < CR_SZ_NDATASHEET; k++) {
            const cr_sizing_figure *fig = &s->fig[u][k];
            fprintf(f, "<td><b>%s</b> <span class=\"note\">(%s &plusmn; %s)</span></td>",
                    cr_sz_human(fig->size, a, sizeof a), cr_sz_human(fig->q, b, sizeof b),
                    cr_sz_human(fig->q_mcse, m, sizeof m));
        }
        fputs("</tr>\n", f);
    }
    fprintf(f, "</tbody></table>\n<p class=\"note\">The figure to size for at every N: the %gth "
               "percentile x %g; in brackets the percentile and its Monte Carlo error.</p>\n",
            c->percentile, c->headroom);
}

/* A probability as a percentage people read: 0, 0.0012%, 3.4% */
static const char *share(double p, char *buf, size_t n)
{
    if (!isfinite(p))
        snprintf(buf, n, "n/a");
    else if (p == 0)
        snprintf(buf, n, "0");
    else
        snprintf(buf, n, "%.2g%%", 100 * p);
    return buf;
}

static void capacity(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    int any = 0;
    for (int k = 0; k < CR_SZ_NDATASHEET; k++)
        any |= c->capacity[k] > 0;
    if (!any)
        return;
    fputs("<h3>Against the datasheet</h3>\n<table id=\"capacity\">\n<thead><tr>"
          "<th class=\"l\">Limit</th>", f);
    for (int u = 0; u < c->nusers; u++)
        fprintf(f, "<th>exceeded, N = %d</th>", c->users[u]);
    fputs("<th>largest N within</th></tr></thead>\n<tbody>\n", f);
    char a[64], b[64];
    for (int k = 0; k < CR_SZ_NDATASHEET; k++) {
        const cr_sizing_capacity *cap = &s->cap[k];
        if (!(c->capacity[k] > 0))
            continue;
        fprintf(f, "<tr><td class=\"l\"><code>%s=%s</code> %s</td>", cr_sizing_limit_names[k],
                cr_sz_human(c->capacity[k], a, sizeof a),
                k == CR_SZ_LOGRATE ? "log lines / s" : header[k]);
        for (int u = 0; u < c->nusers; u++)
            fprintf(f, "<td>%s &plusmn; %s</td>", share(cap->p[u], a, sizeof a),
                    share(cap->p_mcse[u], b, sizeof b));
        if (cap->max_users > 0)
            fprintf(f, "<td><b>%s%ld</b></td></tr>\n", cap->at_least ? "at least " : "",
                    cap->max_users);
        else
            fputs("<td><b>none</b> (not even one user)</td></tr>\n", f);
    }
    fprintf(f, "</tbody></table>\n<p class=\"note\">Exceeded: the share of simulated seconds (log "
               "lines: of whole minutes, against the limit x 60) above the limit, every draw "
               "pooled as for the percentiles, &plusmn; its Monte Carlo error (the spread of the "
               "draws' own shares / &radic;draws). Largest N within: the most users whose %gth "
               "percentile x %g stays within the limit, found by simulating further N on the "
               "same seed (steps on log-log axes, to the user below 100 users and to 1%% "
               "above).</p>\n",
            c->percentile, c->headroom);
}

void cr_sz_report_lead(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    cr_sizing_config dflt;
    cr_sizing_config_default(&dflt);
    fputs("<div class=\"lead\" id=\"recommendation\">\n", f);
    for (int k = 0; k < CR_SZ_NDATASHEET; k++)
        sentence(f, c, s, k, &dflt);
    fputs("</div>\n", f);
    caveats(f, c, s);
    per_n(f, c, s);
    capacity(f, c, s);
}
