/* The diagnostics workspace: grown on demand so one workspace serves variables of any size. */
#include <stdlib.h>

#include "common/xalloc.h"
#include "diag/diag_internal.h"

cr_diag_ws *cr_diag_ws_new(void)
{
    cr_diag_ws *ws = xcalloc(1, sizeof *ws);
    ws->pos_chains = -1;
    return ws;
}

static void fft_free(cr_diag_ws *ws)
{
    if (ws->fft_rw) gsl_fft_real_wavetable_free(ws->fft_rw);
    if (ws->fft_hw) gsl_fft_halfcomplex_wavetable_free(ws->fft_hw);
    if (ws->fft_work) gsl_fft_real_workspace_free(ws->fft_work);
    free(ws->fft_buf);
    ws->fft_rw = NULL;
    ws->fft_hw = NULL;
    ws->fft_work = NULL;
    ws->fft_buf = NULL;
    ws->fft_n = 0;
}

void cr_diag_ws_free(cr_diag_ws *ws)
{
    if (!ws) return;
    free(ws->sorted);
    free(ws->ord);
    free(ws->key);
    free(ws->key2);
    free(ws->ord2);
    free(ws->fold);
    free(ws->ford);
    free(ws->mat);
    free(ws->yc);
    free(ws->pos);
    free(ws->acov);
    free(ws->rho);
    free(ws->colmean);
    free(ws->colvar);
    free(ws->colss);
    free(ws->ztab);
    fft_free(ws);
    free(ws);
}

void cr_diag_ws_reserve(cr_diag_ws *ws, size_t s)
{
    if (s < 1) s = 1;
    if (s > ws->cap) {
        size_t c = s;
        ws->sorted = xrealloc(ws->sorted, c * sizeof(double));
        ws->ord = xrealloc(ws->ord, c * sizeof(int));
        ws->key = xrealloc(ws->key, c * sizeof(uint64_t));
        ws->key2 = xrealloc(ws->key2, c * sizeof(uint64_t));
        ws->ord2 = xrealloc(ws->ord2, c * sizeof(int));
        ws->fold = xrealloc(ws->fold, c * sizeof(double));
        ws->ford = xrealloc(ws->ford, c * sizeof(int));
        ws->mat = xrealloc(ws->mat, c * sizeof(double));
        ws->yc = xrealloc(ws->yc, c * sizeof(double));
        ws->pos = xrealloc(ws->pos, c * sizeof(int));
        ws->pos_chains = -1;
        ws->cap = c;
    }
    if (s > ws->lag_cap) {
        ws->acov = xrealloc(ws->acov, s * sizeof(double));
        ws->rho = xrealloc(ws->rho, s * sizeof(double));
        ws->colmean = xrealloc(ws->colmean, s * sizeof(double));
        ws->colvar = xrealloc(ws->colvar, s * sizeof(double));
        ws->colss = xrealloc(ws->colss, s * sizeof(double));
        ws->lag_cap = s;
    }
}

void cr_diag_ws_fft_plan(cr_diag_ws *ws, size_t n)
{
    if (ws->fft_n == n) return;
    fft_free(ws);
    ws->fft_rw = gsl_fft_real_wavetable_alloc(n);
    ws->fft_hw = gsl_fft_halfcomplex_wavetable_alloc(n);
    ws->fft_work = gsl_fft_real_workspace_alloc(n);
    ws->fft_buf = xmalloc(n * sizeof(double));
    if (!ws->fft_rw || !ws->fft_hw || !ws->fft_work) abort();
    ws->fft_n = n;
}
