#include "ladder/ladder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "common/xalloc.h"
#include "model/effects.h"
#include "model/hurdle_nbh_ar1.h"
#include "model/nb_machine.h"
#include "model/nbh.h"
#include "model/nbh_ar1.h"
#include "model/nbh_burst.h"
#include "model/nbh_burst_msd.h"
#include "model/pois.h"

/* The models' own functions under the ladder's untyped signatures. FROM_ROWS builds data of
 * TYPE from rows r; CELLS and CENTRED are the members of a TYPE *x holding them. */
#define LADDER_ADAPTERS(P, TYPE, FROM_ROWS, CELLS, CENTRED)                                     \
    static void *P##_new(const cr_ladder_rows *r)                                              \
    {                                                                                          \
        TYPE *x = xmalloc(sizeof *x);                                                          \
        FROM_ROWS;                                                                             \
        return x;                                                                              \
    }                                                                                          \
    static void P##_free(void *d)                                                              \
    {                                                                                          \
        cr_##P##_data_free(d);                                                                 \
        free(d);                                                                               \
    }                                                                                          \
    static const cr_cells *P##_cells(const void *d)                                            \
    {                                                                                          \
        const TYPE *x = d;                                                                     \
        return &CELLS;                                                                         \
    }                                                                                          \
    static int *P##_centred(void *d)                                                           \
    {                                                                                          \
        TYPE *x = d;                                                                           \
        return &CENTRED;                                                                       \
    }                                                                                          \
    static void P##_model(cr_model *m, const void *d) { cr_##P##_model(m, d); }                \
    static double P##_loglik(const void *d, const double *v, int k, int minute, int y)         \
    {                                                                                          \
        return cr_##P##_loglik(d, v, k, minute, y);                                            \
    }                                                                                          \
    static void P##_law(const void *d, const double *v, int k, int minute, cr_count_law *out)  \
    {                                                                                          \
        cr_##P##_law(d, v, k, minute, out);                                                    \
    }

LADDER_ADAPTERS(pois, cr_pois_data,
                cr_pois_data_from_rows(x, r->n, r->machine, r->minute, r->y), x->cells,
                x->centred)
LADDER_ADAPTERS(nb_machine, cr_nb_machine_data,
                cr_nb_machine_data_from_rows(x, r->n, r->machine, r->y), x->cells, x->centred)
LADDER_ADAPTERS(nbh, cr_nbh_data, cr_nbh_data_from_rows(x, r->n, r->machine, r->minute, r->y),
                x->cells, x->centred)
LADDER_ADAPTERS(nbh_ar1, cr_nbh_ar1_data,
                cr_nbh_ar1_data_from_rows(x, r->n, r->machine, r->minute, r->y), x->cells,
                x->centred)
LADDER_ADAPTERS(hurdle_nbh_ar1, cr_hurdle_nbh_ar1_data,
                cr_hurdle_nbh_ar1_data_from_rows(x, r->n, r->machine, r->minute, r->y),
                x->ar.cells, x->ar.centred)
LADDER_ADAPTERS(nbh_burst, cr_nbh_burst_data,
                cr_nbh_burst_data_from_rows(x, r->n, r->machine, r->minute, r->y), x->nbh.cells,
                x->nbh.centred)
LADDER_ADAPTERS(nbh_burst_msd, cr_nbh_burst_msd_data,
                cr_nbh_burst_msd_data_from_rows(x, r->n, r->machine, r->minute, r->y),
                x->nbh.cells, x->nbh.centred)

static int pois_prefer(const void *d) { return cr_pois_prefer_centred(d); }
static int nb_machine_prefer(const void *d) { return cr_nb_machine_prefer_centred(d); }
static int nbh_prefer(const void *d) { return cr_nbh_prefer_centred(d); }
static int nbh_ar1_prefer(const void *d) { return cr_nbh_ar1_prefer_centred(d); }
static int hurdle_prefer(const void *d)
{
    return cr_nbh_ar1_prefer_centred(&((const cr_hurdle_nbh_ar1_data *)d)->ar);
}
static int nbh_burst_prefer(const void *d)
{
    return cr_nbh_prefer_centred(&((const cr_nbh_burst_data *)d)->nbh);
}
static int nbh_burst_msd_prefer(const void *d) { return cr_nbh_burst_msd_prefer_centred(d); }

/* A loop log's data of a rate model: its series' cells and the coordinates it samples in. */
static void log_data(const cr_model *m, FILE *f)
{
    const cr_ladder_model *lm = (const cr_ladder_model *)m->entry;
    const cr_cells *c = lm->cells(m->data);
    fprintf(f, "\"machines\": %d, \"cells\": %d, \"seconds\": %ld, \"total\": %lld, "
            "\"distinct_counts\": %d, \"parameters\": %d, \"coordinates\": \"%s\"",
            c->nmachines, c->ncells, c->nseconds, c->total, c->ndistinct, m->dim,
            cr_effects_name(*lm->centred(m->data)));
}

#define ENTRY(P, SUMMARY, ABOUT, NFIXED, CELLS, TF, TM, RHO, PREFER)                            \
    {{#P, "models/" #P ".stan", SUMMARY, ABOUT, cr_ladder_ppc, log_data},                      \
     NFIXED,      CELLS,  TF,        TM,                RHO,        P##_new, P##_free, P##_cells, \
     P##_centred, PREFER, P##_model, cr_##P##_simulate, P##_loglik, P##_law}

const cr_ladder_model cr_ladder_models[CR_LADDER_NMODELS] = {
    ENTRY(pois, "Poisson around machine and minute rates",
          "Poisson counts around a rate that varies between machines and from minute to "
                "minute, with no extra burstiness within a minute",
          CR_POIS_NFIXED, 1, 0, 0, -1, pois_prefer),
    ENTRY(nb_machine, "negative binomial around one rate per machine",
          "negative binomial (bursty) counts around one steady rate per machine, "
                      "with no minute-to-minute variation",
          CR_NB_MACHINE_NFIXED, 0, 0, 0, -1, nb_machine_prefer),
    ENTRY(nbh, "negative binomial around machine and minute rates",
          "negative binomial (bursty) counts around a rate that varies between machines "
               "and independently from minute to minute",
          CR_NBH_NFIXED, 1, 0, 0, -1, nbh_prefer),
    ENTRY(nbh_ar1, "nbh with minute rates that persist (AR(1))",
          "as nbh, but a busy minute tends to be followed by another busy minute "
                   "(AR(1) minute effects)",
          CR_NBH_AR1_NFIXED, 1, 0, 0, CR_NBH_AR1_RHO, nbh_ar1_prefer),
    ENTRY(hurdle_nbh_ar1, "nbh_ar1 with a per-machine chance of an idle second",
          "as nbh_ar1, plus a per-machine chance that a second has no new "
                          "connection at all (a hurdle for idle seconds)",
          CR_NBH_AR1_NFIXED, 1, CR_HURDLE_NFIXED, 1, CR_NBH_AR1_RHO, hurdle_prefer),
    ENTRY(nbh_burst, "nbh with a chance that a second is a burst of connections",
          "as nbh, plus burst seconds: with a small chance a second carries a burst "
                     "of its own size (a page load opening tens of connections at once)",
          CR_NBH_NFIXED, 1, CR_BURST_NTAIL, 0, -1, nbh_burst_prefer),
    ENTRY(nbh_burst_msd, "nbh_burst with each machine's own minute spread",
          "as nbh_burst, but each machine's rate varies from minute to minute by a spread "
                         "of its own (steady users beside jumpy ones)",
          CR_MSD_NFIXED, 1, CR_BURST_NTAIL, 1, -1, nbh_burst_msd_prefer),
};

const cr_ladder_model *cr_ladder_find(const char *name)
{
    for (int i = 0; i < CR_LADDER_NMODELS; i++)
        if (!strcmp(cr_ladder_models[i].entry.name, name))
            return &cr_ladder_models[i];
    return NULL;
}

void cr_ladder_data_init(cr_ladder_data *ld, const cr_ladder_model *lm, const cr_ladder_rows *r)
{
    memset(ld, 0, sizeof *ld);
    ld->lm = lm;
    ld->d = lm->data_new(r);
    *lm->centred(ld->d) = lm->prefer_centred(ld->d);
    lm->model(&ld->m, ld->d);
    ld->m.entry = &lm->entry;
    ld->nmachines = lm->cells(ld->d)->nmachines;
}

void cr_ladder_data_free(cr_ladder_data *ld)
{
    if (ld->d)
        ld->lm->data_free(ld->d);
    memset(ld, 0, sizeof *ld);
}

const cr_cells *cr_ladder_cells(const cr_ladder_data *ld)
{
    return ld->lm->cells(ld->d);
}

int cr_ladder_centred(const cr_ladder_data *ld)
{
    return *ld->lm->centred(ld->d);
}

int cr_ladder_machine_view(const cr_ladder_data *ld, const double *v, int k, double *out)
{
    const cr_ladder_model *lm = ld->lm;
    const cr_cells *c = cr_ladder_cells(ld);
    const int K = ld->nmachines, C = lm->has_cells ? c->ncells : 0;
    int n = lm->nfixed + k;
    memcpy(out, v, (size_t)n * sizeof(double));
    if (lm->has_cells) {
        int lo = 0, hi;
        while (lo < C && c->cell_machine[lo] < k - 1)
            lo++;
        for (hi = lo; hi < C && c->cell_machine[hi] == k - 1; hi++)
            out[n++] = v[lm->nfixed + K + hi];
    }
    const double *tail = v + lm->nfixed + K + C;
    for (int i = 0; i < lm->tail_fixed; i++)
        out[n++] = tail[i];
    for (int j = 0; j < lm->tail_per_machine; j++)
        for (int m = 0; m < k; m++)
            out[n++] = tail[lm->tail_fixed + j * K + m];
    return n;
}

void cr_ladder_new_machine_view(const cr_ladder_data *ld, const double *v, int ncells,
                                gsl_rng *r, double *out)
{
    const cr_ladder_model *lm = ld->lm;
    const int C = lm->has_cells ? cr_ladder_cells(ld)->ncells : 0;
    memcpy(out, v, (size_t)lm->nfixed * sizeof(double));
    double *o = out + lm->nfixed;
    *o++ = gsl_ran_gaussian(r, 1);
    const double rho = lm->rho >= 0 ? v[lm->rho] : 0, s = sqrt(1 - rho * rho);
    for (int c = 0; c < ncells; c++, o++)
        *o = c == 0 ? gsl_ran_gaussian(r, 1) : rho * o[-1] + s * gsl_ran_gaussian(r, 1);
    for (int i = 0; i < lm->tail_fixed; i++)
        *o++ = v[lm->nfixed + ld->nmachines + C + i];
    for (int j = 0; j < lm->tail_per_machine; j++)
        *o++ = gsl_ran_gaussian(r, 1);
}
