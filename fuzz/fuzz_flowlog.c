/* libFuzzer target: a flow or session log read to the end through detection, its format's
 * reader, the joins and the host grouping (the readers take a path, so the input goes to one
 * temporary file per process). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "flowlog/flowlog.h"

static char path[64];

static void remove_file(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/fuzz_flowlog-XXXXXX");
        int fd = mkstemp(path);
        if (fd < 0)
            abort();
        close(fd);
        atexit(remove_file);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    cr_flowlog_opts o;
    cr_flowlog_opts_init(&o);
    o.min_flows = 2;
    const char *paths[1] = {path};
    cr_flowlog_set s;
    cr_err e;
    if (cr_flowlog_read(paths, 1, &o, &s, &e) == 0) {
        FILE *null = fopen("/dev/null", "w");
        cr_flowlog_describe(null, &s);
        fclose(null);
        cr_flowlog_set_free(&s);
    }
    return 0;
}
