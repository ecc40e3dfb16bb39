#include <stdio.h>
#include <stdlib.h>

#include "common/outfile.h"
#include "common/pool.h"
#include "common/progress.h"
#include "common/xalloc.h"
#include "options.h"
#include "series/cps_table.h"

typedef struct {
    char *const *paths;
    cr_cps_table *tables;
    cr_err *errs;
    int *failed;
} read_job;

static void read_one(void *arg, size_t i, int worker)
{
    (void)worker;
    read_job *j = arg;
    j->failed[i] = cr_cps_read(&j->tables[i], j->paths[i], &j->errs[i]) != 0;
}

static int run(cli_args *a)
{
    cr_err e;
    if (cr_output_check(a->out, 0, a->inputs, a->ninputs, &e) != 0)
        return cli_fail(&e);
    int n = a->ninputs;
    read_job j = {a->inputs, xcalloc((size_t)n, sizeof *j.tables),
                  xcalloc((size_t)n, sizeof *j.errs), xcalloc((size_t)n, sizeof *j.failed)};
    cr_pool_run((size_t)n, cr_pool_threads(a->threads), read_one, &j);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        if (j.failed[i])
            rc = cli_fail(&j.errs[i]);
    cr_cps_table all = {0};
    cr_outfile out = {0};
    if (!rc && cr_cps_merge(&all, j.tables, (const char *const *)a->inputs, n, &e) != 0)
        rc = cli_fail(&e);
    for (int i = 0; i < n; i++)
        cr_cps_free(&j.tables[i]);
    free(j.tables);
    free(j.errs);
    free(j.failed);
    if (!rc) {
        if (cr_outfile_open(&out, a->out, &e) != 0) {
            rc = cli_fail(&e);
        } else {
            cr_cps_table_write(out.fp, &all);
            if (cr_outfile_commit(&out, &e) != 0)
                rc = cli_fail(&e);
        }
        cr_outfile_abort(&out);
    }
    if (!rc)
        cr_info("merge: %d tables, %d machines, %zu seconds\n", n, all.nmachines, all.nrows);
    cr_cps_free(&all);
    return rc;
}

static const cli_group *const groups[] = {&opt_output_file, &opt_threads, &opt_general, NULL};

const cli_command cmd_merge = {
    "merge",
    "join CPS tables computed apart (one per capture, e.g. on a cluster) into one",
    "[OPTIONS] TABLE...",
    "Reads per-second tables written by `connrate cps` (each from some of the captures,\n"
    "computed anywhere) and writes the one table `connrate cps` would write from all the\n"
    "captures at once: machines renumbered 1..K in machine_id order, each machine's rows as\n"
    "they were. A machine_id in two tables is an error naming both. Fit the result once with\n"
    "`connrate fit` (docs/cluster.md).",
    1, -1, NULL, groups, run};
