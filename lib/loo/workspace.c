#include <stdlib.h>

#include "common/xalloc.h"
#include "loo/loo_internal.h"

cr_loo_ws *cr_loo_ws_new(void)
{
    return xcalloc(1, sizeof(cr_loo_ws));
}

void cr_loo_ws_free(cr_loo_ws *ws)
{
    if (!ws) return;
    free(ws->lik);
    free(ws->lw);
    free(ws->tmp);
    free(ws->top);
    free(ws->acov);
    free(ws->rho);
    free(ws->chain_mean);
    free(ws->live);
    free(ws->yc);
    free(ws->fit);
    free(ws);
}

void cr_loo_ws_reserve(cr_loo_ws *ws, size_t draws)
{
    if (draws <= ws->cap) return;
    ws->lik = xrealloc(ws->lik, draws * sizeof *ws->lik);
    ws->lw = xrealloc(ws->lw, draws * sizeof *ws->lw);
    ws->tmp = xrealloc(ws->tmp, draws * sizeof *ws->tmp);
    ws->top = xrealloc(ws->top, (draws + 1) * sizeof *ws->top);
    ws->cap = draws;
}

double *cr_loo_ws_fit(cr_loo_ws *ws, size_t n)
{
    xgrow(&ws->fit, &ws->fit_cap, n, sizeof *ws->fit);
    return ws->fit;
}
