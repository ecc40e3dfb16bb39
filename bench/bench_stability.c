/* Stability of the sizing table's tail quantiles with the fit held fixed: fits once (as `connrate
 * run` does, with the first seed), then simulates again with every other seed, so that only the
 * simulation's own Monte Carlo error moves the numbers (`connrate run --seed` changes the fit's
 * draws too). For N = 1, 10, 100 and new connections/s, log lines per minute and sessions
 * alive: q90 and q99 under each seed, their spread (max - min) / median, the largest printed
 * mcse relative to the value, and the batches and wall time of each simulation (adaptive
 * effort, docs/simulation.md "Stability"; MAXBATCHES 1 is the one-batch simulation).
 *
 * usage: bench_stability [DIR|- [DRAWS SECONDS [MAXBATCHES [SEED...]]]]   (defaults: the run's,
 *        seeds 1 2 3; DRAWS, SECONDS or MAXBATCHES 0 keeps the default). Without DIR (or
 *        with -, as `make bench` runs it) it synthesizes the case of docs/simulation.md,
 *        "Stability": `connrate synth --machines 8 --minutes 60 --seed 42`, in a temporary
 *        directory. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "common/clock.h"
#include "common/progress.h"
#include "flows/load.h"
#include "sizing/sizing.h"
#include "synth/synth.h"

enum { MAXSEEDS = 16, NM = 3 };
static const int metrics[NM] = {CR_SZ_NEW, CR_SZ_LOGS, CR_SZ_CONC};
static const char *const names[NM] = {"new/s", "logs/min", "concurrent"};

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double spread(const double *v, int n)
{
    double s[MAXSEEDS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp);
    double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    return (s[n - 1] - s[0]) / med;
}

int main(int argc, char **argv)
{
    cr_err e = {0};
    char tmp[] = "/tmp/bench_stability.XXXXXX", *dir = argc > 1 ? argv[1] : "-";
    const int synth = !strcmp(dir, "-");
    if (synth) {
        cr_synth_opts so = {.machines = 8, .minutes = 60, .seed = 42, .format = CR_SYNTH_PCAP};
        cr_synth_stats st;
        if (!mkdtemp(tmp) || cr_synth_run(tmp, &so, &st, &e) != 0) {
            fprintf(stderr, "bench_stability: %s\n", e.msg[0] ? e.msg : "no temporary directory");
            return 1;
        }
        dir = tmp;
    }
    cr_inputs in;
    cr_scope scope = {.firewall = 1};
    cr_load_options lo = {.max_span_s = 31 * 86400.0, .scope = &scope};
    cr_machine *ms = NULL;
    if (cr_inputs_collect(&in, &dir, 1, &e) != 0 || cr_machines_load(&in, &lo, &ms, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    cr_sizing_data data;
    cr_sizing_data_from_machines(ms, in.n, CR_TCP_END_FLAGS, &data);
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    static const int users[] = {1, 10, 100};
    c.nusers = 3;
    memcpy(c.users, users, sizeof users);
    if (argc > 3) {
        c.draws = atoi(argv[2]) > 0 ? atoi(argv[2]) : c.draws;
        c.seconds = atol(argv[3]) > 0 ? atol(argv[3]) : c.seconds;
    }
    if (argc > 4 && atoi(argv[4]) > 0)
        c.max_batches = atoi(argv[4]);
    uint64_t seeds[MAXSEEDS] = {1, 2, 3};
    int nseeds = 3;
    if (argc > 5)
        for (nseeds = 0; nseeds < argc - 5 && nseeds < MAXSEEDS; nseeds++)
            seeds[nseeds] = strtoull(argv[5 + nseeds], NULL, 10);
    c.seed = seeds[0];
    c.fit.sampler.seed = seeds[0];
    cr_progress_set_quiet(1);
    cr_sizing s;
    double q[MAXSEEDS][CR_SZ_MAX_USERS][NM][2], se[MAXSEEDS][CR_SZ_MAX_USERS][NM][2];
    double wall[MAXSEEDS];
    int batches[MAXSEEDS];
    double t0 = cr_now();
    if (cr_sizing_run(&data, &c, &s, &e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    printf("%s: %d machines; fit and first simulation %.1f s; %d draws x %ld s\n",
           synth ? "synth 8 machines x 60 min, seed 42" : dir,
           in.n, cr_now() - t0, c.draws, c.seconds);
    for (int k = 0; k < nseeds; k++) {
        if (k > 0) {
            for (int u = 0; u < CR_SZ_MAX_USERS; u++)
                for (int j = 0; j < 3; j++) {
                    free(s.sample[u][j]);
                    s.sample[u][j] = NULL;
                }
            c.seed = seeds[k];
        }
        double t1 = cr_now();
        if (k > 0 && cr_sizing_simulate(&c, s.draws[0], s.draws[1], &s, &e) != 0) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        wall[k] = k > 0 ? cr_now() - t1 : NAN;
        batches[k] = s.effort.batches;
        for (int u = 0; u < c.nusers; u++)
            for (int m = 0; m < NM; m++) {
                q[k][u][m][0] = s.sum[u][metrics[m]].q90;
                q[k][u][m][1] = s.sum[u][metrics[m]].q99;
                se[k][u][m][0] = s.mcse[u][metrics[m]].q90;
                se[k][u][m][1] = s.mcse[u][metrics[m]].q99;
            }
    }
    printf("%-10s %5s %4s %s | spread | largest mcse\n", "metric", "N", "q", "per seed");
    for (int u = 0; u < c.nusers; u++)
        for (int m = 0; m < NM; m++)
            for (int p = 0; p < 2; p++) {
                double v[MAXSEEDS], worst = 0;
                printf("%-10s %5d %4s", names[m], c.users[u], p ? "q99" : "q90");
                for (int k = 0; k < nseeds; k++) {
                    v[k] = q[k][u][m][p];
                    worst = fmax(worst, se[k][u][m][p] / v[k]);
                    printf(" %9.4g", v[k]);
                }
                printf(" | %5.1f%% | %5.1f%%\n", 100 * spread(v, nseeds), 100 * worst);
            }
    printf("batches per seed:");
    for (int k = 0; k < nseeds; k++)
        printf(" %d", batches[k]);
    printf("\nsimulation wall time (all N):");
    for (int k = 1; k < nseeds; k++)
        printf(" %.1f s", wall[k]);
    printf("\n");
    cr_sizing_free(&s);
    cr_sizing_data_free(&data);
    cr_machines_free(ms, in.n);
    cr_inputs_free(&in);
    if (synth) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_stability: could not remove %s\n", tmp);
    }
    return 0;
}
