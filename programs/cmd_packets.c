/* connrate packets: one TSV row per TCP/UDP packet of a capture (or export), with the columns of
 * the original specification's data frame plus tcp.stream, tcp.flags and tcp.len. */
#include <stdio.h>

#include "common/outfile.h"
#include "common/progress.h"
#include "ingest/packet_format.h"
#include "ingest/source.h"
#include "options.h"

static void summary(const cr_source *s, uint64_t tcp, uint64_t udp)
{
    char drops[512] = "";
    size_t n = 0;
    for (int i = 0; i < s->ndrops && n < sizeof drops; i++)
        n += (size_t)snprintf(drops + n, sizeof drops - n, "%s%s %llu", i ? ", " : "",
                              s->drops[i].why, (unsigned long long)s->drops[i].n);
    cr_info("packets: %s: %llu records (%s), %llu TCP + %llu UDP rows; dropped: %s\n", s->path,
            (unsigned long long)s->records, s->kind, (unsigned long long)tcp,
            (unsigned long long)udp, s->ndrops ? drops : "none");
}

static int run(cli_args *a)
{
    const char *in = a->inputs[0];
    cr_err e;
    cr_source *src;
    if (cr_output_check(a->out, 0, a->inputs, 1, &e) != 0 || cr_source_open(&src, in, &e) != 0)
        return cli_fail(&e);
    cr_outfile o;
    if (cr_outfile_open(&o, a->out, &e) != 0) {
        cr_source_close(src);
        return cli_fail(&e);
    }
    fputs(cr_packet_header, o.fp);

    uint64_t tcp = 0, udp = 0;
    cr_packet p;
    char row[CR_PACKET_ROW_MAX];
    int rc;
    while ((rc = cr_source_next(src, &p, &e)) == 1) {
        fwrite(row, 1, cr_packet_format(&p, row), o.fp);
        if (p.proto == CR_PROTO_TCP)
            tcp++;
        else
            udp++;
        if (cr_progress_enabled() && (tcp + udp) % 65536 == 0)
            cr_progress(0, "%s: %llu packets", in, (unsigned long long)(tcp + udp));
    }
    cr_progress_done();
    /* the same verdict as cps on the same file: nothing to count is an error, not a header */
    if (rc == 0 && tcp + udp == 0)
        rc = cr_fail(&e, "%s: no TCP or UDP packets (empty capture)", in);
    if (rc < 0 || cr_outfile_commit(&o, &e) != 0) {
        cr_outfile_abort(&o);
        cr_source_close(src);
        return cli_fail(&e);
    }
    summary(src, tcp, udp);
    cr_source_close(src);
    return 0;
}

static const cli_group *const groups[] = {&opt_output_file, &opt_general, NULL};

const cli_command cmd_packets = {
    "packets",
    "one row per TCP/UDP packet, as tshark's single-pass export",
    "[OPTIONS] CAPTURE",
    "Writes one tab-separated row per TCP/UDP packet of CAPTURE (pcap, pcapng, or a tshark\n"
    "export as .Rds/.tsv/.csv), as tshark 4.0.17's single-pass export shows it:\n"
    "  id timestamp protocol ip_version src_ip dst_ip src_port dst_port\n"
    "  tcp_time_relative tcp_completeness tcp_stream tcp_flags tcp_len\n"
    "timestamp is milliseconds since the epoch; the tcp_* columns are empty for UDP. ICMP\n"
    "errors quoting TCP headers update the TCP state as in tshark but are not rows.",
    1, 1, NULL, groups, run};
