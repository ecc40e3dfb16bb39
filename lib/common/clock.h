/* Wall-clock seconds for timings (never in reproducible outputs), and times as UTC text. */
#ifndef CR_CLOCK_H
#define CR_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Seconds on the monotonic clock, from an arbitrary origin. */
double cr_now(void);
/* "2023-11-14 22:13:20 UTC" for a time of ms since 1970 (its ms as a number if gmtime fails). */
void cr_utc_text(int64_t ms, char *buf, size_t n);

#endif
