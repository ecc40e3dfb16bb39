/* What the sampler needs from a model: a log density with gradient on the unconstrained scale,
 * and how to turn an unconstrained point into the named quantities users see. */
#ifndef CR_MODEL_H
#define CR_MODEL_H

#include <stddef.h>

typedef struct cr_model cr_model;

struct cr_model {
    int dim; /* unconstrained dimension */
    /* Log density at theta (Jacobians of the constraining transforms included; constants may be
     * dropped). Writes the gradient into grad when grad != NULL. Returns -INFINITY (or NaN) where
     * the density is zero or cannot be evaluated. Called concurrently from several chains, each
     * with its own scratch buffer of scratch_size bytes. */
    double (*logp)(const cr_model *m, const double *theta, double *grad, void *scratch);
    size_t scratch_size;
    /* Number of output variables, their names (e.g. "sigma_machine", "z_minute[2,17]") and the
     * map from an unconstrained point to them (out has nout entries). */
    int nout;
    void (*name)(const cr_model *m, int i, char *buf, size_t n);
    void (*constrain)(const cr_model *m, const double *theta, double *out);
    void *data; /* model-specific */
};

#endif
