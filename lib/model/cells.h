/* Sufficient statistics of one count series for the rate models (nbh, pois, nb_machine): the
 * rate is constant within a cell (a machine-minute, or a whole machine when the model has no
 * minute effects), so each cell only contributes its number of seconds and its total, and the
 * per-second counts only matter through their histogram (the lgamma(y + phi) terms of the
 * negative binomial). One gradient then costs O(cells + distinct counts). */
#ifndef CR_CELLS_H
#define CR_CELLS_H

#include <stddef.h>

typedef struct {
    int nmachines;      /* K: the largest machine number seen */
    int ncells;         /* C */
    int *cell_machine;  /* per cell, 0-based machine */
    int *cell_minute;   /* per cell, 1-based minute as in the CPS table; 0 for whole machines */
    double *cell_n;     /* seconds observed in the cell */
    double *cell_y;     /* total count in the cell */
    double *cell_yy;    /* sum of the squared counts (the spread within the cell) */
    int ndistinct;      /* distinct positive per-second counts */
    double *hist_y;     /* those counts, ascending */
    double *hist_n;     /* how many seconds have each */
    long nseconds;
    long long total;    /* sum of all counts */
} cr_cells;

/* Rows ordered by machine then minute (both 1-based, as in the CPS table). minute == NULL makes
 * one cell per machine. */
void cr_cells_from_rows(cr_cells *c, size_t nrows, const int *machine, const int *minute,
                        const int *y);
void cr_cells_free(cr_cells *c);

/* Index of the cell of (machine, minute), 1-based as in the CPS table (minute ignored for whole
 * machine cells), or -1 when no second falls in it. O(log cells). */
int cr_cells_find(const cr_cells *c, int machine, int minute);

#endif
