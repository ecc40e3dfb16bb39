#include "fit/fit_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/outfile.h"
#include "common/pool.h"
#include "common/xalloc.h"

typedef void (*writer_fn)(FILE *f, const cr_model *m, const void *ctx);

static int write_file(const char *path, writer_fn fn, const cr_model *m, const void *ctx,
                      cr_err *e)
{
    cr_outfile o;
    if (cr_outfile_open(&o, path, e) != 0)
        return -1;
    fn(o.fp, m, ctx);
    if (cr_outfile_commit(&o, e) != 0) {
        cr_outfile_abort(&o);
        return -1;
    }
    return 0;
}

/* R's spelling of non-finite values, so read.csv gives NA and Inf back. */
static void put_num(FILE *f, double x, const char *fmt)
{
    if (isnan(x))
        fputs("NA", f);
    else if (isinf(x))
        fputs(x > 0 ? "Inf" : "-Inf", f);
    else
        fprintf(f, fmt, x);
}

/* JSON has no NaN or Inf: null. */
static void put_json(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.6g", x);
    else
        fputs("null", f);
}

static void summary_rows(FILE *f, const cr_model *m, const void *ctx)
{
    const cr_fit_attempt *a = ctx;
    char name[128];
    fputs("variable,mean,sd,mcse_mean,q5,q50,q95,rhat,ess_bulk,ess_tail\n", f);
    for (int j = 0; j < m->nout; j++) {
        const cr_diag_summary *s = &a->sum[j];
        const double v[] = {s->mean, s->sd, s->mcse_mean, s->q5, s->q50, s->q95, s->rhat,
                            s->ess_bulk, s->ess_tail};
        m->name(m, j, name, sizeof name);
        cr_csv_text(f, name, ',');
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
            fputc(',', f);
            put_num(f, v[i], "%.8g");
        }
        fputc('\n', f);
    }
}

int cr_fit_write_summary(const char *path, const cr_model *m, const cr_fit_attempt *a, cr_err *e)
{
    return write_file(path, summary_rows, m, a, e);
}

/* Per-chain sampler statistics over the saved draws. */
typedef struct {
    int divergences, saturated;
    double accept_stat, n_leapfrog;
} chain_stats;

static chain_stats chain_summary(const cr_fit_attempt *a, int c)
{
    chain_stats cs = {0, 0, 0, 0};
    const cr_nuts_stats *st = a->res.stats + (size_t)c * a->res.samples;
    for (int i = 0; i < a->res.samples; i++) {
        cs.divergences += st[i].divergent != 0;
        cs.saturated += st[i].treedepth >= a->cfg.max_depth;
        cs.accept_stat += st[i].accept_stat;
        cs.n_leapfrog += st[i].n_leapfrog;
    }
    if (a->res.samples > 0) {
        cs.accept_stat /= a->res.samples;
        cs.n_leapfrog /= a->res.samples;
    }
    return cs;
}

static void sampler_rows(FILE *f, const cr_model *m, const void *ctx)
{
    const cr_fit_attempt *a = ctx;
    fputs("chain,divergences,ebfmi,treedepth_saturated,stepsize,accept_stat_mean,"
          "n_leapfrog_mean\n", f);
    for (int c = 0; c < a->res.chains; c++) {
        chain_stats cs = chain_summary(a, c);
        fprintf(f, "%d,%d,", c + 1, cs.divergences);
        put_num(f, a->ebfmi[c], "%.6g");
        fprintf(f, ",%d,%.6g,%.6g,%.6g\n", cs.saturated, a->res.stepsize[c], cs.accept_stat,
                cs.n_leapfrog);
    }
}

int cr_fit_write_sampler(const char *path, const cr_fit_attempt *a, cr_err *e)
{
    return write_file(path, sampler_rows, NULL, a, e);
}

/* Formatting 17-digit numbers is most of the cost of a draws file (hundreds of MB for
 * thousands of latent variables): blocks of rows are formatted on all CPUs into memory and
 * written in order, a window of blocks at a time. */
enum { DRAW_BLOCK_ROWS = 16, DRAW_WINDOW_BLOCKS = 64 };
/* ... and fewer rows per block when rows are long (tens of thousands of latent variables), so
 * that a window of text stays within 64 x 512 KB. */
#define DRAW_BLOCK_BYTES (512 * 1024)

typedef struct {
    const cr_chains_result *r;
    int ncols; /* the columns res.draws holds per row, all written */
    size_t row0, nrows;  /* rows of this window */
    size_t block_rows;
    char **buf;          /* [block]: formatted text */
    size_t *len;         /* [block] */
} draw_window;

static void format_block(void *ctx, size_t b, int worker)
{
    (void)worker;
    draw_window *w = ctx;
    const cr_chains_result *r = w->r;
    FILE *f = xmemstream_open(&w->buf[b], &w->len[b]);
    size_t end = (b + 1) * w->block_rows < w->nrows ? (b + 1) * w->block_rows : w->nrows;
    for (size_t k = w->row0 + b * w->block_rows; k < w->row0 + end; k++) {
        const cr_nuts_stats *st = &r->stats[k];
        fprintf(f, "%d,%d,%.9g,%.6g,%.6g,%d,%d,%d,%.9g", (int)(k / r->samples) + 1,
                (int)(k % r->samples) + 1, st->lp, st->accept_stat, st->stepsize, st->treedepth,
                st->n_leapfrog, st->divergent, st->energy);
        const double *x = r->draws + k * (size_t)w->ncols;
        for (int j = 0; j < w->ncols; j++) {
            fputc(',', f);
            put_num(f, x[j], "%.17g");
        }
        fputc('\n', f);
    }
    xmemstream_close(f);
}

typedef struct {
    const cr_fit_attempt *a;
    const int *cols; /* NULL: every output */
    int ncols;
} draws_ctx;

static void draw_rows(FILE *f, const cr_model *m, const void *ctx)
{
    const draws_ctx *dc = ctx;
    const cr_fit_attempt *a = dc->a;
    const cr_chains_result *r = &a->res;
    char name[128];
    int ncols = dc->cols ? dc->ncols : m->nout;
    fputs("chain,iteration,lp__,accept_stat__,stepsize__,treedepth__,n_leapfrog__,divergent__,"
          "energy__", f);
    for (int j = 0; j < ncols; j++) {
        m->name(m, dc->cols ? dc->cols[j] : j, name, sizeof name);
        fputc(',', f);
        cr_csv_text(f, name, ',');
    }
    fputc('\n', f);
    const size_t total = (size_t)r->chains * r->samples;
    const size_t row_bytes = 25 * ((size_t)ncols + 9); /* at most, "-1.2345678901234567e-100," */
    const size_t block_rows = DRAW_BLOCK_BYTES / row_bytes < 1 ? 1
                              : DRAW_BLOCK_BYTES / row_bytes > DRAW_BLOCK_ROWS
                                  ? DRAW_BLOCK_ROWS
                                  : DRAW_BLOCK_BYTES / row_bytes;
    const size_t window = block_rows * DRAW_WINDOW_BLOCKS;
    char *buf[DRAW_WINDOW_BLOCKS];
    size_t len[DRAW_WINDOW_BLOCKS];
    int threads = cr_pool_threads(a->cfg.threads);
    for (size_t row0 = 0; row0 < total; row0 += window) {
        draw_window w = {r,          ncols, row0, total - row0 < window ? total - row0 : window,
                         block_rows, buf,   len};
        size_t nblocks = (w.nrows + block_rows - 1) / block_rows;
        cr_pool_run(nblocks, threads, format_block, &w);
        for (size_t b = 0; b < nblocks; b++) {
            fwrite(buf[b], 1, len[b], f);
            free(buf[b]);
        }
    }
}

int cr_fit_write_draws(const char *path, const cr_model *m, const cr_fit_attempt *a,
                       const int *draw_cols, int ndraw_cols, cr_err *e)
{
    draws_ctx dc = {a, draw_cols, ndraw_cols};
    return write_file(path, draw_rows, m, &dc, e);
}


static void json_worst(FILE *f, const cr_model *m, const char *key, double v, int j)
{
    char name[128] = "";
    if (j >= 0)
        m->name(m, j, name, sizeof name);
    fprintf(f, "    \"%s\": ", key);
    put_json(f, v);
    fprintf(f, ", \"%s_variable\": \"%s\",\n", key, name);
}

static void log_body(FILE *f, const cr_model *m, const void *ctx)
{
    const cr_fit_attempt *a = ctx;
    const cr_chains_config *c = &a->cfg;
    fprintf(f, "{\n  \"series\": \"%s\",\n  \"model\": \"%s\",\n  \"attempt\": %d,\n", a->series,
            a->model, a->number);
    fprintf(f, "  \"status\": \"%s\",\n  \"reasons\": \"%s\",\n", a->chk.pass ? "PASS" : "FAIL",
            a->chk.reasons);
    fprintf(f, "  \"settings\": {\"chains\": %d, \"warmup\": %d, \"samples\": %d, \"seed\": %llu, "
            "\"adapt_delta\": %.6g, \"max_depth\": %d, \"threads\": %d, "
            "\"extends_attempt\": %d, \"warm_start\": %d},\n",
            c->chains, c->warmup, c->samples, (unsigned long long)c->seed, c->adapt_delta,
            c->max_depth, c->threads, a->extends, c->init != NULL);
    fputs("  \"data\": {", f);
    if (m->entry)
        m->entry->log_data(m, f);
    else
        fprintf(f, "\"parameters\": %d", m->dim);
    fputs("},\n", f);
    fprintf(f, "  \"timings\": {\"sampler_s\": %.3f, \"diagnostics_s\": %.3f},\n", a->sampler_s,
            a->diagnostics_s);
    fprintf(f, "  \"diagnostics\": {\n    \"divergences\": %d,\n    \"min_ebfmi\": ",
            a->chk.divergences);
    put_json(f, a->chk.min_ebfmi);
    fputs(",\n", f);
    json_worst(f, m, "max_rhat", a->chk.max_rhat, a->chk.worst_rhat);
    json_worst(f, m, "min_ess_bulk", a->chk.min_ess_bulk, a->chk.worst_bulk);
    json_worst(f, m, "min_ess_tail", a->chk.min_ess_tail, a->chk.worst_tail);
    fputs("    \"chains\": [\n", f);
    for (int k = 0; k < a->res.chains; k++) {
        chain_stats cs = chain_summary(a, k);
        fprintf(f, "      {\"chain\": %d, \"divergences\": %d, \"ebfmi\": ", k + 1, cs.divergences);
        put_json(f, a->ebfmi[k]);
        fprintf(f, ", \"treedepth_saturated\": %d, \"stepsize\": %.6g, \"accept_stat_mean\": "
                "%.6g, \"n_leapfrog_mean\": %.6g, \"warmup_s\": %.3f, \"sampling_s\": %.3f}%s\n",
                cs.saturated, a->res.stepsize[k], cs.accept_stat, cs.n_leapfrog,
                a->res.time_warmup[k], a->res.time_sampling[k],
                k + 1 < a->res.chains ? "," : "");
    }
    fputs("    ]\n  }\n}\n", f);
}

char *cr_fit_log_text(const cr_model *m, const cr_fit_attempt *a)
{
    char *text;
    size_t len;
    FILE *f = xmemstream_open(&text, &len);
    log_body(f, m, a);
    xmemstream_close(f);
    return text;
}
