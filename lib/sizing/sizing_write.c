/* sizing.csv and sizing.json. Both print every number with the same format, so the JSON's
 * table is the CSV's to the last digit. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/outfile.h"
#include "sizing/sizing.h"

#define NUM "%.10g"

static void num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, NUM, x);
    else
        fputs(isnan(x) ? "NA" : x > 0 ? "Inf" : "-Inf", f);
}

static void summary_values(FILE *f, const cr_sim_summary *m, const char *sep)
{
    const double v[7] = {m->mean, m->q50, m->q90, m->q95, m->q99, m->q999, m->max};
    for (int i = 0; i < 7; i++) {
        fputs(sep, f);
        num(f, v[i]);
    }
}

int cr_sizing_write_csv(const char *path, const cr_sizing_config *c, const cr_sizing *s,
                        cr_err *e)
{
    cr_outfile o;
    if (cr_outfile_open(&o, path, e) != 0)
        return -1;
    fputs("users,metric,mean,q50,q90,q95,q99,q999,max\n", o.fp);
    for (int u = 0; u < c->nusers; u++)
        for (int k = 0; k < CR_SZ_NMETRICS; k++) {
            fprintf(o.fp, "%d,%s", c->users[u], cr_sizing_metric_names[k]);
            summary_values(o.fp, &s->sum[u][k], ",");
            fputc('\n', o.fp);
        }
    int rc = cr_outfile_commit(&o, e);
    cr_outfile_abort(&o);
    return rc;
}

static void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void jnum(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, NUM, x);
    else
        fputs("null", f);
}

static void jfit(FILE *f, const char *series, const cr_fit_status *st, const cr_sizing_ppc *p,
                 const char *dir)
{
    fprintf(f, "{\"series\": ");
    jstr(f, series);
    fputs(", \"model\": ", f);
    jstr(f, st->model ? st->model : "nbh");
    fprintf(f, ", \"status\": \"%s\", \"reasons\": ", st->pass ? "PASS" : "FAIL");
    jstr(f, st->reasons);
    fprintf(f, ", \"attempts\": %d, \"ppc\": {\"ran\": %s, \"checks\": %d, \"failed\": %d, "
               "\"pooled_failures\": ",
            st->attempts, p->ran ? "true" : "false", p->checks, p->failed);
    jstr(f, p->pooled);
    fputs("}, \"files\": ", f);
    jstr(f, dir);
    fputc('}', f);
}

static void jduration(FILE *f, const cr_sizing_duration *d)
{
    fprintf(f, "{\"model\": \"censored lognormal mixture\", \"components\": %d, "
               "\"flows\": %zu, \"censored\": %zu, \"fitted\": %s",
            d->fitted ? d->draws[0].k : 0, d->flows, d->censored, d->fitted ? "true" : "false");
    if (d->fitted) {
        fprintf(f, ", \"status\": \"%s\", \"reasons\": ", d->check.pass ? "PASS" : "FAIL");
        jstr(f, d->check.reasons);
        fprintf(f, ", \"attempts\": %d, \"ended_mean_seconds\": ", d->attempts);
        jnum(f, d->ended_mean_s);
        fputs(", \"mean_seconds_q5_q50_q95\": [", f);
        for (int q = 0; q < 3; q++) {
            jnum(f, d->mean_s[q]);
            fputs(q < 2 ? ", " : "]", f);
        }
    }
    fputc('}', f);
}

static void jfirewall(FILE *f, const cr_fw_profile *p)
{
    fprintf(f, "{\"name\": ");
    jstr(f, p->name);
    fprintf(f, ", \"product\": ");
    jstr(f, p->product);
    const struct {
        const char *k;
        double v;
    } t[] = {{"tcp_fin_hold", p->tcp_fin_hold}, {"tcp_rst_hold", p->tcp_rst_hold},
             {"tcp_idle", p->tcp_idle},         {"udp_idle", p->udp_idle},
             {"udp_stream_after", p->udp_stream_after}, {"udp_stream_idle", p->udp_stream_idle},
             {"dns_timeout", p->dns_timeout},   {"logs_per_session", p->logs_per_session},
             {"interim_log_every", p->interim_log_every}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fprintf(f, ", \"%s\": ", t[i].k);
        jnum(f, t[i].v);
    }
    fprintf(f, ", \"dns_on_reply\": %s, \"sources\": ", p->dns_on_reply ? "true" : "false");
    jstr(f, p->sources);
    fputc('}', f);
}

static void jtable(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    static const char *const cols[7] = {"mean", "q50", "q90", "q95", "q99", "q999", "max"};
    fputs("  \"sizing\": [\n", f);
    for (int u = 0; u < c->nusers; u++)
        for (int k = 0; k < CR_SZ_NMETRICS; k++) {
            const cr_sim_summary *m = &s->sum[u][k];
            const double v[7] = {m->mean, m->q50, m->q90, m->q95, m->q99, m->q999, m->max};
            fprintf(f, "    {\"users\": %d, \"metric\": \"%s\"", c->users[u],
                    cr_sizing_metric_names[k]);
            for (int i = 0; i < 7; i++) {
                fprintf(f, ", \"%s\": ", cols[i]);
                jnum(f, v[i]);
            }
            fprintf(f, "}%s\n", u == c->nusers - 1 && k == CR_SZ_NMETRICS - 1 ? "" : ",");
        }
    fputs("  ]\n", f);
}

int cr_sizing_write_json(const char *path, const cr_sizing_config *c, const cr_sizing *s,
                         cr_err *e)
{
    cr_outfile o;
    if (cr_outfile_open(&o, path, e) != 0)
        return -1;
    FILE *f = o.fp;
    char status[1200];
    cr_sizing_status(s, status, sizeof status);
    fprintf(f, "{\n  \"versions\": {\"connrate\": \"%s\", \"sizing_json\": 1},\n",
            CONNRATE_VERSION);
    fputs("  \"status\": ", f);
    jstr(f, status);
    fputs(",\n  \"inputs\": [", f);
    for (int i = 0; i < s->nmachines; i++) {
        fputs(i ? ", {\"machine_id\": " : "{\"machine_id\": ", f);
        jstr(f, s->machine_ids[i]);
        fputs(", \"path\": ", f);
        jstr(f, s->inputs[i]);
        fputs(", \"kind\": ", f);
        jstr(f, s->kinds[i]);
        fputc('}', f);
    }
    fprintf(f, "],\n  \"observed\": {\"capture_seconds\": ");
    jnum(f, s->seconds);
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        fprintf(f, ", \"%s\": %llu", cr_cps_series_names[k], (unsigned long long)s->total[k]);
    fprintf(f, ", \"tcp_streams\": %llu, \"tcp_never_closed\": %llu},\n",
            (unsigned long long)s->tcp_streams, (unsigned long long)s->tcp_never_closed);
    fprintf(f, "  \"settings\": {\"users\": [");
    for (int u = 0; u < c->nusers; u++)
        fprintf(f, "%s%d", u ? ", " : "", c->users[u]);
    fprintf(f, "], \"seed\": %llu, \"draws\": %d, \"seconds\": %ld, \"log_bytes\": ",
            (unsigned long long)c->seed, c->draws, c->seconds);
    jnum(f, c->log_bytes);
    fprintf(f, ", \"chains\": %d, \"warmup\": %d, \"samples\": %d, \"attempts\": %d,\n"
               "    \"firewall\": ",
            c->fit.sampler.chains, c->fit.sampler.warmup, c->fit.sampler.samples,
            c->fit.attempts);
    jfirewall(f, &c->fw);
    fprintf(f, "},\n  \"models\": {\"rate_model\": \"%s\",\n    \"new\": ", s->model);
    jfit(f, "tcp_new+udp_new", &s->fit_new, &s->ppc_new, "fit/new");
    fputs(",\n    \"end\": ", f);
    jfit(f, "tcp_end+udp_end", &s->fit_end, &s->ppc_end, "fit/end");
    fputs(",\n    \"duration_horizon_s\": ", f);
    jnum(f, s->horizon);
    fprintf(f, ", \"duration_horizon_from\": \"%s\"",
            c->max_session > 0 ? "--max-session" : "longest capture");
    fputs(",\n    \"duration_tcp\": ", f);
    jduration(f, &s->dur[0]);
    fputs(",\n    \"duration_udp\": ", f);
    jduration(f, &s->dur[1]);
    fputs(",\n    \"observed_shares\": {\"tcp_of_new\": ", f);
    jnum(f, s->p_tcp);
    fputs(", \"rst_of_tcp_closes\": ", f);
    jnum(f, s->p_rst);
    fputs(", \"idle_of_tcp_ends\": ", f);
    jnum(f, s->p_idle);
    fputs(", \"dns_of_udp\": ", f);
    jnum(f, s->p_dns);
    fputs("}},\n  \"terminations\": {\"source\": ", f);
    jstr(f, s->logs_from_fit ? "fitted terminations" : "new connections and session times");
    fprintf(f, ", \"closes_visible\": %s, \"why\": ", s->closes_visible ? "true" : "false");
    jstr(f, s->logs_why);
    fputs(", \"other_over_used_mean\": ", f);
    jnum(f, s->logs_check_ratio);
    fputs("},\n  \"simulation\": {\"burnin_max_s\": ", f);
    fprintf(f, "%ld, \"missed_concurrency_share_max\": ", s->burnin_max);
    jnum(f, s->missed_max);
    fputs(", \"firewall_logs_per_session\": ", f);
    jnum(f, s->logs_per_session);
    fputs("},\n", f);
    jtable(f, c, s);
    fputs("}\n", f);
    int rc = cr_outfile_commit(&o, e);
    cr_outfile_abort(&o);
    return rc;
}
