#include "ppc/ppc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/csv.h"
#include "common/outfile.h"

void cr_ppc_class_label(const cr_ppc_check *c, int cls, char *buf, size_t n)
{
    snprintf(buf, n, cls == c->ncls - 1 ? ">=%d" : "%d", cls);
}

static void machine_name(int machine, const char *const *ids, char *buf, size_t n)
{
    if (machine < 0)
        snprintf(buf, n, "pooled");
    else if (ids)
        snprintf(buf, n, "%s", ids[machine]);
    else
        snprintf(buf, n, "machine %d", machine + 1);
}

void cr_ppc_failure_text(const cr_ppc_result *r, const cr_ppc_failure *f,
                         const char *const *ids, char *buf, size_t n)
{
    char who[256], cls[32];
    machine_name(f->machine, ids, who, sizeof who);
    if (f->stat >= 0) {
        snprintf(buf, n, "%s: %s observed %.4g, replicated %g%% interval [%.4g, %.4g], p = %.3f",
                 who, cr_ppc_stat_names[f->stat], f->obs, 100 * r->band, f->lo, f->hi, f->p);
        return;
    }
    const cr_ppc_check *c = f->machine < 0 ? &r->pooled : &r->machines[f->machine];
    cr_ppc_class_label(c, f->cls, cls, sizeof cls);
    snprintf(buf, n, "%s: count class %s observed in %.0f s, outside the %g%% band [%.1f, %.1f]",
             who, cls, f->obs, 100 * r->band, f->lo, f->hi);
}

static void write_check(FILE *fp, const cr_ppc_check *c, const char *const *ids)
{
    char name[256], cls[32];
    machine_name(c->machine, ids, name, sizeof name);
    char *who = cr_csv_escape(name, ',');
    for (int s = 0; s < CR_PPC_NSTATS; s++) {
        const cr_ppc_stat *st = &c->stat[s];
        fprintf(fp, "%s,stat,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d\n", who,
                cr_ppc_stat_names[s], st->obs, st->rep_mean, st->rep_median, st->rep_lo,
                st->rep_hi, st->p, st->fail);
    }
    for (int k = 0; k < c->ncls; k++) {
        cr_ppc_class_label(c, k, cls, sizeof cls);
        fprintf(fp, "%s,class,%s,%.17g,%.17g,%.17g,%.17g,%.17g,NA,%d\n", who, cls,
                c->cls_obs[k], c->cls_mean[k], c->cls_median[k], c->cls_lo[k], c->cls_hi[k],
                c->cls_fail[k]);
    }
    free(who);
}

int cr_ppc_write_csv(const char *path, const cr_ppc_result *r, const char *const *ids,
                     cr_err *e)
{
    cr_outfile out;
    if (cr_outfile_open(&out, path, e) != 0)
        return -1;
    fprintf(out.fp, "machine_id,kind,what,observed,rep_mean,rep_median,rep_lo,rep_hi,p_value,"
                    "fail\n");
    for (int k = 0; k < r->nmachines; k++)
        write_check(out.fp, &r->machines[k], ids);
    write_check(out.fp, &r->pooled, ids);
    if (cr_outfile_commit(&out, e) != 0) {
        cr_outfile_abort(&out);
        return -1;
    }
    return 0;
}
