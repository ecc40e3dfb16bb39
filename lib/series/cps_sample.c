#include "series/cps_sample.h"

#include <stdlib.h>
#include <string.h>

#include "common/sample.h"
#include "common/xalloc.h"

/* Rows are ordered by machine then second, so a new cell starts where either changes. */
static int new_cell(const cr_cps_table *t, size_t r)
{
    return r == 0 || t->machine[r] != t->machine[r - 1] || t->minute[r] != t->minute[r - 1];
}

long cr_cps_cells(const cr_cps_table *t)
{
    long n = 0;
    for (size_t r = 0; r < t->nrows; r++)
        n += new_cell(t, r);
    return n;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* Whether minute is among the sorted kept[0..n). */
static int kept_minute(const int64_t *kept, size_t n, int minute)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (kept[mid] < minute)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && kept[lo] == minute;
}

/* Minutes kept per machine. */
static size_t per_machine(const cr_cps_table *t, long cells)
{
    size_t per = t->nmachines ? (size_t)(cells / t->nmachines) : 0;
    return per < CR_CPS_SAMPLE_MIN_MINUTES ? CR_CPS_SAMPLE_MIN_MINUTES : per;
}

long cr_cps_sample_cells(const cr_cps_table *t, long cells)
{
    long all = cr_cps_cells(t);
    if (cells <= 0 || all <= cells)
        return all;
    long per = (long)per_machine(t, cells), kept = 0, mine = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if (r > 0 && t->machine[r] != t->machine[r - 1]) {
            kept += mine < per ? mine : per;
            mine = 0;
        }
        mine += new_cell(t, r);
    }
    return kept + (mine < per ? mine : per);
}

int cr_cps_sample_minutes(const cr_cps_table *t, long cells, uint64_t seed, cr_cps_table *out)
{
    if (cells <= 0 || cr_cps_cells(t) <= cells)
        return 0;
    size_t per = per_machine(t, cells);
    memset(out, 0, sizeof *out);
    out->nmachines = t->nmachines;
    out->machine_ids = t->machine_ids;
    /* the rows kept are at most per x 60 per machine (a minute holds 60 seconds at most) */
    size_t cap = t->nrows < per * 60 * (size_t)t->nmachines ? t->nrows
                                                            : per * 60 * (size_t)t->nmachines;
    out->machine = xmalloc((cap + 1) * sizeof(int));
    out->second = xmalloc((cap + 1) * sizeof(int));
    out->minute = xmalloc((cap + 1) * sizeof(int));
    for (int s = 0; s < CR_CPS_NSERIES; s++)
        out->count[s] = xmalloc((cap + 1) * sizeof(int));
    int64_t *mins = NULL, *kept = NULL;
    size_t mcap = 0, kcap = 0;
    for (size_t r0 = 0; r0 < t->nrows;) {
        size_t r1 = r0;
        while (r1 < t->nrows && t->machine[r1] == t->machine[r0])
            r1++;
        /* the machine's minutes present, then the bottom-per of them by key */
        size_t nm = 0;
        for (size_t r = r0; r < r1; r++)
            if (new_cell(t, r)) {
                xgrow(&mins, &mcap, nm + 1, sizeof *mins);
                mins[nm++] = t->minute[r];
            }
        const char *id = t->machine_ids[t->machine[r0] - 1];
        uint64_t key = cr_sample_key(seed, id, strlen(id));
        cr_bottomk b;
        cr_bottomk_init(&b, per);
        for (size_t j = 0; j < nm; j++) {
            uint32_t ev;
            int did;
            cr_bottomk_offer(&b, cr_sample_subkey(key, mins[j]), (uint32_t)j, &ev, &did);
        }
        xgrow(&kept, &kcap, b.n + 1, sizeof *kept);
        for (size_t j = 0; j < b.n; j++)
            kept[j] = mins[b.id[j]];
        size_t nk = b.n;
        cr_bottomk_free(&b);
        qsort(kept, nk, sizeof *kept, cmp_i64);
        for (size_t r = r0; r < r1; r++) {
            if (!kept_minute(kept, nk, t->minute[r]))
                continue;
            size_t w = out->nrows++;
            out->machine[w] = t->machine[r];
            out->second[w] = t->second[r];
            out->minute[w] = t->minute[r];
            for (int s = 0; s < CR_CPS_NSERIES; s++)
                out->count[s][w] = t->count[s][r];
        }
        r0 = r1;
    }
    free(mins);
    free(kept);
    return 1;
}

void cr_cps_sample_free(cr_cps_table *out)
{
    out->nmachines = 0; /* the ids are the table's it was drawn from */
    out->machine_ids = NULL;
    cr_cps_free(out);
}
