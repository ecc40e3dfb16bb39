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
    for (int i = 0; i < j.nunits; i++) {
        const ingest_unit *u = &j.units[i];
        cr_cps_counts c;
        if (u->host) {
            const cr_flowlog_host *h = &j.logs.hosts[u->index];
            cr_cps_from_flows(h->flows, h->nflows, h->first_ms, h->last_ms, &a->scope, &c);
        } else {
            cr_cps_build(&j.machines[u->index], (cr_tcp_end_rule)a->tcp_end, &c);
        }
        cr_cps_write(j.out.fp, u->id, i + 1, &c);
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
    int machines = j.nunits;
    if ((rc = ingest_close(&j, 0)) != 0 || a->quiet)
        return rc;
    fprintf(stderr,
            "cps: %d machines, %" PRId64 " seconds; tcp_new %" PRIu64 ", udp_new %" PRIu64
            ", tcp_end %" PRIu64 " (rule: %s), udp_end %" PRIu64 "\n",
            machines, seconds, tot[CR_CPS_TCP_NEW], tot[CR_CPS_UDP_NEW], tot[CR_CPS_TCP_END],
            a->tcp_end == CR_TCP_END_SEED ? "completeness" : "flags", tot[CR_CPS_UDP_END]);
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
    "per-second new/ended TCP and UDP connections (the CPS table)",
    "[OPTIONS] INPUT...",
    "Writes the per-second table of the original specification (CSV): machine_id,machine,\n"
    "second,minute,tcp_new,udp_new,tcp_end,udp_end -- one row for every second from each\n"
    "machine's first to last TCP/UDP packet. INPUT is any mix of .Rds exports, pcap/pcapng\n"
    "captures, tshark TSV/CSV exports (each file one machine, machine_id = file name without\n"
    "extension), flow records and firewall session logs (Zeek conn.log, nfdump, argus,\n"
    "PAN-OS, FortiGate, Cisco ASA: one machine per inside host, machine_id = its address;\n"
    "docs/flowlogs.md), and directories of them; the reader is chosen by content.",
    1, -1, NULL, groups, run};
