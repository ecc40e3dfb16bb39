/* The machine-minutes a fit sees past its budget (lib/series/cps_sample.h): the same number of
 * minutes per machine, those whose keys are smallest (against cr_sample_indices), every row of
 * them as it was, at least two per machine, all of a machine with fewer; nothing when the table
 * is within the budget; uniform over minutes (chi-square over seeds); and (RUN_SLOW) the same
 * target: nbh fitted to half the minutes of a synthetic population finds the posterior of the
 * fit to all of them, within the information the other half adds and Monte Carlo error. */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sample.h"
#include "common/xalloc.h"
#include "series/cps_sample.h"
#include "test.h"

/* K machines, machine k with minutes[k] whole minutes (the last one 30 s), counts made up. */
static void make_table(cr_cps_table *t, int k, const int *minutes)
{
    memset(t, 0, sizeof *t);
    size_t n = 0;
    for (int i = 0; i < k; i++)
        n += (size_t)minutes[i] * 60 - 30;
    t->nmachines = k;
    t->machine_ids = xmalloc((size_t)k * sizeof *t->machine_ids);
    t->machine = xmalloc(n * sizeof(int));
    t->second = xmalloc(n * sizeof(int));
    t->minute = xmalloc(n * sizeof(int));
    for (int s = 0; s < CR_CPS_NSERIES; s++)
        t->count[s] = xmalloc(n * sizeof(int));
    for (int i = 0; i < k; i++) {
        char id[32];
        snprintf(id, sizeof id, "10.1.%d.%d", i / 200, i % 200 + 1);
        t->machine_ids[i] = xstrdup(id);
        for (int sec = 1; sec <= minutes[i] * 60 - 30; sec++) {
            size_t r = t->nrows++;
            t->machine[r] = i + 1;
            t->second[r] = sec;
            t->minute[r] = (sec - 1) / 60 + 1;
            for (int s = 0; s < CR_CPS_NSERIES; s++)
                t->count[s][r] = (int)((r * 2654435761u + (unsigned)s * 40503u) % 7);
        }
    }
}

static void keeps_the_smallest_keys(void)
{
    int minutes[12];
    for (int i = 0; i < 12; i++)
        minutes[i] = i == 3 ? 4 : 50; /* machine 4 has fewer than its share */
    cr_cps_table t, u;
    make_table(&t, 12, minutes);
    CHECK_INT(cr_cps_cells(&t), 11 * 50 + 4);
    CHECK(!cr_cps_sample_minutes(&t, 554, 9, &u)); /* within the budget */
    CHECK(!cr_cps_sample_minutes(&t, 0, 9, &u));
    CHECK(cr_cps_sample_minutes(&t, 120, 9, &u)); /* 10 per machine */
    CHECK_INT(u.nmachines, 12);
    CHECK_INT(cr_cps_cells(&u), 11 * 10 + 4);
    CHECK_INT(cr_cps_sample_cells(&t, 120), 11 * 10 + 4);
    CHECK_INT(cr_cps_sample_cells(&t, 1000), 554);
    size_t r = 0;
    for (int i = 0; i < 12; i++) {
        const char *id = t.machine_ids[i];
        CHECK_STR(u.machine_ids[i], id);
        int64_t want[64];
        size_t nw = cr_sample_indices(cr_sample_key(9, id, strlen(id)), 1, minutes[i], 10, want);
        for (size_t j = 0; j < nw; j++) {
            int secs = want[j] == minutes[i] ? 30 : 60; /* the last minute is half */
            for (int s = 0; s < secs; s++, r++) {
                CHECK(r < u.nrows && u.machine[r] == i + 1 && u.minute[r] == want[j]);
                int sec = (int)(want[j] - 1) * 60 + s + 1;
                CHECK_INT(u.second[r], sec);
                /* the row of t it came from */
                size_t from = 0;
                for (int k = 0; k < i; k++)
                    from += (size_t)minutes[k] * 60 - 30;
                from += (size_t)sec - 1;
                for (int c = 0; c < CR_CPS_NSERIES; c++)
                    CHECK_INT(u.count[c][r], t.count[c][from]);
            }
        }
    }
    CHECK_INT(r, u.nrows);
    cr_cps_sample_free(&u);
    /* a budget under two minutes per machine still keeps two */
    CHECK(cr_cps_sample_minutes(&t, 5, 9, &u));
    CHECK_INT(cr_cps_cells(&u), 24);
    CHECK_INT(cr_cps_sample_cells(&t, 5), 24);
    cr_cps_sample_free(&u);
    cr_cps_free(&t);
}

static void uniform_over_minutes(void)
{
    enum { M = 40, PER = 8, SEEDS = 600, K = 5 };
    int minutes[K] = {M, M, M, M, M};
    cr_cps_table t;
    make_table(&t, K, minutes);
    long n[K][M];
    memset(n, 0, sizeof n);
    for (int s = 0; s < SEEDS; s++) {
        cr_cps_table u;
        CHECK(cr_cps_sample_minutes(&t, K * PER, (uint64_t)s, &u));
        for (size_t r = 0; r < u.nrows; r++)
            if (r == 0 || u.minute[r] != u.minute[r - 1] || u.machine[r] != u.machine[r - 1])
                n[u.machine[r] - 1][u.minute[r] - 1]++;
        cr_cps_sample_free(&u);
    }
    double x2 = 0, expect = (double)SEEDS * PER / M;
    for (int k = 0; k < K; k++)
        for (int m = 0; m < M; m++)
            x2 += (n[k][m] - expect) * (n[k][m] - expect) / expect;
    double p = gsl_cdf_chisq_Q(x2, K * (M - 1));
    CHECKF(p > 1e-3, "minute inclusion not uniform: chi-square %g, p = %g", x2, p);
    cr_cps_free(&t);
}

/* mean, sd, mcse_mean of each population parameter from a summary CSV (alpha, sigma_machine,
 * sigma_minute, phi in its first rows). */
static int read_summary(const char *path, double v[4][3])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512], name[64];
    int n = 0;
    if (!fgets(line, sizeof line, f))
        n = -1;
    while (n >= 0 && n < 4 && fgets(line, sizeof line, f))
        if (sscanf(line, "%63[^,],%lf,%lf,%lf", name, &v[n][0], &v[n][1], &v[n][2]) == 4)
            n++;
    fclose(f);
    return n == 4 ? 0 : -1;
}

static void same_target(void)
{
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s synth -q --machines 40 --minutes 30 --seed 3 -o %s/syn",
                     cr_test_bin(), t) == 0);
    char path[600];
    snprintf(path, sizeof path, "%s/syn/truth/cps.csv", t);
    cr_cps_table full, half;
    cr_err e;
    CHECK(cr_cps_read(&full, path, &e) == 0);
    CHECK(cr_cps_sample_minutes(&full, cr_cps_cells(&full) / 2, 1, &half));
    snprintf(path, sizeof path, "%s/half.csv", t);
    FILE *f = fopen(path, "w");
    CHECK(f);
    cr_cps_table_write(f, &half);
    fclose(f);
    CHECK_INT(cr_cps_cells(&half), 40 * 15);
    cr_cps_sample_free(&half);
    cr_cps_free(&full);
    double v[2][4][3];
    for (int k = 0; k < 2; k++) {
        CHECK(cr_test_ran(cr_test_sh("%s fit -q %s/%s -o %s/fit%d --series tcp_new --model nbh "
                                     "--no-holdout", cr_test_bin(), t,
                                     k ? "half.csv" : "syn/truth/cps.csv", t, k)));
        snprintf(path, sizeof path, "%s/fit%d/diagnostics/tcp_new_summary.csv", t, k);
        CHECK(read_summary(path, v[k]) == 0);
    }
    static const char *names[] = {"alpha", "sigma_machine", "sigma_minute", "phi"};
    for (int j = 0; j < 4; j++) {
        /* nested data: the two means differ by about the information the other half adds */
        double sd = sqrt(fmax(v[1][j][1] * v[1][j][1] - v[0][j][1] * v[0][j][1], 0));
        double mc = sqrt(v[0][j][2] * v[0][j][2] + v[1][j][2] * v[1][j][2]);
        double d = v[1][j][0] - v[0][j][0];
        printf("     %-13s all %.4f (sd %.4f)  half %.4f (sd %.4f)  z %.2f\n", names[j],
               v[0][j][0], v[0][j][1], v[1][j][0], v[1][j][1], d / sqrt(sd * sd + mc * mc));
        CHECKF(fabs(d) <= 4 * sqrt(sd * sd + mc * mc), "%s: half the minutes moved it by %g",
               names[j], d);
    }
}

TEST_MAIN(RUN(keeps_the_smallest_keys); RUN(uniform_over_minutes); RUN_SLOW(same_target))
