/* The files of a duration fit (fit/fit_duration.h): its candidates and its checks. */
#include "fit/fit_duration.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outfile.h"
#include "common/xalloc.h"

static void write_loo(FILE *fp, const cr_duration_fit *f)
{
    fprintf(fp, "components,chosen,resolved,approximation_pareto_k,check_failures,elpd_loo,"
                "se_elpd_loo,p_loo,elpd_diff,se_diff,pareto_k_over_0.7,mean_seconds\n");
    for (int i = 0; i < CR_DUR_KMAX; i++) {
        const cr_duration_candidate *x = &f->cand[i];
        const cr_loo_estimates *l = &x->loo;
        fprintf(fp, "%d,%d,%d,%.17g,", x->k, i == f->choice.chosen, x->resolved, x->approx_k);
        if (x->ppc.nrep > 0)
            fprintf(fp, "%d,", x->ppc.nfail);
        else
            fputs("NA,", fp);
        fprintf(fp, "%.17g,%.17g,%.17g,", l->elpd_loo, l->se_elpd_loo, l->p_loo);
        if (isnan(f->choice.elpd_diff[i]))
            fputs("NA,NA,", fp);
        else
            fprintf(fp, "%.17g,%.17g,", f->choice.elpd_diff[i], f->choice.se_diff[i]);
        fprintf(fp, "%.17g,%.17g\n", l->k_count[CR_LOO_K_BAD] + l->k_count[CR_LOO_K_VERY_BAD],
                x->mean_s);
    }
}

static void write_ppc_rows(FILE *fp, int k, const char *posterior, int chosen,
                           const cr_duration_ppc *p)
{
    for (int s = 0; s < CR_DUR_PPC_NSTATS; s++) {
        const cr_duration_ppc_stat *st = &p->stat[s];
        fprintf(fp, "%d,%s,%d,%s,%.17g,", k, posterior, chosen,
                s == CR_DUR_PPC_RMST ? "restricted_mean_seconds" : "survival", st->t);
        if (st->defined)
            fprintf(fp, "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d\n", st->obs, st->rep_mean,
                    st->rep_median, st->rep_lo, st->rep_hi, st->p, st->fail);
        else
            fputs("NA,NA,NA,NA,NA,NA,0\n", fp);
    }
}

static void write_ppc(FILE *fp, const cr_duration_fit *f)
{
    const cr_duration_candidate *kept = &f->cand[f->choice.chosen];
    fprintf(fp, "components,posterior,chosen,what,t_seconds,observed,rep_mean,rep_median,"
                "rep_lo,rep_hi,p_value,fail\n");
    write_ppc_rows(fp, kept->k, "nuts", 1, &kept->fit_ppc);
    for (int i = 0; i < CR_DUR_KMAX; i++)
        if (f->cand[i].ppc.nrep > 0)
            write_ppc_rows(fp, f->cand[i].k, "laplace", i == f->choice.chosen, &f->cand[i].ppc);
}

static int write_one(const char *dir, const char *what, const cr_duration_fit *f,
                     void (*body)(FILE *fp, const cr_duration_fit *f), cr_err *e)
{
    size_t n = strlen(dir) + strlen(what) + strlen(f->name) + 20;
    char *path = xmalloc(n);
    snprintf(path, n, "%s/diagnostics/%s_%s.csv", dir, what, f->name);
    cr_outfile out;
    int rc = cr_outfile_open(&out, path, e);
    free(path);
    if (rc != 0)
        return -1;
    body(out.fp, f);
    if (cr_outfile_commit(&out, e) != 0) {
        cr_outfile_abort(&out);
        return -1;
    }
    return 0;
}

int cr_duration_fit_write(const char *dir, const cr_duration_fit *f, cr_err *e)
{
    if (write_one(dir, "loo", f, write_loo, e) != 0 || write_one(dir, "ppc", f, write_ppc, e) != 0)
        return -1;
    return cr_fit_logs_write(dir, &f->logs, e);
}
