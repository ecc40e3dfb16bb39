/* The read-ahead wrapper (ingest/source_ahead.h) against the source it wraps, read directly:
 * the same packets in the same order, the same counts, the same error after the same packets,
 * and an early close that neither hangs nor leaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "ingest/source_ahead.h"
#include "test.h"

/* A tshark-style export of n rows; row `bad` (1-based, 0 for none) has a port that is not a
 * number and every 7th row is neither TCP nor UDP (a drop). */
static char *export_text(int n, int bad, size_t *len)
{
    char *buf;
    FILE *f = xmemstream_open(&buf, len);
    fputs("frame.number\tframe.time_epoch\tip.src\tip.dst\ttcp.srcport\tudp.srcport\t"
          "tcp.dstport\tudp.dstport\ttcp.completeness\n", f);
    for (int i = 1; i <= n; i++) {
        int none = i % 7 == 0 && i != bad, tcp = i % 3 != 0 || i == bad;
        fprintf(f, "%d\t%d.%06d\t10.0.%d.%d\t192.0.2.%d\t", i, 1700000000 + i / 1000,
                i % 1000 * 997, i / 256 % 256, i % 256, i % 200);
        if (none)
            fputs("\t\t\t\t\n", f);
        else if (tcp)
            fprintf(f, "%d\t\t%s\t\t0\n", 40000 + i % 1000, i == bad ? "http" : "443");
        else
            fputs("\t5353\t\t53\t\n", f);
    }
    xmemstream_close(f);
    return buf;
}

/* Reads s to its end: packets into *out, returns the last result (0 or -1). */
static int drain(cr_source *s, cr_packet **out, size_t *n, cr_err *e)
{
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    cr_packet p;
    while ((rc = cr_source_next(s, &p, e)) == 1) {
        xgrow(out, &cap, *n + 1, sizeof p);
        (*out)[(*n)++] = p;
    }
    return rc;
}

static int same_source(int rows, int bad)
{
    size_t len;
    char *text = export_text(rows, bad, &len);
    cr_source *direct, *inner;
    cr_err e1 = {{0}}, e2 = {{0}};
    int ok = cr_tsv_source_mem(&direct, text, len, "x.tsv", &e1) == 0 &&
             cr_tsv_source_mem(&inner, text, len, "x.tsv", &e2) == 0;
    if (!ok) {
        printf("  open: %s%s\n", e1.msg, e2.msg);
        free(text);
        return 0;
    }
    cr_source *ahead = cr_source_ahead(inner);
    cr_packet *a, *b;
    size_t na, nb;
    int ra = drain(direct, &a, &na, &e1), rb = drain(ahead, &b, &nb, &e2);
    ok = ra == rb && na == nb && (na == 0 || !memcmp(a, b, na * sizeof *a)) &&
         direct->records == ahead->records && direct->delivered == ahead->delivered &&
         direct->ndrops == ahead->ndrops && direct->has_flags == ahead->has_flags &&
         !strcmp(direct->kind, ahead->kind) && (ra == 0 || !strcmp(e1.msg, e2.msg));
    for (int i = 0; ok && i < direct->ndrops; i++)
        ok = !strcmp(direct->drops[i].why, ahead->drops[i].why) &&
             direct->drops[i].n == ahead->drops[i].n;
    if (!ok)
        printf("  %d rows, bad row %d: direct %d (%zu packets, %s), ahead %d (%zu, %s)\n", rows,
               bad, ra, na, e1.msg, rb, nb, e2.msg);
    if (ok && bad)
        ok = ra == -1 && strstr(e1.msg, "row") != NULL;
    free(a);
    free(b);
    cr_source_close(direct);
    cr_source_close(ahead);
    free(text);
    return ok;
}

static void same_packets_counts_and_errors(void)
{
    /* empty, within one batch, exactly at batch edges, many batches; errors anywhere */
    static const int rows[] = {1, 5, 2047, 2048, 2049, 8192, 20000};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECKF(same_source(rows[i], 0), "%d rows", rows[i]);
    static const int bad[][2] = {{20000, 1}, {20000, 2048}, {20000, 2049}, {20000, 19999},
                                 {5000, 4097}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECKF(same_source(bad[i][0], bad[i][1]), "%d rows, bad %d", bad[i][0], bad[i][1]);
}

static void close_before_the_end(void)
{
    size_t len;
    char *text = export_text(50000, 0, &len);
    for (int take = 0; take < 3; take++) {
        cr_source *inner;
        cr_err e;
        CHECKF(cr_tsv_source_mem(&inner, text, len, "x.tsv", &e) == 0, "%s", e.msg);
        cr_source *s = cr_source_ahead(inner);
        cr_packet p;
        for (int k = 0; k < take * 3000; k++)
            CHECK(cr_source_next(s, &p, &e) == 1);
        cr_source_close(s);
    }
    free(text);
}

TEST_MAIN(RUN(same_packets_counts_and_errors); RUN(close_before_the_end);)
