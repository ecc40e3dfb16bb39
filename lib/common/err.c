#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cr_fail(cr_err *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int cr_fail_prefix(cr_err *e, const char *what)
{
    if (!e)
        return -1;
    size_t n = strlen(what);
    if (strncmp(e->msg, what, n) == 0 && e->msg[n] == ':')
        return -1;
    size_t cap = sizeof e->msg - 1;
    if (n + 2 > cap)
        n = cap - 2;
    size_t keep = strlen(e->msg);
    if (keep > cap - n - 2)
        keep = cap - n - 2;
    memmove(e->msg + n + 2, e->msg, keep);
    memcpy(e->msg, what, n);
    e->msg[n] = ':';
    e->msg[n + 1] = ' ';
    e->msg[n + 2 + keep] = 0;
    return -1;
}
