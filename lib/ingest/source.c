#include "ingest/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void cr_source_init(cr_source *s, const cr_source_ops *ops, const char *path, const char *kind)
{
    memset(s, 0, sizeof *s);
    s->ops = ops;
    s->path = xstrdup(path);
    s->kind = kind;
}

void cr_source_drop(cr_source *s, const char *why)
{
    for (int i = 0; i < s->ndrops; i++)
        if (s->drops[i].why == why || strcmp(s->drops[i].why, why) == 0) {
            s->drops[i].n++;
            return;
        }
    if (s->ndrops < CR_SOURCE_MAX_DROPS) {
        s->drops[s->ndrops].why = why;
        s->drops[s->ndrops++].n = 1;
    } else {
        s->drops[CR_SOURCE_MAX_DROPS - 1].n++;
    }
}

/* The reader is chosen by the first bytes, not the extension: users rename files, and R's
 * saveRDS output may be gzip, bzip2, xz or plain. */
int cr_source_open(cr_source **out, const char *path, cr_err *e)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cr_fail(e, "%s: cannot open: %s", path, strerror(errno));
    unsigned char m[6] = {0};
    size_t n = fread(m, 1, sizeof m, f);
    fclose(f);
    if (n == 0)
        return cr_fail(e, "%s: empty file", path);
    uint32_t le = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    if (n >= 4 && (le == 0xa1b2c3d4 || le == 0xd4c3b2a1 || le == 0xa1b23c4d || le == 0x4d3cb2a1 ||
                   le == 0x0a0d0d0a))
        return cr_pcap_source_open(out, path, e);
    int gz = n >= 2 && m[0] == 0x1f && m[1] == 0x8b;
    int bz = n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h';
    int xz = n >= 6 && !memcmp(m, "\xfd" "7zXZ\0", 6);
    int raw = n >= 2 && (m[0] == 'X' || m[0] == 'A' || m[0] == 'B') && m[1] == '\n';
    if (gz || bz || xz || raw)
        return cr_rds_source_open(out, path, e);
    return cr_tsv_source_open(out, path, e);
}

int cr_source_next(cr_source *s, cr_packet *p, cr_err *e)
{
    int rc = s->ops->next(s, p, e);
    if (rc == 1)
        s->delivered++;
    return rc;
}

void cr_source_close(cr_source *s)
{
    if (!s)
        return;
    char *path = s->path;
    s->ops->close(s);
    free(path);
}
