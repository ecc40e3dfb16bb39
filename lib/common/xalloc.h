/* Allocation that cannot fail: connrate has no useful way to continue without memory, so these
 * print one line and exit(2) instead of making every caller test for NULL. */
#ifndef CR_XALLOC_H
#define CR_XALLOC_H

#include <stddef.h>
#include <stdio.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* The first n bytes of s (fewer at a NUL), terminated. */
char *xstrndup(const char *s, size_t n);

/* Grows *p (an array of `elem`-byte items with capacity *cap) to hold at least `need` items. */
void xgrow(void *pp, size_t *cap, size_t need, size_t elem);

/* open_memstream and its fclose, which fail only for want of memory. */
FILE *xmemstream_open(char **buf, size_t *len);
void xmemstream_close(FILE *f);

#endif
