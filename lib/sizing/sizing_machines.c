/* Inputs judged before they are trusted: per machine, what it did and what the fit makes of it,
 * flags for captures too short to say much (minutes) and for machines far from the others
 * (their machine effect beyond 2 sd of the population), and for those, how much the N-user
 * q99 leans on them: the rate fit refitted without the machine and simulated again. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "common/xalloc.h"
#include "sim/quantiles.h"
#include "series/cps_sample.h"
#include "sizing/sizing_internal.h"

/* The fit's view of machine k: its posterior mean rate (its own effect in place of a new
 * user's) and its effect's posterior mean, over every kept draw. */
static void fitted_machine(const cr_fit_result *fr, int k, double *rate, double *z)
{
    const cr_fit_rung *r = cr_fit_kept(fr);
    const cr_model *m = &r->ld.m;
    char name[64], want[32];
    snprintf(want, sizeof want, "z_machine[%d]", k + 1);
    int zc = -1;
    for (int j = 0; j < r->ndraw_cols && zc < 0; j++) {
        m->name(m, r->draw_cols[j], name, sizeof name);
        if (!strcmp(name, want))
            zc = j;
    }
    int total = r->fit.res.chains * r->fit.res.samples;
    *rate = *z = NAN;
    if (zc < 0 || total == 0)
        return;
    cr_sim_draw *d = xmalloc((size_t)total * sizeof *d);
    cr_err e;
    if (cr_sizing_draws_from_fit_trimmed(r, total, d, &e) == 0) {
        double sr = 0, sz = 0;
        for (int i = 0; i < total; i++) {
            double zk = r->fit.res.draws[(size_t)i * (size_t)r->ndraw_cols + (size_t)zc];
            cr_sim_draw own = d[i];
            own.alpha += own.sigma_machine * zk;
            own.sigma_machine = 0;
            sr += cr_sim_user_mean(&own);
            sz += zk;
        }
        *rate = sr / total;
        *z = sz / total;
    }
    free(d);
}

static double mean_of(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    return n ? m / (double)n : NAN;
}

/* q99 of new sessions/s and concurrency at the largest N without machine k: the rate fit of
 * the others, simulated under the durations and shares of the whole run. */
static int without(const cr_sizing_data *d, int k, const cr_sizing_config *c, const cr_sizing *s,
                   double *q99, cr_err *e)
{
    int *keep = xmalloc((size_t)d->nmachines * sizeof *keep), n = 0;
    for (int i = 0; i < d->nmachines; i++)
        if (i != k)
            keep[n++] = i;
    cr_sizing_data sub;
    cr_sizing_data_subset(d, keep, n, &sub);
    free(keep);
    cr_sizing t = *s; /* the session law of s, a rate fit and samples of its own */
    memset(t.fit, 0, sizeof t.fit);
    memset(t.sample, 0, sizeof t.sample);
    t.draws[0] = t.draws[1] = t.all_draws[0] = t.all_draws[1] = NULL;
    t.slot_chain[0] = t.slot_chain[1] = NULL;
    cr_fit_result fr;
    cr_fit_status st;
    cr_sizing_ppc ppc;
    double mean, mcse;
    cr_sizing_config one = *c;
    one.nusers = 1;
    one.users[0] = c->users[c->nusers - 1];
    one.max_batches = 1; /* a rough figure, at the cost of one simulation as before */
    int rc = cr_sz_fit_sum(&sub.cps, CR_CPS_TCP_NEW, CR_CPS_UDP_NEW, "new", c, &fr, &st, &ppc,
                           &t.draws[0], &t.slot_chain[0], NULL, NULL, &mean, &mcse, e);
    if (rc == 0) {
        t.rate_mean[0] = mean;
        t.rate_mcse[0] = mcse;
        t.logs_from_fit = 0; /* the terminations are not what is asked */
        rc = cr_sizing_simulate(&one, t.draws[0], t.draws[0], &t, e);
        cr_fit_result_free(&fr);
    }
    if (rc == 0) {
        q99[0] = t.sum[0][CR_SZ_NEW].q99;
        q99[1] = t.sum[0][CR_SZ_CONC].q99;
    }
    free(t.draws[0]);
    free(t.slot_chain[0]);
    for (int u = 0; u < CR_SZ_MAX_USERS; u++)
        for (int j = 0; j < 3; j++)
            free(t.sample[u][j]);
    cr_sizing_data_free(&sub);
    return rc;
}

int cr_sz_check_machines(const cr_sizing_data *d, const cr_sizing_config *c, cr_sizing *s,
                         cr_err *e)
{
    s->checks = xcalloc((size_t)d->nmachines + 1, sizeof *s->checks);
    int flagged = 0, rc = 0, nshort = 0;
    for (int k = 0; k < d->nmachines; k++)
        nshort += d->m[k].capture_s < CR_SZ_SHORT_CAPTURE;
    /* leaving out one short machine of many short ones shows nothing about shortness */
    int refit_short = 2 * nshort < d->nmachines;
    /* one host of a sample stands for many: what rests on it is the sample's error, which
     * validate measures, and a refit per flagged host would cost a whole fit each */
    int sampled = d->population_hosts || cr_cps_sample_cells(&d->cps, c->fit_cells) <
                                             cr_cps_cells(&d->cps);
    for (int k = 0; k < d->nmachines && rc == 0; k++) {
        cr_sizing_machine_check *m = &s->checks[k];
        cr_observed o;
        cr_observed_machine(d, k, &c->fw, &o);
        m->capture_s = d->m[k].capture_s;
        m->obs_new_mean = mean_of(o.new_per_s, o.nsec);
        double *x = xmalloc((o.nsec + 1) * sizeof *x);
        memcpy(x, o.new_per_s, o.nsec * sizeof *x);
        cr_sim_sort(x, o.nsec);
        m->obs_new_q99 = o.nsec ? cr_sim_midquantile_sorted(x, o.nsec, 0.99) : NAN;
        free(x);
        size_t skip = o.nsec / 4 < 300 ? o.nsec / 4 : 300;
        m->obs_conc_mean = mean_of(o.alive + skip, o.nsec - skip);
        cr_observed_free(&o);
        fitted_machine(&s->fit[0], k, &m->pred_new_mean, &m->z);
        m->short_capture = m->capture_s < CR_SZ_SHORT_CAPTURE;
        m->outlier = fabs(m->z) > CR_SZ_OUTLIER_Z;
        m->q99_without[0] = m->q99_without[1] = NAN;
        if (((m->short_capture && refit_short) || m->outlier) && d->nmachines >= 3 &&
            flagged < CR_SZ_MAX_INFLUENCE && !sampled) {
            flagged++;
            cr_info("without %s (%s): refitting to see how much the sizing leans on it\n",
                    d->m[k].id, m->outlier ? "an outlier" : "a short capture");
            rc = without(d, k, c, s, m->q99_without, e);
        }
        if (m->short_capture)
            cr_info("warning: %s: %.0f s observed, under %.0f minutes: its rate and its users' "
                    "spread rest on little\n", d->m[k].id, m->capture_s,
                    CR_SZ_SHORT_CAPTURE / 60);
        if (m->outlier)
            cr_info("warning: %s: %.2g new sessions/s, %s than %s of the fitted population "
                    "(machine effect %+.1f sd)\n", d->m[k].id, m->obs_new_mean,
                    m->z > 0 ? "busier" : "quieter", "97.7%", m->z);
    }
    return rc;
}
