#include "ingest.h"

#include <stdlib.h>
#include <inttypes.h>
#include <string.h>

#include "common/progress.h"
#include "common/xalloc.h"

cr_load_options ingest_load_options(const cli_args *a)
{
    return (cr_load_options){.given = a->local_ip,
                             .ngiven = a->nlocal_ip,
                             .threads = a->threads,
                             .max_span_s = a->max_span,
                             .scope = &a->scope};
}

/* The inputs as named and as expanded from directories: an output may be neither. */
int ingest_check_output(const cli_args *a, const cr_inputs *in, int is_dir, cr_err *e)
{
    int n = a->ninputs + in->n;
    char **all = xmalloc((size_t)n * sizeof *all);
    for (int i = 0; i < a->ninputs; i++)
        all[i] = a->inputs[i];
    for (int i = 0; i < in->n; i++)
        all[a->ninputs + i] = in->items[i].path;
    int rc = cr_output_check(a->out, is_dir, all, n, e);
    free(all);
    return rc;
}

int ingest_open(const cli_args *a, ingest_job *j)
{
    memset(j, 0, sizeof *j);
    cr_err e;
    if (cr_inputs_collect(&j->inputs, a->inputs, a->ninputs, &e) != 0 ||
        ingest_check_output(a, &j->inputs, 0, &e) != 0)
        return cli_fail(&e);
    cr_load_options lo = ingest_load_options(a);
    if (cr_machines_load(&j->inputs, &lo, &j->machines, &e) != 0)
        return cli_fail(&e);
    if (!a->quiet)
        for (int i = 0; i < j->inputs.n; i++)
            cr_machine_describe(stderr, &j->machines[i]);
    if (cr_outfile_open(&j->out, a->out, &e) != 0)
        return cli_fail(&e);
    return 0;
}

int ingest_close(ingest_job *j, int status)
{
    cr_err e;
    if (status == 0 && j->out.fp && cr_outfile_commit(&j->out, &e) != 0)
        status = cli_fail(&e);
    cr_outfile_abort(&j->out);
    cr_machines_free(j->machines, j->inputs.n);
    cr_inputs_free(&j->inputs);
    return status;
}

void cli_scope_summary(FILE *f, const char *cmd, const cr_scope *s, const uint64_t *out)
{
    if (!s->firewall)
        return;
    fprintf(f, "%s: outbound connections no firewall forwards, left out (--scope all counts "
               "them):", cmd);
    int any = 0;
    for (int k = 1; k < CR_SCOPE_NREASONS; k++)
        if (out[k]) {
            fprintf(f, "%s %llu %s", any++ ? "," : "", (unsigned long long)out[k],
                    cr_scope_reason_names[k]);
        }
    fputs(any ? "\n" : " none\n", f);
}
