/* The Kaplan-Meier estimate of P(D > t) from right-censored durations, the empirical
 * alternative to the duration model: a step function with a step at each distinct ended
 * duration, and Greenwood's standard error. */
#ifndef CR_DURATION_KM_H
#define CR_DURATION_KM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t n;
    double *t;  /* distinct ended durations (the unit of the input), ascending */
    double *s;  /* P(D > t[i]) */
    double *se; /* Greenwood standard error of s[i] */
} cr_km;

void cr_km_estimate(cr_km *km, size_t n, const double *t, const uint8_t *censored);
/* P(D > t) with its standard error in *se (may be NULL). */
double cr_km_at(const cr_km *km, double t, double *se);
/* The area under the estimate up to its last step (the mean when the longest duration ended,
 * a lower bound of it otherwise). */
double cr_km_mean(const cr_km *km);
void cr_km_free(cr_km *km);

#endif
