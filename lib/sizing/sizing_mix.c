/* A mix of kinds of users sized at once: N_k users like class k for every k. Each class was
 * sized on its own (its fits, durations and session model); its users are independent of the
 * others', so per posterior draw and second the classes' simulated seconds add up. Draw d of one
 * class goes with draw d of another: the fits are independent, so any pairing is a draw of the
 * joint posterior. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "sizing/sizing_internal.h"

/* Each class's users get streams of their own: with one seed, class k's users would repeat
 * class j's random numbers, draw for draw. */
static uint64_t class_seed(uint64_t seed, int k)
{
    return seed ^ (0x636c617373ULL + 0x9e3779b97f4a7c15ULL * (uint64_t)(k + 1));
}

int cr_sizing_mix_run(const cr_sizing_config *c, cr_sizing_mix *m, cr_err *e)
{
    cr_sz_raw total = {0};
    m->total = 0;
    memset(m->sum, 0, sizeof m->sum);
    memset(m->mcse, 0, sizeof m->mcse);
    double var[CR_SZ_NMETRICS] = {0};
    for (int k = 0; k < m->nclasses; k++) {
        cr_sz_raw r;
        if (cr_sz_simulate_raw(c, m->s[k], m->users[k], class_seed(c->seed, k), &r, e) != 0) {
            cr_sz_raw_free(&total);
            return -1;
        }
        if (k == 0)
            total = r;
        else {
            cr_sz_raw_add(&total, &r, c);
            cr_sz_raw_free(&r);
        }
        m->total += m->users[k];
    }
    cr_sz_raw_summarize(&total, c, m->sum, m->mcse, m->sample, m->nsample);
    /* the exact means add up, their errors in quadrature (independent fits) */
    for (int k = 0; k < m->nclasses; k++) {
        cr_sim_summary s[CR_SZ_NMETRICS];
        cr_sim_mcse se[CR_SZ_NMETRICS];
        cr_sz_exact_means(m->s[k], m->users[k], s, se);
        for (int j = 0; j < CR_SZ_NMETRICS; j++) {
            m->sum[j].mean = (k ? m->sum[j].mean : 0) + s[j].mean;
            var[j] += se[j].mean * se[j].mean;
        }
    }
    for (int j = 0; j < CR_SZ_NMETRICS; j++)
        m->mcse[j].mean = sqrt(var[j]);
    cr_sz_bytes(c, m->sum, m->mcse);
    cr_info("mix of %d users:", m->total);
    for (int k = 0; k < m->nclasses; k++)
        cr_info(" %s%s %d", k ? "+ " : "", m->name[k], m->users[k]);
    cr_info(": new/s mean %.2f q99 %.0f; logs/min q99 %.0f; concurrent mean %.1f q99 %.0f\n",
            m->sum[CR_SZ_NEW].mean, m->sum[CR_SZ_NEW].q99, m->sum[CR_SZ_LOGS].q99,
            m->sum[CR_SZ_CONC].mean, m->sum[CR_SZ_CONC].q99);
    return 0;
}

void cr_sizing_mix_free(cr_sizing_mix *m)
{
    for (int j = 0; j < 3; j++)
        free(m->sample[j]);
    memset(m->sample, 0, sizeof m->sample);
}

static const char *const units[3] = {"new sessions per second", "log lines per minute",
                                     "concurrent sessions"};

/* One page: the mix's three figures that size the firewall, and where each class's own report
 * is (its fits, checks and machines). */
static void mix_page(FILE *f, const cr_sizing_config *c, const cr_sizing_mix *m)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>connrate: "
          "sizing of a mix of users</title>\n<style>body{font-family:sans-serif;max-width:60em;"
          "margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{padding:.2em .6em;"
          "border-bottom:1px solid #ccc;text-align:right}.l{text-align:left}</style></head>"
          "<body>\n",
          f);
    fprintf(f, "<h1>Sizing for a mix of %d users</h1>\n<p>", m->total);
    for (int k = 0; k < m->nclasses; k++) {
        fprintf(f, "%s<b>%d</b> like <a href=\"classes/", k ? (k + 1 < m->nclasses ? ", " : " and ")
                                                             : "",
                m->users[k]);
        cr_sz_html(f, m->name[k]);
        fputs("/report.html\">", f);
        cr_sz_html(f, m->name[k]);
        fputs("</a>", f);
    }
    fputs(", each class fitted on its own machines; the classes' users are independent. Each "
          "class's report has its fits, checks and machines.</p>\n<table><thead><tr><th "
          "class=\"l\">Metric</th><th>Mean</th><th>q50</th><th>q90</th><th>q99</th><th>q999</th>"
          "<th>Monte Carlo error of q99</th><th>Size for</th></tr></thead><tbody>\n",
          f);
    const int p = cr_sz_percentile_index(c->percentile);
    static const int metric[3] = {CR_SZ_NEW, CR_SZ_LOGS, CR_SZ_CONC};
    for (int j = 0; j < 3; j++) {
        const cr_sim_summary *s = &m->sum[metric[j]];
        fprintf(f, "<tr><td class=\"l\">%s</td><td>%.4g</td><td>%.4g</td><td>%.4g</td>"
                   "<td>%.4g</td><td>%.4g</td><td>%.2g</td><td><b>%.4g</b></td></tr>\n",
                units[j], s->mean, s->q50, s->q90, s->q99, s->q999, m->mcse[metric[j]].q99,
                cr_sz_quantile(s, p) * c->headroom);
    }
    fprintf(f, "</tbody></table>\n<p>Size for: the %g%% percentile times a headroom of %g "
               "(--percentile, --headroom). Quantiles over every simulated second (minute, for "
               "log lines) of %d posterior draws x %ld s; sizing.csv and mix.json hold every "
               "metric.</p>\n</body></html>\n",
            c->percentile, c->headroom, c->draws, c->seconds);
}

int cr_sizing_mix_write(const char *dir, const cr_sizing_config *c, const cr_sizing_mix *m,
                        cr_err *e)
{
    char *csv = cr_sz_path(dir, "sizing.csv", NULL), *json = cr_sz_path(dir, "mix.json", NULL);
    char *html = cr_sz_path(dir, "report.html", NULL);
    const cr_sim_summary(*sum)[CR_SZ_NMETRICS] = (const cr_sim_summary(*)[CR_SZ_NMETRICS])&m->sum;
    const cr_sim_mcse(*mcse)[CR_SZ_NMETRICS] = (const cr_sim_mcse(*)[CR_SZ_NMETRICS])&m->mcse;
    int rc = cr_sz_write_table_csv(csv, 1, &m->total, sum, mcse, e);
    cr_outfile o = {0};
    if (rc == 0 && (rc = cr_outfile_open(&o, json, e)) == 0) {
        fprintf(o.fp, "{\n  \"versions\": {\"connrate\": \"%s\", \"mix_json\": 1},\n"
                      "  \"mix\": [",
                CONNRATE_VERSION);
        for (int k = 0; k < m->nclasses; k++) {
            fputs(k ? ", {\"class\": " : "{\"class\": ", o.fp);
            cr_sz_jstr(o.fp, m->name[k]);
            fprintf(o.fp, ", \"users\": %d, \"report\": ", m->users[k]);
            char *rel = cr_sz_path("classes", m->name[k], "report.html");
            cr_sz_jstr(o.fp, rel);
            free(rel);
            fputc('}', o.fp);
        }
        fputs("],\n", o.fp);
        cr_sz_json_table(o.fp, 1, &m->total, sum, mcse);
        fputs("}\n", o.fp);
        rc = cr_outfile_commit(&o, e);
        cr_outfile_abort(&o);
    }
    if (rc == 0 && (rc = cr_outfile_open(&o, html, e)) == 0) {
        mix_page(o.fp, c, m);
        rc = cr_outfile_commit(&o, e);
        cr_outfile_abort(&o);
    }
    free(csv);
    free(json);
    free(html);
    return rc ? -1 : 0;
}
