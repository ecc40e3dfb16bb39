/* Durations and censoring from flows (lib/duration/from_flows.c): by hand for every end
 * reason, binned at 1 ms, and summed over the flows `connrate synth` writes against awk. */
#include "test.h"

#include <stdlib.h>

#include "duration/from_flows.h"
#include "flows/flows_read.h"
#include "ingest/packet.h"

/* FIN 4000 ms ended; open censored at the machine's end (9000 - 2000), or at a later capture end
 * when known; UDP the life with replies, 10 ms; RST 0 ms */
static void test_flow_durations(void)
{
    cr_flow fl[4] = {
        {.proto = CR_PROTO_TCP, .start_ms = 1000, .end_ms = 5000, .last_ms = 5100,
         .reason = CR_REASON_FIN},
        {.proto = CR_PROTO_TCP, .start_ms = 2000, .end_ms = CR_NA_I64, .last_ms = 9000,
         .reason = CR_REASON_OPEN},
        {.proto = CR_PROTO_UDP, .start_ms = 3000, .end_ms = 3000, .last_ms = 3010,
         .reason = CR_REASON_UDP_LAST},
        {.proto = CR_PROTO_TCP, .start_ms = 4000, .end_ms = 4000, .last_ms = 4000,
         .reason = CR_REASON_RST}};
    const int machine[4] = {0, 0, 1, 0};
    const int64_t last_seen[2] = {9000, 3010};
    int64_t ms;
    CHECK_INT(cr_flow_duration(&fl[0], 9000, &ms), 0);
    CHECK_INT(ms, 4000);
    CHECK_INT(cr_flow_duration(&fl[1], last_seen[0], &ms), 1);
    CHECK_INT(ms, 7000);
    CHECK_INT(cr_flow_duration(&fl[1], 20000, &ms), 1);
    CHECK_INT(ms, 18000);
    CHECK_INT(cr_flow_duration(&fl[1], CR_NA_I64, &ms), 1);
    CHECK_INT(ms, 7000);
    CHECK_INT(cr_flow_duration(&fl[2], 3010, &ms), 0);
    CHECK_INT(ms, 10);
    /* 1 ms bins: [0, 1) and [4000, 4001) hold one each, the open one is censored at 7000 */
    cr_duration_data d;
    cr_duration_data_from_flows(&d, fl, 4, machine, last_seen, CR_PROTO_TCP, 0);
    CHECK_INT(d.nended, 2);
    CHECK_INT(d.ncens, 1);
    CHECK_NEAR(d.n_zero, 1, 0); /* the RST of 0 ms */
    static const double edges[] = {0, 1, 4000, 4001, 7000}, events[] = {1, 0, 1, 0};
    CHECK_INT(d.nedge, 5);
    for (int i = 0; i < 5; i++) {
        CHECK_NEAR(d.edge_ms[i], edges[i], 0);
        CHECK_NEAR(d.n_cens[i], i == 4, 0);
        if (i < 4)
            CHECK_NEAR(d.n_event[i], events[i], 0);
    }
    cr_duration_data_free(&d);
}

/* `connrate synth` writes flows with cr_flows_write; the reader must take them, and the closed
 * TCP durations must add up to what awk adds up from the same file. */
static void test_read_synth_truth(void)
{
    const char *tmp = cr_test_tmpdir();
    if (cr_test_sh("test -x '%s'", cr_test_bin()) != 0)
        SKIP("%s not built", cr_test_bin());
    CHECK_INT(cr_test_sh("%s synth --machines 2 --minutes 5 --seed 3 -q -o '%s/synth' >/dev/null",
                         cr_test_bin(), tmp), 0);
    CHECK_INT(cr_test_sh("awk -F, 'NR > 1 && $2 == \"tcp\" && $11 != \"open\" "
                         "{ s += $9 - $8 } NR > 1 { n++ } END { print n, s }' '%s/synth/truth/"
                         "flows.csv' > '%s/awk.txt'", tmp, tmp), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/awk.txt", tmp);
    char *txt = cr_test_slurp(path, NULL);
    CHECK(txt != NULL);
    long long n_ref = 0, sum_ref = 0;
    CHECK(sscanf(txt, "%lld %lld", &n_ref, &sum_ref) == 2);
    free(txt);
    snprintf(path, sizeof path, "%s/synth/truth/flows.csv", tmp);
    cr_flow_table t;
    cr_err e;
    CHECKF(cr_flows_read(&t, path, &e) == 0, "%s", e.msg);
    CHECK_INT(t.n, n_ref);
    CHECK_INT(t.nmachines, 2);
    long long sum = 0;
    for (size_t i = 0; i < t.n; i++) {
        int64_t ms;
        if (t.flows[i].proto == CR_PROTO_TCP && !cr_flow_duration(&t.flows[i], CR_NA_I64, &ms))
            sum += ms;
    }
    CHECK_INT(sum, sum_ref);
    printf("     %zu flows, closed TCP durations sum to %lld ms as awk says\n", t.n, sum);
    cr_flow_table_free(&t);
}

TEST_MAIN(RUN(test_flow_durations); RUN(test_read_synth_truth))
