/* The duration model's entry in the registry of models (model/model.h), as the rate models'
 * are in lib/ladder/ladder.c: the fit engine names, logs and checks a duration fit through it.
 * cr_duration_model_at gives its models this entry; its check is the one against Kaplan-Meier
 * (duration/check.h) on CR_DUR_FIT_REPLICATES draws evenly spread over those given (the check
 * data a cr_duration_obs, the result a cr_duration_ppc). */
#ifndef CR_DURATION_ENTRY_H
#define CR_DURATION_ENTRY_H

#include "model/model.h"

extern const cr_model_entry cr_duration_entry;

#endif
