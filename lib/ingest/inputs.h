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
 * .pcap, .pcapng, .cap, .tsv, .csv. Fails on missing paths, directories without captures and
 * two inputs with the same machine_id. */
int cr_inputs_collect(cr_inputs *out, char *const *paths, int npaths, cr_err *e);
void cr_inputs_free(cr_inputs *in);

/* machine_id of a path: basename minus a final ".alnum" extension. Caller frees. */
char *cr_machine_id(const char *path);

#endif
