#include "ingest_opts.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/progress.h"
#include "common/xalloc.h"

int ingest_run(const char *cmd, const char *help, int want_tcp_end, int argc, char **argv,
               ingest_opts *o, int *done)
{
    memset(o, 0, sizeof *o);
    *done = 0;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"local-ip", required_argument, NULL, 'l'},
        {"tcp-end", required_argument, NULL, 'e'}, {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int c;
    cr_err e;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o->out_path = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            fputs(help, stdout);
            *done = 1;
            return 0;
        case 't': {
            long v;
            if (cli_parse_long(optarg, 1, 256, &v) != 0)
                return cli_usage_error(cmd, "--threads %s: expected a number from 1 to 256",
                                       optarg);
            o->threads = (int)v;
            break;
        }
        case 'e':
            if (!want_tcp_end)
                return cli_usage_error(cmd, "unknown option --tcp-end");
            if (!strcmp(optarg, "flags"))
                o->tcp_end = CR_TCP_END_FLAGS;
            else if (!strcmp(optarg, "seed"))
                o->tcp_end = CR_TCP_END_SEED;
            else
                return cli_usage_error(cmd, "--tcp-end %s: expected flags or seed", optarg);
            break;
        case 'l':
            o->given = xrealloc(o->given, (size_t)(o->ngiven + 1) * sizeof *o->given);
            if (cr_local_ip_parse(optarg, &o->given[o->ngiven], &e) != 0)
                return cli_usage_error(cmd, "%s", e.msg);
            o->ngiven++;
            break;
        default:
            if (optopt)
                return cli_usage_error(cmd, "option -%c needs a value or is unknown", optopt);
            return cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
        }
    }
    cr_progress_set_quiet(o->quiet);
    if (optind >= argc)
        return cli_usage_error(cmd, "no input: name capture files or directories");
    if (cr_inputs_collect(&o->inputs, argv + optind, argc - optind, &e) != 0)
        return cli_fail(&e);
    if (cr_machines_load(&o->inputs, o->given, o->ngiven, o->threads, &o->machines, &e) != 0)
        return cli_fail(&e);
    if (!o->quiet)
        for (int i = 0; i < o->inputs.n; i++)
            cr_machine_describe(stderr, &o->machines[i]);
    if (cr_outfile_open(&o->out, o->out_path, &e) != 0)
        return cli_fail(&e);
    return 0;
}

int ingest_finish(ingest_opts *o, int status)
{
    cr_err e;
    if (status == 0 && o->out.fp && cr_outfile_commit(&o->out, &e) != 0)
        status = cli_fail(&e);
    cr_outfile_abort(&o->out);
    cr_machines_free(o->machines, o->inputs.n);
    for (int i = 0; i < o->ngiven; i++)
        free(o->given[i].machine_id);
    free(o->given);
    cr_inputs_free(&o->inputs);
    return status;
}
