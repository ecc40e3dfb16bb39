/* What the sampler needs from a model: a log density with gradient on the unconstrained scale,
 * and how to turn an unconstrained point into the named quantities users see; and what the fit
 * engine (lib/fit) needs besides: the model's entry in its registry. */
#ifndef CR_MODEL_H
#define CR_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

typedef struct cr_model cr_model;
typedef struct cr_model_entry cr_model_entry;

/* A model as its registry lists it, rate models (lib/ladder/ladder.c) and the duration model
 * (lib/duration/entry.c) alike: the engine names its fits, finds its Stan twin, logs its
 * attempts and checks its draws through it, never through the kind of model. */
struct cr_model_entry {
    const char *name;    /* "nbh", "duration" */
    const char *stan;    /* its Stan twin, "models/nbh.stan" */
    const char *summary; /* a few words for --help */
    const char *about;   /* one plain sentence for NOTES.md and the report */
    /* The posterior predictive check of ndraws draws of m's outputs (row-major, m->nout each)
     * against the data check points to, into out; both of the entry's own types (the rate
     * models': cr_ladder_points and cr_ppc_result; the duration model's: cr_duration_obs and
     * cr_duration_ppc). Random streams from seed alone, whatever the thread count. Returns 1
     * when the draws pass, 0 when they fail, -1 (e set) when the check cannot run. */
    int (*ppc)(const cr_model *m, const void *check, const double *draws, size_t ndraws,
               uint64_t seed, int threads, void *out, cr_err *e);
    /* What a loop log records of the data m was built on: JSON members, "\"machines\": 3, ..." */
    void (*log_data)(const cr_model *m, FILE *f);
};

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
    const cr_model_entry *entry; /* NULL outside a registry (a test's model) */
};

#endif
