/* Temporary files and directories that must not outlive the run that made them.
 *
 * Every temporary connrate creates is named .NAME.connrate-tmp-PID-XXXXXX beside the output NAME
 * it will become, and registered here until it is renamed into place or removed. SIGINT, SIGTERM
 * and SIGHUP (unless the parent ignores them, as nohup and a shell's background jobs do) are
 * taken by a thread of their own (cr_tempfiles_install blocks them in every
 * thread before any other starts), which removes every registered temporary and exits with
 * 128 + the signal (130 for Ctrl-C, 143 for SIGTERM). A run killed with SIGKILL cannot clean up:
 * the next output opened beside the same NAME removes the temporaries of processes that no longer
 * exist (cr_tempfiles_sweep). */
#ifndef CR_TEMPFILES_H
#define CR_TEMPFILES_H

#include "common/err.h"

/* Call first thing in main, before any thread is created. */
void cr_tempfiles_install(void);

/* The temporary's name for output `path`: "DIR/.NAME.connrate-tmp-PID-XXXXXX" (for mkstemp or
 * mkdtemp). Caller frees. */
char *cr_tempfiles_template(const char *path);

/* Registers / forgets a temporary (a directory is removed with everything in it). */
void cr_tempfiles_add(const char *path, int is_dir);
void cr_tempfiles_forget(const char *path);

/* Removes the temporaries of output `path` left by processes that are gone. */
void cr_tempfiles_sweep(const char *path);

/* rm -rf path (no error when it does not exist). */
int cr_remove_tree(const char *path, cr_err *e);

#endif
