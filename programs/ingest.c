#include "ingest.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "common/xalloc.h"

static int is_log(const char *path, void *ctx)
{
    cr_err e;
    return cr_flowlog_detect(path, &e) != CR_FLOWLOG_UNKNOWN;
}

/* The inputs as named and as found in directories: an output may be none of them. */
static int check_output(const cli_args *a, const ingest_job *j, int is_dir, cr_err *e)
{
    int n = a->ninputs + j->captures.n + j->logfiles.n, k = 0;
    char **all = xmalloc(((size_t)n + 1) * sizeof *all);
    for (int i = 0; i < a->ninputs; i++)
        all[k++] = a->inputs[i];
    for (int i = 0; i < j->captures.n; i++)
        all[k++] = j->captures.items[i].path;
    for (int i = 0; i < j->logfiles.n; i++)
        all[k++] = j->logfiles.items[i].path;
    int rc = cr_output_check(a->out, is_dir, all, n, e);
    free(all);
    return rc;
}

static int cmp_unit(const void *x, const void *y)
{
    return strcmp(((const ingest_unit *)x)->id, ((const ingest_unit *)y)->id);
}

static int order_units(ingest_job *j, cr_err *e)
{
    j->nunits = j->captures.n + (int)j->logs.nhosts;
    j->units = xcalloc((size_t)j->nunits + 1, sizeof *j->units);
    int k = 0;
    for (int i = 0; i < j->captures.n; i++)
        j->units[k++] = (ingest_unit){j->captures.items[i].machine_id, 0, i};
    for (size_t i = 0; i < j->logs.nhosts; i++)
        j->units[k++] = (ingest_unit){j->logs.hosts[i].machine_id, 1, (int)i};
    qsort(j->units, (size_t)j->nunits, sizeof *j->units, cmp_unit);
    for (int i = 1; i < j->nunits; i++)
        if (!strcmp(j->units[i].id, j->units[i - 1].id))
            return cr_fail(e, "machine_id '%s' is both a capture's name and a host of the logs",
                           j->units[i].id);
    return 0;
}

/* A host's window longer than the limit is one misdated record, as for captures. */
static int check_logs_span(const ingest_job *j, double max_span_s, cr_err *e)
{
    for (int f = 0; f < j->logs.nfiles && max_span_s > 0; f++) {
        const cr_flowlog_file *x = &j->logs.files[f];
        double span = ((double)x->last_ms - (double)x->first_ms) / 1000;
        if (span > max_span_s)
            return cr_fail(e, "%s: records span %.1f days, more than --max-span (%.4g days): a "
                              "misdated record? (--max-span raises the limit)", x->path,
                           span / 86400, max_span_s / 86400);
    }
    return 0;
}

static int load(const cli_args *a, ingest_job *j, cr_err *e)
{
    cr_load_options lo = {.given = a->local_ip,
                          .ngiven = a->nlocal_ip,
                          .threads = a->threads,
                          .max_span_s = a->max_span,
                          .scope = &a->scope};
    if (j->captures.n && cr_machines_load(&j->captures, &lo, &j->machines, e) != 0)
        return -1;
    if (j->logfiles.n) {
        const char **paths = xmalloc((size_t)j->logfiles.n * sizeof *paths);
        for (int i = 0; i < j->logfiles.n; i++)
            paths[i] = j->logfiles.items[i].path;
        cr_flowlog_opts fo;
        cr_flowlog_opts_init(&fo);
        fo.local_nets = a->local_nets;
        fo.nlocal_nets = a->nlocal_nets;
        fo.min_flows = (size_t)a->min_flows;
        fo.max_hosts = (size_t)a->sample_hosts;
        fo.seed = (uint64_t)a->seed;
        int rc = cr_flowlog_read(paths, j->logfiles.n, &fo, &j->logs, e);
        free(paths);
        if (rc != 0 || check_logs_span(j, a->max_span, e) != 0)
            return -1;
        if (j->logs.nhosts == 0)
            return cr_fail(e, "%s%s: no inside host with at least %d outbound connection%s",
                           j->logfiles.items[0].path,
                           j->logfiles.n > 1 ? " and the other logs" : "", a->min_flows,
                           a->min_flows == 1 ? "" : "s");
    }
    return order_units(j, e);
}

int ingest_load(const cli_args *a, cr_outdir *dir, ingest_job *j)
{
    memset(j, 0, sizeof *j);
    cr_err e;
    if (cr_inputs_gather(&j->captures, a->inputs, a->ninputs, &e) != 0)
        return cli_fail(&e);
    cr_inputs_take(&j->captures, is_log, NULL, &j->logfiles);
    if (cr_inputs_check_unique(&j->captures, &e) != 0 || check_output(a, j, dir != NULL, &e))
        return cli_fail(&e);
    /* before the loading, which may take minutes, so that an occupied DIR is said at once */
    if (dir && cr_outdir_open(dir, a->out, a->force, &e) != 0)
        return cli_fail(&e);
    if (load(a, j, &e) != 0) {
        if (dir)
            cr_outdir_abort(dir);
        return cli_fail(&e);
    }
    if (!a->quiet) {
        for (int i = 0; i < j->captures.n; i++)
            cr_machine_describe(stderr, &j->machines[i]);
        if (j->logfiles.n)
            cr_flowlog_describe(stderr, &j->logs);
    }
    return 0;
}

int ingest_open(const cli_args *a, ingest_job *j)
{
    int rc = ingest_load(a, NULL, j);
    cr_err e;
    if (rc == 0 && cr_outfile_open(&j->out, a->out, &e) != 0)
        rc = cli_fail(&e);
    return rc;
}

int ingest_close(ingest_job *j, int status)
{
    cr_err e;
    if (status == 0 && j->out.fp && cr_outfile_commit(&j->out, &e) != 0)
        status = cli_fail(&e);
    cr_outfile_abort(&j->out);
    cr_machines_free(j->machines, j->captures.n);
    cr_flowlog_set_free(&j->logs);
    cr_inputs_free(&j->captures);
    cr_inputs_free(&j->logfiles);
    free(j->units);
    memset(j, 0, sizeof *j);
    return status;
}

/* What a host of the logs came from, for the report: the log files, or how many. */
static void host_source(const ingest_job *j, char *buf, size_t n)
{
    if (j->logfiles.n == 0)
        snprintf(buf, n, "no logs");
    else if (j->logfiles.n == 1)
        snprintf(buf, n, "%s", j->logfiles.items[0].path);
    else
        snprintf(buf, n, "%d log files (%s, ...)", j->logfiles.n, j->logfiles.items[0].path);
}

void ingest_sizing_data(const ingest_job *j, const cli_args *a, cr_sizing_data *d)
{
    cr_sizing_data_init(d);
    char source[512];
    host_source(j, source, sizeof source);
    const char *kind = j->logs.nfiles ? cr_flowlog_format_name(j->logs.files[0].format) : "";
    for (int f = 1; f < j->logs.nfiles; f++)
        if (j->logs.files[f].format != j->logs.files[0].format)
            kind = "flow records and logs";
    for (int f = 0; f < j->logs.nfiles; f++)
        cr_sizing_data_add_logfile(d, &j->logs.files[f]);
    for (int i = 0; i < j->nunits; i++) {
        const ingest_unit *u = &j->units[i];
        if (u->host)
            cr_sizing_data_add_host(d, &j->logs.hosts[u->index], source, kind, &a->scope);
        else
            cr_sizing_data_add_machine(d, &j->machines[u->index], (cr_tcp_end_rule)a->tcp_end);
    }
    d->population_hosts = j->logs.population_hosts;
    cr_sizing_data_finish(d);
    if (cr_sizing_data_window(d, a->window)) {
        const cr_sizing_window *w = &d->window;
        cr_info("busy hour: seconds %ld to %ld of the data (%ld minutes), %.1f%% of its new "
                "connections; %d machine%s without a second in it left out (--window all "
                "sizes every second)\n", w->start_s, w->end_s, w->minutes, 100 * w->new_share,
                w->machines_outside, w->machines_outside == 1 ? "" : "s");
    }
}

void cli_scope_summary(FILE *f, const char *cmd, const cr_scope *s, const uint64_t *out)
{
    if (!s->firewall)
        return;
    fprintf(f, "%s: outbound connections no firewall forwards, left out (--scope all counts "
               "them):", cmd);
    int any = 0;
    for (int k = 1; k < CR_SCOPE_NREASONS; k++)
        if (out[k])
            fprintf(f, "%s %llu %s", any++ ? "," : "", (unsigned long long)out[k],
                    cr_scope_reason_names[k]);
    fputs(any ? "\n" : " none\n", f);
}
