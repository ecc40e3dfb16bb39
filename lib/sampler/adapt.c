#include "sampler/adapt.h"

#include <math.h>
#include <string.h>

#include "common/xalloc.h"

void cr_stepsize_init(cr_stepsize_adapt *a, double eps0, double delta)
{
    a->delta = delta > 0 && delta < 1 ? delta : 0.8;
    a->gamma = 0.05;
    a->kappa = 0.75;
    a->t0 = 10;
    cr_stepsize_restart(a, eps0);
}

void cr_stepsize_restart(cr_stepsize_adapt *a, double eps)
{
    a->mu = log(10 * eps);
    a->counter = 0;
    a->s_bar = 0;
    a->x_bar = 0;
}

void cr_stepsize_learn(cr_stepsize_adapt *a, double *eps, double accept_stat)
{
    a->counter++;
    if (accept_stat > 1)
        accept_stat = 1;
    double eta = 1.0 / (a->counter + a->t0);
    a->s_bar = (1.0 - eta) * a->s_bar + eta * (a->delta - accept_stat);
    double x = a->mu - a->s_bar * sqrt(a->counter) / a->gamma;
    double x_eta = pow(a->counter, -a->kappa);
    a->x_bar = (1.0 - x_eta) * a->x_bar + x_eta * x;
    *eps = exp(x);
}

void cr_stepsize_complete(const cr_stepsize_adapt *a, double *eps)
{
    /* stan-dev/stan#3346 (2025) fixed the reset to exp(0) = 1 after an empty last stage */
    if (a->counter > 0)
        *eps = exp(a->x_bar);
}

static void var_restart(cr_var_adapt *v)
{
    v->counter = 0;
    v->window_size = v->base_window;
    /* wraps to UINT_MAX when there is no window, as Stan's unsigned arithmetic does */
    v->next_end = v->init_buffer + v->window_size - 1;
}

static void welford_restart(cr_var_adapt *v)
{
    v->nsamples = 0;
    memset(v->mean, 0, v->dim * sizeof *v->mean);
    memset(v->m2, 0, v->dim * sizeof *v->m2);
}

void cr_var_init(cr_var_adapt *v, int dim, unsigned num_warmup, unsigned init_buffer,
                 unsigned term_buffer, unsigned base_window)
{
    memset(v, 0, sizeof *v);
    v->dim = dim;
    v->mean = xcalloc(dim ? dim : 1, sizeof *v->mean);
    v->m2 = xcalloc(dim ? dim : 1, sizeof *v->m2);
    if (num_warmup >= 20) {
        v->num_warmup = num_warmup;
        if (init_buffer + base_window + term_buffer > num_warmup) {
            v->init_buffer = 0.15 * num_warmup;
            v->term_buffer = 0.10 * num_warmup;
            v->base_window = num_warmup - (v->init_buffer + v->term_buffer);
        } else {
            v->init_buffer = init_buffer;
            v->term_buffer = term_buffer;
            v->base_window = base_window;
        }
    }
    /* Stan skips this restart on the shortened schedule, so its window end stays at UINT_MAX
     * and the metric is never updated when warmup < 150 (rstan 2.21 with warmup 100 or 149
     * ends with a unit inverse metric). We restart, so the single 75% window does what Stan's
     * warning message says it does. */
    var_restart(v);
}

void cr_var_free(cr_var_adapt *v)
{
    free(v->mean);
    free(v->m2);
    v->mean = v->m2 = NULL;
}

static void next_window(cr_var_adapt *v)
{
    unsigned last = v->num_warmup - v->term_buffer - 1;
    if (v->next_end == last)
        return;
    v->window_size *= 2;
    v->next_end = v->counter + v->window_size;
    if (v->next_end == last)
        return;
    /* stretch this window to the end when the following one would not fit */
    if (v->next_end + 2 * v->window_size >= v->num_warmup - v->term_buffer)
        v->next_end = last;
}

int cr_var_learn(cr_var_adapt *v, double *inv_metric, const double *q)
{
    unsigned c = v->counter;
    int n = v->dim;
    if (c >= v->init_buffer && c < v->num_warmup - v->term_buffer && c != v->num_warmup) {
        v->nsamples++;
        for (int i = 0; i < n; i++) {
            double delta = q[i] - v->mean[i];
            v->mean[i] += delta / v->nsamples;
            v->m2[i] += (q[i] - v->mean[i]) * delta;
        }
    }
    if (c != v->next_end || c == v->num_warmup) {
        v->counter++;
        return 0;
    }
    next_window(v);
    double k = (double)v->nsamples;
    double *var = v->m2; /* computed in place: the accumulators restart next */
    int finite = 1;
    for (int i = 0; i < n; i++) {
        double s2 = v->nsamples > 1 ? v->m2[i] / (k - 1.0) : inv_metric[i];
        var[i] = (k / (k + 5.0)) * s2 + 1e-3 * (5.0 / (k + 5.0));
        finite &= isfinite(var[i]) != 0;
    }
    if (finite)
        memcpy(inv_metric, var, n * sizeof *var);
    welford_restart(v);
    v->counter++;
    return finite ? 1 : -1;
}

int cr_init_stepsize(cr_nuts *s, double *eps, gsl_rng *r, cr_err *e)
{
    if (cr_nuts_dim(s) == 0) {
        *eps = NAN; /* meaningless without parameters, as in Stan */
        return 0;
    }
    if (*eps == 0 || *eps > 1e7 || isnan(*eps))
        return 0;
    const double target = log(0.8);
    int up = cr_nuts_probe(s, *eps, r) > target;
    for (;;) {
        double dH = cr_nuts_probe(s, *eps, r);
        if (up ? !(dH > target) : !(dH < target))
            return 0;
        *eps = up ? 2.0 * *eps : 0.5 * *eps;
        if (*eps > 1e7)
            return cr_fail(e, "step size search: the step size grew past 1e7; the posterior "
                              "looks improper");
        if (*eps == 0)
            return cr_fail(e, "step size search: no step size is small enough; the log density "
                              "looks discontinuous");
    }
}
