/* The one choice loop of the engine (fit.h, cr_fit_select). */
#include "fit/fit.h"

#include "common/progress.h"

int cr_fit_select(const cr_fit_selection *s, cr_ladder_candidate *c, cr_ladder_choice *out,
                  cr_err *e)
{
    for (int i = 0; i < s->n; i++)
        if (s->judge(s->ctx, i, &c[i], e) != 0)
            return -1;
    int confirmed[CR_LADDER_NMODELS] = {0}, dropped = 0;
    for (;;) {
        cr_ladder_choose(s->n, c, s->names, s->weight, s->npoints, out);
        int ch = out->chosen, fallback = 0;
        /* after a failure, a candidate not worth fitting (or one that would not converge) gives
         * way to the fallback */
        if (dropped && (confirmed[ch] ? !c[ch].converged : !c[ch].usable)) {
            ch = out->chosen = s->fallback;
            fallback = 1;
        }
        if (!s->confirm || confirmed[ch])
            return 0;
        if (s->confirm(s->ctx, out, fallback, &c[ch], e) != 0)
            return -1;
        confirmed[ch] = 1;
        if (c[ch].converged && (c[ch].ppc_pass || out->failing))
            return 0;
        cr_info("%s: %s failed %s: choosing again without it\n", s->label, s->names[ch],
                c[ch].converged ? "its predictive check" : "the convergence criteria");
        c[ch].usable = 0;
        dropped = 1;
    }
}
