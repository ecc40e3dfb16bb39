#include "model/count_law.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#include "model/nb2.h"

cr_count_law cr_count_law_nb2(double eta, double phi)
{
    return (cr_count_law){NAN, 1, {1, 0}, {eta, 0}, {phi, 1}};
}

/* log P(0) of one component. */
static double log_p0(double eta, double phi)
{
    const double mu = exp(eta);
    return isinf(phi) ? -mu : -phi * log1p(mu / phi);
}

double cr_count_law_p0(const cr_count_law *l)
{
    if (!isnan(l->hurdle))
        return l->hurdle;
    double p = 0;
    for (int i = 0; i < l->n; i++)
        p += l->w[i] * exp(log_p0(l->eta[i], l->phi[i]));
    return p;
}

void cr_count_law_draw(const cr_count_law *l, long n, gsl_rng *r,
                       void (*add)(void *ctx, int y, long times), void *ctx)
{
    const double p0 = fmin(1, fmax(0, cr_count_law_p0(l)));
    const long zeros = n > 0 ? (long)gsl_ran_binomial(r, p0, (unsigned)n) : 0;
    add(ctx, 0, zeros);
    /* a positive second comes from component i with chance w[i] P_i(y > 0), normalized */
    double pos[2] = {0, 0};
    for (int i = 0; i < l->n; i++)
        pos[i] = l->w[i] * -expm1(log_p0(l->eta[i], l->phi[i]));
    const double first = l->n > 1 ? pos[0] / (pos[0] + pos[1]) : 1;
    cr_nb2_sampler s[2];
    cr_nb2_sampler_init(&s[0]);
    cr_nb2_sampler_init(&s[1]);
    for (long k = zeros; k < n; k++) {
        const int i = l->n > 1 && gsl_rng_uniform(r) >= first;
        add(ctx, cr_nb2_draw_positive(&s[i], l->eta[i], l->phi[i], r), 1);
    }
}
