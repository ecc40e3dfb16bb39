#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "ingest_opts.h"

static const char help[] =
    "usage: connrate cps [-o FILE] [--tcp-end=flags|seed] [--local-ip MACHINE=IP]... INPUT...\n"
    "\n"
    "Writes the seed's per-second table (CSV): machine_id,machine,second,minute,tcp_new,udp_new,\n"
    "tcp_end,udp_end -- one row for every second from each machine's first to last TCP/UDP\n"
    "packet. INPUT is any mix of .Rds exports, pcap/pcapng captures, tshark TSV/CSV exports and\n"
    "directories of them; each file is one machine (machine_id = file name without extension).\n"
    "\n"
    "  -o, --output FILE   write here instead of stdout (written whole or not at all)\n"
    "  --tcp-end RULE      flags (default): a TCP connection ends at its first FIN+ACK or RST,\n"
    "                      from its flags (captures) or one row before completeness shows it\n"
    "                      (exports); seed: the seed's rule, first outbound row whose\n"
    "                      completeness is 15, 31 or 63 (15 is not a close: see README)\n"
    "  --local-ip M=IP     the workstation address of machine M (repeat per machine and IP\n"
    "                      version); otherwise inferred as the seed does\n"
    "  --threads N         read N captures at once (default: one per CPU)\n"
    "  -q, --quiet         no summary or progress on stderr\n";

int cmd_cps(int argc, char **argv)
{
    ingest_opts o;
    int done;
    int rc = ingest_run("cps", help, 1, argc, argv, &o, &done);
    if (rc || done)
        return ingest_finish(&o, rc);
    cr_cps_write_header(o.out.fp);
    uint64_t tot[CR_CPS_NSERIES] = {0}, flags_only = 0, open_end = 0, streams = 0;
    int64_t seconds = 0;
    for (int i = 0; i < o.inputs.n; i++) {
        cr_cps_counts c;
        cr_cps_build(&o.machines[i], o.tcp_end, &c);
        cr_cps_write(o.out.fp, &o.machines[i], &c);
        for (int k = 0; k < CR_CPS_NSERIES; k++)
            tot[k] += c.total[k];
        flags_only += c.closes_flags_only;
        open_end += c.tcp_open_at_end;
        streams += c.tcp_streams_out;
        seconds += c.nsec;
        cr_cps_counts_free(&c);
    }
    int machines = o.inputs.n;
    if ((rc = ingest_finish(&o, 0)) != 0)
        return rc;
    if (!o.quiet) {
        fprintf(stderr,
                "cps: %d machines, %" PRId64 " seconds; tcp_new %" PRIu64 ", udp_new %" PRIu64
                ", tcp_end %" PRIu64 " (rule: %s), udp_end %" PRIu64 "\n",
                machines, seconds, tot[CR_CPS_TCP_NEW], tot[CR_CPS_UDP_NEW],
                tot[CR_CPS_TCP_END], o.tcp_end == CR_TCP_END_SEED ? "seed" : "flags",
                tot[CR_CPS_UDP_END]);
        fprintf(stderr,
                "cps: %" PRIu64 " outbound TCP streams, %" PRIu64 " with no close seen (open at "
                "capture end, or closed by a last packet an export cannot show)",
                streams, open_end);
        if (flags_only)
            fprintf(stderr, "; %" PRIu64 " closes only the TCP flags revealed (a single-pass "
                            "export would miss them)", flags_only);
        fputc('\n', stderr);
    }
    return 0;
}
