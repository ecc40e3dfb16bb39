#include "common/gsl_handler.h"

#include <pthread.h>

#include <gsl/gsl_errno.h>

static void handler_off(void)
{
    gsl_error_handler_t *before = gsl_set_error_handler_off();
    if (before) /* the caller's own */
        gsl_set_error_handler(before);
}

void cr_gsl_handler_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, handler_off);
}
