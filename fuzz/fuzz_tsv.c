/* libFuzzer target: a TSV/CSV export read to the end through the packet source. */
#include <stdint.h>

#include "ingest/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    cr_source *s;
    cr_err e;
    if (cr_tsv_source_mem(&s, data, size, "fuzz.tsv", &e) != 0)
        return 0;
    cr_packet p;
    while (cr_source_next(s, &p, &e) == 1)
        ;
    cr_source_close(s);
    return 0;
}
