/* The duration model (lib/model/duration.c, models/duration.stan) and the flows reader
 * (lib/flows/flows_read.c): durations and censoring from flows, the log density against
 * finite differences, a brute-force evaluation from GSL's normal cdf and rstan's log_prob; a fit
 * with the project's sampler on censored synthetic data (recovery, the seed's convergence
 * criteria), posterior predictive survival against Kaplan-Meier, Kaplan-Meier against R's
 * survival::survfit, and the simulation draws against the analytic survival. */
#include "test.h"

#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "common/xalloc.h"
#include "fit/fit.h"
#include "flows/flows_read.h"
#include "ingest/packet.h"
#include "model/duration.h"
#include "sampler/chains.h"

/* ---------------------------------------------------------------- flows reader */

static const char *HEADER = "machine_id,protocol,ip_version,src_ip,src_port,dst_ip,dst_port,"
                            "start_ms,end_ms,last_ms,end_reason,packets\n";

static const char *write_tmp(const char *name, const char *head, const char *body)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", cr_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(head, f);
    fputs(body, f);
    fclose(f);
    return path;
}

static void test_read_flows(void)
{
    const char *p = write_tmp("ok.csv", HEADER,
                              "ws01,tcp,4,10.0.0.2,50000,1.2.3.4,443,1000,5000,5100,fin,12\r\n"
                              "ws01,tcp,6,fe80::1,50001,2001:db8::1,80,2000,,9000,open,3\n"
                              "ws02,udp,4,10.0.0.9,5353,224.0.0.251,53,3000,3000,3010,udp_last,2\n"
                              "ws01,tcp,4,10.0.0.2,50002,1.2.3.4,443,4000,4000,4000,rst,1\n\n");
    cr_flow_table t;
    cr_err e;
    CHECKF(cr_flows_read(&t, p, &e) == 0, "%s", e.msg);
    CHECK_INT(t.n, 4);
    CHECK_INT(t.nmachines, 2);
    CHECK_STR(t.machine_ids[1], "ws02");
    CHECK_INT(t.machine[2], 1);
    CHECK_INT(t.flows[0].proto, CR_PROTO_TCP);
    CHECK_INT(t.flows[0].end_ms, 5000);
    CHECK_INT(t.flows[0].packets, 12);
    CHECK_INT(t.flows[1].ipver, 6);
    CHECK_INT(t.flows[1].end_ms, CR_NA_I64);
    CHECK_INT(t.flows[1].reason, CR_REASON_OPEN);
    CHECK_INT(t.flows[2].dport, 53);
    CHECK_INT(t.flows[2].reason, CR_REASON_UDP_LAST);
    CHECK_INT(t.flows[3].reason, CR_REASON_RST);
    CHECK_INT(t.last_seen_ms[0], 9000);
    CHECK_INT(t.last_seen_ms[1], 3010);

    /* durations: FIN 4000 ms ended; open censored at the machine's end (9000 - 2000), or at a
     * later capture end when known; UDP the life with replies, 10 ms; RST 0 ms */
    int64_t ms;
    CHECK_INT(cr_flow_duration(&t.flows[0], 9000, &ms), 0);
    CHECK_INT(ms, 4000);
    CHECK_INT(cr_flow_duration(&t.flows[1], t.last_seen_ms[0], &ms), 1);
    CHECK_INT(ms, 7000);
    CHECK_INT(cr_flow_duration(&t.flows[1], 20000, &ms), 1);
    CHECK_INT(ms, 18000);
    CHECK_INT(cr_flow_duration(&t.flows[1], CR_NA_I64, &ms), 1);
    CHECK_INT(ms, 7000);
    CHECK_INT(cr_flow_duration(&t.flows[2], 3010, &ms), 0);
    CHECK_INT(ms, 10);
    cr_duration_data d;
    cr_duration_data_from_flows(&d, t.flows, t.n, t.machine, t.last_seen_ms, CR_PROTO_TCP);
    CHECK_INT(d.nexact, 1);
    CHECK_NEAR(d.exact_ms[0], 4000, 0);
    CHECK_INT(d.ncens, 1);
    CHECK_NEAR(d.cens_ms[0], 7000, 0);
    CHECK_INT(d.nbin, 1);
    CHECK_INT(d.bin_ms[0], 0);
    cr_duration_data_free(&d);
    cr_flow_table_free(&t);
}

static void test_read_flows_errors(void)
{
    static const struct {
        const char *head, *body, *expect;
    } cases[] = {
        {"", "", "empty file"},
        {"machine_id,protocol\n", "", "not a flows table"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin\n", ":2: 11 fields, expected 12"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1,x\n", "13 fields"},
        {NULL, ",tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1\n", "empty machine_id"},
        {NULL, "a,icmp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1\n", "protocol 'icmp' is not tcp"},
        {NULL, "a,tcp,5,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1\n", "ip_version '5'"},
        {NULL, "a,tcp,4,1.2.3,1,5.6.7.8,2,10,20,20,fin,1\n", "src_ip '1.2.3' is not an IP"},
        {NULL, "a,tcp,4,1.2.3.4,1,::1,2,10,20,20,fin,1\n", "dst_ip '::1' is not IPv4"},
        {NULL, "a,tcp,4,1.2.3.4,65536,5.6.7.8,2,10,20,20,fin,1\n", "src_port '65536'"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,-2,10,20,20,fin,1\n", "dst_port '-2'"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,1e3,20,20,fin,1\n", "start_ms '1e3'"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,,20,fin,1\n", "end_ms '' is not a time"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,open,1\n", "end_ms '20' given for an open"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,udp_last,1\n", "fin, rst or open (tcp)"},
        {NULL, "a,udp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,1\n", "udp_last (udp)"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,5,20,fin,1\n", "ends before start_ms 10"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,9,fin,1\n", "ends before start_ms 10"},
        {NULL, "a,udp,4,1.2.3.4,1,5.6.7.8,2,10,30,20,udp_last,1\n", "after last_ms 20"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,0\n", "packets '0'"},
        {NULL, "a,tcp,4,1.2.3.4,1,5.6.7.8,2,10,20,20,fin,\n", "packets ''"},
    };
    cr_err e;
    cr_flow_table t;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = write_tmp("bad.csv", cases[i].head ? cases[i].head : HEADER, cases[i].body);
        CHECKF(cr_flows_read(&t, p, &e) < 0, "case %zu accepted", i);
        CHECKF(strstr(e.msg, cases[i].expect) && strstr(e.msg, "bad.csv"),
               "case %zu: \"%s\" lacks \"%s\"", i, e.msg, cases[i].expect);
        CHECK(strchr(e.msg, '\n') == NULL);
        CHECK(t.n == 0 && t.flows == NULL);
    }
    CHECK(cr_flows_read(&t, "/nonexistent/flows.csv", &e) < 0);
    CHECK(strstr(e.msg, "/nonexistent/flows.csv: No such file"));
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

/* ---------------------------------------------------------------- synthetic durations */

/* Connections starting uniformly over a capture of T seconds with mixture durations; those
 * still running at T are censored at their age then. Durations are floored to ms, as
 * end_ms - start_ms of floored timestamps would be. */
static size_t synth(const cr_duration_params *p, size_t n, double T, unsigned long seed,
                    int64_t *ms, uint8_t *cens)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        double start = gsl_rng_uniform(g) * T, dur = cr_duration_draw(p, g);
        cens[i] = start + dur > T;
        ms[i] = (int64_t)floor(1000 * (cens[i] ? T - start : dur));
        nc += cens[i];
    }
    gsl_rng_free(g);
    return nc;
}

static const cr_duration_params TCP_TRUTH = {0.6, -1.2, 4.1, 1.0, 1.5};
/* UDP-like: a large share of flows within a few ms (single packets, DNS on a LAN) */
static const cr_duration_params UDP_TRUTH = {0.7, -6.0, 1.0, 1.2, 1.8};

static void test_data_binning(void)
{
    int64_t ms[] = {0, 0, 5, 999, 1000, 5, 123456, 0, 70, 12};
    uint8_t cens[] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    cr_duration_data d;
    cr_duration_data_init(&d, 10, ms, cens);
    CHECK_INT(d.nexact, 2);
    CHECK_NEAR(d.exact_ms[1], 123456, 0);
    CHECK_INT(d.nbin, 3);
    CHECK_INT(d.bin_ms[0], 0);
    CHECK_NEAR(d.bin_n[0], 2, 0);
    CHECK_INT(d.bin_ms[1], 5);
    CHECK_NEAR(d.bin_n[1], 2, 0);
    CHECK_INT(d.bin_ms[2], 999);
    CHECK_INT(d.ncens, 2);
    CHECK_INT(d.ncens_zero, 1);
    cr_duration_data_free(&d);
}

/* A small data set touching every term: exact, binned (0 ms included), censored. */
static void small_data(cr_duration_data *d, unsigned long seed)
{
    enum { N = 400 };
    int64_t ms[N];
    uint8_t cens[N];
    synth(&TCP_TRUTH, N, 300, seed, ms, cens);
    ms[0] = 0, cens[0] = 0;
    ms[1] = 0, cens[1] = 0;
    cr_duration_data_init(d, N, ms, cens);
}

static void random_theta(gsl_rng *g, double *th)
{
    th[CR_DUR_LOGIT_W] = gsl_ran_gaussian(g, 1);
    th[CR_DUR_M1] = -1.5 + gsl_ran_gaussian(g, 1);
    th[CR_DUR_LOG_DM] = 1.5 + gsl_ran_gaussian(g, 0.4);
    th[CR_DUR_LOG_S1] = 0.2 + gsl_ran_gaussian(g, 0.3);
    th[CR_DUR_LOG_S2] = 0.3 + gsl_ran_gaussian(g, 0.3);
}

static void test_gradient_finite_differences(void)
{
    cr_duration_data d;
    small_data(&d, 11);
    cr_model m;
    cr_duration_model(&m, &d);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 12);
    double worst = 0;
    for (int rep = 0; rep < 40; rep++) {
        double th[CR_DUR_DIM], gr[CR_DUR_DIM];
        random_theta(g, th);
        if (rep == 0) /* every duration far in component 1's upper tail */
            th[CR_DUR_M1] = -14, th[CR_DUR_LOG_S1] = -1, th[CR_DUR_LOG_DM] = 2.6;
        if (rep == 1) /* ... and far in component 2's lower tail */
            th[CR_DUR_M1] = -3, th[CR_DUR_LOG_DM] = 2.7, th[CR_DUR_LOG_S2] = -1.2;
        if (rep == 2) /* w near 1 */
            th[CR_DUR_LOGIT_W] = 9;
        double lp = cr_duration_logp(&m, th, gr, NULL);
        CHECKF(isfinite(lp), "point %d: lp %g", rep, lp);
        CHECK_NEAR(cr_duration_logp(&m, th, NULL, NULL), lp, 1e-12 * fabs(lp));
        for (int i = 0; i < CR_DUR_DIM; i++) {
            double x = th[i], h = 1e-4 * (1 + fabs(x)), f[4];
            static const double off[4] = {-2, -1, 1, 2};
            for (int j = 0; j < 4; j++) {
                th[i] = x + off[j] * h;
                f[j] = cr_duration_logp(&m, th, NULL, NULL);
            }
            th[i] = x;
            double fd = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
            double tol = 1e-6 * (1 + fabs(gr[i])) + 1e-13 * fabs(lp) / h;
            double err = fabs(fd - gr[i]) / tol;
            worst = err > worst ? err : worst;
            CHECKF(err <= 1, "point %d coordinate %d: gradient %.12g, differences %.12g", rep, i,
                   gr[i], fd);
        }
    }
    printf("     worst gradient error / tolerance: %.3g\n", worst);
    gsl_rng_free(g);
    cr_duration_data_free(&d);
}

/* The same density from GSL's normal pdf and cdf, term by term in probability space (no log
 * tricks), with the priors as textbook densities and the Jacobians: valid where nothing
 * underflows, which the points below ensure. */
static double brute_lp(const cr_duration_data *d, const double *th)
{
    double w = 1 / (1 + exp(-th[0])), m1 = th[1], m2 = m1 + exp(th[2]);
    double s1 = exp(th[3]), s2 = exp(th[4]);
    double lp = log(gsl_ran_beta_pdf(w, 2, 2)) + log(w * (1 - w));
    lp += log(gsl_ran_gaussian_pdf(m1, 5)) + log(gsl_ran_gaussian_pdf(m2, 5)) + th[2];
    lp += log(gsl_ran_lognormal_pdf(s1, 0, 1)) + th[3] + log(gsl_ran_lognormal_pdf(s2, 0, 1)) +
          th[4];
    for (size_t i = 0; i < d->nexact; i++) {
        double x = log((d->exact_ms[i] + 0.5) / 1000);
        lp += log(w * gsl_ran_gaussian_pdf(x - m1, s1) +
                  (1 - w) * gsl_ran_gaussian_pdf(x - m2, s2));
    }
    for (int i = 0; i < d->nbin; i++) {
        double hi = log((d->bin_ms[i] + 1) / 1000.0), lo = log(d->bin_ms[i] / 1000.0);
        double p1 = gsl_cdf_gaussian_P(hi - m1, s1), p2 = gsl_cdf_gaussian_P(hi - m2, s2);
        if (d->bin_ms[i] > 0)
            p1 -= gsl_cdf_gaussian_P(lo - m1, s1), p2 -= gsl_cdf_gaussian_P(lo - m2, s2);
        lp += d->bin_n[i] * log(w * p1 + (1 - w) * p2);
    }
    for (size_t i = 0; i < d->ncens; i++) {
        double x = log(d->cens_ms[i] / 1000);
        lp += log(w * gsl_cdf_gaussian_Q(x - m1, s1) + (1 - w) * gsl_cdf_gaussian_Q(x - m2, s2));
    }
    return lp;
}

static void test_density_vs_brute_force(void)
{
    cr_duration_data d;
    small_data(&d, 21);
    cr_model m;
    cr_duration_model(&m, &d);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 22);
    double t0[CR_DUR_DIM], t1[CR_DUR_DIM], worst = 0;
    random_theta(g, t0);
    double ours0 = cr_duration_logp(&m, t0, NULL, NULL), ref0 = brute_lp(&d, t0);
    for (int rep = 0; rep < 20; rep++) {
        random_theta(g, t1);
        double dours = cr_duration_logp(&m, t1, NULL, NULL) - ours0;
        double dref = brute_lp(&d, t1) - ref0;
        double e = fabs(dours - dref) / (1e-9 * (fabs(dref) + fabs(ref0)));
        worst = e > worst ? e : worst;
        CHECKF(e <= 1, "point %d: lp difference %.15g, brute force %.15g", rep, dours, dref);
    }
    printf("     worst error / tolerance (1e-9 relative): %.3g\n", worst);
    gsl_rng_free(g);
    cr_duration_data_free(&d);
}

/* ---------------------------------------------------------------- rstan */

static int write_rdump(const cr_duration_data *d, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "N_exact <- %zu\nexact_ms <- c(", d->nexact);
    for (size_t i = 0; i < d->nexact; i++)
        fprintf(f, "%s%.17g", i ? "," : "", d->exact_ms[i]);
    fprintf(f, ")\nN_bin <- %d\nbin_ms <- as.integer(c(", d->nbin);
    for (int i = 0; i < d->nbin; i++)
        fprintf(f, "%s%d", i ? "," : "", d->bin_ms[i]);
    fprintf(f, "))\nbin_n <- c(");
    for (int i = 0; i < d->nbin; i++)
        fprintf(f, "%s%.17g", i ? "," : "", d->bin_n[i]);
    fprintf(f, ")\nN_cens <- %zu\ncens_ms <- c(", d->ncens);
    for (size_t i = 0; i < d->ncens; i++)
        fprintf(f, "%s%.17g", i ? "," : "", d->cens_ms[i]);
    fprintf(f, ")\n");
    return fclose(f);
}

/* rstan's log_prob drops constants of its own choosing, so differences between points are
 * compared; gradients directly. Debian's rstan 2.21 predates the array[N] syntax of
 * models/duration.stan: tests/fit/rstan_model.R rewrites it mechanically. */
static void test_vs_rstan(void)
{
    if (cr_test_skip_slow())
        SKIP("slow (rstan compiles for a minute)");
    const char *tmp = cr_test_tmpdir();
    enum { NPTS = 10 };
    cr_duration_data d;
    small_data(&d, 31);
    cr_model m;
    cr_duration_model(&m, &d);
    char dpath[512], ppath[512], opath[512];
    snprintf(dpath, sizeof dpath, "%s/duration.data.R", tmp);
    snprintf(ppath, sizeof ppath, "%s/duration.points", tmp);
    snprintf(opath, sizeof opath, "%s/duration.rstan", tmp);
    CHECK(write_rdump(&d, dpath) == 0);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 32);
    double th[NPTS][CR_DUR_DIM];
    FILE *f = fopen(ppath, "w");
    CHECK(f != NULL);
    for (int p = 0; p < NPTS; p++) {
        random_theta(g, th[p]);
        for (int i = 0; i < CR_DUR_DIM; i++)
            fprintf(f, "%s%.17g", i ? " " : "", th[p][i]);
        fprintf(f, "\n");
    }
    fclose(f);
    gsl_rng_free(g);
    int rc = cr_test_sh("sh tests/fit/with_rstan.sh tests/fit/rstan_logprob.R "
                        "models/duration.stan '%s' '%s' '%s' >'%s/rstan.log' 2>&1", dpath, ppath,
                        opath, tmp);
    if (rc == 77)
        SKIP("rstan not usable (R, rstan or Boost headers missing)");
    if (rc != 0)
        SKIP("rstan failed to compile or run the model (see %s/rstan.log)", tmp);
    f = fopen(opath, "r");
    CHECK(f != NULL);
    double ref0 = 0, ours0 = 0, worst_lp = 0, worst_g = 0;
    for (int p = 0; p < NPTS; p++) {
        double lp_ref, gi, gr[CR_DUR_DIM];
        CHECK(fscanf(f, "%lf", &lp_ref) == 1);
        double lp = cr_duration_logp(&m, th[p], gr, NULL);
        if (p == 0)
            ref0 = lp_ref, ours0 = lp;
        double dref = lp_ref - ref0, dours = lp - ours0;
        double e = fabs(dref - dours) / (1e-8 * (fabs(dref) + 1));
        worst_lp = e > worst_lp ? e : worst_lp;
        CHECKF(e <= 1, "point %d: lp difference %.15g, rstan %.15g", p, dours, dref);
        for (int i = 0; i < CR_DUR_DIM; i++) {
            CHECK(fscanf(f, "%lf", &gi) == 1);
            e = fabs(gi - gr[i]) / (1e-8 * (fabs(gi) + 1));
            worst_g = e > worst_g ? e : worst_g;
            CHECKF(e <= 1, "point %d coordinate %d: gradient %.15g, rstan %.15g", p, i, gr[i],
                   gi);
        }
    }
    fclose(f);
    printf("     worst error / tolerance (1e-8 relative): lp differences %.3g, gradient %.3g\n",
           worst_lp, worst_g);
    cr_duration_data_free(&d);
}

/* ---------------------------------------------------------------- fits */

typedef struct {
    cr_duration_data d;
    cr_model m;
    cr_chains_result res;
    cr_fit_check chk;
    cr_diag_summary sum[CR_DUR_DIM];
    int64_t *ms;
    uint8_t *cens;
    size_t n, ncens;
} fitted;

/* cmdstan's defaults (4 chains, 1000 + 1000), judged by the seed's criteria as connrate fit
 * judges them (cr_fit_assess). */
static int fit_synthetic(fitted *ft, const cr_duration_params *truth, size_t n, double T,
                         unsigned long seed)
{
    memset(ft, 0, sizeof *ft);
    ft->n = n;
    ft->ms = xmalloc(n * sizeof(int64_t));
    ft->cens = xmalloc(n);
    ft->ncens = synth(truth, n, T, seed, ft->ms, ft->cens);
    cr_duration_data_init(&ft->d, n, ft->ms, ft->cens);
    cr_duration_model(&ft->m, &ft->d);
    cr_chains_config cfg;
    cr_chains_config_default(&cfg);
    cfg.seed = seed;
    cr_err e;
    if (cr_chains_run(&ft->m, &cfg, &ft->res, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    const cr_chains_result *r = &ft->res;
    size_t per = (size_t)r->chains * (size_t)r->samples;
    double *col = xmalloc(per * CR_DUR_DIM * sizeof(double)), ebfmi[64];
    for (size_t k = 0; k < per; k++)
        for (int j = 0; j < CR_DUR_DIM; j++)
            col[(size_t)j * per + k] = r->draws[k * CR_DUR_DIM + j];
    cr_diag_summarise_many(col, CR_DUR_DIM, r->chains, r->samples, 1, ft->sum);
    for (int c = 0; c < r->chains; c++) {
        for (int i = 0; i < r->samples; i++)
            col[i] = r->stats[(size_t)c * r->samples + i].energy;
        ebfmi[c] = cr_diag_ebfmi(col, r->samples);
    }
    free(col);
    cr_fit_assess(&ft->m, r, ebfmi, ft->sum, &ft->chk);
    return 0;
}

static void fitted_free(fitted *ft)
{
    cr_chains_result_free(&ft->res);
    cr_duration_data_free(&ft->d);
    free(ft->ms);
    free(ft->cens);
}

enum { NFITS = 2 };
static fitted fits[NFITS];
static int fits_ok = -1; /* -1: not run (slow tests skipped) */

static void setup_fits(void)
{
    if (cr_test_skip_slow())
        return;
    /* TCP-like: 30 min capture, about 8% still open at its end; UDP-like: 10 min, many flows
     * of 0-2 ms */
    fits_ok = fit_synthetic(&fits[0], &TCP_TRUTH, 3000, 1800, 101) == 0 &&
              fit_synthetic(&fits[1], &UDP_TRUTH, 3000, 600, 202) == 0;
}

static void test_fit_recovers_parameters(void)
{
    if (fits_ok < 0)
        SKIP("slow (8 chains of 2000 iterations)");
    CHECK(fits_ok);
    static const char *const names[CR_DUR_DIM] = {"w", "m1", "m2", "s1", "s2"};
    const cr_duration_params *truths[NFITS] = {&TCP_TRUTH, &UDP_TRUTH};
    int covered = 0;
    for (int k = 0; k < NFITS; k++) {
        const double *tv = &truths[k]->w;
        printf("     set %d: %zu connections, %zu censored\n", k, fits[k].n, fits[k].ncens);
        CHECK(fits[k].ncens > 20);
        for (int j = 0; j < CR_DUR_DIM; j++) {
            const cr_diag_summary *s = &fits[k].sum[j];
            int in = s->q5 <= tv[j] && tv[j] <= s->q95;
            covered += in;
            printf("       %-2s truth %7.3f  mean %7.3f  90%% [%7.3f, %7.3f]%s\n", names[j], tv[j],
                   s->mean, s->q5, s->q95, in ? "" : "  (not covered)");
            /* never far off: within 4 posterior sd */
            CHECKF(fabs(s->mean - tv[j]) <= 4 * s->sd, "set %d %s: mean %g, truth %g, sd %g", k,
                   names[j], s->mean, tv[j], s->sd);
        }
    }
    /* 10 nominal 90% intervals: fewer than 8 covering has probability 7% if calibrated */
    CHECKF(covered >= 8, "%d of %d 90%% intervals cover the truth", covered, NFITS * CR_DUR_DIM);
}

static void test_fit_converges(void)
{
    if (fits_ok < 0)
        SKIP("slow (8 chains of 2000 iterations)");
    CHECK(fits_ok);
    for (int k = 0; k < NFITS; k++) {
        const cr_fit_check *c = &fits[k].chk;
        printf("     set %d: divergences %d, min E-BFMI %.3f, max R-hat %.4f, min ESS bulk %.0f "
               "tail %.0f\n", k, c->divergences, c->min_ebfmi, c->max_rhat, c->min_ess_bulk,
               c->min_ess_tail);
        CHECKF(c->pass, "set %d fails the convergence criteria: %s", k, c->reasons);
        CHECK_INT(c->divergences, 0);
        CHECK(c->max_rhat < 1.01 && c->min_ess_bulk > 400 && c->min_ess_tail > 400);
    }
}

/* Posterior predictive P(D > t), averaged over draws, against Kaplan-Meier of the same data
 * (durations in ms; the model's D >= d + 1 ms is KM's "more than d"). */
static void test_posterior_survival_matches_km(void)
{
    if (fits_ok < 0)
        SKIP("slow (8 chains of 2000 iterations)");
    CHECK(fits_ok);
    static const double grid_s[] = {0.001, 0.003, 0.01, 0.1, 0.3, 1, 3, 10, 30, 100, 300};
    for (int k = 0; k < NFITS; k++) {
        fitted *ft = &fits[k];
        double *t = xmalloc(ft->n * sizeof(double));
        for (size_t i = 0; i < ft->n; i++)
            t[i] = (double)ft->ms[i];
        cr_km km;
        cr_km_estimate(&km, ft->n, t, ft->cens);
        size_t nd = (size_t)ft->res.chains * ft->res.samples;
        double worst = 0;
        for (size_t gi = 0; gi < sizeof grid_s / sizeof grid_s[0]; gi++) {
            double ms = 1000 * grid_s[gi], se, s_km = cr_km_at(&km, ms, &se), s_pp = 0;
            for (size_t i = 0; i < nd; i++) {
                cr_duration_params p = cr_duration_params_at(ft->res.draws + i * CR_DUR_DIM);
                s_pp += cr_duration_survival(&p, (ms + 1) / 1000);
            }
            s_pp /= (double)nd;
            double z = fabs(s_pp - s_km) / (se + 1e-3);
            worst = z > worst ? z : worst;
            CHECKF(z <= 3.5, "set %d t=%g s: posterior predictive %.4f, KM %.4f (se %.4f)", k,
                   grid_s[gi], s_pp, s_km, se);
        }
        printf("     set %d: worst |S_pp - S_km| / (KM se + 0.001) over %zu times: %.2f\n", k,
               sizeof grid_s / sizeof grid_s[0], worst);
        cr_km_free(&km);
        free(t);
    }
}

/* Kaplan-Meier and Greenwood's standard error against survival::survfit on the TCP-like set
 * (ties included: many durations share a ms). */
static void test_km_vs_survfit(void)
{
    if (fits_ok < 0)
        SKIP("slow (8 chains of 2000 iterations)");
    CHECK(fits_ok);
    if (cr_test_sh("command -v Rscript >/dev/null && Rscript -e 'library(survival)' "
                   ">/dev/null 2>&1") != 0)
        SKIP("R or its survival package missing");
    const char *tmp = cr_test_tmpdir();
    const fitted *ft = &fits[0];
    char in[512], out[512];
    snprintf(in, sizeof in, "%s/km.in", tmp);
    snprintf(out, sizeof out, "%s/km.out", tmp);
    FILE *f = fopen(in, "w");
    CHECK(f != NULL);
    double *t = xmalloc(ft->n * sizeof(double));
    for (size_t i = 0; i < ft->n; i++) {
        t[i] = (double)ft->ms[i];
        fprintf(f, "%lld %d\n", (long long)ft->ms[i], !ft->cens[i]);
    }
    fclose(f);
    CHECK_INT(cr_test_sh("Rscript -e 'suppressMessages(library(survival)); "
                         "d <- read.table(\"%s\"); f <- survfit(Surv(d$V1, d$V2) ~ 1); "
                         "k <- f$n.event > 0; write.table(cbind(f$time[k], f$surv[k], "
                         "f$std.err[k] * f$surv[k]), \"%s\", row.names = FALSE, "
                         "col.names = FALSE, na = \"NaN\")'", in, out), 0);
    cr_km km;
    cr_km_estimate(&km, ft->n, t, ft->cens);
    f = fopen(out, "r");
    CHECK(f != NULL);
    size_t n = 0;
    double rt, rs, rse, worst = 0;
    while (fscanf(f, "%lf %lf %lf", &rt, &rs, &rse) == 3) {
        CHECKF(n < km.n && km.t[n] == rt, "step %zu: time %g, survfit %g", n, km.t[n], rt);
        CHECK_NEAR(km.s[n], rs, 1e-12);
        if (isfinite(rse)) {
            CHECK_NEAR(km.se[n], rse, 1e-9 * (rse + 1e-6));
            worst = fmax(worst, fabs(km.se[n] - rse));
        }
        double se;
        CHECK_NEAR(cr_km_at(&km, rt + 0.5, &se), rs, 1e-12);
        n++;
    }
    fclose(f);
    CHECK_INT(n, km.n);
    CHECK_NEAR(cr_km_at(&km, -1, NULL), 1, 0);
    printf("     %zu KM steps equal survfit's; worst Greenwood se difference %.2g\n", n, worst);
    cr_km_free(&km);
    free(t);
}

/* ---------------------------------------------------------------- simulation draws */

/* The fraction of draws above t against the analytic survival (GSL's normal cdf), within 4.5
 * binomial sd; and draws given D > age against S(t) / S(age). */
static void test_draws_match_survival(void)
{
    enum { N = 200000 };
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 77);
    static const double ts[] = {0.01, 0.1, 0.5, 1, 5, 30, 120, 1000};
    const cr_duration_params *ps[] = {&TCP_TRUTH, &UDP_TRUTH};
    double *d = xmalloc(N * sizeof(double)), *b = xmalloc(N * sizeof(double));
    for (int k = 0; k < 2; k++) {
        const cr_duration_params *p = ps[k];
        const double age = 20;
        for (int i = 0; i < N; i++) {
            d[i] = cr_duration_draw(p, g);
            b[i] = cr_duration_draw_beyond(p, age, g);
            CHECK(b[i] > age);
        }
        double s_age = p->w * gsl_cdf_gaussian_Q(log(age) - p->m1, p->s1) +
                       (1 - p->w) * gsl_cdf_gaussian_Q(log(age) - p->m2, p->s2);
        for (size_t j = 0; j < sizeof ts / sizeof ts[0]; j++) {
            double s = p->w * gsl_cdf_gaussian_Q(log(ts[j]) - p->m1, p->s1) +
                       (1 - p->w) * gsl_cdf_gaussian_Q(log(ts[j]) - p->m2, p->s2);
            CHECK_NEAR(cr_duration_survival(p, ts[j]), s, 1e-14);
            double above = 0, above_b = 0, sb = ts[j] > age ? s / s_age : 1;
            for (int i = 0; i < N; i++)
                above += d[i] > ts[j], above_b += b[i] > ts[j];
            CHECKF(fabs(above / N - s) <= 4.5 * sqrt(s * (1 - s) / N) + 1e-9,
                   "set %d t=%g: %g of draws above, survival %g", k, ts[j], above / N, s);
            CHECKF(fabs(above_b / N - sb) <= 4.5 * sqrt(sb * (1 - sb) / N) + 1e-9,
                   "set %d t=%g given > %g: %g above, expected %g", k, ts[j], age, above_b / N, sb);
        }
    }
    /* far beyond both components: the conditional draw still lands beyond the age */
    cr_duration_params far = {0.5, -3, 0, 0.5, 0.5};
    CHECK(cr_duration_draw_beyond(&far, 1e6, g) >= 1e6);
    CHECK_NEAR(cr_duration_survival(&far, 0), 1, 0);
    free(d);
    free(b);
    gsl_rng_free(g);
}

static void teardown(void)
{
    for (int k = 0; k < NFITS; k++)
        fitted_free(&fits[k]);
}

TEST_MAIN(RUN(test_read_flows); RUN(test_read_flows_errors); RUN(test_read_synth_truth);
          RUN(test_data_binning); RUN(test_gradient_finite_differences);
          RUN(test_density_vs_brute_force); RUN(test_vs_rstan); RUN(test_draws_match_survival);
          setup_fits(); RUN(test_fit_recovers_parameters); RUN(test_fit_converges);
          RUN(test_posterior_survival_matches_km); RUN(test_km_vs_survfit); teardown())
