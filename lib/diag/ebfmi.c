/* E-BFMI of one chain as rstan's get_bfmi() defines it. */
#include <math.h>

#include "diag/diag_internal.h"

double cr_diag_ebfmi(const double *energy, int n)
{
    if (n < 2) return NAN;
    double sq = 0;
    for (int i = 1; i < n; i++) {
        double d = energy[i] - energy[i - 1];
        sq += d * d;
    }
    return sq / n / cr_diag_var(energy, (size_t)n);
}
