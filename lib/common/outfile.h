/* Outputs appear whole or not at all, and never in place of an input.
 *
 * A file is written to a temporary beside it and renamed over it only on success; a directory
 * output (a run's tables, fits, plots and report) is built in a temporary directory beside it
 * and renamed into place at the end, so it always holds one whole run. Temporaries are removed
 * on failure, on SIGINT/SIGTERM, and (after a SIGKILL) by the next run into the same place
 * (common/tempfiles.h). */
#ifndef CR_OUTFILE_H
#define CR_OUTFILE_H

#include <stdio.h>

#include "common/err.h"

typedef struct {
    FILE *fp;
    char *path;  /* final name; NULL when writing to stdout */
    char *tmp;   /* temporary name while open */
} cr_outfile;

/* path NULL or "-" writes to stdout; "" is an error. Creates missing parent directories. */
int cr_outfile_open(cr_outfile *o, const char *path, cr_err *e);
/* Flushes, checks for write errors and renames into place. */
int cr_outfile_commit(cr_outfile *o, cr_err *e);
/* Removes the temporary file (safe to call after commit or on an unopened struct). */
void cr_outfile_abort(cr_outfile *o);

/* mkdir -p. */
int cr_mkdirs(const char *dir, cr_err *e);

/* Refuses (before anything is written) an output that is one of the inputs: the same file
 * (device and inode, so links and other spellings count), or for a directory output, a
 * directory that is or holds one of them. A missing output is fine. */
int cr_output_check(const char *out, int is_dir, char *const *inputs, int ninputs, cr_err *e);

typedef struct {
    char *path; /* final name */
    char *tmp;  /* where to write until commit */
    int force;
} cr_outdir;

/* Prepares directory output `path`: fails if it exists and is not a directory, or is a
 * non-empty directory and force is not set (force replaces it whole at commit). Creates the
 * temporary directory d->tmp beside it. */
int cr_outdir_open(cr_outdir *d, const char *path, int force, cr_err *e);
/* Renames d->tmp into place (replacing the old directory when forced). */
int cr_outdir_commit(cr_outdir *d, cr_err *e);
/* Removes d->tmp and everything in it (safe after commit or on an unopened struct). */
void cr_outdir_abort(cr_outdir *d);

#endif
