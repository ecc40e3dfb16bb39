/* `connrate validate` (lib/validate): the observed series of a machine against a direct count
 * from its connections, and the whole procedure on synthetic workstations, whose held-out
 * machines the fit never saw: the predictions must hold for them (the calibration figures of
 * docs/validation.md come from the same procedure on 40 machines). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "common/progress.h"
#include "common/xalloc.h"
#include "flows/load.h"
#include "ingest/packet.h"
#include "sizing/sizing_internal.h"
#include "test.h"
#include "validate/validate.h"

static int load_synth(int machines, double minutes, cr_sizing_data *d)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/syn%d", cr_test_tmpdir(), machines);
    if (cr_test_sh("test -d %s || %s synth -q --machines %d --minutes %g --seed 11 -o %s", dir,
                   cr_test_bin(), machines, minutes, dir) != 0)
        return -1;
    char *paths[] = {dir};
    cr_inputs in;
    cr_err e;
    if (cr_inputs_collect(&in, paths, 1, &e) != 0)
        return -1;
    cr_load_options o = {.threads = 2, .max_span_s = 86400};
    cr_machine *ms;
    int rc = cr_machines_load(&in, &o, &ms, &e);
    if (rc == 0) {
        cr_sizing_data_from_machines(ms, in.n, CR_TCP_END_FLAGS, d);
        cr_machines_free(ms, in.n);
    }
    cr_inputs_free(&in);
    return rc;
}

/* Sessions held at the end of each second counted one by one from the connections, under a
 * profile with holds (ASA), against the difference array. */
static void observed_series_by_direct_count(void)
{
    cr_sizing_data d;
    CHECK(load_synth(2, 10, &d) == 0);
    cr_fw_profile fw;
    cr_err e;
    CHECK(cr_fw_profile_get(&fw, "asa", &e) == 0);
    for (int k = 0; k < d.nmachines; k++) {
        cr_observed o;
        cr_observed_machine(&d, k, &fw, &o);
        int64_t s0 = d.m[k].first_ms / 1000;
        double news = 0, ends = 0;
        for (size_t s = 0; s < o.nsec; s++) {
            news += o.new_per_s[s];
            ends += o.ends[s];
            double T = (double)(s0 + (int64_t)s + 1) * 1000, held = 0;
            for (size_t i = 0; i < d.flows.n; i++) {
                if (d.flows.machine[i] != k)
                    continue;
                const cr_flow *x = &d.flows.fl[i];
                int64_t ms;
                int idle, open = cr_sz_flow_duration(&d.flows, i, &ms, &idle);
                uint8_t why = x->proto == CR_PROTO_UDP ? CR_REASON_UDP_LAST
                              : open || idle          ? CR_REASON_OPEN
                                                      : x->reason;
                double end = (double)(x->start_ms + ms) +
                             1000 * cr_fw_hold(&fw, x->proto, why, x->dport, ms / 1000.0);
                held += x->start_ms < T && end > T;
            }
            CHECKF(fabs(o.alive[s] - held) < 0.5, "machine %d second %zu: %g held, direct %g",
                   k + 1, s + 1, o.alive[s], held);
        }
        CHECK_INT(news, d.m[k].total[CR_CPS_TCP_NEW] + d.m[k].total[CR_CPS_UDP_NEW]);
        CHECK_INT(ends, d.m[k].total[CR_CPS_TCP_END] + d.m[k].total[CR_CPS_UDP_END]);
        cr_observed_free(&o);
    }
    cr_sizing_data_free(&d);
}

/* Under the profile without holds a session is its connection: from its start to its close, or
 * to its last packet when it never closed (the session the simulation draws for it), whatever
 * the capture's end. Sessions alive at the end of each second against the truth synth wrote
 * (truth/flows.csv), counted one by one. */
static void observed_sessions_as_synth_truth(void)
{
    cr_sizing_data d;
    CHECK(load_synth(2, 10, &d) == 0);
    const char *t = cr_test_tmpdir();
    /* machine number (1-based, in file order), start and end of every outbound connection */
    CHECK(cr_test_sh("awk -F, 'NR > 1 { if ($1 != m) { m = $1; k++ } print k, $8, "
                     "($2 == \"tcp\" && ($11 == \"fin\" || $11 == \"rst\") ? $9 : $10) }' "
                     "%s/syn2/truth/flows.csv > %s/sessions", t, t) == 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/sessions", t);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    int64_t *a = NULL, *b = NULL;
    int *mk = NULL;
    size_t n = 0, cap = 0;
    int k;
    long long x, y;
    while (f && fscanf(f, "%d %lld %lld", &k, &x, &y) == 3) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            a = xrealloc(a, cap * sizeof *a);
            b = xrealloc(b, cap * sizeof *b);
            mk = xrealloc(mk, cap * sizeof *mk);
        }
        mk[n] = k - 1, a[n] = x, b[n++] = y;
    }
    if (f)
        fclose(f);
    CHECK_INT(n, d.flows.n);
    cr_fw_profile fw;
    cr_err e;
    CHECK(cr_fw_profile_get(&fw, "none", &e) == 0);
    for (int m = 0; m < d.nmachines; m++) {
        cr_observed o;
        cr_observed_machine(&d, m, &fw, &o);
        int64_t s0 = d.m[m].first_ms / 1000;
        for (size_t s = 0; s < o.nsec; s++) {
            int64_t T = (s0 + (int64_t)s + 1) * 1000;
            double held = 0;
            for (size_t i = 0; i < n; i++)
                held += mk[i] == m && a[i] < T && b[i] > T;
            CHECKF(o.alive[s] == held, "machine %d second %zu: %g held, truth %g", m + 1, s + 1,
                   o.alive[s], held);
        }
        cr_observed_free(&o);
    }
    free(a);
    free(b);
    free(mk);
    cr_sizing_data_free(&d);
}

/* The observed q90 and q99 of new connections/s of single held-out machines (every second of
 * each) against the mid-quantile written in R from its definition, as the predicted ones are
 * defined (skipped without Rscript). */
static void observed_quantiles_as_r(const cr_sizing_data *d, const cr_sizing_config *c,
                                    const cr_validate_result *r)
{
    if (cr_test_sh("command -v Rscript >/dev/null 2>&1") != 0) {
        printf("     observed quantiles: Rscript is not installed\n");
        return;
    }
    char path[600], out[600];
    snprintf(path, sizeof path, "%s/observed.txt", cr_test_tmpdir());
    snprintf(out, sizeof out, "%s/observed_q.txt", cr_test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    for (int i = 0; i < r->nheld && f; i++) {
        cr_observed o;
        cr_observed_machine(d, r->held[i], &c->fw, &o);
        for (size_t s = 0; s < o.nsec; s++)
            fprintf(f, "%.17g\n", o.new_per_s[s]);
        cr_observed_free(&o);
    }
    if (f)
        fclose(f);
    CHECK_INT(cr_test_sh("Rscript -e 'y <- scan(\"%s\", quiet = TRUE); u <- sort(unique(y)); "
                         "tab <- tabulate(match(y, u)); Fm <- (cumsum(tab) - tab / 2) / "
                         "length(y); writeLines(format(approx(Fm, u, c(0.9, 0.99), rule = 2)$y, "
                         "digits = 17))' > '%s'", path, out), 0);
    double q[2] = {NAN, NAN};
    f = fopen(out, "r");
    CHECK(f && fscanf(f, "%lf %lf", &q[0], &q[1]) == 2);
    if (f)
        fclose(f);
    const cr_validate_row *w = &r->row[0][CR_VAL_NEW];
    printf("     N=1 new_per_s observed q90 %.6g (R %.6g), q99 %.6g (R %.6g)\n", w->obs_q90, q[0],
           w->obs_q99, q[1]);
    CHECK_NEAR(w->obs_q90, q[0], 1e-9 * fabs(q[0]));
    CHECK_NEAR(w->obs_q99, q[1], 1e-9 * fabs(q[1]));
}

/* 24 workstations of 30 minutes: 8 fitted, 16 held out, groups of 1 and 5. The held-out seconds
 * above the predicted 99th percentile must be few, those above the 90th near a tenth. */
static void held_out_machines_within_prediction(void)
{
    cr_sizing_data d;
    CHECK(load_synth(24, 30, &d) == 0);
    cr_progress_set_quiet(1);
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    c.draws = 100;
    c.seconds = 1800;
    c.fit.sampler.warmup = 500;
    c.fit.sampler.samples = 500;
    cr_validate_config vc;
    cr_validate_config_default(&vc);
    vc.fit_machines = 8;
    vc.ngroups = 2;
    vc.groups[0] = 1;
    vc.groups[1] = 5;
    vc.random_groups = 40;
    cr_validate_result r;
    cr_err e;
    CHECKF(cr_validate_run(&d, &vc, &c, &r, &e) == 0, "%s", e.msg);
    for (int u = 0; u < vc.ngroups; u++)
        for (int k = 0; k < CR_VAL_NMETRICS; k++) {
            const cr_validate_row *w = &r.row[u][k];
            printf("     N=%d %-13s mean %8.3g vs %8.3g  above q90 %5.1f%%  above q99 %4.1f%%\n",
                   w->users, cr_validate_metric_names[k], w->pred_mean, w->obs_mean,
                   100 * w->above_q90, 100 * w->above_q99);
            CHECKF(w->nobs > 0 && w->above_q99 <= 0.03 && w->above_q90 <= 0.25,
                   "N=%d %s: %.1f%% above q90, %.1f%% above q99", w->users,
                   cr_validate_metric_names[k], 100 * w->above_q90, 100 * w->above_q99);
        }
    CHECK_INT(r.nfit, 8);
    CHECK_INT(r.nheld, 16);
    observed_quantiles_as_r(&d, &c, &r);
    cr_validate_free(&r);
    cr_sizing_data_free(&d);
}

static void rejects_impossible_splits(void)
{
    cr_sizing_data d;
    CHECK(load_synth(2, 10, &d) == 0);
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    cr_validate_config vc;
    cr_validate_config_default(&vc);
    cr_validate_result r;
    cr_err e;
    vc.fit_machines = 2;
    CHECK(cr_validate_run(&d, &vc, &c, &r, &e) != 0 && strstr(e.msg, "cannot fit 2"));
    vc.fit_machines = 1;
    CHECK(cr_validate_run(&d, &vc, &c, &r, &e) != 0 && strstr(e.msg, "but 1 machine is held out"));
    cr_sizing_data_free(&d);
}

TEST_MAIN(RUN(observed_series_by_direct_count); RUN(observed_sessions_as_synth_truth);
          RUN(rejects_impossible_splits);
          RUN_SLOW(held_out_machines_within_prediction))
