/* libFuzzer target for the one delimited-text reader (common/csv.h): the first byte picks the
 * delimiter and flags, the rest is the file, read to the end with every field touched. */
#include <stdint.h>

#include "common/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char delims[] = {',', '\t', 0};
    char delim = delims[data[0] % 3];
    int flags = (data[0] / 3) % 4; /* CR_CSV_PLAIN, CR_CSV_SNIFF, both, none */
    cr_csv *r = cr_csv_open_mem(data + 1, size - 1, "fuzz.csv", delim, flags);
    cr_csv_field *f;
    cr_err e;
    int n;
    size_t sum = 0;
    while ((n = cr_csv_next(r, &f, &e)) > 0)
        for (int i = 0; i < n; i++)
            sum += f[i].len + (f[i].len ? (unsigned char)f[i].s[f[i].len - 1] : 0);
    cr_csv_close(r);
    return (int)(sum & 0);
}
