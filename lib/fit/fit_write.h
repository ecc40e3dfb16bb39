/* The files of one fit attempt (formats in fit.h). Internal to lib/fit. */
#ifndef CR_FIT_WRITE_H
#define CR_FIT_WRITE_H

#include "fit/fit.h"

int cr_fit_write_summary(const char *path, const cr_model *m, const cr_fit_attempt *a, cr_err *e);
int cr_fit_write_sampler(const char *path, const cr_fit_attempt *a, cr_err *e);
/* The draws res holds: every output, or the ndraw_cols of draw_cols when draw_cols is set. */
int cr_fit_write_draws(const char *path, const cr_model *m, const cr_fit_attempt *a,
                       const int *draw_cols, int ndraw_cols, cr_err *e);
/* The loop log of an attempt (JSON, caller frees), the data it was fitted to as m's registry
 * entry describes them (cr_model_entry.log_data). */
char *cr_fit_log_text(const cr_model *m, const cr_fit_attempt *a);

#endif
