/* DIR/report.html: one self-contained page (inline CSS and SVG, no scripts, no external
 * resources) that leads with the sizing table, then the figures, the checks, the model notes and
 * the inputs. Deterministic like every other output: no dates, hosts or timings. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"
#include "common/xalloc.h"
#include "sizing/sizing_internal.h"

static const char *const metric_label[CR_SZ_NMETRICS] = {
    "New sessions / s",   "Log lines / min",  "Concurrent sessions", "Firewall log lines / min",
    "Log volume / day",
    "Terminations / s x 60 (the original specification's log estimate)"};

void cr_sz_html(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

const char *cr_sz_bytes_text(double x, char *buf, size_t n)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (fabs(x) >= 1000 && u < 5) {
        x /= 1000;
        u++;
    }
    snprintf(buf, n, fabs(x) < 10 ? "%.2f %s" : fabs(x) < 100 ? "%.1f %s" : "%.0f %s", x,
             unit[u]);
    return buf;
}

static const char *value(int metric, double x, char *buf, size_t n)
{
    return metric == CR_SZ_BYTES ? cr_sz_bytes_text(x, buf, n) : cr_sz_human(x, buf, n);
}

static const char css[] =
    "body{font-family:-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;"
    "color:#1d2330;background:#f4f6f9;margin:0;line-height:1.5}"
    "main{max-width:1180px;margin:0 auto;padding:28px 32px 48px;background:#fff;"
    "box-shadow:0 0 24px rgba(20,30,60,.08)}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 10px;padding-bottom:6px;"
    "border-bottom:2px solid #e3e8ef}h3{font-size:16px;margin:22px 0 6px}"
    ".sub{color:#5b6475;margin:0 0 18px}"
    ".badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;"
    "font-size:13px;vertical-align:middle;margin-left:10px}"
    ".pass{background:#e3f4ea;color:#1b6e3b}.fail{background:#fde8e6;color:#a3271b}"
    ".lead{background:#f1f5fb;border-left:4px solid #2f6fb3;padding:12px 18px;margin:14px 0}"
    ".lead p{margin:4px 0}"
    ".caveats{background:#fff8e6;border-left:4px solid #d98e04;padding:10px 18px;margin:14px 0}"
    ".caveats ul{margin:4px 0}"
    "table{border-collapse:collapse;width:100%;font-size:14px;margin:8px 0 4px}"
    "th,td{padding:6px 10px;text-align:right;border-bottom:1px solid #e6eaf0}"
    "th{background:#26344d;color:#fff;font-weight:600;position:sticky;top:0}"
    "td.l,th.l{text-align:left}tr.first td{border-top:2px solid #b8c2d3}"
    "tbody tr:nth-child(even){background:#f8fafc}td.q99{font-weight:700;background:#fff6e0}"
    "figure{margin:18px 0 26px}figure svg{width:100%;height:auto;display:block;"
    "border:1px solid #e3e8ef}figcaption{color:#5b6475;font-size:14px;margin-top:6px}"
    ".note{color:#5b6475;font-size:14px}code{background:#eef1f5;padding:1px 4px;"
    "border-radius:3px;font-size:13px}ul{padding-left:22px}li{margin:3px 0}";

static void table(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    fputs("<table id=\"sizing-table\">\n<thead><tr><th class=\"l\">Users</th>"
          "<th class=\"l\">Metric</th><th>mean</th><th>median</th><th>90%</th><th>95%</th>"
          "<th>99%</th><th>99.9%</th><th>max</th></tr></thead>\n<tbody>\n", f);
    char buf[64];
    for (int u = 0; u < c->nusers; u++)
        for (int k = 0; k < CR_SZ_NMETRICS; k++) {
            const cr_sim_summary *m = &s->sum[u][k];
            const double v[7] = {m->mean, m->q50, m->q90, m->q95, m->q99, m->q999, m->max};
            fprintf(f, "<tr%s><td class=\"l\">%d</td><td class=\"l\">%s</td>",
                    k == 0 && u > 0 ? " class=\"first\"" : "", c->users[u], metric_label[k]);
            for (int i = 0; i < 7; i++)
                fprintf(f, "<td%s>%s</td>", i == 4 ? " class=\"q99\"" : "",
                        value(k, v[i], buf, sizeof buf));
            fputs("</tr>\n", f);
        }
    fputs("</tbody></table>\n", f);
    const cr_sizing_effort *ef = &s->effort;
    fprintf(f, "<p class=\"note\">Quantiles of every simulated second pooled over %d draws x %ld "
               "s (mid-quantiles, interpolated between the integer counts so that they do not "
               "jump from one integer to the next with the --seed; docs/simulation.md): %d "
               "batch%s of %d posterior draws, each with fresh users and "
               "seconds, added until the Monte Carlo error (&plusmn;) of every 99th percentile "
               "of new sessions/s, log lines/min and concurrent sessions was at most %.1f%% of "
               "it%s. Log lines / min counts the terminations in each whole "
               "simulated minute; the original specification's terminations/s x 60 has its "
               "own row; "
               "firewall log lines / min applies the profile's logs per session (%s); log "
               "volume / day is that rate x 1440 x %g bytes. Machine-readable: "
               "<code>sizing.csv</code>, <code>sizing.json</code>.</p>\n",
            cr_sizing_sim_draws(c, s), c->seconds, ef->batches, ef->batches > 1 ? "es" : "",
            c->draws, 100 * c->mcse_target,
            ef->limited_by == CR_SIM_EFFORT_CAP     ? " or --max-batches was reached (it was: see "
                                                      "the notes)"
            : ef->limited_by == CR_SIM_EFFORT_FIT ? " or the fit's draws, not more batches, "
                                                    "limited the error (they did: see the notes)"
                                                  : "",
            c->fw.name, c->log_bytes);
}

/* Copies an SVG file into the page with its ids prefixed, since cairo names the glyphs and
 * clip paths of every figure alike and ids must be unique within one document. */
/* An SVG figure inline, its ids prefixed so that several figures on one page never share one. */
static int embed_svg(FILE *f, const cr_plot_svg *svg, const char *prefix, cr_err *e)
{
    const char *p = svg->text ? strstr(svg->text, "<svg") : NULL;
    if (!p)
        return cr_fail(e, "figure %s: no SVG drawn", prefix);
    static const char *const refs[] = {" id=\"", "href=\"#", "url(#"};
    while (*p) {
        size_t best = SIZE_MAX, which = 0;
        for (size_t i = 0; i < 3; i++) {
            const char *q = strstr(p, refs[i]);
            if (q && (size_t)(q - p) < best)
                best = (size_t)(q - p), which = i;
        }
        if (best == SIZE_MAX) {
            fputs(p, f);
            break;
        }
        size_t n = best + strlen(refs[which]);
        fwrite(p, 1, n, f);
        fprintf(f, "%s-", prefix);
        p += n;
    }
    return 0;
}

static int figure(FILE *f, const cr_plot_svg *svg, const char *name, const char *caption,
                  cr_err *e)
{
    fprintf(f, "<figure id=\"fig-%s\">\n", name);
    int rc = embed_svg(f, svg, name, e);
    fprintf(f, "<figcaption>%s (also <code>plots/%s.png</code>).</figcaption>\n</figure>\n",
            caption, name);
    return rc;
}

static void status_cell(FILE *f, int pass, const char *reasons)
{
    fprintf(f, "<td class=\"l\"><span class=\"badge %s\">%s</span> ", pass ? "pass" : "fail",
            pass ? "PASS" : "FAIL");
    cr_sz_html(f, reasons);
    fputs("</td>", f);
}

static void ppc_cell(FILE *f, const cr_sizing_ppc *p)
{
    if (!p) {
        fputs("<td class=\"l\">-</td>", f);
        return;
    }
    if (!p->ran) {
        fputs("<td class=\"l\">not run</td>", f);
        return;
    }
    fprintf(f, "<td class=\"l\"><span class=\"badge %s\">%d of %d fail</span> ",
            p->failed ? "fail" : "pass", p->failed, p->checks);
    if (p->pooled[0]) {
        fputs("pooled: ", f);
        cr_sz_html(f, p->pooled);
    }
    fputs("</td>", f);
}

static int checks(FILE *f, const cr_plot_svg *rootogram, const cr_sizing *s, cr_err *e)
{
    fputs("<h2>Convergence and checks</h2>\n<table><thead><tr><th class=\"l\">Fit</th>"
          "<th class=\"l\">Model</th><th>Attempts</th><th class=\"l\">Status</th>"
          "<th class=\"l\">Predictive checks</th></tr></thead><tbody>\n", f);
    const struct {
        const char *what, *model;
        int attempts, pass;
        const char *reasons;
        const cr_sizing_ppc *ppc;
    } rows[] = {
        {"new connections (tcp_new + udp_new)", s->model, s->fit_new.attempts, s->fit_new.pass,
         s->fit_new.reasons, &s->ppc_new},
        {"terminations (tcp_end + udp_end)", s->fit_end.model, s->fit_end.attempts,
         s->fit_end.pass, s->fit_end.reasons, &s->ppc_end},
        {"TCP durations", "censored lognormal mixture", s->dur[0].attempts,
         s->dur[0].check.pass, s->dur[0].check.reasons, NULL},
        {"UDP durations", "censored lognormal mixture", s->dur[1].attempts,
         s->dur[1].check.pass, s->dur[1].check.reasons, NULL},
    };
    for (int i = 0; i < 4; i++) {
        if (i >= 2 && !s->dur[i - 2].fitted) {
            fprintf(f, "<tr><td class=\"l\">%s</td><td class=\"l\">%s</td><td>0</td>"
                       "<td class=\"l\">no connections: not fitted</td><td></td></tr>\n",
                    rows[i].what, rows[i].model);
            continue;
        }
        fprintf(f, "<tr><td class=\"l\">%s</td><td class=\"l\">%s</td><td>%d</td>",
                rows[i].what, rows[i].model, rows[i].attempts);
        status_cell(f, rows[i].pass, rows[i].reasons);
        ppc_cell(f, rows[i].ppc);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n<p class=\"note\">Convergence criteria (the original "
          "specification's): no divergent "
          "transitions, E-BFMI &gt; 0.3 on every chain, R-hat &lt; 1.01 and bulk and tail ESS "
          "&gt; 400 for every variable, latent effects included; a failing fit is retried with "
          "adapt_delta 0.95 then 0.99 and a doubled warmup. The rate fits' status also counts "
          "their posterior predictive checks (<code>ppc</code> in the reasons): per machine and "
          "pooled, mean, variance, zero fraction, q90, q99, max and busiest minute against "
          "replicates, and every count class against its 99% band; under a correct model about "
          "2% of them fail by chance. Files: <code>fit/new/</code>, <code>fit/end/</code> "
          "(diagnostics, draws, <code>ppc_new.csv</code>).</p>\n", f);
    fputs("<figure id=\"fig-ppc\">\n", f);
    int rc = embed_svg(f, rootogram, "ppc", e);
    fputs("<figcaption>Hanging rootogram of the new-connection fit (tcp_new + udp_new): observed "
          "seconds per count, hanging from the predictive expectation (also "
          "<code>fit/new/plots/ppc_new.png</code>).</figcaption>\n</figure>\n", f);
    return rc;
}

/* "<code>nbh</code>, negative binomial (bursty) counts around ...": the ladder's own words. */
static void model_about(FILE *f, const char *name)
{
    const cr_ladder_model *lm = cr_ladder_find(name);
    fputs("<code>", f);
    cr_sz_html(f, name);
    fputs("</code>", f);
    if (lm) {
        fputs(", ", f);
        cr_sz_html(f, lm->entry.about);
    }
}

static void notes(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    char a[64], b[64], d[64], g[64];
    fputs("<h2>Model notes</h2>\n<ul>\n<li><b>Rates.</b> New connections per second (TCP + UDP) "
          "follow the rate model ", f);
    model_about(f, s->model);
    if (c->model < 0)
        fputs(" (<code>--model auto</code>: the ladder's choice by its checks and PSIS-LOO, "
              "<code>fit/new/NOTES.md</code>)", f);
    else
        fprintf(f, " (<code>--model %s</code>: fitted alone, not compared with the ladder's "
                   "other models)", cr_ladder_models[c->model].entry.name);
    fprintf(f, ". Each of %d simulated draws (a posterior draw, reused with fresh users by later "
               "batches) simulates N new independent users, each with its "
               "own baseline rate drawn from the population, for %ld s, so the distributions mix "
               "parameter, between-user and within-user variation.",
            cr_sizing_sim_draws(c, s), c->seconds);
    if (s->data->nmachines < 3)
        fprintf(f, " <b>With %d machine%s, how much users differ from one another is hardly "
                   "learned:</b> the spread of a new user's baseline (sigma_machine) is mostly "
                   "its prior's, half-normal(0, 1) on the log scale, so the upper percentiles "
                   "and the mean (which rare very busy users dominate) are wide. Captures of "
                   "more machines narrow them.",
                s->data->nmachines, s->data->nmachines == 1 ? "" : "s");
    fputs("</li>\n", f);
    fputs("<li><b>Terminations.</b> ", f);
    cr_sz_html(f, s->logs_why);
    if (s->logs_from_fit && s->fit_end.model && strcmp(s->fit_end.model, s->model)) {
        fputs(". The terminations follow ", f);
        model_about(f, s->fit_end.model);
    }
    fputs(".</li>\n", f);
    for (int p = 0; p < 2; p++) {
        const cr_sizing_duration *d0 = &s->dur[p];
        if (!d0->fitted)
            continue;
        fprintf(f, "<li><b>%s durations.</b> Lognormal mixture of %d component%s (the number "
                   "chosen by PSIS-LOO among 1 to 4, checked against Kaplan-Meier) with right "
                   "censoring, %zu connections (%zu still open at capture end, censored); "
                   "posterior mean duration %s s (90%% interval %s to %s s), durations cut at "
                   "the horizon below; the ended ones last %s s on average.</li>\n",
                p ? "UDP" : "TCP", d0->draws[0].k, d0->draws[0].k > 1 ? "s" : "", d0->flows,
                d0->censored, cr_sz_human(d0->mean_s[1], a, 64),
                cr_sz_human(d0->mean_s[0], b, 64), cr_sz_human(d0->mean_s[2], d, 64),
                cr_sz_human(d0->ended_mean_s, g, 64));
    }
    fprintf(f, "<li><b>Horizon.</b> No connection is simulated longer than %s s (%s). A "
               "lognormal tail beyond what any capture watched is the model's shape, not the "
               "data's; uncut, it gave mean durations of 10<sup>17</sup> s on short real "
               "captures. Raise it with <code>--max-session</code> if your users keep sessions "
               "open longer (VPN tunnels, chat and push channels).</li>\n",
            cr_sz_human(s->horizon, a, 64),
            c->max_session > 0 ? "<code>--max-session</code>" : "the longest capture");
    fprintf(f, "<li><b>Sessions.</b> Each new connection is TCP with probability %.3f (observed); "
               "a TCP session ends by RST with probability %.3f, goes idle without a close "
               "(silent for the last %d s of its capture) with probability %.3f, otherwise by FIN; "
               "%.3f of UDP flows are DNS. The firewall holds each session for its duration plus "
               "the profile's hold for how it ended.</li>\n",
            s->p_tcp, s->p_rst, CR_SZ_IDLE_MS / 1000, s->p_idle, s->p_dns);
    fputs("<li><b>Firewall profile.</b> ", f);
    char fw[1024];
    cr_fw_describe(&c->fw, fw, sizeof fw);
    cr_sz_html(f, fw);
    fprintf(f, ". Firewall log lines per session: %.3f on average (interim logs counted at the "
               "session's end).</li>\n",
            s->logs_per_session);
    fprintf(f, "<li><b>Concurrency.</b> Sessions alive at the end of each second after a burn-in "
               "of up to %ld s. Largest estimated share of mean concurrency lost to the burn-in "
               "cap: %.3g%s.</li>\n",
            s->burnin_max, s->missed_max,
            s->missed_max > 0.01 ? " (the duration tail is heavier than the cap can hold: "
                                   "concurrency is understated)"
                                 : "");
    fputs("<li><b>Scaling.</b> Users are independent draws from the population (the original "
          "specification's assumption); a shared activity factor (time of day, update storms) "
          "is not modelled, so these are the independent-users numbers.</li>\n</ul>\n", f);
}

static void cell(FILE *f, double x, const char *fmt)
{
    if (isfinite(x))
        fprintf(f, fmt, x);
    else
        fputs("<td>&ndash;</td>", f);
}

static void inputs(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    fprintf(f, "<h2>Inputs, machine by machine</h2>\n<p class=\"note\">What each capture shows "
               "and what the fit makes of it. A capture under %.0f minutes says little of its "
               "user's rate; a machine whose effect lies beyond %.0f sd of the fitted population "
               "is an outlier (busier or quieter than 97.7%% of it). For those, the last column "
               "is the 99th percentile of new sessions/s and of concurrent sessions for %d users "
               "refitted without that machine: how much the sizing leans on it.</p>\n"
               "<table><thead><tr><th class=\"l\">Machine</th><th class=\"l\">Input</th>"
               "<th class=\"l\">Kind</th><th>Captured, min</th><th>New/s observed</th>"
               "<th>q99 observed</th><th>New/s fitted</th><th>Machine effect</th>"
               "<th>Concurrent observed</th><th class=\"l\">Flags</th>"
               "<th>q99 new/s, concurrent without it</th></tr></thead><tbody>\n",
            CR_SZ_SHORT_CAPTURE / 60, CR_SZ_OUTLIER_Z, c->users[c->nusers - 1]);
    const cr_sizing_data *d = s->data;
    for (int i = 0; i < d->nmachines; i++) {
        const cr_sizing_machine_check *m = s->checks ? &s->checks[i] : NULL;
        fputs("<tr><td class=\"l\">", f);
        cr_sz_html(f, d->m[i].id);
        fputs("</td><td class=\"l\"><code>", f);
        cr_sz_html(f, d->m[i].input);
        fputs("</code></td><td class=\"l\">", f);
        cr_sz_html(f, d->m[i].kind);
        fputs("</td>", f);
        if (m) {
            char cap[32];
            fprintf(f, "<td>%s</td>", cr_sz_human(m->capture_s / 60, cap, sizeof cap));
            cell(f, m->obs_new_mean, "<td>%.3g</td>");
            cell(f, m->obs_new_q99, "<td>%.3g</td>");
            cell(f, m->pred_new_mean, "<td>%.3g</td>");
            cell(f, m->z, "<td>%+.1f sd</td>");
            cell(f, m->obs_conc_mean, "<td>%.3g</td>");
            fprintf(f, "<td class=\"l\">%s%s%s</td>", m->short_capture ? "short capture" : "",
                    m->short_capture && m->outlier ? ", " : "", m->outlier ? "outlier" : "");
            if (isfinite(m->q99_without[0]))
                fprintf(f, "<td>%.3g, %.3g</td>", m->q99_without[0], m->q99_without[1]);
            else
                fputs("<td></td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    if (d->nlogs) {
        fputs("<p class=\"note\">Flow records and session logs: each inside host is one machine "
              "above.</p>\n<table><thead><tr><th class=\"l\">File</th><th class=\"l\">Format"
              "</th><th>Records</th><th>Connections</th><th>Inside hosts</th><th>Of them under "
              "--min-flows</th></tr></thead><tbody>\n", f);
        for (int i = 0; i < d->nlogs; i++) {
            fputs("<tr><td class=\"l\"><code>", f);
            cr_sz_html(f, d->logs[i].path);
            fputs("</code></td><td class=\"l\">", f);
            cr_sz_html(f, d->logs[i].format);
            fprintf(f, "</td><td>%llu</td><td>%llu</td><td>%zu</td><td>%zu</td></tr>\n",
                    (unsigned long long)d->logs[i].records,
                    (unsigned long long)d->logs[i].connections, d->logs[i].hosts,
                    d->logs[i].dropped_hosts);
        }
        fputs("</tbody></table>\n", f);
    }
    fprintf(f, "<p class=\"note\">%.1f capture hours; %llu TCP and %llu UDP new "
               "connections, %llu TCP and %llu UDP terminations; %llu of %llu outbound TCP streams "
               "never showed a close.",
            d->seconds / 3600, (unsigned long long)d->total[0], (unsigned long long)d->total[1],
            (unsigned long long)d->total[2], (unsigned long long)d->total[3],
            (unsigned long long)d->tcp_never_closed, (unsigned long long)d->tcp_streams);
    if (d->scope_firewall) {
        fputs(" Connections no firewall forwards were left out (<code>--scope all</code> counts "
              "them):", f);
        int any = 0;
        for (int k = 1; k < CR_SCOPE_NREASONS; k++)
            if (d->out_of_scope[k])
                fprintf(f, "%s %llu to %s addresses", any++ ? "," : "",
                        (unsigned long long)d->out_of_scope[k], cr_scope_reason_names[k]);
        fputs(any ? "." : " none.", f);
    }
    fputs(" Settings: users ", f);
    for (int u = 0; u < c->nusers; u++)
        fprintf(f, "%s%d", u ? "," : "", c->users[u]);
    fprintf(f, ", seed %llu, %d draws x %ld s x %d batch%s (--mcse-target %g, --max-batches "
               "%d), %d chains x (%d warmup + %d samples)",
            (unsigned long long)c->seed, c->draws, c->seconds, s->effort.batches,
            s->effort.batches > 1 ? "es" : "", c->mcse_target, c->max_batches,
            c->fit.sampler.chains, c->fit.sampler.warmup, c->fit.sampler.samples);
    if (s->effort.run_on > 1)
        fprintf(f, ", run on to %d times the samples (--run-on %d)", s->effort.run_on, c->run_on);
    fprintf(f, ". connrate %s.</p>\n", CONNRATE_VERSION);
}

static int write_page(FILE *f, const cr_plot_svg *svg, const cr_sizing_config *c,
                      const cr_sizing *s, cr_err *e)
{
    char status[1200];
    cr_sizing_status(s, status, sizeof status);
    int pass = !strcmp(status, "PASS");
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<title>connrate firewall sizing</title>\n<style>%s</style>\n</head>\n<body>\n"
               "<main>\n<h1>Firewall sizing for N users<span class=\"badge %s\">%s</span></h1>\n"
               "<p class=\"sub\">%d capture%s, firewall profile <b>",
            css, pass ? "pass" : "fail", pass ? "all fits converged" : "check the fits",
            s->data->nmachines, s->data->nmachines == 1 ? "" : "s");
    cr_sz_html(f, c->fw.name);
    fputs("</b> (", f);
    cr_sz_html(f, c->fw.product);
    fprintf(f, "), posterior predictive simulation of %d draws per N.</p>\n",
            cr_sizing_sim_draws(c, s));
    fputs("<h2>Sizing</h2>\n", f);
    cr_sz_report_lead(f, c, s);
    fputs("<h3>Every quantile</h3>\n", f);
    table(f, c, s);
    fputs("<h2>Distributions</h2>\n", f);
    if (figure(f, &svg[CR_SZ_FIG_NEW], "new_per_s", "New sessions per second (session-creation "
               "throughput) for each N, per user on the same axes in every panel, with the "
               "median, the sizing percentile and the figure to size for marked (labels give "
               "the totals for N users). Zeros, body and tail all show: x is log(1 + x), bar "
               "heights are shares on a log axis", e) != 0 ||
        figure(f, &svg[CR_SZ_FIG_CONC], "concurrent", "Concurrent sessions (session-table size) "
               "for each N, per user, marked alike", e) != 0 ||
        figure(f, &svg[CR_SZ_FIG_LOGS], "logs_per_min", "Firewall log lines in each whole "
               "minute for each N (the profile's lines per session x the terminations), per "
               "user, marked alike", e) != 0)
        return -1;
    fputs("<h2>Scaling with N</h2>\n", f);
    if (figure(f, &svg[CR_SZ_FIG_SCALING], "scaling", "Mean, median, 95% and 99% quantiles "
               "against the number of users, log-log axes", e) != 0)
        return -1;
    if (checks(f, &svg[CR_SZ_FIG_PPC], s, e) != 0)
        return -1;
    if (s->extra_html)
        fputs(s->extra_html, f);
    notes(f, c, s);
    inputs(f, c, s);
    fputs("</main>\n</body>\n</html>\n", f);
    return 0;
}

int cr_sizing_report(const char *dir, const cr_sizing_config *c, const cr_sizing *s,
                     const cr_plot_svg svg[CR_SZ_NFIGURES], cr_err *e)
{
    char *path = cr_sz_path(dir, "report.html", NULL);
    cr_outfile o;
    int rc = cr_outfile_open(&o, path, e);
    if (rc == 0 && (rc = write_page(o.fp, svg, c, s, e)) == 0)
        rc = cr_outfile_commit(&o, e);
    cr_outfile_abort(&o);
    free(path);
    return rc;
}
