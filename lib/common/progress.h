/* Progress of long work, on stderr only: outputs never depend on it. One of four modes, chosen
 * by the settings below (the library's default is the first, so a program embedding it is never
 * chatty unless it asks):
 *   - a status line redrawn in place (stage, bar, percent, ETA) when stderr is a terminal;
 *   - when stderr is not a terminal (CI logs, ssh, nohup) and a heartbeat interval is set, one
 *     plain line per interval at most: "progress: STAGE 45% (450/1000), ETA 1m05s";
 *   - with JSON on, one object per line whatever stderr is, for tools:
 *     {"stage": "...", "done": 450, "total": 1000, "eta_s": 65.2} (total and eta_s null when
 *     unknown), at most once a second per stage plus each stage's first and last step;
 *   - nothing when quiet (JSON, asked for explicitly, still prints: `-q --json-progress` leaves
 *     only JSON and errors on stderr).
 * Every call is thread-safe. */
#ifndef CR_PROGRESS_H
#define CR_PROGRESS_H

/* Set once by the CLI. */
void cr_progress_set_quiet(int quiet);
void cr_progress_set_json(int json);
/* Seconds between heartbeat lines when stderr is not a terminal; 0 (the default): none. */
void cr_progress_set_heartbeat(double seconds);
/* True when progress should be computed and shown. */
int cr_progress_enabled(void);
/* done of total units of a long stage (total 0: unknown); a stage is known by its name, and its
 * ETA runs from its first step. Rate-limited to ~10 redraws a second on a terminal. */
void cr_progress_step(const char *stage, double done, double total);
/* A status message without counts; force skips the rate limit. */
void cr_progress(int force, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the terminal status line. */
void cr_progress_done(void);
/* Summary messages (always shown unless quiet). */
void cr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cr_quiet(void);

#endif
