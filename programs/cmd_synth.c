#include <stdio.h>

#include "common/outfile.h"
#include "common/progress.h"
#include "options.h"

static int run(cli_args *a)
{
    if (!a->out)
        return cli_usage_error("synth", "no output directory: give -o DIR");
    cr_synth_opts o = {.machines = a->machines,
                       .minutes = a->minutes,
                       .seed = (uint64_t)a->seed,
                       .format = (cr_synth_format)a->synth_format};
    cr_synth_stats st;
    cr_err e;
    cr_outdir d;
    if (cr_outdir_open(&d, a->out, a->force, &e) != 0)
        return cli_fail(&e);
    if (cr_synth_run(d.tmp, &o, &st, &e) != 0 || cr_outdir_commit(&d, &e) != 0) {
        cr_outdir_abort(&d);
        return cli_fail(&e);
    }
    cr_outdir_abort(&d);
    cr_info("synth: %d %s capture%s in %s: %llu packets, %llu outbound TCP and %llu UDP "
            "connections, %llu inbound TCP (not counted)\n",
            o.machines, o.format == CR_SYNTH_PCAP ? "pcap" : "Rds", o.machines > 1 ? "s" : "",
            a->out, (unsigned long long)st.packets, (unsigned long long)st.tcp_out,
            (unsigned long long)st.udp_out, (unsigned long long)st.tcp_in);
    return 0;
}

static const cli_group *const groups[] = {&opt_output_dir, &opt_synth, &opt_seed, &opt_general,
                                          NULL};

const cli_command cmd_synth = {
    "synth",
    "synthetic workstation captures with their true event log",
    "-o DIR [OPTIONS]",
    "Writes K synthetic workstation captures DIR/ws01.pcap ... (or, with --format rds, .Rds\n"
    "exports in the original specification's format), drawn from a documented model of user\n"
    "activity (docs/synth.md), and their exact ground truth: DIR/truth/flows.csv (one row per\n"
    "outbound connection: start, end, how it ended, packets) and DIR/truth/cps.csv (the\n"
    "per-second table of `connrate cps`). The same --seed gives byte-identical files.",
    0, 0, NULL, groups, run};
