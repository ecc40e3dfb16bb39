/* The censored duration mixture of one protocol (model/duration.h), fitted with the same
 * sampler, criteria and retry ladder as the rate models (fit/fit.h), and thinned to the draws
 * the simulation pairs with the rate draws. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/progress.h"
#include "common/xalloc.h"
#include "ingest/packet.h"
#include "sizing/sizing_internal.h"

static int cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* The seed's verdict on one run: summaries of every output and E-BFMI per chain. */
static void assess(const cr_model *m, const cr_chains_result *r, int threads, cr_fit_check *chk)
{
    size_t n = (size_t)r->samples, per_var = (size_t)r->chains * n;
    double *col = xmalloc(per_var * (size_t)r->nout * sizeof(double));
    for (size_t k = 0; k < per_var; k++)
        for (int j = 0; j < r->nout; j++)
            col[(size_t)j * per_var + k] = r->draws[k * r->nout + j];
    cr_diag_summary *sum = xmalloc((size_t)r->nout * sizeof *sum);
    cr_diag_summarise_many(col, r->nout, r->chains, r->samples, threads, sum);
    double *ebfmi = xmalloc((size_t)r->chains * sizeof *ebfmi);
    for (int c = 0; c < r->chains; c++) {
        for (size_t i = 0; i < n; i++)
            col[i] = r->stats[c * n + i].energy;
        ebfmi[c] = cr_diag_ebfmi(col, r->samples);
    }
    cr_fit_assess(m, r, ebfmi, sum, chk);
    free(col);
    free(sum);
    free(ebfmi);
}

static double mixture_mean(const cr_duration_params *p)
{
    return p->w * exp(p->m1 + p->s1 * p->s1 / 2) + (1 - p->w) * exp(p->m2 + p->s2 * p->s2 / 2);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void keep_draws(const cr_chains_result *r, int ndraws, cr_sizing_duration *d)
{
    size_t total = (size_t)r->chains * (size_t)r->samples;
    d->draws = xmalloc((size_t)ndraws * sizeof *d->draws);
    for (int i = 0; i < ndraws; i++)
        d->draws[i] = cr_duration_params_at(r->draws + (size_t)i * total / ndraws * r->nout);
    double *mean = xmalloc(total * sizeof *mean);
    for (size_t k = 0; k < total; k++) {
        cr_duration_params p = cr_duration_params_at(r->draws + k * r->nout);
        mean[k] = mixture_mean(&p);
    }
    qsort(mean, total, sizeof *mean, cmp_double);
    static const double prob[3] = {0.05, 0.5, 0.95};
    for (int q = 0; q < 3; q++) {
        double h = (double)(total - 1) * prob[q];
        size_t lo = (size_t)h;
        double hi = lo + 1 < total ? mean[lo + 1] : mean[lo];
        d->mean_s[q] = mean[lo] + (h - (double)lo) * (hi - mean[lo]);
    }
    free(mean);
}

int cr_sz_fit_duration(const cr_sz_flows *f, uint8_t proto, const cr_sizing_config *c,
                       cr_sizing_duration *d, cr_err *e)
{
    const char *name = proto == CR_PROTO_TCP ? "duration_tcp" : "duration_udp";
    int64_t *ms = xmalloc((f->n + 1) * sizeof *ms);
    uint8_t *cens = xmalloc(f->n + 1);
    size_t n = 0, nended = 0;
    double ended = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->fl[i].proto == proto) {
            int idle;
            cens[n] = (uint8_t)cr_sz_flow_duration(f, i, &ms[n], &idle);
            if (!cens[n])
                ended += ms[n] / 1000.0, nended++;
            n++;
        }
    cr_duration_data data;
    cr_duration_data_init(&data, n, ms, cens);
    free(ms);
    free(cens);
    memset(d, 0, sizeof *d);
    d->flows = n;
    d->ended_mean_s = nended ? ended / (double)nended : 0;
    d->censored = data.ncens + data.ncens_zero;
    if (data.nexact + (size_t)data.nbin == 0) {
        cr_duration_data_free(&data);
        return 0;
    }
    cr_model m;
    cr_duration_model(&m, &data);
    int threads = c->threads > 0 ? c->threads : cpu_count();
    int rc = 0;
    for (int a = 1; a <= c->fit.attempts; a++) {
        cr_chains_config cfg;
        cr_fit_attempt_config(&c->fit, a, &cfg);
        cfg.threads = c->threads;
        cr_chains_result r;
        if (cr_chains_run(&m, &cfg, &r, e) != 0) {
            rc = cr_fail_prefix(e, name);
            break;
        }
        assess(&m, &r, threads, &d->check);
        d->attempts = a;
        int last = d->check.pass || a == c->fit.attempts;
        cr_info("%s: attempt %d %s %s\n", name, a, d->check.pass ? "PASS" : "FAIL",
                d->check.reasons);
        if (last) {
            d->fitted = 1;
            keep_draws(&r, c->draws, d);
        }
        cr_chains_result_free(&r);
        if (last)
            break;
    }
    cr_duration_data_free(&data);
    return rc;
}
