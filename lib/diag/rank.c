/* Splitting chains and rank normalization: posterior's .split_chains(), z_scale() and
 * fold_draws(). One radix sort per variable serves every rank-based measure: the folded draws
 * |x - median| come out sorted by merging the two sides of the median. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "common/xalloc.h"
#include "diag/diag_internal.h"

cr_split cr_diag_split_shape(int chains, int n)
{
    if (n == 1) return (cr_split){chains, 1};
    return (cr_split){2 * chains, n / 2};
}

void cr_diag_split(const double *x, int chains, int n, double *out)
{
    if (n == 1) {
        memcpy(out, x, (size_t)chains * sizeof *x);
    } else {
        size_t m = (size_t)n / 2;
        for (int c = 0; c < chains; c++) {
            memcpy(out + c * m, x + (size_t)c * n, m * sizeof *x);
            memcpy(out + (chains + c) * m, x + (size_t)c * n + (n - m), m * sizeof *x);
        }
    }
}

cr_split cr_diag_split_plain(const double *x, int chains, int n, double *out)
{
    if (n != 2 && n != 3) {
        cr_diag_split(x, chains, n, out);
        return cr_diag_split_shape(chains, n);
    }
    for (int c = 0; c < chains; c++) {
        out[c] = x[(size_t)c * n];
        out[chains + c] = x[(size_t)c * n + n - 1];
    }
    return (cr_split){2, chains};
}

/* ws->pos for this shape: computed once per (chains, n) since summaries of many variables
 * share it. */
static void split_positions(cr_diag_ws *ws, int chains, int n)
{
    if (ws->pos_chains == chains && ws->pos_n == n) return;
    int m = n / 2;
    for (int c = 0; c < chains; c++) {
        for (int i = 0; i < n; i++) {
            int p;
            if (n == 1) p = c;
            else if (i < m) p = c * m + i;
            else if (i >= n - m) p = (chains + c) * m + (i - (n - m));
            else p = -1;
            ws->pos[(size_t)c * n + i] = p;
        }
    }
    ws->pos_chains = chains;
    ws->pos_n = n;
}

/* Order-preserving map of doubles onto unsigned integers (-0 sorts just below +0; ties are
 * decided later by comparing values, so they still tie). */
static uint64_t sort_key(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u | (UINT64_C(1) << 63);
}

/* Sorting is radix on the 32 highest bits in which the keys differ (four 8-bit digits), then
 * an insertion pass for keys that agree on those bits, which is nearly always a no-op. When
 * it is not (a tight cluster far from an outlier), a full radix sort over every differing bit
 * replaces it. */
enum { DIGIT_BITS = 8, BUCKETS = 1 << DIGIT_BITS, FAST_DIGITS = 4 };

typedef struct {
    uint64_t *key, *key2;
    int *ord, *ord2;
    size_t s;
} sort_state;

static void load_keys(sort_state *st, const double *x)
{
    for (size_t i = 0; i < st->s; i++) {
        st->key[i] = sort_key(x[i]);
        st->ord[i] = (int)i;
    }
}

/* Stable LSD radix sort on `digits` digits starting at bit `low`. */
static void radix(sort_state *st, int low, int digits)
{
    uint32_t hist[64 / DIGIT_BITS][BUCKETS];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < st->s; i++)
        for (int d = 0; d < digits; d++)
            hist[d][(st->key[i] >> (low + d * DIGIT_BITS)) & (BUCKETS - 1)]++;
    for (int d = 0; d < digits; d++) {
        int shift = low + d * DIGIT_BITS;
        uint32_t *h = hist[d];
        if (h[(st->key[0] >> shift) & (BUCKETS - 1)] == st->s) continue;
        uint32_t sum = 0;
        for (int b = 0; b < BUCKETS; b++) {
            uint32_t c = h[b];
            h[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < st->s; i++) {
            size_t at = h[(st->key[i] >> shift) & (BUCKETS - 1)]++;
            st->key2[at] = st->key[i];
            st->ord2[at] = st->ord[i];
        }
        uint64_t *tk = st->key;
        st->key = st->key2;
        st->key2 = tk;
        int *to = st->ord;
        st->ord = st->ord2;
        st->ord2 = to;
    }
}

/* Insertion sort of nearly sorted keys; gives up (returns 0) after `budget` moves. */
static int insertion(sort_state *st, size_t budget)
{
    for (size_t i = 1; i < st->s; i++) {
        uint64_t k = st->key[i];
        int o = st->ord[i];
        size_t j = i;
        for (; j > 0 && st->key[j - 1] > k; j--) {
            if (budget-- == 0) return 0;
            st->key[j] = st->key[j - 1];
            st->ord[j] = st->ord[j - 1];
        }
        st->key[j] = k;
        st->ord[j] = o;
    }
    return 1;
}

void cr_diag_sort(cr_diag_ws *ws, const double *x, size_t s)
{
    sort_state st = {ws->key, ws->key2, ws->ord, ws->ord2, s};
    load_keys(&st, x);
    uint64_t differ = 0;
    for (size_t i = 0; i < s; i++) differ |= st.key[i] ^ st.key[0];
    if (differ) {
        int top = 63 - __builtin_clzll(differ);
        int span = FAST_DIGITS * DIGIT_BITS;
        int low = top >= span - 1 ? top - (span - 1) : 0;
        radix(&st, low, FAST_DIGITS);
        if (low > 0 && !insertion(&st, 4 * s)) {
            load_keys(&st, x);
            low = __builtin_ctzll(differ);
            radix(&st, low, (top - low) / DIGIT_BITS + 1);
        }
    }
    if (st.ord != ws->ord) memcpy(ws->ord, st.ord, s * sizeof *st.ord);
    for (size_t i = 0; i < s; i++) ws->sorted[i] = x[ws->ord[i]];
}

/* qnorm(backtransform_ranks(r)) for integer ranks, shared by all variables of one size. */
static const double *z_table(cr_diag_ws *ws, size_t kept)
{
    if (ws->ztab_kept != kept) {
        ws->ztab = xrealloc(ws->ztab, (kept + 1) * sizeof(double));
        for (size_t r = 1; r <= kept; r++)
            ws->ztab[r] = gsl_cdf_ugaussian_Pinv(((double)r - 0.375) / ((double)kept + 0.25));
        ws->ztab_kept = kept;
    }
    return ws->ztab;
}

/* Average ranks of the kept (not split-dropped) draws, visited in ascending order of val,
 * turned into normal scores in the split matrix ws->mat. */
static void zscale(cr_diag_ws *ws, const double *val, const int *ord, size_t s, size_t kept)
{
    const double *zt = z_table(ws, kept);
    const int *pos = ws->pos;
    double *out = ws->mat;
    size_t r = 0;
    for (size_t k = 0; k < s;) {
        size_t e = k + 1;
        while (e < s && val[e] == val[k]) e++;
        if (e == k + 1) {
            int p = pos[ord[k]];
            if (p >= 0) out[p] = zt[++r];
        } else {
            size_t cnt = 0;
            for (size_t j = k; j < e; j++) cnt += pos[ord[j]] >= 0;
            if (cnt) {
                size_t twice = 2 * r + cnt + 1; /* first + last rank of the tie group */
                double z = twice % 2 == 0 ? zt[twice / 2]
                                          : gsl_cdf_ugaussian_Pinv(((double)twice / 2 - 0.375) /
                                                                   ((double)kept + 0.25));
                for (size_t j = k; j < e; j++) {
                    int p = pos[ord[j]];
                    if (p >= 0) out[p] = z;
                }
                r += cnt;
            }
        }
        k = e;
    }
}

static size_t kept_draws(int chains, int n)
{
    cr_split sp = cr_diag_split_shape(chains, n);
    return (size_t)sp.cols * (size_t)sp.len;
}

void cr_diag_zscale_bulk(cr_diag_ws *ws, int chains, int n)
{
    split_positions(ws, chains, n);
    zscale(ws, ws->sorted, ws->ord, (size_t)chains * n, kept_draws(chains, n));
}

int cr_diag_zscale_fold(cr_diag_ws *ws, int chains, int n, double med)
{
    if (!isfinite(med)) return -1;
    size_t s = (size_t)chains * n;
    const double *v = ws->sorted;
    const int *o = ws->ord;
    size_t up = 0;
    while (up < s && v[up] < med) up++;
    /* branch-free merge of the two sides of the median (the choice is data dependent) */
    size_t down = up; /* v[down - 1] is the next draw below the median */
    for (size_t k = 0; k < s; k++) {
        double fu = up < s ? fabs(v[up < s ? up : 0] - med) : INFINITY;
        double fd = down > 0 ? fabs(v[down > 0 ? down - 1 : 0] - med) : INFINITY;
        int take_up = up < s && (down == 0 || fu <= fd);
        size_t i = take_up ? up : down - 1;
        ws->fold[k] = take_up ? fu : fd;
        ws->ford[k] = o[i];
        up += take_up;
        down -= !take_up;
    }
    split_positions(ws, chains, n);
    zscale(ws, ws->fold, ws->ford, s, kept_draws(chains, n));
    return 0;
}
