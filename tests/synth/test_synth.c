/* connrate synth: determinism, valid frames, and the truth tables recomputed independently from
 * tshark's own dissection of the generated captures (and, with R, the .Rds against the seed's
 * tshark + R export of the same capture). */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static int have(const char *tool) { return cr_test_sh("command -v %s >/dev/null 2>&1", tool) == 0; }

/* Runs `connrate synth ARGS -o DIR -q` into a fresh DIR under the test's temp folder. */
static int synth(const char *dir, const char *args)
{
    return cr_test_sh("rm -rf '%s/%s' && %s synth %s -q -o '%s/%s' 2>/dev/null", cr_test_tmpdir(),
                      dir, cr_test_bin(), args, cr_test_tmpdir(), dir);
}

static void test_cli_errors(void)
{
    static const char *bad[] = {"--machines 0", "--machines -3", "--machines 1000",
                                "--minutes -5",  "--minutes 0",   "--minutes abc",
                                "--seed -1",     "--format csv",  "--bogus",
                                "extra"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = cr_test_sh("%s synth %s -o '%s/never' 2>/dev/null", cr_test_bin(), bad[i],
                            cr_test_tmpdir());
        CHECKF(rc == 2, "synth %s: exit %d, expected 2", bad[i], rc);
    }
    CHECK_INT(cr_test_sh("%s synth --machines 1 2>/dev/null", cr_test_bin()), 2); /* no -o */
    CHECK_INT(cr_test_sh("%s synth --minutes 2>/dev/null", cr_test_bin()), 2);
    CHECK_INT(cr_test_sh("%s synth --help | grep -q -- --machines", cr_test_bin()), 0);
    char never[512];
    snprintf(never, sizeof never, "%s/never", cr_test_tmpdir());
    CHECK(cr_test_sh("test -e '%s'", never) != 0);
}

static void test_deterministic(void)
{
    CHECK_INT(synth("a", "--machines 3 --minutes 4 --seed 7"), 0);
    CHECK_INT(synth("b", "--machines 3 --minutes 4 --seed 7"), 0);
    CHECK_INT(synth("c", "--machines 3 --minutes 4 --seed 8"), 0);
    CHECK_INT(synth("d", "--machines 1 --minutes 4 --seed 7"), 0);
    const char *t = cr_test_tmpdir();
    CHECK_INT(cr_test_sh("diff -r '%s/a' '%s/b' >/dev/null", t, t), 0);
    for (int i = 1; i <= 3; i++)
        CHECKF(cr_test_sh("cmp -s '%s/a/ws%02d.pcap' '%s/c/ws%02d.pcap'", t, i, t, i) != 0,
               "seed 7 and seed 8 gave the same ws%02d.pcap", i);
    CHECK(cr_test_sh("cmp -s '%s/a/truth/flows.csv' '%s/c/truth/flows.csv'", t, t) != 0);
    /* A machine's capture depends on the seed and its number only. */
    CHECK_INT(cr_test_sh("cmp -s '%s/a/ws01.pcap' '%s/d/ws01.pcap'", t, t), 0);
    CHECK_INT(cr_test_sh("ls '%s/a' | tr '\\n' ' ' | "
                         "grep -qx 'truth ws01.pcap ws02.pcap ws03.pcap '", t), 0);
}

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

/* Reads every frame with libpcap and checks the headers: link type, time order, IPv4 header
 * checksum, IP lengths against the on-wire length, TCP header length 20. */
static void test_libpcap_frames(void)
{
    CHECK_INT(synth("f", "--machines 2 --minutes 5 --seed 11"), 0);
    for (int m = 1; m <= 2; m++) {
        char path[600], eb[PCAP_ERRBUF_SIZE];
        snprintf(path, sizeof path, "%s/f/ws%02d.pcap", cr_test_tmpdir(), m);
        pcap_t *pc = pcap_open_offline(path, eb);
        CHECKF(pc != NULL, "%s: %s", path, eb);
        CHECK_INT(pcap_datalink(pc), DLT_EN10MB);
        struct pcap_pkthdr *h;
        const u_char *d;
        long n = 0, v4 = 0, v6 = 0, tcp = 0, udp = 0;
        double last = 0;
        int rc;
        while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
            n++;
            double ts = (double)h->ts.tv_sec + h->ts.tv_usec * 1e-6;
            CHECKF(ts >= last, "frame %ld goes back in time", n);
            last = ts;
            CHECK(h->caplen >= 14 + 20 + 8 && h->caplen <= h->len);
            unsigned et = be16(d + 12), proto, l4;
            if (et == 0x0800) {
                const uint8_t *ip = d + 14;
                uint32_t sum = 0;
                for (int i = 0; i < 20; i += 2)
                    sum += be16(ip + i);
                while (sum >> 16)
                    sum = (sum & 0xffff) + (sum >> 16);
                CHECKF(sum == 0xffff, "frame %ld: bad IPv4 header checksum", n);
                CHECK_INT(be16(ip + 2), h->len - 14);
                proto = ip[9];
                l4 = 14 + 20;
                v4++;
            } else {
                CHECK_INT(et, 0x86dd);
                CHECK_INT(be16(d + 18), h->len - 14 - 40);
                proto = d[20];
                l4 = 14 + 40;
                v6++;
            }
            if (proto == 6) {
                CHECK_INT(d[l4 + 12] >> 4, 5);
                tcp++;
            } else {
                CHECK_INT(proto, 17);
                CHECK_INT(be16(d + l4 + 4), h->len - l4);
                udp++;
            }
        }
        CHECK_INT(rc, PCAP_ERROR_BREAK);
        pcap_close(pc);
        CHECKF(n > 200 && v4 > 0 && v6 > 0 && tcp > 0 && udp > 0,
               "ws%02d: %ld frames, %ld IPv4, %ld IPv6, %ld TCP, %ld UDP", m, n, v4, v6, tcp, udp);
    }
}

/* ---- Independent recomputation of the truth from tshark's fields. ---- */

typedef struct {
    int tcp, out;
    char src[48], dst[48], sport[8], dport[8], ver;
    long long start, end, last;
    long packets, first_flags;
    int reason; /* 0 open, 1 fin, 2 rst, 3 udp_last */
} flow;

static char *field(char **s)
{
    char *f = strsep(s, "\t");
    return f ? f : (char *)"";
}

static long long epoch_ms(const char *t)
{
    const char *dot = strchr(t, '.');
    long long ms = atoll(t);
    for (int i = 1; i <= 3; i++) /* integer arithmetic: seconds, then the first 3 decimals */
        ms = ms * 10 + (dot && dot[i] >= '0' && dot[i] <= '9' ? dot[i] - '0' : 0);
    return ms;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *const reasons[] = {"open", "fin", "rst", "udp_last"};

static void test_truth_vs_tshark(void)
{
    if (!have("tshark"))
        SKIP("tshark not installed");
    CHECK_INT(synth("t", "--machines 2 --minutes 20 --seed 5"), 0);
    const char *t = cr_test_tmpdir();
    /* The workstation's addresses, from the truth: they must be an end of every packet. */
    char local4[48] = "", local6[48] = "";
    CHECK_INT(cr_test_sh("grep -m1 '^ws02,tcp,4,' '%s/t/truth/flows.csv' | cut -d, -f4 > '%s/l4' "
                         "&& grep -m1 '^ws02,[a-z]*,6,' '%s/t/truth/flows.csv' | cut -d, -f4 > "
                         "'%s/l6'", t, t, t, t), 0);
    char p[600];
    snprintf(p, sizeof p, "%s/l4", t);
    char *s4 = cr_test_slurp(p, NULL);
    snprintf(p, sizeof p, "%s/l6", t);
    char *s6 = cr_test_slurp(p, NULL);
    CHECK(s4 && s6 && *s4 && *s6);
    sscanf(s4, "%47s", local4);
    sscanf(s6, "%47s", local6);
    free(s4);
    free(s6);

    CHECK_INT(cr_test_sh("tshark -n -r '%s/t/ws02.pcap' -T fields -E separator=/t "
                         "-e frame.time_epoch -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst "
                         "-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport "
                         "-e tcp.stream -e udp.stream -e tcp.flags > '%s/t/fields.tsv' 2>/dev/null",
                         t, t), 0);
    snprintf(p, sizeof p, "%s/t/fields.tsv", t);
    char *txt = cr_test_slurp(p, NULL);
    CHECK(txt != NULL);
    size_t cap = 1 << 16;
    flow *fl = calloc(cap, sizeof *fl); /* index: stream * 2 + (udp) */
    long long first_ms = -1, last_ms = -1;
    long frames = 0, inbound_tcp = 0, nstream = 0, non_syn_first = 0;
    for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
        char *s = line;
        long long ms = epoch_ms(field(&s));
        char *src4 = field(&s), *src6 = field(&s), *dst4 = field(&s), *dst6 = field(&s);
        char *tsp = field(&s), *tdp = field(&s), *usp = field(&s), *udp_ = field(&s);
        char *tst = field(&s), *ust = field(&s), *flg = field(&s);
        int tcp = *tst != 0;
        size_t k = (size_t)atol(tcp ? tst : ust) * 2 + !tcp;
        CHECKF(k < cap, "stream index %zu too large for the test", k);
        const char *src = *src4 ? src4 : src6, *dst = *dst4 ? dst4 : dst6;
        const char *local = *src4 ? local4 : local6;
        CHECKF(!strcmp(src, local) || !strcmp(dst, local), "packet %s > %s is not the machine's",
               src, dst);
        int out = !strcmp(src, local);
        long flags = strtol(flg, NULL, 16);
        flow *f = &fl[k];
        frames++;
        if (first_ms < 0)
            first_ms = ms;
        last_ms = ms;
        if (!f->packets++) {
            nstream += tcp;
            f->tcp = tcp;
            f->out = out;
            f->ver = *src4 ? '4' : '6';
            snprintf(f->src, sizeof f->src, "%s", src);
            snprintf(f->dst, sizeof f->dst, "%s", dst);
            snprintf(f->sport, sizeof f->sport, "%s", tcp ? tsp : usp);
            snprintf(f->dport, sizeof f->dport, "%s", tcp ? tdp : udp_);
            f->start = ms;
            f->end = -1;
            f->first_flags = flags;
            inbound_tcp += tcp && !out;
            non_syn_first += tcp && flags != 0x002;
            f->reason = tcp ? 0 : 3;
        }
        f->last = ms;
        if (!tcp && out)
            f->end = ms;
        if (tcp && f->end < 0 && ((flags & 0x11) == 0x11 || (flags & 0x04))) {
            f->end = ms;
            f->reason = (flags & 0x04) ? 2 : 1;
        }
    }
    free(txt);
    CHECK_INT(non_syn_first, 0); /* every tshark TCP stream opens with a pure SYN */
    CHECKF(inbound_tcp > 0, "no inbound connection in 20 minutes");

    /* Outbound flows as rows of truth/flows.csv (without machine_id), sorted as text. */
    size_t nrow = 0, ntcp = 0;
    char **mine = calloc(cap, sizeof *mine);
    long by_reason[4] = {0};
    for (size_t k = 0; k < cap; k++) {
        flow *f = &fl[k];
        if (!f->packets || !f->out)
            continue;
        char end[24] = "";
        if (f->end >= 0)
            snprintf(end, sizeof end, "%lld", f->end);
        char row[256];
        snprintf(row, sizeof row, "%s,%c,%s,%s,%s,%s,%lld,%s,%lld,%s,%ld", f->tcp ? "tcp" : "udp",
                 f->ver, f->src, f->sport, f->dst, f->dport, f->start, end, f->last,
                 reasons[f->reason], f->packets);
        mine[nrow++] = strdup(row);
        ntcp += f->tcp;
        by_reason[f->reason]++;
    }
    CHECK_INT(nstream, ntcp + inbound_tcp);
    CHECKF(by_reason[0] && by_reason[1] && by_reason[2] && by_reason[3],
           "end reasons open %ld fin %ld rst %ld udp %ld", by_reason[0], by_reason[1],
           by_reason[2], by_reason[3]);
    qsort(mine, nrow, sizeof *mine, cmp_str);

    snprintf(p, sizeof p, "%s/t/truth/flows.csv", t);
    char *truth = cr_test_slurp(p, NULL);
    CHECK(truth != NULL);
    char **theirs = calloc(cap, sizeof *theirs);
    size_t ntruth = 0;
    long long prev_start = -1;
    int prev_proto = -1;
    long prev_port = -1;
    int ordered = 1;
    for (char *line = strtok(truth, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "ws02,", 5) != 0)
            continue;
        CHECK(ntruth < cap);
        theirs[ntruth++] = line + 5;
        long long st;
        long port;
        char proto[4];
        CHECK(sscanf(line + 5, "%3[a-z],%*c,%*[^,],%ld,%*[^,],%*[^,],%lld", proto, &port,
                     &st) == 3);
        int pr = proto[0] == 'u';
        if (st < prev_start || (st == prev_start && (pr < prev_proto ||
                                                     (pr == prev_proto && port <= prev_port))))
            ordered = 0;
        prev_start = st, prev_proto = pr, prev_port = port;
    }
    CHECK(ordered);
    qsort(theirs, ntruth, sizeof *theirs, cmp_str);
    CHECK_INT(ntruth, nrow);
    for (size_t i = 0; i < nrow; i++)
        CHECK_STR(theirs[i], mine[i]);

    /* The CPS rows of ws02 (machine 2), from the tshark flows. */
    long long nsec = last_ms / 1000 - first_ms / 1000 + 1;
    long (*cnt)[4] = calloc((size_t)nsec, sizeof *cnt);
    for (size_t k = 0; k < cap; k++) {
        flow *f = &fl[k];
        if (!f->packets || !f->out)
            continue;
        cnt[f->start / 1000 - first_ms / 1000][!f->tcp]++;
        if (f->end >= 0)
            cnt[f->end / 1000 - first_ms / 1000][2 + !f->tcp]++;
    }
    snprintf(p, sizeof p, "%s/t/truth/cps.csv", t);
    char *cps = cr_test_slurp(p, NULL);
    CHECK(cps != NULL);
    static const char hdr[] = "machine_id,machine,second,minute,tcp_new,udp_new,tcp_end,udp_end\n";
    CHECK(strncmp(cps, hdr, strlen(hdr)) == 0);
    long long sec = 0;
    for (char *line = strtok(cps, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "ws02,", 5) != 0)
            continue;
        CHECK(sec < nsec);
        char want[128];
        snprintf(want, sizeof want, "ws02,2,%lld,%lld,%ld,%ld,%ld,%ld", sec + 1, sec / 60 + 1,
                 cnt[sec][0], cnt[sec][1], cnt[sec][2], cnt[sec][3]);
        CHECK_STR(line, want);
        sec++;
    }
    CHECK_INT(sec, nsec);
    printf("  ws02: %ld frames, %zu outbound flows (%zu TCP), %ld inbound TCP, %lld seconds\n",
           frames, nrow, ntcp, inbound_tcp, nsec);
    for (size_t i = 0; i < nrow; i++)
        free(mine[i]);
    free(mine);
    free(theirs);
    free(truth);
    free(cps);
    free(cnt);
    free(fl);
}

/* --format rds against the seed's own tshark + R export of the same capture. */
static void test_rds_vs_reference(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("../shared not available");
    if (!have("tshark") || !have("Rscript"))
        SKIP("tshark or Rscript not installed");
    const char *t = cr_test_tmpdir();
    CHECK_INT(synth("rp", "--machines 2 --minutes 6 --seed 3"), 0);
    CHECK_INT(synth("rr", "--machines 2 --minutes 6 --seed 3 --format rds"), 0);
    CHECK_INT(cr_test_sh("diff -r '%s/rp/truth' '%s/rr/truth'", t, t), 0);
    CHECK_INT(cr_test_sh("ls '%s/rr' | tr '\\n' ' ' | grep -qx 'truth ws01.Rds ws02.Rds '", t), 0);
    for (int m = 1; m <= 2; m++) {
        CHECK_INT(cr_test_sh("sh '%s/reference/pcap2rds.sh' '%s/rp/ws%02d.pcap' "
                             "'%s/rp/ref%02d.Rds' >/dev/null 2>&1", sh, t, m, t, m), 0);
        int rc = cr_test_sh(
            "Rscript -e 'a <- readRDS(commandArgs(TRUE)[1]); b <- readRDS(commandArgs(TRUE)[2]);"
            " if (!identical(a, b)) { print(all.equal(a, b)); quit(status = 1) };"
            " cat(sprintf(\"  ws%02d: %%d rows identical to the tshark + R export\\n\", nrow(a)))'"
            " '%s/rr/ws%02d.Rds' '%s/rp/ref%02d.Rds'", m, t, m, t, m);
        CHECKF(rc == 0, "ws%02d.Rds differs from pcap2rds.sh's export", m);
    }
}

TEST_MAIN(RUN(test_cli_errors); RUN(test_deterministic); RUN(test_libpcap_frames);
          RUN(test_truth_vs_tshark); RUN(test_rds_vs_reference))
