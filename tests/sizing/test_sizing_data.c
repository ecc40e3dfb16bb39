/* lib/sizing/sizing_data.c: the durations the sizing fits, censoring included, against the
 * truth `connrate synth` wrote while generating the connections. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/xalloc.h"
#include "duration/km.h"
#include "flows/load.h"
#include "ingest/packet.h"
#include "sizing/sizing_internal.h"
#include "test.h"

/* The restricted mean up to T (seconds), the area under Kaplan-Meier's estimate from 0 to T. */
static double km_mean_upto(const double *t, const uint8_t *cens, size_t n, double T)
{
    cr_km km;
    cr_km_estimate(&km, n, t, cens);
    double area = 0, prev = 0, s = 1;
    for (size_t i = 0; i < km.n && km.t[i] < T; i++) {
        area += s * (km.t[i] - prev);
        prev = km.t[i];
        s = km.s[i];
    }
    cr_km_free(&km);
    return area + s * (T - prev);
}

/* A TCP connection without a close ends at its last packet once silent for 300 s; so for the
 * connections that started in the first 30 minutes of a 60-minute capture, min(D, 20 min) is
 * known exactly from the truth (a close by then, or the last packet, or alive past 20 min) and
 * their mean is an unbiased reference (start and lifetime are independent in synth). Kaplan-Meier
 * on the durations and censoring the fit is given, all starts included, must agree with it;
 * censored at the capture end, the connections abandoned in its last 300 s made it 4 s higher
 * (33.5 s against 30.0 s here), which the test must be able to tell. */
static void tcp_durations_as_synth_truth(void)
{
    const char *t = cr_test_tmpdir();
    const double T = 1200;
    CHECK(cr_test_sh("%s synth -q --machines 40 --minutes 60 --seed 5 -o %s/syn", cr_test_bin(),
                     t) == 0);
    /* mean and standard error of min(D, T) over the truth's TCP flows started in the first
     * 1800 s of their machine (rows are sorted by machine and start) */
    CHECK(cr_test_sh("awk -F, 'NR > 1 && $1 != m { m = $1; s0 = $8 } NR > 1 && $2 == \"tcp\" && "
                     "$8 - s0 < 1800000 { d = ($11 == \"fin\" || $11 == \"rst\" ? $9 : $10) - $8; "
                     "if (d > %g) d = %g; n++; a += d / 1000; q += (d / 1000) ^ 2 } "
                     "END { printf \"%%.17g %%.17g\\n\", a / n, sqrt((q / n - (a / n) ^ 2) / n) }' "
                     "%s/syn/truth/flows.csv > %s/ref",
                     T * 1000, T * 1000, t, t) == 0);
    double ref = NAN, se = NAN;
    char path[1024];
    snprintf(path, sizeof path, "%s/ref", t);
    FILE *f = fopen(path, "r");
    CHECK(f && fscanf(f, "%lf %lf", &ref, &se) == 2);
    if (f)
        fclose(f);

    char dir[1024];
    snprintf(dir, sizeof dir, "%s/syn", t);
    char *paths[] = {dir};
    cr_inputs in;
    cr_err e;
    CHECK(cr_inputs_collect(&in, paths, 1, &e) == 0);
    cr_load_options o = {.threads = 2, .max_span_s = 86400};
    cr_machine *ms;
    CHECK(cr_machines_load(&in, &o, &ms, &e) == 0);
    cr_sizing_data d;
    cr_sizing_data_from_machines(ms, in.n, CR_TCP_END_FLAGS, &d);
    cr_machines_free(ms, in.n);
    cr_inputs_free(&in);

    const cr_sz_flows *fl = &d.flows;
    double *dur = xmalloc((fl->n + 1) * sizeof *dur), *at_end = xmalloc((fl->n + 1) * sizeof *dur);
    uint8_t *cens = xmalloc(fl->n + 1);
    size_t n = 0, ncens = 0;
    for (size_t i = 0; i < fl->n; i++) {
        const cr_flow *x = &fl->fl[i];
        if (x->proto != CR_PROTO_TCP)
            continue;
        int64_t ms_, end = fl->capture_end_ms[fl->machine[i]];
        int idle;
        cens[n] = (uint8_t)cr_sz_flow_duration(fl, i, &ms_, &idle);
        dur[n] = ms_ / 1000.0;
        /* the same connections censored at the capture end instead */
        at_end[n] = cens[n] ? (end - x->start_ms) / 1000.0 : dur[n];
        ncens += cens[n];
        n++;
    }
    CHECK(cr_test_sh_count("awk -F, '$2 == \"tcp\"' %s/syn/truth/flows.csv | wc -l", t) ==
          (long)n);
    double km = km_mean_upto(dur, cens, n, T), km_end = km_mean_upto(at_end, cens, n, T);
    printf("     %zu TCP durations, %zu censored: restricted mean to %g s %.2f s, truth %.2f s "
           "(se %.2f); censored at the capture end %.2f s\n",
           n, ncens, T, km, ref, se, km_end);
    CHECKF(fabs(km - ref) < 3 * se, "Kaplan-Meier %.3f s, truth %.3f +- %.3f s", km, ref, se);
    CHECKF(km_end - ref > 3 * se, "censored at the capture end: %.3f s, truth %.3f +- %.3f s",
           km_end, ref, se);
    free(dur);
    free(at_end);
    free(cens);
    cr_sizing_data_free(&d);
}

TEST_MAIN(RUN(tcp_durations_as_synth_truth))
