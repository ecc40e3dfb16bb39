/* NOTES.md: the investigation log of `connrate fit`, in plain sentences. Internal to lib/fit. */
#ifndef CR_FIT_NOTES_H
#define CR_FIT_NOTES_H

#include <stdio.h>

#include "fit/fit.h"

/* Everything learnt about one series. */
typedef struct {
    const char *series;
    const char *const *machine_ids; /* K */
    int nmachines;
    size_t nseconds;
    long long total;
    double zero_frac;
    int nmodels;                    /* tried, in ladder order */
    const cr_ladder_model *lm[CR_LADDER_NMODELS];
    const cr_fit_attempt *fit[CR_LADDER_NMODELS];
    const cr_ppc_result *ppc[CR_LADDER_NMODELS];
    cr_loo_estimates loo[CR_LADDER_NMODELS];
    cr_ladder_choice choice;
    int nholdout;                   /* machines held out (0: not run) */
    const cr_holdout_machine *holdout;
    double interval;
} cr_fit_notes;

/* The rules every section refers to. */
void cr_fit_notes_preamble(FILE *f, const char *cps_note);
void cr_fit_notes_series(FILE *f, const cr_fit_notes *n);

#endif
