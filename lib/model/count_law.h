/* The law of one second's count in one machine-minute of a rate model, so that the seconds of a
 * cell can be drawn together: they are independent given the draw, and most are zero. A mixture
 * of up to two NB2 components (phi = INFINITY: Poisson), optionally behind a hurdle (zero with
 * chance `hurdle`, else a positive count of the mixture). Each ladder model states its cells'
 * laws (cr_ladder_model.law); posterior predictive checks draw from them. */
#ifndef CR_COUNT_LAW_H
#define CR_COUNT_LAW_H

#include <gsl/gsl_rng.h>

typedef struct {
    double hurdle;              /* chance of a zero, positives then from the mixture; NAN: none */
    int n;                      /* components, 1 or 2 */
    double w[2], eta[2], phi[2]; /* weights (summing to 1), log means, dispersions */
} cr_count_law;

/* One NB2 component, no hurdle. */
cr_count_law cr_count_law_nb2(double eta, double phi);

/* P(count = 0). */
double cr_count_law_p0(const cr_count_law *l);

/* Draws the counts of n independent seconds of l: add(ctx, 0, zeros) once (zeros may be 0),
 * then add(ctx, y, 1) for each positive second. The zeros are one binomial draw and each
 * positive second one draw of the zero-truncated mixture, so the cost follows the positive
 * seconds (at most the total count), not n. */
void cr_count_law_draw(const cr_count_law *l, long n, gsl_rng *r,
                       void (*add)(void *ctx, int y, long times), void *ctx);

#endif
