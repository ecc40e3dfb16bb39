#include "common/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

static int quiet;
static int shown;
static double last;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void cr_progress_set_quiet(int q) { quiet = q; }
int cr_quiet(void) { return quiet; }

int cr_progress_enabled(void) { return !quiet && isatty(2); }

void cr_progress(int force, const char *fmt, ...)
{
    if (!cr_progress_enabled())
        return;
    pthread_mutex_lock(&lock);
    double t = cr_now();
    if (force || t - last >= 0.1) {
        last = t;
        va_list ap;
        va_start(ap, fmt);
        fputs("\r\033[K", stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fflush(stderr);
        shown = 1;
    }
    pthread_mutex_unlock(&lock);
}

void cr_progress_done(void)
{
    pthread_mutex_lock(&lock);
    if (shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        shown = 0;
    }
    pthread_mutex_unlock(&lock);
}

void cr_info(const char *fmt, ...)
{
    if (quiet)
        return;
    cr_progress_done();
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}
