#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/progress.h"
#include "synth/synth.h"

static const char help[] =
    "usage: connrate synth [--machines K] [--minutes M] [--seed S] [--format pcap|rds] [-q]\n"
    "                      -o DIR\n"
    "\n"
    "Writes K synthetic workstation captures DIR/ws01.pcap ... (or the seed's .Rds), drawn from a\n"
    "documented model of user activity (docs/synth.md), and their exact ground truth:\n"
    "  DIR/truth/flows.csv  one row per outbound connection: start, end, how it ended, packets\n"
    "  DIR/truth/cps.csv    the seed's per-second table (new and ended TCP/UDP connections)\n"
    "The same seed gives byte-identical files.\n"
    "\n"
    "  --machines K      number of workstations, 1..999 (default 3)\n"
    "  --minutes M       capture length per machine, 0.05..10080 (default 60)\n"
    "  --seed S          random seed, a non-negative integer (default 42)\n"
    "  --format F        pcap (default) or rds (the capture as tshark + R export it)\n"
    "  -o, --output DIR  output directory (created if missing)\n"
    "  -q, --quiet       no summary or progress on stderr\n";

int cmd_synth(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"machines", required_argument, NULL, 'k'}, {"minutes", required_argument, NULL, 'm'},
        {"seed", required_argument, NULL, 's'},     {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},   {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    cr_synth_opts o = {.machines = 3, .minutes = 60, .seed = 42, .format = CR_SYNTH_PCAP};
    const char *dir = NULL;
    int quiet = 0, c;
    long v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (cli_parse_long(optarg, 1, CR_SYNTH_MAX_MACHINES, &v) != 0)
                return cli_usage_error("synth", "--machines %s: expected a whole number from 1 to "
                                       "%d", optarg, CR_SYNTH_MAX_MACHINES);
            o.machines = (int)v;
            break;
        case 'm':
            if (cli_parse_double(optarg, CR_SYNTH_MIN_MINUTES, CR_SYNTH_MAX_MINUTES,
                                 &o.minutes) != 0)
                return cli_usage_error("synth", "--minutes %s: expected a number from %g to %g",
                                       optarg, CR_SYNTH_MIN_MINUTES, CR_SYNTH_MAX_MINUTES);
            break;
        case 's':
            if (cli_parse_long(optarg, 0, LONG_MAX, &v) != 0)
                return cli_usage_error("synth", "--seed %s: expected a non-negative integer",
                                       optarg);
            o.seed = (uint64_t)v;
            break;
        case 'f':
            if (!strcmp(optarg, "pcap"))
                o.format = CR_SYNTH_PCAP;
            else if (!strcmp(optarg, "rds"))
                o.format = CR_SYNTH_RDS;
            else
                return cli_usage_error("synth", "--format %s: expected pcap or rds", optarg);
            break;
        case 'o':
            dir = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        case ':':
            return cli_usage_error("synth", "option %s needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("synth", "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("synth", "unexpected argument '%s'", argv[optind]);
    if (!dir || !*dir)
        return cli_usage_error("synth", "no output directory: give -o DIR");
    cr_progress_set_quiet(quiet);
    cr_synth_stats st;
    cr_err e;
    if (cr_synth_run(dir, &o, &st, &e) != 0)
        return cli_fail(&e);
    cr_info("synth: %d %s capture%s in %s: %llu packets, %llu outbound TCP and %llu UDP "
            "connections, %llu inbound TCP (not counted)\n",
            o.machines, o.format == CR_SYNTH_PCAP ? "pcap" : "Rds", o.machines > 1 ? "s" : "", dir,
            (unsigned long long)st.packets, (unsigned long long)st.tcp_out,
            (unsigned long long)st.udp_out, (unsigned long long)st.tcp_in);
    return 0;
}
