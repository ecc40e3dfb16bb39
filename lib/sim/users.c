#include "sim/users.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "common/poisson.h"
#include "common/xalloc.h"
#include "sim/parallel.h"
#include "sim/quantiles.h"

/* Largest expected aggregate rate a draw may have (cr_sim_check). Doubles end at 1.8e308; the
 * margin covers what spreads around the mean: users far above it (|z| <= 10 puts a user at
 * most e^50 times the mean, whatever sigma), gamma seconds, sessions alive (rate x mean session
 * time) and sums over seconds and draws. */
#define MAX_MEAN_RATE 1e250

void cr_sim_config_default(cr_sim_config *cfg)
{
    cfg->nusers = 1;
    cfg->seconds = 3600;
    cfg->seed = 42;
    cfg->threads = 0;
    cfg->skew_tol = 0.01;
    cfg->stratify = 1;
    cfg->large_n = 1;
}

const cr_sim_strata *cr_sim_strata_of(const cr_sim_config *cfg, int d, int ndraws,
                                      cr_sim_strata *st)
{
    *st = (cr_sim_strata){cfg->seed, d, ndraws};
    return cfg->stratify ? st : NULL;
}

/* Sums of mu, mu^2, mu^3 over a group of users, with mu in units of 1 / unit. */
typedef struct {
    double m, q, c, unit;
} power_sums;

static void add_user(power_sums *p, double mu)
{
    mu *= p->unit;
    p->m += mu;
    p->q += mu * mu;
    p->c += mu * mu * mu;
}

/* The power sums' unit: 1, unless the largest rate is above 2^200, where c or q^2 could
 * overflow; then the power of two just above it, which scales every sum exactly (but for
 * rates 2^1000 times below the largest, whose share underflows), so that nothing else changes. */
static double sums_unit(const double *mu, int n)
{
    double top = 0;
    for (int i = 0; i < n; i++)
        top = fmax(top, mu[i]);
    int e = 0;
    if (top > 0x1p200)
        frexp(top, &e);
    return ldexp(1, -e);
}

/* Third-cumulant shortfall of one gamma matched to the mean m and variance v of a sum whose
 * third cumulant is k3: the gamma's is 2 v^2 / m. */
static double gamma_k3_shortfall(double m, double v, double k3)
{
    return m > 0 ? k3 - 2 * v * v / m : 0;
}

/* The same for a group's summed gamma rates: theirs are m, q/phi, 2c/phi^2, the matched
 * gamma's third 2(q/phi)^2/m is never larger (Cauchy-Schwarz). */
static double k3_shortfall(const power_sums *p, double phi)
{
    return gamma_k3_shortfall(p->m, p->q / phi, 2 * p->c / (phi * phi));
}

/* Groups users so that mu[0..matched) share one gamma whose shortfall is at most tol_k3, with
 * as many users as the ascending order allows, and returns matched; those sums go to *bulk. The
 * exact users are few and large, so instead of sorting all of mu it selects the largest `top`
 * (4 times more until the rest is within tolerance) and sorts only those. */
static int split_users(double *mu, int n, double phi, double tol_k3, power_sums *bulk)
{
    int top = n / 32 + 1;
    for (;;) {
        top = top < n ? top : n;
        cr_sim_select(mu, n, n - top);
        *bulk = (power_sums){0, 0, 0, bulk->unit};
        for (int i = 0; i < n - top; i++)
            add_user(bulk, mu[i]);
        if (k3_shortfall(bulk, phi) <= tol_k3 || top == n)
            break;
        top = top > n / 4 ? n : 4 * top; /* no int overflow near INT_MAX users */
    }
    cr_sim_sort(mu + n - top, top);
    int matched = n - top;
    power_sums p = *bulk;
    for (int i = n - top; i < n; i++) {
        add_user(&p, mu[i]);
        if (k3_shortfall(&p, phi) <= tol_k3) {
            matched = i + 1;
            *bulk = p;
        }
    }
    return matched;
}

/* Users mu[0..matched) whose summed gamma rates one gamma matches within skew_tol (none when
 * skew_tol < 0), their power sums in *bulk; returns matched. */
static int match_users(double *mu, int n, double phi, double skew_tol, power_sums *bulk)
{
    *bulk = (power_sums){0, 0, 0, sums_unit(mu, n)};
    if (skew_tol < 0)
        return 0;
    for (int i = 0; i < n; i++)
        add_user(bulk, mu[i]);
    /* the count's variance m + q / phi, times unit^2 */
    double tol_k3 = skew_tol * pow(bulk->m * bulk->unit + bulk->q / phi, 1.5);
    return k3_shortfall(bulk, phi) <= tol_k3 ? n : split_users(mu, n, phi, tol_k3, bulk);
}

int cr_sim_minute(double *mu, int n, double phi, double skew_tol, int nsec, gsl_rng *r,
                  double *y, double *rate)
{
    if (isinf(phi)) { /* Poisson users: the aggregate is exactly Poisson(sum of mu) */
        double m = 0;
        for (int i = 0; i < n; i++)
            m += mu[i];
        for (int s = 0; s < nsec; s++) {
            y[s] = cr_poisson(r, m);
            if (rate)
                rate[s] = m;
        }
        return 0;
    }
    /* users mu[0..matched) share one gamma, the rest are drawn one by one */
    power_sums bulk;
    const int matched = match_users(mu, n, phi, skew_tol, &bulk);
    double shape = 0, scale = 0;
    if (bulk.q > 0) { /* else every matched rate underflowed to 0 */
        shape = phi * bulk.m * bulk.m / bulk.q;
        scale = bulk.q / (phi * bulk.m) / bulk.unit;
    }
    for (int s = 0; s < nsec; s++) {
        double lambda = shape > 0 ? gsl_ran_gamma(r, shape, scale) : 0;
        for (int i = matched; i < n; i++)
            lambda += gsl_ran_gamma(r, phi, mu[i] / phi);
        y[s] = cr_poisson(r, lambda);
        if (rate)
            rate[s] = lambda;
    }
    return n - matched;
}

int cr_sim_minute_burst(double *mu, int n, const cr_sim_draw *p, double skew_tol, int nsec,
                        gsl_rng *r, double *y, double *rate)
{
    const double phi = p->phi, bscale = p->lambda_b / p->phi_b;
    power_sums bulk;
    const int matched = match_users(mu, n, phi, skew_tol, &bulk);
    unsigned char *in = xcalloc((size_t)n + 1, 1);
    int *who = xmalloc(((size_t)n + 1) * sizeof *who);
    for (int s = 0; s < nsec; s++) {
        const int nb = (int)gsl_ran_binomial(r, p->w, (unsigned)n);
        /* which nb users burst: a uniform subset by Floyd's algorithm, O(nb) */
        int nbulk = 0;
        power_sums rest = bulk;
        for (int j = n - nb, k = 0; j < n; j++, k++) {
            int t = (int)gsl_rng_uniform_int(r, (unsigned long)j + 1);
            t = in[t] ? j : t;
            in[t] = 1;
            who[k] = t;
            if (t < matched) {
                nbulk++;
                rest.m -= mu[t] * rest.unit;
                rest.q -= mu[t] * rest.unit * mu[t] * rest.unit;
            }
        }
        double lambda = nb > 0 && bscale > 0 ? gsl_ran_gamma(r, nb * p->phi_b, bscale) : 0;
        if (nbulk < matched && rest.m > 0 && rest.q > 0)
            lambda += gsl_ran_gamma(r, phi * rest.m * rest.m / rest.q,
                                    rest.q / (phi * rest.m) / rest.unit);
        for (int i = matched; i < n; i++)
            if (!in[i])
                lambda += gsl_ran_gamma(r, phi, mu[i] / phi);
        for (int k = 0; k < nb; k++)
            in[who[k]] = 0;
        y[s] = cr_poisson(r, lambda);
        if (rate)
            rate[s] = lambda;
    }
    free(in);
    free(who);
    return n - matched;
}

/* The zero-truncated NB2(mu, phi) of one hurdle user in one minute. model/nb2.h's
 * cr_nb2_draw_positive draws the same law, but recomputes 1 - NB2(0) and NB2(1) on every draw
 * and inverts only up to mu = 30: measured, 10-45% dearer per draw below 30 and 1.4 to 3 times
 * the cost from 30 to 100, which made this simulation 20-25% slower at the usual rates. */
typedef struct {
    double mu, phi, p, ppos, pmf1; /* p = mu / (mu + phi); pmf1 = NB2(1) = phi p NB2(0) */
} ztnb;

/* Below this mu a positive count is drawn by inversion, above it by rejection of zeros from NB2
 * draws. Inversion takes E[y] = mu / ppos steps of about 2 ns, rejection 1 / ppos NB2 draws (a
 * gamma and a Poisson) of about 300 ns (measured), so the costs cross near mu = 200; below 100,
 * inversion's first term NB2(1) = phi p NB2(0) >= phi p e^-mu cannot underflow either. */
#define ZTNB_INVERT_MU 100

static ztnb ztnb_at(double mu, double phi)
{
    double log_p0 = -phi * log1p(mu / phi); /* keeps 1 - p0 accurate for tiny mu */
    return (ztnb){mu, phi, mu / (mu + phi), -expm1(log_p0), phi * mu / (mu + phi) * exp(log_p0)};
}

static double ztnb_draw(const ztnb *t, gsl_rng *r)
{
    if (t->mu >= ZTNB_INVERT_MU) {
        double y;
        do
            y = cr_poisson(r, gsl_ran_gamma(r, t->phi, t->mu / t->phi));
        while (y == 0);
        return y;
    }
    /* NB2(y + 1) = NB2(y) (y + phi) / (y + 1) p, summed from 1 up to a uniform share of ppos */
    double target = gsl_rng_uniform(r) * t->ppos, pmf = t->pmf1, cum = pmf;
    int y = 1;
    while (cum < target && pmf > 0) {
        pmf *= (y + t->phi) / (y + 1) * t->p;
        cum += pmf;
        y++;
    }
    return y;
}

/* Adds one hurdle user's counts of a minute to y[0..len): each second is positive with chance
 * 1 - pi, independently, so the gaps between positive seconds are geometric, P(gap >= k) =
 * pi^k: one uniform per positive second instead of one per second. */
static void hurdle_minute(double mu, double phi, double log_pi, int len, gsl_rng *r, double *y)
{
    /* log(U) / log(pi) is +inf when pi rounds to 1: no positive second */
    double s = floor(log(gsl_rng_uniform_pos(r)) / log_pi);
    if (s >= len)
        return;
    ztnb t = ztnb_at(mu, phi);
    for (; s < len; s += 1 + floor(log(gsl_rng_uniform_pos(r)) / log_pi))
        y[(int)s] += ztnb_draw(&t, r);
}

/* log inv_logit(l) without overflow in either tail. */
static double log_inv_logit(double l)
{
    return l < 0 ? l - log1p(exp(l)) : -log1p(exp(-l));
}

/* Normal score of q99.9, the highest quantile the sizing reports: where the large-N path's
 * fourth-cumulant errors are weighed against skew_tol (cr_sim_large_n). */
#define LARGE_N_Z 3.09

/* Polynomials of degree <= 4 in a user's x = mu / E mu, and their expectations. */
typedef struct {
    double c[5];
} poly;

static poly poly_mul(poly a, poly b)
{
    poly p = {{0}};
    for (int i = 0; i < 5; i++)
        for (int j = 0; i + j < 5; j++)
            p.c[i + j] += a.c[i] * b.c[j];
    return p;
}

static poly poly_lin(double k, poly a, double l, poly b)
{
    for (int i = 0; i < 5; i++)
        a.c[i] = k * a.c[i] + l * b.c[i];
    return a;
}

static double poly_expect(poly a, const double *m)
{
    double e = 0;
    for (int i = 0; i < 5; i++)
        e += a.c[i] * m[i];
    return e;
}

/* What the large-N path takes of one user, in units of E mu (e1): per minute the expected
 * per-second intensity X = (1 - w) x + w b (b = lambda_b / e1), its cumulants (x's: var, k3,
 * k4, the factor 1 - w apart); per second given the minute the intensity's mean, and the
 * expected conditional variance, third and fourth cumulants; slope, the regression of the
 * conditional variance on X (users with high rates also vary more within the minute). */
typedef struct {
    double e1, w;
    double var, k3, k4;
    double s_mean, s_var, s_k3, s_k4, slope;
    double machine; /* E A^2 / (E A)^2 of the machine factor A = e^(sigma_machine z_machine) */
} agg_moments;

/* E[prod_{i<k} (1 + i c)]: the k-th raw moment of a gamma of mean 1 and shape 1 / c. */
static double gamma_raw(int k, double c)
{
    double g = 1;
    for (int i = 1; i < k; i++)
        g *= 1 + i * c;
    return g;
}

/* The users whose z_machine is below cut (INFINITY: all): E mu^k = e^(k alpha + k^2 s2 / 2)
 * P(Z < cut - k sigma_machine) / P(Z < cut). A second's intensity given mu is a gamma of
 * shape phi (the Poisson model: mu itself) or, with chance w, the burst's gamma. */
static void large_n_moments(const cr_sim_draw *p, double cut, agg_moments *L)
{
    const double sm = p->sigma_machine, s2 = sm * sm + p->sigma_minute * p->sigma_minute;
    const double w = p->burst ? p->w : 0, c = isinf(p->phi) ? 0 : 1 / p->phi;
    const double cb = p->burst ? 1 / p->phi_b : 0;
    double m[5], t[5];
    for (int k = 0; k < 5; k++)
        t[k] = isinf(cut) ? 1 : gsl_cdf_ugaussian_P(cut - k * sm) / gsl_cdf_ugaussian_P(cut);
    for (int k = 0; k < 5; k++)
        m[k] = exp(k * (k - 1) * s2 / 2) * t[k] / pow(t[1], k);
    L->machine = exp(sm * sm) * t[2] / (t[1] * t[1]);
    L->e1 = exp(p->alpha + s2 / 2) * t[1];
    L->w = w;
    const double b = p->burst ? p->lambda_b / L->e1 : 0;
    L->var = expm1(s2);
    L->k3 = m[3] - 3 * m[2] + 2;
    L->k4 = m[4] - 4 * m[3] + 6 * m[2] - 3 - 3 * L->var * L->var;
    /* r[k] = E[lambda^k | x] = (1 - w) g_k(c) x^k + w b^k g_k(cb), then the cumulants */
    poly r[5];
    for (int k = 1; k < 5; k++) {
        r[k] = (poly){{0}};
        r[k].c[k] = (1 - w) * gamma_raw(k, c);
        r[k].c[0] = w * pow(b, k) * gamma_raw(k, cb);
    }
    poly r11 = poly_mul(r[1], r[1]), r111 = poly_mul(r11, r[1]);
    poly k2 = poly_lin(1, r[2], -1, r11);
    poly k3 = poly_lin(1, poly_lin(1, r[3], -3, poly_mul(r[2], r[1])), 2, r111);
    poly k4 = poly_lin(1, r[4], -4, poly_mul(r[3], r[1]));
    k4 = poly_lin(1, k4, -3, poly_mul(r[2], r[2]));
    k4 = poly_lin(1, k4, 12, poly_mul(r[2], r11));
    k4 = poly_lin(1, k4, -6, poly_mul(r11, r11));
    L->s_mean = poly_expect(r[1], m);
    L->s_var = poly_expect(k2, m);
    L->s_k3 = poly_expect(k3, m);
    L->s_k4 = poly_expect(k4, m);
    double vx = (1 - w) * (1 - w) * L->var;
    L->slope = vx > 0 ? (poly_expect(poly_mul(r[1], k2), m) - L->s_mean * L->s_var) / vx : 0;
}

/* How far the fourth standardized cumulant k4 / var^2 of a shifted gamma with a sum's first
 * three cumulants is from the sum's own, as the skewness error that would move q99.9 as much
 * (Cornish-Fisher: a fourth-cumulant error g4 moves the quantile at z by g4 (z^3 - 3z) / 24
 * sd, a skewness error g3 by g3 (z^2 - 1) / 6). */
static double k4_as_skew(double var, double k3, double k4)
{
    const double z = LARGE_N_Z;
    if (!(var > 0))
        return 0;
    double g4 = (k4 - 1.5 * k3 * k3 / var) / (var * var);
    return fabs(g4) * (z * z * z - 3 * z) / (4 * (z * z - 1));
}

/* Whether n users below cut pass cr_sim_large_n's test (L their moments). */
static int large_n_holds(const agg_moments *L, double n, double skew_tol)
{
    /* a second given its minute: the count's variance is N (s_mean / e1 + s_var) in e1^2 */
    double sec = k4_as_skew(L->s_mean / L->e1 + L->s_var, 0, L->s_k4 - 1.5 * L->s_k3 * L->s_k3 /
                            (L->s_var > 0 ? L->s_var : 1)) / n;
    double min = k4_as_skew(L->var, L->k3, L->k4) / n;
    return sec <= skew_tol && min <= skew_tol;
}

/* The cuts tried, highest first: the share of users drawn one by one is P(Z > cut), at most
 * 2.3%. */
static const double large_n_cuts[] = {INFINITY, 4, 3.5, 3, 2.5, 2};

int cr_sim_large_n(const cr_sim_draw *p, int nusers, double skew_tol, double *cut)
{
    if (p->hurdle || p->spread || !(skew_tol >= 0))
        return 0;
    for (size_t i = 0; i < sizeof large_n_cuts / sizeof *large_n_cuts; i++) {
        const double c = p->sigma_machine > 0 || i == 0 ? large_n_cuts[i] : INFINITY;
        agg_moments L;
        large_n_moments(p, c, &L);
        if (large_n_holds(&L, nusers * (isinf(c) ? 1 : gsl_cdf_ugaussian_P(c)), skew_tol)) {
            if (cut)
                *cut = c;
            return 1;
        }
    }
    return 0;
}

/* The minute sums' latent Gaussian process: each minute's N(0,1) is a0 A (the users' machine
 * effects, for good) plus weighted AR(1) paths of coefficients rho^j (the minute effects:
 * corr(mu[m], mu[m + k]) of one user is (a e^(sn^2 rho^k) - 1) / (a e^(sn^2) - 1), a = E A^2 /
 * (E A)^2 (e^(sm^2) without a cut), and e^(sn^2 rho^k) = 1 + sum_j sn^(2j) rho^(jk) / j!), so it
 * has the users' autocorrelation. */
#define LARGE_N_PATHS 64

typedef struct {
    double a0, a[LARGE_N_PATHS], coef[LARGE_N_PATHS], z[LARGE_N_PATHS], common;
    int paths;
} latent;

static void latent_start(const cr_sim_draw *p, const agg_moments *L, gsl_rng *r, latent *g)
{
    const double sn2 = p->sigma_minute * p->sigma_minute, all = L->machine * exp(sn2) - 1;
    g->a0 = all > 0 ? sqrt(fmax(0, L->machine - 1) / all) : 1;
    g->common = gsl_ran_gaussian_ziggurat(r, 1);
    g->paths = 0;
    if (!(all > 0) || sn2 == 0)
        return;
    if (p->rho == 0) { /* every path is white noise: one will do */
        g->a[0] = sqrt(fmax(0, 1 - g->a0 * g->a0));
        g->coef[0] = 0;
        g->paths = 1;
    } else {
        double term = L->machine / all, left = 1 - g->a0 * g->a0;
        for (int j = 1; j <= LARGE_N_PATHS && left > 1e-12; j++) {
            term *= sn2 / j;
            g->a[g->paths] = sqrt(term);
            g->coef[g->paths] = pow(p->rho, j);
            g->paths++;
            left -= term;
        }
    }
    for (int j = 0; j < g->paths; j++)
        g->z[j] = gsl_ran_gaussian_ziggurat(r, 1);
}

static double latent_next(latent *g, int first, gsl_rng *r)
{
    double x = g->a0 * g->common;
    for (int j = 0; j < g->paths; j++) {
        double c = g->coef[j];
        if (!first)
            g->z[j] = c * g->z[j] + sqrt(1 - c * c) * gsl_ran_gaussian_ziggurat(r, 1);
        x += g->a[j] * g->z[j];
    }
    return x;
}

/* Past this shape the gamma's quantile is Wilson and Hilferty's, a (1 - 1/(9a) + x / (3
 * sqrt(a)))^3: within 0.0002 sd of the exact one up to |x| = 3.1 at a = 1000 (and closer
 * beyond), where GSL's inversion fails to converge in parts of the tails from a = 1e5 on; below
 * it GSL's converges on a grid of a in [0.5, 1000] and x in [-8, 8] (measured). */
#define GAMMA_WH_SHAPE 1000

/* The minute's sum of N users' X at latent normal score x (within 8 sd), in units of E mu: the
 * shifted gamma with its mean, variance and third cumulant (a normal when the shape is past
 * where they differ). */
static double minute_sum(const agg_moments *L, double n, double x)
{
    const double mean = n * L->s_mean;
    if (!(L->var > 0))
        return mean;
    const double shape = 4 * n * pow(L->var, 3) / (L->k3 * L->k3);
    const double sd = sqrt(n * L->var) * (1 - L->w);
    if (!(shape < 1e12))
        return mean + sd * x;
    const double scale = sd / sqrt(shape);
    double g;
    x = fmax(-8, fmin(8, x));
    if (shape > GAMMA_WH_SHAPE) {
        double c = 1 - 1 / (9 * shape) + x / (3 * sqrt(shape));
        g = c > 0 ? shape * c * c * c : 0;
    } else {
        g = x < 0 ? gsl_cdf_gamma_Pinv(gsl_cdf_ugaussian_P(x), shape, 1)
                  : gsl_cdf_gamma_Qinv(gsl_cdf_ugaussian_Q(x), shape, 1);
    }
    return mean + scale * (g - shape);
}

/* The users above the cut, drawn one by one: their z_machine, AR(1) minute effects and rates
 * in a minute. */
typedef struct {
    int n;
    double *base, *z, *mu, *y, *rate;
} peeled;

static void peeled_start(const cr_sim_draw *p, int n, double cut, gsl_rng *r, peeled *h)
{
    const double q = isinf(cut) ? 0 : gsl_cdf_ugaussian_Q(cut);
    h->n = q > 0 ? (int)gsl_ran_binomial(r, q, (unsigned)n) : 0;
    h->base = xmalloc(((size_t)h->n + 1) * sizeof *h->base);
    h->z = xmalloc(((size_t)h->n + 1) * sizeof *h->z);
    h->mu = xmalloc(((size_t)h->n + 1) * sizeof *h->mu);
    h->y = xmalloc(60 * sizeof *h->y);
    h->rate = xmalloc(60 * sizeof *h->rate);
    for (int u = 0; u < h->n; u++)
        h->base[u] = p->alpha + p->sigma_machine *
                                    gsl_cdf_ugaussian_Qinv(gsl_rng_uniform_pos(r) * q);
}

/* Their minute: the rates, and their summed X. */
static double peeled_minute(const cr_sim_draw *p, peeled *h, int first, gsl_rng *r)
{
    const double innov = sqrt(1 - p->rho * p->rho), w = p->burst ? p->w : 0;
    double sum = 0;
    for (int u = 0; u < h->n; u++) {
        double eps = gsl_ran_gaussian_ziggurat(r, 1);
        h->z[u] = first ? eps : p->rho * h->z[u] + innov * eps;
        h->mu[u] = exp(h->base[u] + p->sigma_minute * h->z[u]);
        sum += (1 - w) * h->mu[u] + w * (p->burst ? p->lambda_b : 0);
    }
    return sum;
}

static void peeled_free(peeled *h)
{
    free(h->base);
    free(h->z);
    free(h->mu);
    free(h->y);
    free(h->rate);
}

/* cr_sim_users_draw_far when cr_sim_large_n holds: the users above the cut one by one, as
 * cr_sim_users_draw_far draws them, and no others: their minute sums drawn as a process, each
 * second's intensity about its minute's sum a shifted gamma with the expected conditional
 * variance (on the regression on the minute's sum) and third cumulant, in units of E mu. */
static void large_n_draw(const cr_sim_draw *p, int nusers, double cut, long far,
                         double *far_rate, long nsec, double skew_tol, gsl_rng *r, double *y,
                         double *rate, cr_sim_users_stats *stats)
{
    agg_moments L;
    large_n_moments(p, cut, &L);
    peeled h;
    peeled_start(p, nusers, cut, r, &h);
    latent g;
    latent_start(p, &L, r, &g);
    const double n = nusers - h.n, mbar = n * L.s_mean, k3 = n * L.s_k3;
    for (long s0 = -60 * far; s0 < nsec; s0 += 60) {
        int len = nsec - s0 < 60 ? (int)(nsec - s0) : 60, first = s0 == -60 * far;
        double m = fmax(0, minute_sum(&L, n, latent_next(&g, first, r)));
        double top = peeled_minute(p, &h, first, r);
        if (stats) {
            stats->user_minutes += nusers;
            stats->exact_user_minutes += h.n;
        }
        if (s0 < 0) {
            far_rate[s0 / 60 + far] = m * L.e1 + top;
            continue;
        }
        double v = fmax(0, n * L.s_var + L.slope * (m - mbar));
        double shift = k3 > 0 ? m - 2 * v * v / k3 : -1;
        for (int s = 0; s < len; s++) {
            double lambda = m;
            if (v > 0 && m > 0)
                lambda = shift >= 0 ? shift + gsl_ran_gamma(r, 4 * v * v * v / (k3 * k3),
                                                            k3 / (2 * v))
                                    : gsl_ran_gamma(r, m * m / v, v / m);
            y[s0 + s] = cr_poisson(r, lambda * L.e1);
            if (rate)
                rate[s0 + s] = lambda * L.e1;
        }
        if (h.n == 0)
            continue;
        if (p->burst)
            cr_sim_minute_burst(h.mu, h.n, p, skew_tol, len, r, h.y, h.rate);
        else
            cr_sim_minute(h.mu, h.n, p->phi, skew_tol, len, r, h.y, h.rate);
        for (int s = 0; s < len; s++) {
            y[s0 + s] += h.y[s];
            if (rate)
                rate[s0 + s] += h.rate[s];
        }
    }
    peeled_free(&h);
}

void cr_sim_users_draw(const cr_sim_draw *p, int nusers, long nsec, double skew_tol,
                       int large_n, const cr_sim_strata *st, gsl_rng *r, double *y,
                       double *rate, cr_sim_users_stats *stats)
{
    cr_sim_users_draw_far(p, nusers, 0, NULL, nsec, skew_tol, large_n, st, r, y, rate, stats);
}

void cr_sim_users_draw_far(const cr_sim_draw *p, int nusers, long far, double *far_rate,
                           long nsec, double skew_tol, int large_n, const cr_sim_strata *st,
                           gsl_rng *r, double *y, double *rate, cr_sim_users_stats *stats)
{
    double cut;
    if (large_n && cr_sim_large_n(p, nusers, skew_tol, &cut)) {
        large_n_draw(p, nusers, cut, far, far_rate, nsec, skew_tol, r, y, rate, stats);
        return;
    }
    double *base = xmalloc(nusers * sizeof *base), *z = xmalloc(nusers * sizeof *z);
    double *mu = xmalloc(nusers * sizeof *mu), innov = sqrt(1 - p->rho * p->rho);
    double *log_pi = p->hurdle ? xmalloc(nusers * sizeof *log_pi) : NULL;
    for (int u = 0; u < nusers; u++)
        base[u] = p->alpha + p->sigma_machine * (st ? cr_sim_strata_z(st, u, r)
                                                       : gsl_ran_gaussian_ziggurat(r, 1));
    for (int u = 0; u < nusers && log_pi; u++)
        log_pi[u] = log_inv_logit(p->mu_pi + p->sigma_pi * gsl_ran_gaussian_ziggurat(r, 1));
    double *sn = p->spread ? xmalloc(nusers * sizeof *sn) : NULL;
    for (int u = 0; u < nusers && sn; u++)
        sn[u] = exp(p->mu_s + p->tau_s * gsl_ran_gaussian_ziggurat(r, 1));
    for (long s0 = -60 * far; s0 < nsec; s0 += 60) {
        int len = nsec - s0 < 60 ? (int)(nsec - s0) : 60, exact = nusers;
        for (int u = 0; u < nusers; u++) {
            double eps = gsl_ran_gaussian_ziggurat(r, 1);
            z[u] = s0 == -60 * far ? eps : p->rho * z[u] + innov * eps;
            mu[u] = exp(base[u] + (sn ? sn[u] * (z[u] - sn[u] / 2) : p->sigma_minute * z[u]));
        }
        if (s0 < 0) {
            double m = 0;
            for (int u = 0; u < nusers; u++)
                m += mu[u];
            far_rate[s0 / 60 + far] = p->burst ? (1 - p->w) * m + nusers * p->w * p->lambda_b : m;
            continue;
        }
        if (log_pi) {
            for (int s = 0; s < len; s++)
                y[s0 + s] = 0;
            for (int u = 0; u < nusers; u++)
                hurdle_minute(mu[u], p->phi, log_pi[u], len, r, y + s0);
        } else if (p->burst) {
            exact = cr_sim_minute_burst(mu, nusers, p, skew_tol, len, r, y + s0,
                                        rate ? rate + s0 : NULL);
        } else {
            exact = cr_sim_minute(mu, nusers, p->phi, skew_tol, len, r, y + s0,
                                  rate ? rate + s0 : NULL);
        }
        if (stats) {
            stats->user_minutes += nusers;
            stats->exact_user_minutes += exact;
        }
    }
    free(base);
    free(z);
    free(mu);
    free(log_pi);
    free(sn);
}

/* E f(m + s Z), Z ~ N(0,1), by the trapezoid rule over z in [-13, 13 + grow s]: f(m + s z)
 * grows at most like e^(grow s z), which moves the weighted integrand's mass to z = grow s, and
 * beyond 13 sd from there the normal's mass is 1e-38. For an integrand analytic within d of
 * the real line the rule's error falls like exp(-2 pi d / h). Both integrands here are
 * analytic within pi / (2 s) (the logistic's poles lie pi / s off the real axis; in the
 * truncated mean, 1 - NB2(0) vanishes or log1p branches only where the log rate is pi / 2 or
 * more off it), so h = 0.125 / s, at most 0.1, keeps the error near exp(-8 pi^2) = 6e-35 of
 * the integrand's size whatever s: exact to rounding, where a 64-point Gauss-Hermite rule is
 * off by 1.5e-5 at sigma_pi = 4. */
static double normal_expect(double (*f)(double x, const cr_sim_draw *p), const cr_sim_draw *p,
                            double m, double s, int grow)
{
    if (s == 0)
        return f(m, p);
    const double h = fmin(0.1, 0.125 / s);
    const long lo = -(long)ceil(13 / h), hi = (long)ceil((13 + grow * s) / h);
    double sum = 0;
    for (long i = lo; i <= hi; i++) {
        double z = (double)i * h;
        sum += exp(-0.5 * z * z) * f(m + s * z, p);
    }
    return sum * h / sqrt(2 * M_PI);
}

static double positive_chance(double logit_pi, const cr_sim_draw *p)
{
    return exp(log_inv_logit(-logit_pi));
}

/* E[y | mu, y > 0] = mu / (1 - NB2(0)) at log mu = eta. */
static double truncated_mean(double eta, const cr_sim_draw *p)
{
    double mu = exp(eta), ppos = ztnb_at(mu, p->phi).ppos;
    return ppos > 0 ? mu / ppos : 1; /* the limit as mu -> 0 */
}

double cr_sim_user_mean(const cr_sim_draw *p)
{
    double s2 = p->sigma_machine * p->sigma_machine + p->sigma_minute * p->sigma_minute;
    if (p->burst)
        return (1 - p->w) * exp(p->alpha + s2 / 2) + p->w * p->lambda_b;
    if (!p->hurdle)
        return exp(p->alpha + s2 / 2);
    return normal_expect(positive_chance, p, p->mu_pi, p->sigma_pi, 0) *
           normal_expect(truncated_mean, p, p->alpha, sqrt(s2), 1);
}

int cr_sim_poisson_mixture(const cr_sim_draw *p)
{
    return !p->hurdle;
}

int cr_sim_check(const cr_sim_draw *draws, int ndraws, const cr_sim_config *cfg, cr_err *e)
{
    if (cfg->nusers < 1 || cfg->seconds < 1 || ndraws < 1)
        return cr_fail(e, "simulate: need at least one user, second and draw (users %d, "
                          "seconds %ld, draws %d)", cfg->nusers, cfg->seconds, ndraws);
    for (int d = 0; d < ndraws; d++) {
        const cr_sim_draw *p = &draws[d];
        if (!isfinite(p->alpha) || !(p->sigma_machine >= 0) || !isfinite(p->sigma_machine) ||
            !(p->sigma_minute >= 0) || !isfinite(p->sigma_minute) || !(p->phi > 0) ||
            !(fabs(p->rho) < 1))
            return cr_fail(e, "simulate: draw %d: invalid parameters (alpha %g, sigma_machine "
                              "%g, sigma_minute %g, phi %g, rho %g)", d + 1, p->alpha,
                           p->sigma_machine, p->sigma_minute, p->phi, p->rho);
        if (p->burst && !(p->w >= 0 && p->w <= 0.5 && p->lambda_b >= 0 &&
                          isfinite(p->lambda_b) && p->phi_b > 0 && isfinite(p->phi_b) &&
                          isfinite(p->phi)))
            return cr_fail(e, "simulate: draw %d: invalid burst parameters (w %g, lambda_b %g, "
                              "phi_b %g, phi %g)", d + 1, p->w, p->lambda_b, p->phi_b, p->phi);
        if (p->spread && !(p->burst && isfinite(p->mu_s) && p->tau_s >= 0 &&
                           isfinite(p->tau_s) && p->sigma_minute == 0))
            return cr_fail(e, "simulate: draw %d: invalid minute spreads (burst %d, mu_s %g, "
                              "tau_s %g, sigma_minute %g)", d + 1, p->burst, p->mu_s, p->tau_s,
                           p->sigma_minute);
        if (p->hurdle && (!isfinite(p->mu_pi) || !(p->sigma_pi >= 0) ||
                          !isfinite(p->sigma_pi) || !isfinite(p->phi)))
            return cr_fail(e, "simulate: draw %d: invalid hurdle parameters (mu_pi %g, "
                              "sigma_pi %g, phi %g)", d + 1, p->mu_pi, p->sigma_pi, p->phi);
        double rate = cfg->nusers * cr_sim_user_mean(p);
        if (!(rate <= MAX_MEAN_RATE))
            return cr_fail(e, "simulate: draw %d: expected aggregate rate %g/s for %d users is "
                              "not finite or beyond %g/s, past what doubles can count (alpha %g, "
                              "sigma_machine %g, sigma_minute %g)", d + 1, rate, cfg->nusers,
                           MAX_MEAN_RATE, p->alpha, p->sigma_machine, p->sigma_minute);
    }
    return 0;
}

typedef struct {
    const cr_sim_draw *draws;
    int ndraws;
    const cr_sim_config *cfg;
    double *y;
    cr_sim_users_stats *stats; /* [draw] */
} users_job;

static int run_draw(void *ctx, int d, gsl_rng *r, cr_err *e)
{
    users_job *J = ctx;
    cr_sim_strata st;
    cr_sim_users_draw(&J->draws[d], J->cfg->nusers, J->cfg->seconds, J->cfg->skew_tol,
                      J->cfg->large_n, cr_sim_strata_of(J->cfg, d, J->ndraws, &st), r,
                      J->y + (size_t)d * J->cfg->seconds, NULL, &J->stats[d]);
    return 0;
}

int cr_sim_users(const cr_sim_draw *draws, int ndraws, const cr_sim_config *cfg, double *y,
                 cr_sim_users_stats *stats, cr_err *e)
{
    if (cr_sim_check(draws, ndraws, cfg, e) < 0)
        return -1;
    users_job J = {draws, ndraws, cfg, y, xcalloc(ndraws, sizeof *J.stats)};
    int rc = cr_sim_parallel(ndraws, cfg->threads, cfg->seed, "simulating users", run_draw, &J,
                             e);
    for (int d = 0; d < ndraws && stats; d++) {
        stats->user_minutes += J.stats[d].user_minutes;
        stats->exact_user_minutes += J.stats[d].exact_user_minutes;
    }
    free(J.stats);
    return rc;
}
