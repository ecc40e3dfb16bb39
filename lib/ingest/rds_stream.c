/* The file image the parser walks: an uncompressed file is mapped as it is; gzip, bzip2 and xz
 * streams (recognised by magic bytes, as R's readRDS does) are decompressed whole into one
 * buffer, which costs about as much memory as R needs and far less time than item-by-item I/O.
 * A gzip file as R writes it is decoded by libdeflate in one call; zlib decodes every other
 * gzip stream and words every gzip error.
 *
 * That buffer is anonymous memory asking for transparent huge pages: filled 4 KiB at a time, the
 * page faults of a 150 MB image cost more than inflating it (a profile of a 917k-row file: 22%
 * of the run in the kernel's fault path), and 2 MiB pages take the faults to almost nothing.
 * The kernel still zeroes every fresh page, so the buffer is kept for the next file (below).
 * Where huge pages are off, it is ordinary memory. */
#include "ingest/rds_internal.h"

#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <limits.h>
#include <lzma.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/xalloc.h"

enum { STEP_MORE = 0, STEP_END = 1, STEP_BAD = -1 };

/* One codec behind a common loop: step() consumes input and produces output, updating both
 * counts (nin, nout) to what is left. The input given is always all there is. */
typedef struct {
    const char *what;
    const unsigned char *magic;
    size_t magiclen;
    int (*init)(void *st);
    int (*step)(void *st, const unsigned char *in, size_t *nin, unsigned char *out, size_t *nout,
                const char **msg);
    void (*end)(void *st);
} codec;

typedef union {
    z_stream z;
    bz_stream bz;
    lzma_stream xz;
} codec_state;

/* zlib and bzip2 count in unsigned int; larger spans go in slices. */
#define SLICE ((size_t)1 << 30)
/* Output per decoder call: small enough that a stream that is not R data stops early, large
 * enough to cost nothing per call. */
#define OUT_STEP ((size_t)4 << 20)

static int gz_init(void *st)
{
    z_stream *z = st;
    memset(z, 0, sizeof *z);
    return inflateInit2(z, 15 + 16) == Z_OK ? 0 : -1;
}

static int gz_step(void *st, const unsigned char *in, size_t *nin, unsigned char *out,
                   size_t *nout, const char **msg)
{
    z_stream *z = st;
    z->next_in = (unsigned char *)in;
    z->avail_in = (uInt)(*nin < SLICE ? *nin : SLICE);
    z->next_out = out;
    z->avail_out = (uInt)(*nout < SLICE ? *nout : SLICE);
    uInt ai = z->avail_in, ao = z->avail_out;
    int rc = inflate(z, Z_NO_FLUSH);
    *nin -= ai - z->avail_in;
    *nout -= ao - z->avail_out;
    if (rc == Z_STREAM_END)
        return STEP_END;
    if (rc == Z_OK || rc == Z_BUF_ERROR)
        return STEP_MORE;
    *msg = z->msg ? z->msg : "inflate failed";
    return STEP_BAD;
}

static void gz_end(void *st)
{
    inflateEnd(st);
}

static int bz_init(void *st)
{
    bz_stream *bz = st;
    memset(bz, 0, sizeof *bz);
    return BZ2_bzDecompressInit(bz, 0, 0) == BZ_OK ? 0 : -1;
}

static int bz_step(void *st, const unsigned char *in, size_t *nin, unsigned char *out,
                   size_t *nout, const char **msg)
{
    bz_stream *bz = st;
    bz->next_in = (char *)in;
    bz->avail_in = (unsigned)(*nin < SLICE ? *nin : SLICE);
    bz->next_out = (char *)out;
    bz->avail_out = (unsigned)(*nout < SLICE ? *nout : SLICE);
    unsigned ai = bz->avail_in, ao = bz->avail_out;
    int rc = BZ2_bzDecompress(bz);
    *nin -= ai - bz->avail_in;
    *nout -= ao - bz->avail_out;
    if (rc == BZ_STREAM_END)
        return STEP_END;
    if (rc == BZ_OK)
        return STEP_MORE;
    *msg = rc == BZ_MEM_ERROR ? "out of memory" : "bad data";
    return STEP_BAD;
}

static void bz_end(void *st)
{
    BZ2_bzDecompressEnd(st);
}

static int xz_init(void *st)
{
    lzma_stream *xz = st;
    lzma_stream zero = LZMA_STREAM_INIT;
    *xz = zero;
    return lzma_stream_decoder(xz, UINT64_MAX, 0) == LZMA_OK ? 0 : -1;
}

static int xz_step(void *st, const unsigned char *in, size_t *nin, unsigned char *out,
                   size_t *nout, const char **msg)
{
    lzma_stream *xz = st;
    xz->next_in = in;
    xz->avail_in = *nin;
    xz->next_out = out;
    xz->avail_out = *nout;
    lzma_ret rc = lzma_code(xz, LZMA_FINISH);
    *nin = xz->avail_in;
    *nout = xz->avail_out;
    if (rc == LZMA_STREAM_END)
        return STEP_END;
    if (rc == LZMA_OK || rc == LZMA_BUF_ERROR)
        return STEP_MORE;
    *msg = rc == LZMA_MEM_ERROR ? "out of memory" : rc == LZMA_FORMAT_ERROR ? "bad header"
                                                                            : "bad data";
    return STEP_BAD;
}

static void xz_end(void *st)
{
    lzma_end(st);
}

static const codec codecs[] = {
    {"gzip", (const unsigned char *)"\x1f\x8b", 2, gz_init, gz_step, gz_end},
    {"bzip2", (const unsigned char *)"BZh", 3, bz_init, bz_step, bz_end},
    {"xz", (const unsigned char *)"\xfd" "7zXZ\0", 6, xz_init, xz_step, xz_end},
};

static const codec *codec_for(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
        if (n >= codecs[i].magiclen && !memcmp(p, codecs[i].magic, codecs[i].magiclen))
            return &codecs[i];
    return NULL;
}

/* A first guess at the output size, so the buffer rarely moves: gzip records it (mod 2^32). */
static size_t size_hint(const codec *c, const unsigned char *in, size_t n)
{
    if (c->step == gz_step && n >= 18) {
        const unsigned char *t = in + n - 4;
        size_t isize = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
        if (isize >= n)
            return isize + 4096;
    }
    return n < SIZE_MAX / 8 ? n * 8 + 4096 : n;
}

/* What an xz file's index says it decompresses to, when the index covers the whole file (one
 * stream, no padding); 0 when it says nothing usable. */
static size_t xz_claim(const unsigned char *in, size_t n)
{
    lzma_stream_flags flags;
    if (n < 2 * LZMA_STREAM_HEADER_SIZE ||
        lzma_stream_footer_decode(&flags, in + n - LZMA_STREAM_HEADER_SIZE) != LZMA_OK ||
        flags.backward_size > n - 2 * LZMA_STREAM_HEADER_SIZE)
        return 0;
    lzma_index *idx = NULL;
    uint64_t memlimit = 64 << 20;
    size_t pos = 0;
    const unsigned char *p = in + n - LZMA_STREAM_HEADER_SIZE - flags.backward_size;
    if (lzma_index_buffer_decode(&idx, &memlimit, NULL, p, &pos, flags.backward_size) != LZMA_OK)
        return 0;
    uint64_t file = lzma_index_file_size(idx), out = lzma_index_uncompressed_size(idx);
    lzma_index_end(idx, NULL);
    return file == n && out < SIZE_MAX ? (size_t)out : 0;
}

/* Half the machine's memory: a file that decompresses to more cannot be read anyway, and
 * stopping there names the file instead of letting the system kill the process. */
static size_t memory_cap(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return SIZE_MAX;
    return (size_t)pages / 2 * (size_t)size;
}

/* An R data file begins with a serialization or workspace header: checked on the first bytes
 * out, so that a compressed stream of anything else (a decompression bomb) stops there. */
static int looks_like_r(const unsigned char *p, size_t n)
{
    return n >= 2 && ((p[1] == '\n' && (p[0] == 'X' || p[0] == 'A' || p[0] == 'B')) ||
                      (p[0] == 'R' && p[1] == 'D'));
}

/* Images of files already read, kept for the next file: a process reading many files hands
 * the kernel back nothing it would have to zero again (cr_rds_drop_cache returns them). */
#define PARKED 4
static pthread_mutex_t parked_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    unsigned char *p;
    size_t len;
} parked[PARKED];

/* Anonymous memory for at least n bytes of image (*len: how much), or NULL. */
static unsigned char *image_alloc(size_t n, size_t *len)
{
    pthread_mutex_lock(&parked_lock);
    int best = -1;
    for (int i = 0; i < PARKED; i++)
        if (parked[i].p && parked[i].len >= n && (best < 0 || parked[i].len < parked[best].len))
            best = i;
    unsigned char *p = best >= 0 ? parked[best].p : NULL;
    if (p) {
        *len = parked[best].len;
        parked[best].p = NULL;
    }
    pthread_mutex_unlock(&parked_lock);
    if (p)
        return p;
    p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, n, MADV_HUGEPAGE);
    *len = n;
    return p;
}

/* Parks an image's memory in place of the smallest parked one, or unmaps it. */
static void image_release(unsigned char *p, size_t len)
{
    pthread_mutex_lock(&parked_lock);
    int slot = 0;
    for (int i = 1; i < PARKED; i++)
        if (!parked[i].p || (parked[slot].p && parked[i].len < parked[slot].len))
            slot = i;
    if (parked[slot].p && parked[slot].len < len) {
        munmap(parked[slot].p, parked[slot].len);
        parked[slot].p = NULL;
    }
    if (!parked[slot].p) {
        parked[slot].p = p;
        parked[slot].len = len;
        p = NULL;
    }
    pthread_mutex_unlock(&parked_lock);
    if (p)
        munmap(p, len);
}

void cr_rds_drop_cache(void)
{
    pthread_mutex_lock(&parked_lock);
    for (int i = 0; i < PARKED; i++) {
        if (parked[i].p)
            munmap(parked[i].p, parked[i].len);
        parked[i].p = NULL;
    }
    pthread_mutex_unlock(&parked_lock);
}

/* Whether a gzip stream starts with R's header, from its first bytes out. */
static int gz_starts_like_r(const unsigned char *in, size_t n)
{
    unsigned char head[2];
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return 0;
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)(n < SLICE ? n : SLICE);
    z.next_out = head;
    z.avail_out = sizeof head;
    int rc = inflate(&z, Z_NO_FLUSH);
    size_t got = sizeof head - z.avail_out;
    inflateEnd(&z);
    return (rc == Z_OK || rc == Z_STREAM_END) && looks_like_r(head, got);
}

/* What every R file is: one gzip member whose trailer gives its size. libdeflate decodes it in
 * one call, twice as fast as zlib (and its CRC-32 more than that): a third of reading a 917k-row
 * file went to zlib. Returns 0 with the image; -1 for anything else (several members, a size
 * past 4 GiB or the limit, corrupt data), which zlib then decodes or describes. */
static int gz_whole(const unsigned char *in, size_t n, size_t max_bytes, rds_image *im)
{
    if (n < 18)
        return -1;
    const unsigned char *t = in + n - 4;
    size_t size = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    /* the header first, so that a bomb claiming a large size is not inflated whole */
    if (size < 2 || size > max_bytes || !gz_starts_like_r(in, n))
        return -1;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t maplen, used = 0, got = 0;
    unsigned char *out = d ? image_alloc(size, &maplen) : NULL;
    int ok = out && libdeflate_gzip_decompress_ex(d, in, n, out, size, &used, &got) ==
                        LIBDEFLATE_SUCCESS && used == n && got == size;
    if (d)
        libdeflate_free_decompressor(d);
    if (!ok) {
        if (out)
            image_release(out, maplen);
        return -1;
    }
    im->map = out;
    im->maplen = maplen;
    im->anon = 1;
    im->data = out;
    im->len = size;
    return 0;
}

static int decompress(const codec *c, const unsigned char *in, size_t n, const char *name,
                      size_t max_bytes, rds_image *im, cr_err *e)
{
    codec_state st;
    if (c->init(&st) != 0)
        return cr_fail(e, "%s: cannot start %s decoder", name, c->what);
    size_t claim = c->step == xz_step ? xz_claim(in, n) : 0;
    const char *limit_why = "the reader's limit";
    if (!max_bytes || max_bytes > memory_cap()) {
        max_bytes = memory_cap();
        limit_why = "half this machine's memory";
    }
    if (claim && claim < max_bytes) {
        max_bytes = claim + 1; /* room for the decoder to see the end */
        limit_why = "what its xz index claims";
    }
    if (c->step == gz_step && gz_whole(in, n, max_bytes, im) == 0) {
        c->end(&st);
        return 0;
    }
    size_t cap = size_hint(c, in, n), len = 0, pos = 0;
    int checked = 0;
    if (max_bytes && cap > max_bytes)
        cap = max_bytes;
    size_t maplen;
    unsigned char *out = image_alloc(cap, &maplen);
    if (!out) {
        c->end(&st);
        return cr_fail(e, "%s: out of memory for %zu bytes of decompressed data", name, cap);
    }
    int rc = -1;
    for (;;) {
        if (len == cap) {
            if (cap >= max_bytes) {
                cr_fail(e, "%s: decompresses to more than %zu bytes (%s)", name, max_bytes,
                        limit_why);
                break;
            }
            size_t old = cap;
            cap = cap < SIZE_MAX / 2 ? cap * 2 : SIZE_MAX;
            if (max_bytes && cap > max_bytes)
                cap = max_bytes;
            /* Rare (gzip and xz say their size up front): a copy, as realloc would do. */
            size_t biglen;
            unsigned char *bigger = image_alloc(cap, &biglen);
            if (!bigger) {
                cap = old;
                cr_fail(e, "%s: out of memory for %zu bytes of decompressed data", name, cap);
                break;
            }
            memcpy(bigger, out, len);
            image_release(out, maplen);
            out = bigger;
            maplen = biglen;
        }
        size_t nin = n - pos, nout = cap - len < OUT_STEP ? cap - len : OUT_STEP;
        size_t nin0 = nin, nout0 = nout;
        const char *msg = NULL;
        int s = c->step(&st, in + pos, &nin, out + len, &nout, &msg);
        pos += nin0 - nin;
        len += nout0 - nout;
        if (!checked && len >= 2) {
            checked = 1;
            if (!looks_like_r(out, len)) {
                cr_fail(e, "%s: %s data that is not an R data file (no serialization header)",
                        name, c->what);
                break;
            }
        }
        if (s == STEP_BAD) {
            cr_fail(e, "%s: corrupt %s stream (%s)", name, c->what, msg);
            break;
        }
        if (s == STEP_END) {
            /* Concatenated streams are one file to gzip/bzip2/xz, so they are to us too. */
            if (pos < n && codec_for(in + pos, n - pos) == c) {
                c->end(&st);
                if (c->init(&st) != 0) {
                    cr_fail(e, "%s: cannot restart %s decoder", name, c->what);
                    break;
                }
                continue;
            }
            rc = 0;
            break;
        }
        if (nin == nin0 && nout == nout0 && pos == n) {
            cr_fail(e, "%s: truncated %s stream", name, c->what);
            break;
        }
    }
    c->end(&st);
    if (rc != 0) {
        image_release(out, maplen);
        return -1;
    }
    im->map = out;
    im->maplen = maplen;
    im->anon = 1;
    im->data = out;
    im->len = len;
    return 0;
}

int rds_image_mem(rds_image *im, const void *buf, size_t len, const char *name, size_t max_bytes,
                  cr_err *e)
{
    memset(im, 0, sizeof *im);
    if (len == 0)
        return cr_fail(e, "%s: empty file", name);
    const codec *c = codec_for(buf, len);
    if (c)
        return decompress(c, buf, len, name, max_bytes, im, e);
    im->data = buf;
    im->len = len;
    return 0;
}

/* Non-regular files (pipes, /dev/stdin) cannot be mapped; they are read whole. */
static int slurp_fd(int fd, const char *path, unsigned char **out, size_t *outlen, cr_err *e)
{
    size_t cap = 1 << 20, len = 0;
    unsigned char *b = xmalloc(cap);
    for (;;) {
        if (len == cap)
            b = xrealloc(b, cap *= 2);
        ssize_t r = read(fd, b + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(b);
            return cr_fail(e, "%s: read error: %s", path, strerror(errno));
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    *out = b;
    *outlen = len;
    return 0;
}

int rds_image_file(rds_image *im, const char *path, cr_err *e)
{
    memset(im, 0, sizeof *im);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return cr_fail(e, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return cr_fail(e, "%s: cannot stat: %s", path, strerror(errno));
    }
    const unsigned char *data;
    size_t len = 0;
    void *map = NULL;
    unsigned char *owned = NULL;
    if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
        len = (size_t)sb.st_size;
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            close(fd);
            return cr_fail(e, "%s: cannot map: %s", path, strerror(errno));
        }
        madvise(map, len, MADV_SEQUENTIAL);
        data = map;
    } else if (slurp_fd(fd, path, &owned, &len, e) != 0) {
        close(fd);
        return -1;
    } else {
        data = owned;
    }
    close(fd);
    int rc = rds_image_mem(im, data, len, path, 0, e);
    if (rc != 0 || im->map) {
        /* Decompressed (or failed): the compressed bytes are no longer needed. */
        if (map)
            munmap(map, len);
        free(owned);
        return rc;
    }
    im->map = map;
    im->maplen = map ? len : 0;
    im->owned = owned;
    return 0;
}

void rds_image_free(rds_image *im)
{
    if (im->map && im->anon)
        image_release(im->map, im->maplen);
    else if (im->map)
        munmap(im->map, im->maplen);
    free(im->owned);
    memset(im, 0, sizeof *im);
}
