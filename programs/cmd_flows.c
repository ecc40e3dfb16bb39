#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "flows/flows.h"
#include "ingest_opts.h"

static const char help[] =
    "usage: connrate flows [-o FILE] [--local-ip MACHINE=IP]... INPUT...\n"
    "\n"
    "Writes one CSV row per outbound connection: machine_id,protocol,ip_version,src_ip,src_port,\n"
    "dst_ip,dst_port,start_ms,end_ms,last_ms,end_reason,packets. end_ms is empty for a TCP\n"
    "connection still open at capture end; end_reason is fin, rst, udp_last or open; last_ms is\n"
    "the last packet in either direction; packets counts both directions.\n"
    "\n"
    "  -o, --output FILE   write here instead of stdout (written whole or not at all)\n"
    "  --local-ip M=IP     the workstation address of machine M (repeatable)\n"
    "  --threads N         read N captures at once (default: one per CPU)\n"
    "  -q, --quiet         no summary or progress on stderr\n";

int cmd_flows(int argc, char **argv)
{
    ingest_opts o;
    int done;
    int rc = ingest_run("flows", help, 0, argc, argv, &o, &done);
    if (rc || done)
        return ingest_finish(&o, rc);
    cr_flows_write_header(o.out.fp);
    uint64_t by_reason[5] = {0}, total = 0;
    for (int i = 0; i < o.inputs.n; i++) {
        cr_flow *fl;
        size_t n = cr_machine_flows(&o.machines[i], &fl);
        cr_flows_write(o.out.fp, o.machines[i].machine_id, fl, n);
        for (size_t k = 0; k < n; k++)
            by_reason[fl[k].reason]++;
        total += n;
        free(fl);
    }
    int machines = o.inputs.n;
    if ((rc = ingest_finish(&o, 0)) != 0)
        return rc;
    if (!o.quiet)
        fprintf(stderr,
                "flows: %d machines, %" PRIu64 " outbound connections: %" PRIu64 " fin, %" PRIu64
                " rst, %" PRIu64 " open at capture end, %" PRIu64 " UDP\n",
                machines, total, by_reason[CR_REASON_FIN], by_reason[CR_REASON_RST],
                by_reason[CR_REASON_OPEN], by_reason[CR_REASON_UDP_LAST]);
    return 0;
}
