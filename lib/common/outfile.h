/* Output files appear whole or not at all: data goes to a temporary file beside the target and is
 * renamed over it only on success, so a failed run never leaves a partial table behind. */
#ifndef CR_OUTFILE_H
#define CR_OUTFILE_H

#include <stdio.h>

#include "common/err.h"

typedef struct {
    FILE *fp;
    char *path;  /* final name; NULL when writing to stdout */
    char *tmp;   /* temporary name while open */
} cr_outfile;

/* path NULL or "-" writes to stdout. Creates missing parent directories. */
int cr_outfile_open(cr_outfile *o, const char *path, cr_err *e);
/* Flushes, checks for write errors and renames into place. */
int cr_outfile_commit(cr_outfile *o, cr_err *e);
/* Removes the temporary file (safe to call after commit or on an unopened struct). */
void cr_outfile_abort(cr_outfile *o);

/* mkdir -p. */
int cr_mkdirs(const char *dir, cr_err *e);

#endif
