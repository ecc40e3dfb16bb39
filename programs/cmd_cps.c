#include <inttypes.h>
#include <stdio.h>

#include "ingest.h"
#include "options.h"

static int run(cli_args *a)
{
    ingest_job j;
    int rc = ingest_open(a, &j);
    if (rc)
        return ingest_close(&j, rc);
    cr_cps_write_header(j.out.fp);
    uint64_t tot[CR_CPS_NSERIES] = {0}, flags_only = 0, open_end = 0, streams = 0;
    uint64_t out[CR_SCOPE_NREASONS] = {0};
    int64_t seconds = 0;
    for (int i = 0; i < j.inputs.n; i++) {
        cr_cps_counts c;
        cr_cps_build(&j.machines[i], (cr_tcp_end_rule)a->tcp_end, &c);
        cr_cps_write(j.out.fp, &j.machines[i], &c);
        for (int k = 0; k < CR_CPS_NSERIES; k++)
            tot[k] += c.total[k];
        flags_only += c.closes_flags_only;
        open_end += c.tcp_open_at_end;
        streams += c.tcp_streams_out;
        seconds += c.nsec;
        for (int k = 0; k < CR_SCOPE_NREASONS; k++)
            out[k] += c.out_of_scope[k];
        cr_cps_counts_free(&c);
    }
    int machines = j.inputs.n;
    if ((rc = ingest_close(&j, 0)) != 0 || a->quiet)
        return rc;
    fprintf(stderr,
            "cps: %d machines, %" PRId64 " seconds; tcp_new %" PRIu64 ", udp_new %" PRIu64
            ", tcp_end %" PRIu64 " (rule: %s), udp_end %" PRIu64 "\n",
            machines, seconds, tot[CR_CPS_TCP_NEW], tot[CR_CPS_UDP_NEW], tot[CR_CPS_TCP_END],
            a->tcp_end == CR_TCP_END_SEED ? "seed" : "flags", tot[CR_CPS_UDP_END]);
    fprintf(stderr,
            "cps: %" PRIu64 " outbound TCP streams, %" PRIu64 " with no close seen (open at "
            "capture end, or closed by a last packet an export cannot show)",
            streams, open_end);
    if (flags_only)
        fprintf(stderr, "; %" PRIu64 " closes only the TCP flags revealed (a single-pass "
                        "export would miss them)", flags_only);
    fputc('\n', stderr);
    cli_scope_summary(stderr, "cps", &a->scope, out);
    return 0;
}

static const cli_group *const groups[] = {&opt_output_file, &opt_ingest, &opt_series, &opt_threads,
                                          &opt_general, NULL};

const cli_command cmd_cps = {
    "cps",
    "per-second new/ended TCP and UDP connections (the seed's CPS table)",
    "[OPTIONS] INPUT...",
    "Writes the seed's per-second table (CSV): machine_id,machine,second,minute,tcp_new,\n"
    "udp_new,tcp_end,udp_end -- one row for every second from each machine's first to last\n"
    "TCP/UDP packet. INPUT is any mix of .Rds exports, pcap/pcapng captures, tshark TSV/CSV\n"
    "exports and directories of them; each file is one machine (machine_id = file name\n"
    "without extension).",
    1, -1, NULL, groups, run};
