/* as.character() of a double, as R 4.x computes it for a deferred string: formatReal() with 15
 * significant digits decides between fixed and scientific notation by width (scientific wins
 * only when the fixed form is wider by more than scipen), then trailing zeros are dropped.
 * The digit count follows R's own long double scaling so that borderline values round the
 * same way as in R on x86-64. */
#include "ingest/rds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIGITS 15
#define KP_MAX 27
#define DEC_MIN_EXPONENT (-308) /* floor(log10(DBL_MIN)) */

/* Powers of ten as double constants widened to long double, as R's table holds them. */
static const long double tbl[KP_MAX + 2] = {
    1e-1, 1e00, 1e01, 1e02, 1e03, 1e04, 1e05, 1e06, 1e07, 1e08, 1e09, 1e10, 1e11, 1e12, 1e13,
    1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27,
};

/* |x| = alpha * 10^kpower with 1 <= alpha < 10 rounded to DIGITS digits; nsig = significant
 * digits left after dropping trailing zeros; roundingwidens = the rounding carried into a new
 * leading digit that the fixed form would not show. */
static void scientific(double x, int *neg, int *kpower, int *nsig, int *widens)
{
    if (x == 0.0) {
        *neg = 0;
        *kpower = 0;
        *nsig = 1;
        *widens = 0;
        return;
    }
    *neg = x < 0;
    double r = fabs(x);
    int kp = (int)floor(log10(r)) - DIGITS + 1;
    long double rp = r;
    if (abs(kp) < 10) {
        if (kp > 0)
            rp /= tbl[kp + 1];
        else if (kp < 0)
            rp *= tbl[-kp + 1];
    } else if (kp <= DEC_MIN_EXPONENT) {
        rp = (r * 1e+303) / powl(10, kp + 303);
    } else {
        rp /= powl(10, (long double)kp);
    }
    if (rp < tbl[DIGITS]) {
        rp *= 10.0;
        kp--;
    }
    double alpha = (double)nearbyintl(rp);
    *nsig = DIGITS;
    for (int j = 1; j <= DIGITS; j++) {
        alpha /= 10.0;
        if (alpha != floor(alpha))
            break;
        (*nsig)--;
    }
    if (*nsig == 0) {
        *nsig = 1;
        kp++;
    }
    *kpower = kp + DIGITS - 1;
    int rgt = DIGITS - *kpower;
    rgt = rgt < 0 ? 0 : rgt > KP_MAX ? KP_MAX : rgt;
    double fuzz = 0.5 / (double)tbl[1 + rgt];
    *widens = *kpower > 0 && *kpower <= KP_MAX && r < tbl[*kpower + 1] - fuzz;
}

/* Drops trailing zeros after the decimal point (and the point itself when nothing is left). */
static size_t drop0(char *s, size_t n)
{
    char *dot = strchr(s, '.');
    if (!dot)
        return n;
    char *p = dot + 1;
    while (*p >= '0' && *p <= '9')
        p++;
    char *keep = p;
    while (keep > dot + 1 && keep[-1] == '0')
        keep--;
    if (keep == dot + 1)
        keep = dot;
    memmove(keep, p, strlen(p) + 1);
    return n - (size_t)(p - keep);
}

size_t cr_rds_format_real(double x, int scipen, char *buf)
{
    if (isnan(x))
        return (size_t)sprintf(buf, "NaN");
    if (isinf(x))
        return (size_t)sprintf(buf, x > 0 ? "Inf" : "-Inf");
    if (x == 0.0)
        x = 0.0; /* no "-0" */
    int neg, kpower, nsig, widens;
    scientific(x, &neg, &kpower, &nsig, &widens);
    int left = kpower + 1 - widens;
    int sleft = neg + (left <= 0 ? 1 : left);
    int rgt = nsig - left < 0 ? 0 : nsig - left;
    int wf = sleft + rgt + (rgt != 0);
    int e = (left > 100 || left <= -99) ? 2 : 1;
    int d = nsig - 1;
    int we = neg + (d > 0) + d + 4 + e;
    int n;
    if (wf <= we + scipen)
        n = snprintf(buf, 400, "%.*f", rgt, x);
    else
        n = snprintf(buf, 400, d > 0 ? "%#.*e" : "%.*e", d, x);
    if (n < 0 || n >= 400)
        n = 399;
    return drop0(buf, (size_t)n);
}
