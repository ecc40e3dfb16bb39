#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/xalloc.h"
#include "flows/flows.h"
#include "ingest.h"
#include "options.h"

static int run(cli_args *a)
{
    ingest_job j;
    int rc = ingest_open(a, &j);
    if (rc)
        return ingest_close(&j, rc);
    cr_flows_write_header(j.out.fp);
    uint64_t by_reason[8] = {0}, total = 0;
    for (int i = 0; i < j.nunits; i++) {
        const ingest_unit *u = &j.units[i];
        cr_flow *fl;
        size_t n;
        if (u->host) {
            const cr_flowlog_host *h = &j.logs.hosts[u->index];
            fl = xmalloc((h->nflows + 1) * sizeof *fl);
            n = 0;
            for (size_t k = 0; k < h->nflows; k++)
                if (cr_scope_classify(&a->scope, &h->flows[k].dst) == CR_SCOPE_FORWARDED)
                    fl[n++] = h->flows[k];
        } else {
            n = cr_machine_flows(&j.machines[u->index], &fl);
        }
        cr_flows_write(j.out.fp, u->id, fl, n);
        for (size_t k = 0; k < n; k++)
            by_reason[fl[k].reason]++;
        total += n;
        free(fl);
    }
    int machines = j.nunits;
    if ((rc = ingest_close(&j, 0)) != 0 || a->quiet)
        return rc;
    fprintf(stderr,
            "flows: %d machines, %" PRIu64 " outbound connections: %" PRIu64 " fin, %" PRIu64
            " rst, %" PRIu64 " ended (the log does not say how), %" PRIu64 " open at capture "
            "end, %" PRIu64 " UDP\n",
            machines, total, by_reason[CR_REASON_FIN], by_reason[CR_REASON_RST],
            by_reason[CR_REASON_ENDED], by_reason[CR_REASON_OPEN], by_reason[CR_REASON_UDP_LAST]);
    return 0;
}

static const cli_group *const groups[] = {&opt_output_file, &opt_ingest, &opt_threads,
                                          &opt_general, NULL};

const cli_command cmd_flows = {
    "flows",
    "one row per outbound connection with start, end and how it ended",
    "[OPTIONS] INPUT...",
    "Writes one CSV row per outbound connection: machine_id,protocol,ip_version,src_ip,\n"
    "src_port,dst_ip,dst_port,start_ms,end_ms,last_ms,end_reason,packets. end_ms is empty for\n"
    "a TCP connection still open at capture end; end_reason is fin, rst, udp_last or open;\n"
    "last_ms is the last packet in either direction; packets counts both directions. Flow\n"
    "records and firewall logs give their inside hosts' connections (docs/flowlogs.md).",
    1, -1, NULL, groups, run};
