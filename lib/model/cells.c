#include "model/cells.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void histogram(cr_cells *c, size_t nrows, const int *y)
{
    int *pos = xmalloc((nrows + 1) * sizeof(int));
    size_t np = 0;
    for (size_t r = 0; r < nrows; r++)
        if (y[r] > 0)
            pos[np++] = y[r];
    qsort(pos, np, sizeof(int), cmp_int);
    c->hist_y = xmalloc((np + 1) * sizeof(double));
    c->hist_n = xmalloc((np + 1) * sizeof(double));
    for (size_t i = 0; i < np; i++) {
        if (i == 0 || pos[i] != pos[i - 1]) {
            c->hist_y[c->ndistinct] = pos[i];
            c->hist_n[c->ndistinct++] = 0;
        }
        c->hist_n[c->ndistinct - 1] += 1;
    }
    free(pos);
}

void cr_cells_from_rows(cr_cells *c, size_t nrows, const int *machine, const int *minute,
                        const int *y)
{
    memset(c, 0, sizeof *c);
    size_t cap = 0;
    for (size_t r = 0; r < nrows; r++) {
        int mi = minute ? minute[r] : 0;
        if (r == 0 || machine[r] != machine[r - 1] || mi != (minute ? minute[r - 1] : 0)) {
            int k = c->ncells++;
            if ((size_t)k >= cap) {
                cap = cap ? 2 * cap : 256;
                c->cell_machine = xrealloc(c->cell_machine, cap * sizeof(int));
                c->cell_minute = xrealloc(c->cell_minute, cap * sizeof(int));
                c->cell_n = xrealloc(c->cell_n, cap * sizeof(double));
                c->cell_y = xrealloc(c->cell_y, cap * sizeof(double));
                c->cell_yy = xrealloc(c->cell_yy, cap * sizeof(double));
            }
            c->cell_machine[k] = machine[r] - 1;
            c->cell_minute[k] = mi;
            c->cell_n[k] = c->cell_y[k] = c->cell_yy[k] = 0;
            if (machine[r] > c->nmachines)
                c->nmachines = machine[r];
        }
        c->cell_n[c->ncells - 1] += 1;
        c->cell_y[c->ncells - 1] += y[r];
        c->cell_yy[c->ncells - 1] += (double)y[r] * y[r];
        c->total += y[r];
    }
    c->nseconds = (long)nrows;
    histogram(c, nrows, y);
}

void cr_cells_free(cr_cells *c)
{
    free(c->cell_machine);
    free(c->cell_minute);
    free(c->cell_n);
    free(c->cell_y);
    free(c->cell_yy);
    free(c->hist_y);
    free(c->hist_n);
    memset(c, 0, sizeof *c);
}

int cr_cells_find(const cr_cells *c, int machine, int minute)
{
    int lo = 0, hi = c->ncells, m0 = machine - 1;
    while (lo < hi) { /* first cell not before (machine, minute) */
        int mid = lo + (hi - lo) / 2;
        int k = c->cell_machine[mid], mi = c->cell_minute[mid];
        if (k < m0 || (k == m0 && mi < minute && mi != 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->ncells && c->cell_machine[lo] == m0 &&
        (c->cell_minute[lo] == 0 || c->cell_minute[lo] == minute))
        return lo;
    return -1;
}
