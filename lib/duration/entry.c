#include "duration/entry.h"

#include <stdlib.h>

#include "common/xalloc.h"
#include "duration/check.h"
#include "duration/start.h"

static int ppc(const cr_model *m, const void *check, const double *draws, size_t ndraws,
               uint64_t seed, int threads, void *out, cr_err *e)
{
    const cr_duration_start *s = m->data;
    const double res = (double)s->d->res_ms / 1000;
    cr_duration_ppc *r = out;
    cr_duration_params *p = xmalloc(CR_DUR_FIT_REPLICATES * sizeof *p);
    for (int i = 0; i < CR_DUR_FIT_REPLICATES; i++)
        p[i] = cr_duration_params_at(
            s->k, res,
            draws + ((size_t)i * ndraws + ndraws / 2) / CR_DUR_FIT_REPLICATES * (size_t)m->nout);
    cr_duration_ppc_run(check, p, CR_DUR_FIT_REPLICATES, seed, threads, r);
    free(p);
    (void)e;
    return r->nfail == 0;
}

static void log_data(const cr_model *m, FILE *f)
{
    const cr_duration_start *s = m->data;
    const cr_duration_data *d = s->d;
    fprintf(f, "\"ended\": %zu, \"censored\": %zu, \"below_resolution\": %.0f, "
            "\"resolution_ms\": %lld, \"bins\": %d, \"components\": %d, \"parameters\": %d, "
            "\"coordinates\": \"whitened at the mode\"", d->nended, d->ncens + d->ncens_zero,
            d->n_zero, (long long)d->res_ms, d->nedge - 1, s->k, m->dim);
}

const cr_model_entry cr_duration_entry = {
    "duration", "models/duration.stan", "zero class and censored lognormal mixture",
    "connection durations: a share below the clock's resolution and a mixture of 1 to 4 "
    "lognormal components, censored where a connection outlived its capture",
    ppc, log_data};
