/* The files of one fit attempt (formats in fit.h). Internal to lib/fit. */
#ifndef CR_FIT_WRITE_H
#define CR_FIT_WRITE_H

#include "fit/fit.h"
#include "model/nbh.h"

typedef struct {
    const char *series;
    int number; /* 1-based */
    cr_chains_config cfg;
    cr_chains_result res;
    double *ebfmi;        /* [chain] */
    cr_diag_summary *sum; /* [nout] */
    cr_fit_check chk;
    double sampler_s, diagnostics_s; /* wall clock */
} cr_fit_attempt;

int cr_fit_write_summary(const char *path, const cr_model *m, const cr_fit_attempt *a, cr_err *e);
int cr_fit_write_sampler(const char *path, const cr_fit_attempt *a, cr_err *e);
int cr_fit_write_draws(const char *path, const cr_model *m, const cr_fit_attempt *a, cr_err *e);
int cr_fit_write_log(const char *path, const cr_model *m, const cr_nbh_data *d,
                     const cr_fit_attempt *a, cr_err *e);

#endif
