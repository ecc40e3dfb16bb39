/* Wall-clock seconds for timings (never in reproducible outputs). */
#ifndef CR_CLOCK_H
#define CR_CLOCK_H

/* Seconds on the monotonic clock, from an arbitrary origin. */
double cr_now(void);

#endif
