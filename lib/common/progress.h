/* Progress lines on stderr, only when stderr is a terminal and the user did not ask for --quiet:
 * redirected runs and CI logs stay clean. */
#ifndef CR_PROGRESS_H
#define CR_PROGRESS_H

/* Set once by the CLI. */
void cr_progress_set_quiet(int quiet);
/* True when progress should be shown. */
int cr_progress_enabled(void);
/* Overwrites the current status line (carriage return, no newline); rate-limited to ~10/s
 * unless force is set. */
void cr_progress(int force, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the status line. */
void cr_progress_done(void);
/* Summary messages (always shown unless quiet). */
void cr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cr_quiet(void);

#endif
