#include "sampler/nuts.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

#include "common/xalloc.h"

/* Stan's threshold on the growth of H along a trajectory before it calls it divergent. */
#define MAX_DELTA_H 1000.0

/* A phase-space point. g is the gradient of the log density (Stan keeps the gradient of the
 * potential V = -lp; the leapfrog below flips the sign accordingly). */
typedef struct {
    double *q, *p, *g;
    double lp;
} point;

/* What build_tree holds at one depth while it builds its second half. */
typedef struct {
    double *rho_final;   /* summed momenta of the second half */
    double *p_init_end;  /* last momentum of the first half */
    double *p_final_beg; /* first momentum of the second half */
    point propose;       /* multinomial pick from the second half */
} level;

struct cr_nuts {
    const cr_model *m;
    int n, max_depth;
    void *scratch;
    double *minv;
    point cur;      /* the chain's state; during a transition, the running sample */
    point fwd, bck; /* ends of the trajectory, integrated in place */
    point propose;  /* multinomial pick from the newest subtree */
    double *rho, *rho_sub;
    double *p_fwd_fwd, *p_fwd_bck, *p_bck_fwd, *p_bck_bck;
    level *lv; /* lv[d] serves build_tree at depth d >= 1 */
    double *mem;
    /* transition state shared by the recursion */
    gsl_rng *r;
    double eps, H0, sum_metro;
    int n_leapfrog, divergent;
};

static void point_init(point *z, double **mem, int n)
{
    z->q = *mem, z->p = *mem + n, z->g = *mem + 2 * n;
    *mem += 3 * n;
    z->lp = 0;
}

static void point_copy(point *dst, const point *src, int n)
{
    memcpy(dst->q, src->q, n * sizeof *dst->q);
    memcpy(dst->p, src->p, n * sizeof *dst->p);
    memcpy(dst->g, src->g, n * sizeof *dst->g);
    dst->lp = src->lp;
}

static void point_swap(point *a, point *b)
{
    point t = *a;
    *a = *b;
    *b = t;
}

static double *take(double **mem, int n)
{
    double *v = *mem;
    *mem += n;
    return v;
}

cr_nuts *cr_nuts_new(const cr_model *m, int max_depth)
{
    cr_nuts *s = xcalloc(1, sizeof *s);
    int n = m->dim;
    s->m = m;
    s->n = n;
    s->max_depth = max_depth < 1 ? 10 : max_depth;
    s->scratch = m->scratch_size ? xmalloc(m->scratch_size) : NULL;
    /* minv, 4 points, rho, rho_sub, 4 end momenta; per level 3 vectors and a point */
    size_t per_level = 6 * (size_t)n;
    size_t total = (size_t)(1 + 12 + 2 + 4) * n + per_level * s->max_depth;
    double *mem = xcalloc(total ? total : 1, sizeof *mem);
    s->mem = mem;
    s->minv = take(&mem, n);
    for (int i = 0; i < n; i++)
        s->minv[i] = 1.0;
    point_init(&s->cur, &mem, n);
    point_init(&s->fwd, &mem, n);
    point_init(&s->bck, &mem, n);
    point_init(&s->propose, &mem, n);
    s->rho = take(&mem, n);
    s->rho_sub = take(&mem, n);
    s->p_fwd_fwd = take(&mem, n);
    s->p_fwd_bck = take(&mem, n);
    s->p_bck_fwd = take(&mem, n);
    s->p_bck_bck = take(&mem, n);
    s->lv = xcalloc(s->max_depth, sizeof *s->lv);
    for (int d = 1; d < s->max_depth; d++) {
        level *L = &s->lv[d];
        L->rho_final = take(&mem, n);
        L->p_init_end = take(&mem, n);
        L->p_final_beg = take(&mem, n);
        point_init(&L->propose, &mem, n);
    }
    return s;
}

void cr_nuts_free(cr_nuts *s)
{
    if (!s)
        return;
    free(s->scratch);
    free(s->mem);
    free(s->lv);
    free(s);
}

static int all_finite(const double *v, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    return isfinite(sum); /* Stan's test: an overflowing sum counts as not finite */
}

int cr_nuts_set_position(cr_nuts *s, const double *q)
{
    /* evaluate into a scratch point so a failure leaves the state alone */
    point *z = &s->propose;
    memcpy(z->q, q, s->n * sizeof *q);
    z->lp = s->m->logp(s->m, z->q, z->g, s->scratch);
    if (!isfinite(z->lp) || !all_finite(z->g, s->n))
        return -1;
    point_swap(&s->cur, z);
    return 0;
}

const double *cr_nuts_position(const cr_nuts *s) { return s->cur.q; }
int cr_nuts_dim(const cr_nuts *s) { return s->n; }
double cr_nuts_lp(const cr_nuts *s) { return s->cur.lp; }
double *cr_nuts_inv_metric(cr_nuts *s) { return s->minv; }

static double kinetic(const cr_nuts *s, const double *p)
{
    double t = 0;
    for (int i = 0; i < s->n; i++)
        t += p[i] * (s->minv[i] * p[i]);
    return 0.5 * t;
}

static void sample_momentum(cr_nuts *s, double *p, gsl_rng *r)
{
    for (int i = 0; i < s->n; i++)
        p[i] = gsl_ran_gaussian_ziggurat(r, 1.0) / sqrt(s->minv[i]);
}

/* One leapfrog step of size eps (negative: backwards in time); returns the new H, with NaN
 * mapped to +inf as Stan does. */
static double leapfrog(cr_nuts *s, point *z, double eps)
{
    int n = s->n;
    const double *minv = s->minv;
    double half = 0.5 * eps;
    for (int i = 0; i < n; i++)
        z->p[i] += half * z->g[i];
    for (int i = 0; i < n; i++)
        z->q[i] += eps * (minv[i] * z->p[i]);
    z->lp = s->m->logp(s->m, z->q, z->g, s->scratch);
    double t = 0;
    for (int i = 0; i < n; i++) {
        z->p[i] += half * z->g[i];
        t += z->p[i] * (minv[i] * z->p[i]);
    }
    double h = 0.5 * t - z->lp;
    return isnan(h) ? INFINITY : h;
}

static double log_sum_exp(double a, double b)
{
    if (a == -INFINITY)
        return b;
    if (a == INFINITY && b == INFINITY)
        return INFINITY;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

int cr_nuts_merge_ok(int n, const double *minv, const double *a_beg, const double *a_end,
                     const double *rho_a, const double *b_beg, const double *b_end,
                     const double *rho_b, double *rho_out)
{
    /* one pass for all six dot products: this runs once per leapfrog step on average */
    double merged_a = 0, merged_b = 0, ext_a_a = 0, ext_a_b = 0, ext_b_a = 0, ext_b_b = 0;
    for (int i = 0; i < n; i++) {
        double ra = rho_a[i], rb = rho_b[i];
        double rho = ra + rb, rho_ext_a = ra + b_beg[i], rho_ext_b = rb + a_end[i];
        double sa_beg = minv[i] * a_beg[i], sb_end = minv[i] * b_end[i];
        merged_a += sa_beg * rho;
        merged_b += sb_end * rho;
        ext_a_a += sa_beg * rho_ext_a;
        ext_a_b += (minv[i] * b_beg[i]) * rho_ext_a;
        ext_b_a += (minv[i] * a_end[i]) * rho_ext_b;
        ext_b_b += sb_end * rho_ext_b;
        rho_out[i] = rho;
    }
    return merged_a > 0 && merged_b > 0 && ext_a_a > 0 && ext_a_b > 0 && ext_b_a > 0 &&
           ext_b_b > 0;
}

/* Builds a subtree of 2^depth leapfrog steps from z (advanced in place) in direction sign.
 * Writes its multinomial pick to *propose, its summed momenta to rho, its first and last
 * momenta to p_beg/p_end and the log of its summed weights exp(H0 - H) to *log_w. Returns 0
 * when it diverged or contains a U-turn, and the trajectory must stop. */
static int build_tree(cr_nuts *s, int depth, point *z, double sign, point *propose, double *rho,
                      double *p_beg, double *p_end, double *log_w)
{
    int n = s->n;
    if (depth == 0) {
        double h = leapfrog(s, z, sign * s->eps);
        s->n_leapfrog++;
        if (h - s->H0 > MAX_DELTA_H)
            s->divergent = 1;
        *log_w = s->H0 - h;
        s->sum_metro += s->H0 - h > 0 ? 1.0 : exp(s->H0 - h);
        point_copy(propose, z, n);
        memcpy(rho, z->p, n * sizeof *rho);
        memcpy(p_beg, z->p, n * sizeof *rho);
        memcpy(p_end, z->p, n * sizeof *rho);
        return !s->divergent;
    }
    level *L = &s->lv[depth];
    double log_w_init, log_w_final;
    if (!build_tree(s, depth - 1, z, sign, propose, rho, p_beg, L->p_init_end, &log_w_init))
        return 0;
    if (!build_tree(s, depth - 1, z, sign, &L->propose, L->rho_final, L->p_final_beg, p_end,
                    &log_w_final))
        return 0;
    *log_w = log_sum_exp(log_w_init, log_w_final);
    /* uniform sampling within the subtree: pick the second half with its share of weight */
    if (log_w_final > *log_w || gsl_rng_uniform(s->r) < exp(log_w_final - *log_w))
        point_swap(propose, &L->propose);
    return cr_nuts_merge_ok(n, s->minv, p_beg, L->p_init_end, rho, L->p_final_beg, p_end,
                            L->rho_final, rho);
}

void cr_nuts_transition(cr_nuts *s, double eps, gsl_rng *r, cr_nuts_stats *st)
{
    int n = s->n;
    size_t bytes = n * sizeof(double);
    s->r = r;
    s->eps = eps;
    sample_momentum(s, s->cur.p, r);
    s->H0 = kinetic(s, s->cur.p) - s->cur.lp;
    point_copy(&s->fwd, &s->cur, n);
    point_copy(&s->bck, &s->cur, n);
    memcpy(s->p_fwd_fwd, s->cur.p, bytes);
    memcpy(s->p_fwd_bck, s->cur.p, bytes);
    memcpy(s->p_bck_fwd, s->cur.p, bytes);
    memcpy(s->p_bck_bck, s->cur.p, bytes);
    memcpy(s->rho, s->cur.p, bytes);

    double log_w = 0; /* log sum of exp(H0 - H) over the trajectory so far */
    int depth = 0;
    s->n_leapfrog = 0;
    s->sum_metro = 0;
    s->divergent = 0;
    while (depth < s->max_depth) {
        double log_w_sub;
        int forward = gsl_rng_uniform(r) > 0.5, valid;
        /* The old trajectory becomes the other half; its inner end momentum is the one at
         * the end we extend from. */
        if (forward) {
            memcpy(s->p_bck_fwd, s->p_fwd_fwd, bytes);
            valid = build_tree(s, depth, &s->fwd, 1, &s->propose, s->rho_sub, s->p_fwd_bck,
                               s->p_fwd_fwd, &log_w_sub);
        } else {
            memcpy(s->p_fwd_bck, s->p_bck_bck, bytes);
            valid = build_tree(s, depth, &s->bck, -1, &s->propose, s->rho_sub, s->p_bck_fwd,
                               s->p_bck_bck, &log_w_sub);
        }
        if (!valid)
            break;
        depth++;
        /* biased progressive sampling: favour the new subtree when it outweighs the old */
        if (log_w_sub > log_w || gsl_rng_uniform(r) < exp(log_w_sub - log_w))
            point_swap(&s->cur, &s->propose);
        log_w = log_sum_exp(log_w, log_w_sub);
        const double *rho_bck = forward ? s->rho : s->rho_sub;
        const double *rho_fwd = forward ? s->rho_sub : s->rho;
        if (!cr_nuts_merge_ok(n, s->minv, s->p_bck_bck, s->p_bck_fwd, rho_bck, s->p_fwd_bck,
                              s->p_fwd_fwd, rho_fwd, s->rho))
            break;
    }

    st->lp = s->cur.lp;
    st->accept_stat = s->sum_metro / s->n_leapfrog;
    st->stepsize = eps;
    st->energy = kinetic(s, s->cur.p) - s->cur.lp;
    st->treedepth = depth;
    st->n_leapfrog = s->n_leapfrog;
    st->divergent = s->divergent;
}

double cr_nuts_probe(cr_nuts *s, double eps, gsl_rng *r)
{
    point *z = &s->fwd;
    point_copy(z, &s->cur, s->n);
    sample_momentum(s, z->p, r);
    double H0 = kinetic(s, z->p) - z->lp;
    return H0 - leapfrog(s, z, eps);
}
