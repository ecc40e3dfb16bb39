/* libFuzzer target for whole capture files: the input is written to a file and read the way
 * `connrate cps` reads a capture (libpcap frame by frame, decoder, tshark TCP emulation, the
 * machine's connection records, the span limit, the per-second table and the flow list), so
 * what a hostile file can reach downstream of the parser is exercised too. Seeded with the
 * shared captures (fuzz/run.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "flows/flows.h"
#include "flows/load.h"
#include "series/cps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/connrate-fuzz-%ld.pcap", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char *paths[] = {path};
    cr_inputs in;
    cr_err e;
    if (cr_inputs_collect(&in, paths, 1, &e) != 0)
        return 0;
    cr_load_options o = {.threads = 1, .max_span_s = 31 * 86400.0};
    cr_machine *m;
    if (cr_machines_load(&in, &o, &m, &e) == 0) {
        cr_cps_counts c;
        cr_cps_build(&m[0], CR_TCP_END_FLAGS, &c);
        cr_cps_counts_free(&c);
        cr_flow *fl;
        cr_machine_flows(&m[0], &fl);
        free(fl);
        cr_machines_free(m, 1);
    }
    cr_inputs_free(&in);
    return 0;
}
