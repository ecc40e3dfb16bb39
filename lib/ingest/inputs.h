/* Turns the command line's mix of files and directories into the list of machines: one capture
 * per machine, machine_id = file name without its extension (as R's tools::file_path_sans_ext),
 * machines numbered 1..K in sorted machine_id order. */
#ifndef CR_INPUTS_H
#define CR_INPUTS_H

#include "common/err.h"

typedef struct {
    char *path;
    char *machine_id;
} cr_input;

typedef struct {
    cr_input *items; /* sorted by machine_id (byte order) */
    int n;
} cr_inputs;

/* Directories are scanned (not recursively) for files with a supported extension: .Rds/.rds,
 * .pcap, .pcapng, .cap, .tsv, .csv, and the logs' .log, .json, .gz, .binetflow. Fails on missing
 * paths, directories without inputs and two inputs with the same machine_id. */
int cr_inputs_collect(cr_inputs *out, char *const *paths, int npaths, cr_err *e);
/* The same without the machine_id check, for inputs that are not one machine each (logs): the
 * caller takes those out (cr_inputs_take) and checks the rest (cr_inputs_check_unique). */
int cr_inputs_gather(cr_inputs *out, char *const *paths, int npaths, cr_err *e);
int cr_inputs_check_unique(const cr_inputs *in, cr_err *e);
/* Moves the items pick() selects from in to taken, both keeping their order. */
void cr_inputs_take(cr_inputs *in, int (*pick)(const char *path, void *ctx), void *ctx,
                    cr_inputs *taken);
void cr_inputs_free(cr_inputs *in);

/* machine_id of a path: basename minus a final ".alnum" extension. Caller frees. */
char *cr_machine_id(const char *path);

#endif
