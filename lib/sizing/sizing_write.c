/* Step 4 of a sizing run, the only one that writes: the tables and fits behind it, sizing.csv
 * and sizing.json (every number in the same format, so the JSON's table is the CSV's to the
 * last digit), the figures and the report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/outfile.h"
#include "flows/flows.h"
#include "series/cps_sample.h"
#include "sizing/sizing_internal.h"
#include "sizing/sizing.h"

#define NUM "%.10g"

static void num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, NUM, x);
    else
        fputs(isnan(x) ? "NA" : x > 0 ? "Inf" : "-Inf", f);
}

/* The columns of a metric's row: each estimate followed by its Monte Carlo standard error,
 * then the largest value simulated. */
enum { NCOLS = 13 };
static const char *const col_names[NCOLS] = {"mean", "mcse_mean", "q50",       "mcse_q50", "q90",
                                             "mcse_q90", "q95",   "mcse_q95",  "q99",
                                             "mcse_q99", "q999",  "mcse_q999", "max"};

static void row_values(const cr_sim_summary *m, const cr_sim_mcse *e, double *v)
{
    const double x[NCOLS] = {m->mean, e->mean, m->q50,  e->q50,  m->q90,  e->q90, m->q95,
                             e->q95,  m->q99,  e->q99,  m->q999, e->q999, m->max};
    memcpy(v, x, sizeof x);
}

static void summary_values(FILE *f, const cr_sim_summary *m, const cr_sim_mcse *e,
                           const char *sep)
{
    double v[NCOLS];
    row_values(m, e, v);
    for (int i = 0; i < NCOLS; i++) {
        fputs(sep, f);
        num(f, v[i]);
    }
}

int cr_sz_write_table_csv(const char *path, int nusers, const int *users,
                          const cr_sim_summary (*sum)[CR_SZ_NMETRICS],
                          const cr_sim_mcse (*mcse)[CR_SZ_NMETRICS], cr_err *e)
{
    cr_outfile o;
    if (cr_outfile_open(&o, path, e) != 0)
        return -1;
    fputs("users,metric", o.fp);
    for (int i = 0; i < NCOLS; i++)
        fprintf(o.fp, ",%s", col_names[i]);
    fputc('\n', o.fp);
    for (int u = 0; u < nusers; u++)
        for (int k = 0; k < CR_SZ_NMETRICS; k++) {
            fprintf(o.fp, "%d,%s", users[u], cr_sizing_metric_names[k]);
            summary_values(o.fp, &sum[u][k], &mcse[u][k], ",");
            fputc('\n', o.fp);
        }
    int rc = cr_outfile_commit(&o, e);
    cr_outfile_abort(&o);
    return rc;
}

int cr_sizing_write_csv(const char *path, const cr_sizing_config *c, const cr_sizing *s,
                        cr_err *e)
{
    return cr_sz_write_table_csv(path, c->nusers, c->users, s->sum, s->mcse, e);
}

void cr_sz_jstr(FILE *f, const char *s)
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

void cr_sz_jnum(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, NUM, x);
    else
        fputs("null", f);
}

static void jfit(FILE *f, const char *series, const char *counts, const cr_fit_status *st,
                 const cr_sizing_ppc *p, const char *dir)
{
    fprintf(f, "{\"series\": ");
    cr_sz_jstr(f, series);
    fprintf(f, ", \"counts\": ");
    cr_sz_jstr(f, counts);
    fputs(", \"model\": ", f);
    cr_sz_jstr(f, st->model);
    fprintf(f, ", \"status\": \"%s\", \"reasons\": ", st->pass ? "PASS" : "FAIL");
    cr_sz_jstr(f, st->reasons);
    fprintf(f, ", \"attempts\": %d, \"ppc\": {\"ran\": %s, \"checks\": %d, \"failed\": %d, "
               "\"pooled_failures\": ",
            st->attempts, p->ran ? "true" : "false", p->checks, p->failed);
    cr_sz_jstr(f, p->pooled);
    fputs("}, \"files\": ", f);
    cr_sz_jstr(f, dir);
    fputc('}', f);
}

static void jduration(FILE *f, const cr_sizing_duration *d)
{
    fprintf(f, "{\"model\": \"censored lognormal mixture\", \"components\": %d, "
               "\"flows\": %zu, \"censored\": %zu, \"fitted\": %s",
            d->fitted ? d->draws[0].k : 0, d->flows, d->censored, d->fitted ? "true" : "false");
    if (d->fitted) {
        fprintf(f, ", \"status\": \"%s\", \"reasons\": ", d->check.pass ? "PASS" : "FAIL");
        cr_sz_jstr(f, d->check.reasons);
        fprintf(f, ", \"attempts\": %d, \"ended_mean_seconds\": ", d->attempts);
        cr_sz_jnum(f, d->ended_mean_s);
        fputs(", \"mean_seconds_q5_q50_q95\": [", f);
        for (int q = 0; q < 3; q++) {
            cr_sz_jnum(f, d->mean_s[q]);
            fputs(q < 2 ? ", " : "]", f);
        }
    }
    fputc('}', f);
}

static void jfirewall(FILE *f, const cr_fw_profile *p)
{
    fprintf(f, "{\"name\": ");
    cr_sz_jstr(f, p->name);
    fprintf(f, ", \"product\": ");
    cr_sz_jstr(f, p->product);
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
        cr_sz_jnum(f, t[i].v);
    }
    fprintf(f, ", \"dns_on_reply\": %s, \"sources\": ", p->dns_on_reply ? "true" : "false");
    cr_sz_jstr(f, p->sources);
    fputc('}', f);
}

/* Per N the recommended figure of each datasheet quantity (sizing_recommend.c). */
static void jrecommended(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    fputs("  \"recommended\": [\n", f);
    for (int u = 0; u < c->nusers; u++)
        for (int k = 0; k < CR_SZ_NDATASHEET; k++) {
            const cr_sizing_figure *g = &s->fig[u][k];
            fprintf(f, "    {\"users\": %d, \"metric\": \"%s\", \"percentile\": ", c->users[u],
                    cr_sizing_metric_names[cr_sizing_datasheet_metric[k]]);
            cr_sz_jnum(f, c->percentile);
            const struct {
                const char *k;
                double v;
            } v[] = {{"quantile", g->q},       {"mcse_quantile", g->q_mcse},
                     {"headroom", c->headroom}, {"size", g->size},
                     {"mcse_size", g->size_mcse}, {"draws_quantile_q5", g->draws_q[0]},
                     {"draws_quantile_q95", g->draws_q[1]}};
            for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
                fprintf(f, ", \"%s\": ", v[i].k);
                cr_sz_jnum(f, v[i].v);
            }
            fprintf(f, ", \"draws_beyond\": %d}%s\n", g->draws_beyond,
                    u == c->nusers - 1 && k == CR_SZ_NDATASHEET - 1 ? "" : ",");
        }
    fputs("  ],\n", f);
}

/* How much was simulated and whether every q99 met --mcse-target (sizing_run.c). */
static void jeffort(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    const cr_sizing_effort *ef = &s->effort;
    fprintf(f, ",\n    \"effort\": {\"batches\": %d, \"draws_simulated\": %d, "
               "\"seconds_simulated_per_n\": ",
            ef->batches, cr_sizing_sim_draws(c, s));
    cr_sz_jnum(f, (double)cr_sizing_sim_draws(c, s) * (double)c->seconds);
    static const char *const why[] = {[CR_SIM_EFFORT_MET] = "target met",
                                      [CR_SIM_EFFORT_CAP] = "batch cap",
                                      [CR_SIM_EFFORT_FIT] = "fit draws"};
    fprintf(f, ", \"capped\": %s, \"limited_by\": \"%s\", \"fit_draws_run_on\": %d, "
               "\"fit_draws_asked\": ",
            ef->capped ? "true" : "false", why[ef->limited_by], ef->run_on);
    cr_sz_jnum(f, ef->fit_factor);
    fputs(", \"largest_relative_mcse\": ", f);
    cr_sz_jnum(f, ef->worst);
    fputs(", \"above_target\": [", f);
    int n = 0;
    for (int u = 0; u < c->nusers; u++)
        for (int k = 0; k < CR_SZ_NEFFORT; k++) {
            int m = cr_sizing_effort_metrics[k];
            double rel = cr_sizing_rel_mcse(s, u, m);
            if (!(rel > c->mcse_target))
                continue;
            fprintf(f, "%s{\"users\": %d, \"metric\": \"%s\", \"q99\": ", n++ ? ", " : "",
                    c->users[u], cr_sizing_metric_names[m]);
            cr_sz_jnum(f, s->sum[u][m].q99);
            fputs(", \"mcse\": ", f);
            cr_sz_jnum(f, s->mcse[u][m].q99);
            fputs(", \"relative_mcse\": ", f);
            cr_sz_jnum(f, rel);
            fputs("}", f);
        }
    fputs("]}", f);
}

/* Each datasheet limit given, against the simulation (sizing_capacity.c). */
static void jcapacity(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    static const char *const unit[CR_SZ_NDATASHEET] = {
        "new sessions per second", "concurrent sessions", "firewall log lines per second"};
    fputs("  \"capacity\": [", f);
    int n = 0;
    for (int k = 0; k < CR_SZ_NDATASHEET; k++) {
        const cr_sizing_capacity *cap = &s->cap[k];
        if (!(c->capacity[k] > 0))
            continue;
        fprintf(f, "%s\n    {\"limit\": \"%s\", \"metric\": \"%s\", \"value\": ", n++ ? "," : "",
                cr_sizing_limit_names[k], cr_sizing_metric_names[cr_sizing_datasheet_metric[k]]);
        cr_sz_jnum(f, c->capacity[k]);
        fprintf(f, ", \"unit\": \"%s\", \"exceeded_in\": \"%s\", \"exceeded\": [", unit[k],
                k == CR_SZ_LOGRATE ? "minutes" : "seconds");
        for (int u = 0; u < c->nusers; u++) {
            fprintf(f, "%s{\"users\": %d, \"share\": ", u ? ", " : "", c->users[u]);
            cr_sz_jnum(f, cap->p[u]);
            fputs(", \"mcse\": ", f);
            cr_sz_jnum(f, cap->p_mcse[u]);
            fputc('}', f);
        }
        fprintf(f, "], \"max_users\": %ld, \"max_users_at_least\": %s, \"simulations\": %d}",
                cap->max_users, cap->at_least ? "true" : "false", cap->simulations);
    }
    fputs(n ? "\n  ],\n" : "],\n", f);
}

static void jcaveats(FILE *f, const cr_sizing_config *c, const cr_sizing *s)
{
    char buf[1024];
    fputs("  \"caveats\": [", f);
    for (int i = 0; cr_sizing_caveat(c, s, i, buf, sizeof buf); i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        cr_sz_jstr(f, buf);
    }
    fputs(cr_sizing_caveat(c, s, 0, buf, sizeof buf) ? "\n  ],\n" : "],\n", f);
}

void cr_sz_json_table(FILE *f, int nusers, const int *users,
                      const cr_sim_summary (*sum)[CR_SZ_NMETRICS],
                      const cr_sim_mcse (*mcse)[CR_SZ_NMETRICS])
{
    fputs("  \"sizing\": [\n", f);
    for (int u = 0; u < nusers; u++)
        for (int k = 0; k < CR_SZ_NMETRICS; k++) {
            double v[NCOLS];
            row_values(&sum[u][k], &mcse[u][k], v);
            fprintf(f, "    {\"users\": %d, \"metric\": \"%s\"", users[u],
                    cr_sizing_metric_names[k]);
            for (int i = 0; i < NCOLS; i++) {
                fprintf(f, ", \"%s\": ", col_names[i]);
                cr_sz_jnum(f, v[i]);
            }
            fprintf(f, "}%s\n", u == nusers - 1 && k == CR_SZ_NMETRICS - 1 ? "" : ",");
        }
    fputs("  ]\n", f);
}

static void jwindow(FILE *f, const cr_sizing_window *w)
{
    fprintf(f, "  \"window\": {\"kind\": \"%s\", \"start_s\": %ld, \"end_s\": %ld",
            cr_sizing_window_names[w->kind], w->start_s, w->end_s);
    const char *key[2] = {"start_utc", "end_utc"};
    for (int k = 0; k < 2; k++) {
        char utc[64];
        cr_utc_text(w->origin_ms + 1000LL * (k ? w->end_s : w->start_s), utc, sizeof utc);
        fprintf(f, ", \"%s\": ", key[k]);
        if (w->origin_ms >= CR_SZ_DATED_MS)
            cr_sz_jstr(f, utc);
        else
            fputs("null", f);
    }
    fprintf(f, ", \"minutes\": %ld, \"new_share\": ", w->minutes);
    cr_sz_jnum(f, w->new_share);
    fprintf(f, ", \"machines_outside\": %d},\n", w->machines_outside);
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
    cr_sz_jstr(f, status);
    fputs(",\n  \"inputs\": [", f);
    const cr_sizing_data *d = s->data;
    for (int i = 0; i < d->nmachines; i++) {
        fputs(i ? ", {\"machine_id\": " : "{\"machine_id\": ", f);
        cr_sz_jstr(f, d->m[i].id);
        fputs(", \"path\": ", f);
        cr_sz_jstr(f, d->m[i].input);
        fputs(", \"kind\": ", f);
        cr_sz_jstr(f, d->m[i].kind);
        if (s->checks) {
            const cr_sizing_machine_check *m = &s->checks[i];
            const struct {
                const char *k;
                double v;
            } v[] = {{"capture_s", m->capture_s},
                     {"observed_new_per_s_mean", m->obs_new_mean},
                     {"observed_new_per_s_q99", m->obs_new_q99},
                     {"fitted_new_per_s_mean", m->pred_new_mean},
                     {"machine_effect_sd", m->z},
                     {"observed_concurrent_mean", m->obs_conc_mean},
                     {"q99_new_per_s_without", m->q99_without[0]},
                     {"q99_concurrent_without", m->q99_without[1]}};
            for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
                fprintf(f, ", \"%s\": ", v[j].k);
                cr_sz_jnum(f, v[j].v);
            }
            fprintf(f, ", \"short_capture\": %s, \"outlier\": %s",
                    m->short_capture ? "true" : "false", m->outlier ? "true" : "false");
        }
        fputc('}', f);
    }
    fputs("],\n  \"logs\": [", f);
    for (int i = 0; i < d->nlogs; i++) {
        const cr_sizing_logfile *l = &d->logs[i];
        fputs(i ? ", {\"path\": " : "{\"path\": ", f);
        cr_sz_jstr(f, l->path);
        fputs(", \"format\": ", f);
        cr_sz_jstr(f, l->format);
        fprintf(f, ", \"records\": %llu, \"connections\": %llu, \"hosts\": %zu, "
                   "\"hosts_under_min_flows\": %zu}",
                (unsigned long long)l->records, (unsigned long long)l->connections, l->hosts,
                l->dropped_hosts);
    }
    fputs("],\n", f);
    long cells = cr_cps_cells(&d->cps);
    if (d->population_hosts || (c->fit_cells > 0 && cells > c->fit_cells))
        fprintf(f, "  \"sample\": {\"hosts\": %d, \"population_hosts\": %zu, "
                   "\"cells\": %ld, \"fit_cells\": %ld},\n",
                d->nmachines, d->population_hosts ? d->population_hosts : (size_t)d->nmachines,
                cells, cr_cps_sample_cells(&d->cps, c->fit_cells));
    if (d->window.kind != CR_SZ_WINDOW_ALL)
        jwindow(f, &d->window);
    fprintf(f, "  \"observed\": {\"capture_seconds\": ");
    cr_sz_jnum(f, d->seconds);
    for (int k = 0; k < CR_CPS_NSERIES; k++)
        fprintf(f, ", \"%s\": %llu", cr_cps_series_names[k], (unsigned long long)d->total[k]);
    fprintf(f, ", \"tcp_streams\": %llu, \"tcp_never_closed\": %llu,\n    \"scope\": \"%s\", "
               "\"left_out\": {",
            (unsigned long long)d->tcp_streams, (unsigned long long)d->tcp_never_closed,
            d->scope_firewall ? "firewall" : "all");
    for (int k = 1; k < CR_SCOPE_NREASONS; k++)
        fprintf(f, "%s\"%s\": %llu", k > 1 ? ", " : "", cr_scope_reason_names[k],
                (unsigned long long)d->out_of_scope[k]);
    fputs("}},\n", f);
    fprintf(f, "  \"settings\": {\"users\": [");
    for (int u = 0; u < c->nusers; u++)
        fprintf(f, "%s%d", u ? ", " : "", c->users[u]);
    fprintf(f, "], \"seed\": %llu, \"draws\": %d, \"seconds\": %ld, \"mcse_target\": ",
            (unsigned long long)c->seed, c->draws, c->seconds);
    cr_sz_jnum(f, c->mcse_target);
    fprintf(f, ", \"max_batches\": %d, \"run_on\": %d, \"log_bytes\": ", c->max_batches,
            c->run_on);
    cr_sz_jnum(f, c->log_bytes);
    fprintf(f, ", \"chains\": %d, \"warmup\": %d, \"samples\": %d, \"attempts\": %d,\n"
               "    \"percentile\": ",
            c->fit.sampler.chains, c->fit.sampler.warmup, c->fit.sampler.samples,
            c->fit.attempts);
    cr_sz_jnum(f, c->percentile);
    fputs(", \"headroom\": ", f);
    cr_sz_jnum(f, c->headroom);
    fputs(", \"capacity\": {", f);
    for (int k = 0; k < CR_SZ_NDATASHEET; k++) {
        fprintf(f, "%s\"%s\": ", k ? ", " : "", cr_sizing_limit_names[k]);
        cr_sz_jnum(f, c->capacity[k] > 0 ? c->capacity[k] : NAN);
    }
    fputs("},\n    \"firewall\": ", f);
    jfirewall(f, &c->fw);
    fprintf(f, "},\n  \"models\": {\"rate_model\": \"%s\",\n    \"new\": ", s->model);
    jfit(f, "new", "tcp_new + udp_new", &s->fit_new, &s->ppc_new, "fit/new");
    fputs(",\n    \"end\": ", f);
    jfit(f, "end", "tcp_end + udp_end", &s->fit_end, &s->ppc_end, "fit/end");
    fputs(",\n    \"duration_horizon_s\": ", f);
    cr_sz_jnum(f, s->horizon);
    fprintf(f, ", \"duration_horizon_from\": \"%s\"",
            c->max_session > 0 ? "--max-session" : "longest capture");
    fputs(",\n    \"duration_tcp\": ", f);
    jduration(f, &s->dur[0]);
    fputs(",\n    \"duration_udp\": ", f);
    jduration(f, &s->dur[1]);
    fputs(",\n    \"observed_shares\": {\"tcp_of_new\": ", f);
    cr_sz_jnum(f, s->p_tcp);
    fputs(", \"rst_of_tcp_closes\": ", f);
    cr_sz_jnum(f, s->p_rst);
    fputs(", \"idle_of_tcp_ends\": ", f);
    cr_sz_jnum(f, s->p_idle);
    fputs(", \"dns_of_udp\": ", f);
    cr_sz_jnum(f, s->p_dns);
    fputs("}},\n  \"terminations\": {\"source\": ", f);
    cr_sz_jstr(f, s->logs_from_fit ? "fitted terminations" : "new connections and session times");
    fprintf(f, ", \"closes_visible\": %s, \"why\": ", d->closes_visible ? "true" : "false");
    cr_sz_jstr(f, s->logs_why);
    fputs(", \"other_over_used_mean\": ", f);
    cr_sz_jnum(f, s->logs_check_ratio);
    fputs("},\n  \"simulation\": {\"burnin_max_s\": ", f);
    fprintf(f, "%ld, \"missed_concurrency_share_max\": ", s->burnin_max);
    cr_sz_jnum(f, s->missed_max);
    fputs(", \"firewall_logs_per_session\": ", f);
    cr_sz_jnum(f, s->logs_per_session);
    jeffort(f, c, s);
    fputs("},\n", f);
    jrecommended(f, c, s);
    jcapacity(f, c, s);
    jcaveats(f, c, s);
    cr_sz_json_table(f, c->nusers, c->users, s->sum, s->mcse);
    fputs("}\n", f);
    int rc = cr_outfile_commit(&o, e);
    cr_outfile_abort(&o);
    return rc;
}

/* The tables behind the run, as `connrate cps` and `connrate flows` write them. */
static int write_tables(const char *dir, const cr_sizing_data *d, cr_err *e)
{
    char *cps = cr_sz_path(dir, "cps.csv", NULL), *flows = cr_sz_path(dir, "flows.csv", NULL);
    cr_outfile a, b;
    memset(&b, 0, sizeof b);
    int rc = cr_outfile_open(&a, cps, e) != 0 || cr_outfile_open(&b, flows, e) != 0;
    if (rc == 0) {
        cr_cps_table_write(a.fp, &d->cps);
        cr_flows_write_header(b.fp);
        for (size_t i = 0, j; i < d->flows.n; i = j) {
            for (j = i; j < d->flows.n && d->flows.machine[j] == d->flows.machine[i]; j++)
                ;
            cr_flows_write(b.fp, d->m[d->flows.machine[i]].id, d->flows.fl + i, j - i);
        }
        rc = cr_outfile_commit(&a, e) != 0 || cr_outfile_commit(&b, e) != 0;
    }
    cr_outfile_abort(&a);
    cr_outfile_abort(&b);
    free(cps);
    free(flows);
    return rc ? -1 : 0;
}

static int write_fit(const char *dir, const char *name, const char *counts,
                     const cr_fit_result *r, cr_plot_svg *rootogram, cr_err *e)
{
    char *sub = cr_sz_path(dir, "fit", name), intro[160];
    snprintf(intro, sizeof intro, "The series `%s` counts %s per machine and second.", name,
             counts);
    const cr_fit_result *one[1] = {r};
    int rc = cr_fit_result_write(sub, r, 0, rootogram, e) != 0 ||
             cr_fit_write_notes(sub, intro, one, 1, e) != 0;
    free(sub);
    return rc ? -1 : 0;
}

int cr_sizing_write(const char *dir, const cr_sizing_config *c, const cr_sizing *s, cr_err *e)
{
    char *csv = cr_sz_path(dir, "sizing.csv", NULL), *json = cr_sz_path(dir, "sizing.json", NULL);
    cr_plot_svg svg[CR_SZ_NFIGURES];
    memset(svg, 0, sizeof svg);
    int rc = write_tables(dir, s->data->whole ? s->data->whole : s->data, e) != 0 ||
             write_fit(dir, "new", "tcp_new + udp_new", &s->fit[0], &svg[CR_SZ_FIG_PPC], e) != 0 ||
             write_fit(dir, "end", "tcp_end + udp_end", &s->fit[1], NULL, e) != 0 ||
             cr_sizing_write_csv(csv, c, s, e) != 0 || cr_sizing_write_json(json, c, s, e) != 0 ||
             cr_sizing_plots(dir, c, s, svg, e) != 0 || cr_sizing_report(dir, c, s, svg, e) != 0;
    for (int i = 0; i < CR_SZ_NFIGURES; i++)
        cr_plot_svg_free(&svg[i]);
    free(csv);
    free(json);
    return rc ? -1 : 0;
}
