/* The flow log reader alone, for bench/bench_flowlog.sh (not a benchmark of its own, so not
 * named bench_*): `flowlog_read [--stream] FILE` reads FILE as connrate does, whole
 * (cr_flowlog_read: records, joins, hosts) or only streamed record by record
 * (cr_flowlog_stream, nothing kept), and prints what it read and how long it took. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flowlog/flowlog.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int count(void *ctx, const cr_flowlog_rec *r, cr_err *e)
{
    (void)r;
    (void)e;
    ++*(uint64_t *)ctx;
    return 0;
}

int main(int argc, char **argv)
{
    int stream = argc == 3 && !strcmp(argv[1], "--stream");
    if (argc != 2 && !stream) {
        fprintf(stderr, "usage: flowlog_read [--stream] FILE\n");
        return 2;
    }
    const char *path = argv[argc - 1];
    cr_err e;
    double t0 = now();
    if (stream) {
        cr_flowlog_file f;
        uint64_t n = 0;
        int rc = cr_flowlog_stream(path, count, &n, &f, &e);
        double t = now() - t0;
        if (rc == 0)
            printf("format=%s records=%" PRIu64 " used=%" PRIu64 " seconds=%.3f\n",
                   cr_flowlog_format_name(f.format), f.records, n, t);
        cr_flowlog_file_free(&f);
        if (rc != 0)
            fprintf(stderr, "%s\n", e.msg);
        return rc ? 1 : 0;
    }
    cr_flowlog_opts o;
    cr_flowlog_opts_init(&o);
    cr_flowlog_set s;
    if (cr_flowlog_read(&path, 1, &o, &s, &e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    double t = now() - t0;
    uint64_t flows = 0;
    for (size_t h = 0; h < s.nhosts; h++)
        flows += s.hosts[h].nflows;
    printf("format=%s records=%" PRIu64 " connections=%" PRIu64 " hosts=%zu flows=%" PRIu64
           " seconds=%.3f\n", cr_flowlog_format_name(s.files[0].format), s.files[0].records,
           s.files[0].connections, s.nhosts, flows, t);
    cr_flowlog_set_free(&s);
    return 0;
}
