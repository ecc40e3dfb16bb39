/* Error reporting: every fallible library call takes a cr_err and fills it with one line that
 * names the file and what is wrong, so the CLI can print it as is. */
#ifndef CR_ERR_H
#define CR_ERR_H

#include <stddef.h>

typedef struct {
    char msg[1024];
} cr_err;

/* Formats the message into e (when e is not NULL) and returns -1, so callers can write
 * `return cr_fail(e, "%s: truncated header", path);`. */
int cr_fail(cr_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message with "what: " (e.g. the file name) when it does not already
 * start with it. Returns -1. */
int cr_fail_prefix(cr_err *e, const char *what);

#endif
