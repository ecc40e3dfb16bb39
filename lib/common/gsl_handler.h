/* GSL reports a numerical failure (a matrix that is not positive definite, a special function
 * outside its domain) by calling its error handler, and its default handler aborts the process.
 * The library checks GSL's status codes and NaNs itself, so the entry points that reach such
 * calls (the sampler's chains, the diagnostics, the duration start search) turn that handler off
 * first: a library user need not. */
#ifndef CR_GSL_HANDLER_H
#define CR_GSL_HANDLER_H

/* Turns GSL's aborting default handler off, once per process and thread-safe; a handler the
 * caller installed before is kept. */
void cr_gsl_handler_init(void);

#endif
