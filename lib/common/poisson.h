/* The project's one Poisson draw, valued in double so that no mean can overflow it.
 *
 * gsl_ran_poisson returns unsigned int and splits mu into gamma variates of unsigned size
 * (mu * 7/8): from a mean of about 4.3e9 its result wraps around, and from 4.9e9 the split
 * itself overflows (garbage, or a loop that never ends). Below CR_POISSON_GSL_MAX it is exact
 * and is used as is, so every output drawn with it before stays byte-identical; from there the
 * draw is Hormann's transformed rejection with squeeze (PTRS: W. Hormann, "The transformed
 * rejection method for generating Poisson random variables", Insurance: Mathematics and
 * Economics 12, 1993), computed in double arithmetic with the log pmf in Loader's saddle-point
 * form, a bounded number of uniforms whatever the mean. docs/simulation.md has the details. */
#ifndef CR_POISSON_H
#define CR_POISSON_H

#include <gsl/gsl_rng.h>

/* Where the draw switches from gsl_ran_poisson to PTRS: far below gsl's overflow, and above
 * every rate an ordinary sizing run draws (so its outputs do not change). */
#define CR_POISSON_GSL_MAX 1e7

/* A Poisson(mu) count. mu <= 0 gives 0 without using r; NaN and +infinity come back as they
 * are (a bad intensity shows in the output rather than hanging the draw). Exact for every mean
 * up to 2^52, where doubles still hold every integer; beyond, an exact draw rounded to the
 * nearest double (a relative error of 1.1e-16, against a relative spread of 1e-8). */
double cr_poisson(gsl_rng *r, double mu);

/* The large-mean method on its own, for any finite mu >= 10 (the range PTRS is built for):
 * the tests force it at means small enough for an exact pmf. */
double cr_poisson_ptrs(gsl_rng *r, double mu);

#endif
