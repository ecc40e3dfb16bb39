#include "duration/law.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>

#define LOG_HALF (-0.69314718055994530942)

/* log P(Z > z) for standard normal Z, accurate in both tails. */
double cr_duration_log_q(double z)
{
    return LOG_HALF + gsl_sf_log_erfc(z * M_SQRT1_2);
}

/* ---- the mixture alone: log D ~ sum_j w_j Normal(m_j, s_j) ---- */

static double mix_survival(const cr_duration_params *p, double t)
{
    double x = log(t), sum = 0;
    for (int j = 0; j < p->k; j++)
        sum += p->w[j] * gsl_cdf_ugaussian_Q((x - p->m[j]) / p->s[j]);
    return sum;
}

static double mix_mean(const cr_duration_params *p)
{
    double sum = 0;
    for (int j = 0; j < p->k; j++)
        if (p->w[j] > 0) /* an empty component adds nothing, even with an overflowing mean */
            sum += p->w[j] * exp(p->m[j] + p->s[j] * p->s[j] / 2);
    return sum;
}

/* E[min(D, t)] of one lognormal: the mean below t plus t times P(D > t). */
static double lognormal_within(double m, double s, double t)
{
    double x = log(t);
    /* exp(m + s^2 / 2) Phi(z) in logs: for a wide component far beyond t the first factor
     * overflows while Phi underflows (1e17 s means on short real captures) */
    return exp(m + s * s / 2 + cr_duration_log_q(-(x - m - s * s) / s)) +
           t * gsl_cdf_ugaussian_Q((x - m) / s);
}

/* E[min(D, t)], t > 0 (may be infinite). */
static double mix_within(const cr_duration_params *p, double t)
{
    if (isinf(t))
        return mix_mean(p);
    double sum = 0;
    for (int j = 0; j < p->k; j++)
        sum += p->w[j] * lognormal_within(p->m[j], p->s[j], t);
    return sum;
}

/* The component a uniform u picks with probabilities a[0..k-1] summing to total. */
static int pick(const double *a, int k, double total, double u)
{
    double c = 0, target = u * total;
    for (int j = 0; j + 1 < k; j++)
        if (target < (c += a[j]))
            return j;
    return k - 1;
}

static double mix_draw(const cr_duration_params *p, gsl_rng *r)
{
    int j = pick(p->w, p->k, 1, gsl_rng_uniform(r));
    return exp(p->m[j] + p->s[j] * gsl_ran_gaussian(r, 1));
}

/* D given D > age (age > 0): the component with weight w_j S_j(age), then log D its normal
 * truncated to (log age, inf), drawn by inverting the upper tail (Qinv keeps the far tail
 * exact). */
static double mix_beyond(const cr_duration_params *p, double age, gsl_rng *r)
{
    double x = log(age), q[CR_DUR_KMAX], a[CR_DUR_KMAX], total = 0;
    int nearest = 0;
    for (int j = 0; j < p->k; j++) {
        double z = (x - p->m[j]) / p->s[j];
        q[j] = gsl_cdf_ugaussian_Q(z);
        a[j] = p->w[j] * q[j];
        total += a[j];
        if (z < (x - p->m[nearest]) / p->s[nearest])
            nearest = j;
    }
    int j = total > 0 ? pick(a, p->k, total, gsl_rng_uniform(r)) : nearest;
    if (!(q[j] > 0))
        return age; /* beyond double range: the connection ends now */
    double u = gsl_rng_uniform_pos(r) * q[j];
    return exp(p->m[j] + p->s[j] * gsl_cdf_ugaussian_Qinv(u));
}

/* ---- with the zero class: D = 0 with probability p0, else the mixture given D >= res ---- */

double cr_duration_survival(const cr_duration_params *p, double t)
{
    if (t < 0)
        return 1;
    const double q = 1 - p->p0;
    if (!(t > 0) || t < p->res)
        return q;
    if (!(p->res > 0))
        return q * mix_survival(p, t);
    double sr = mix_survival(p, p->res);
    return sr > 0 ? q * mix_survival(p, t) / sr : 0; /* all the mixture below res: none beyond */
}

double cr_duration_mean(const cr_duration_params *p)
{
    return cr_duration_mean_within(p, INFINITY);
}

double cr_duration_mean_within(const cr_duration_params *p, double t)
{
    if (!(t > 0))
        return 0;
    const double q = 1 - p->p0, r = p->res;
    if (t <= r)
        return q * t;
    if (!(r > 0))
        return q * mix_within(p, t);
    /* E[min(D, t) | D >= r] = r + the area under S(.) / S(r) from r to t */
    double sr = mix_survival(p, r);
    return sr > 0 ? q * (r + (mix_within(p, t) - mix_within(p, r)) / sr) : q * r;
}

/* Plain draws kept when at or beyond res, before the inversion: on the fitted mixtures almost
 * every draw is, and a draw costs a tenth of an inversion. Either way the draw is one from the
 * mixture given D >= res. */
#define TRIES_ABOVE_RES 4

double cr_duration_draw(const cr_duration_params *p, gsl_rng *r)
{
    if (p->p0 > 0 && gsl_rng_uniform(r) < p->p0)
        return 0;
    if (!(p->res > 0))
        return mix_draw(p, r);
    for (int i = 0; i < TRIES_ABOVE_RES; i++) {
        double d = mix_draw(p, r);
        if (d >= p->res)
            return d;
    }
    return mix_beyond(p, p->res, r);
}

double cr_duration_draw_beyond(const cr_duration_params *p, double age, gsl_rng *r)
{
    if (!(age >= 0))
        return cr_duration_draw(p, r);
    double from = fmax(age, p->res); /* a connection of any age > 0 is not in the zero class */
    return from > 0 ? mix_beyond(p, from, r) : cr_duration_draw(p, r);
}
