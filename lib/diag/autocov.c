/* posterior's autocovariance(), averaged over the columns of a split matrix.
 *
 * posterior zero-pads each column to 2 * nextn(len) and takes |fft|^2 back through an inverse
 * FFT, then rescales so that lag 0 equals var(x) * (len - 1) / len: that is the plain lagged
 * sum of products of the centred column, divided by len. Geyer's truncation usually needs
 * only a handful of lags, so the first DIRECT_LAGS lags are summed directly (O(draws) each)
 * and only a slowly mixing chain pays for the FFT of every lag (GSL's mixed-radix real FFT).
 * Both agree with R's complex FFT to rounding (~1e-16 of lag 0); the tests run both paths. */
#include <math.h>
#include <string.h>

#include "diag/diag_internal.h"

enum { DIRECT_LAGS = 64 };

void cr_acov_init(cr_acov *a, cr_diag_ws *ws, const double *y, cr_split sp)
{
    size_t len = (size_t)sp.len;
    a->ws = ws;
    a->sp = sp;
    a->done = 0;
    for (int j = 0; j < sp.cols; j++) {
        const double *col = y + j * len;
        double *yc = ws->yc + j * len;
        /* centring on this mean rather than mean() moves results by ~1e-16 only */
        double m = cr_diag_sum(col, len) / (double)len;
        ws->colmean[j] = m;
        for (size_t i = 0; i < len; i++) yc[i] = col[i] - m;
        /* zero marks a constant column, whose autocovariances posterior sets to zero */
        ws->colss[j] = cr_diag_sumsq(yc, len, 0);
    }
}

/* Lags are summed four at a time: one pass over a column feeds four independent
 * accumulators, which keeps the multiply-adds pipelined. */
enum { LAG_BLOCK = 4 };

static void direct_lags(cr_acov *a, int upto)
{
    cr_diag_ws *ws = a->ws;
    size_t len = (size_t)a->sp.len;
    int k = a->done;
    for (; k <= upto; k += LAG_BLOCK) {
        double tot[LAG_BLOCK] = {0}; /* matrixStats::rowMeans2 sums in double */
        for (int j = 0; j < a->sp.cols; j++) {
            if (ws->colss[j] == 0) continue;
            const double *yc = ws->yc + j * len;
            double s[LAG_BLOCK] = {0};
            size_t i = 0;
            for (; i + k + LAG_BLOCK - 1 < len; i++) {
                double v = yc[i];
                for (int l = 0; l < LAG_BLOCK; l++) s[l] += v * yc[i + k + l];
            }
            for (; i < len; i++)
                for (int l = 0; l < LAG_BLOCK; l++)
                    if (i + k + l < len) s[l] += yc[i] * yc[i + k + l];
            for (int l = 0; l < LAG_BLOCK; l++) tot[l] += s[l] / (double)len;
        }
        for (int l = 0; l < LAG_BLOCK && (size_t)(k + l) < len; l++)
            ws->acov[k + l] = tot[l] / a->sp.cols;
    }
    a->done = (size_t)k < len ? k : (int)len;
}

/* R's nextn(): the smallest 2^a 3^b 5^c >= n. */
static size_t nextn(size_t n)
{
    for (size_t m = n;; m++) {
        size_t r = m;
        while (r % 2 == 0) r /= 2;
        while (r % 3 == 0) r /= 3;
        while (r % 5 == 0) r /= 5;
        if (r == 1) return m;
    }
}

static void fft_lags(cr_acov *a)
{
    cr_diag_ws *ws = a->ws;
    size_t len = (size_t)a->sp.len, pad = 2 * nextn(len);
    cr_diag_ws_fft_plan(ws, pad);
    double *b = ws->fft_buf;
    memset(ws->acov, 0, len * sizeof *ws->acov);
    /* columns accumulate in acov, then divided once: rowMeans over columns */
    for (int j = 0; j < a->sp.cols; j++) {
        if (ws->colss[j] == 0) continue;
        memcpy(b, ws->yc + j * len, len * sizeof *b);
        memset(b + len, 0, (pad - len) * sizeof *b);
        gsl_fft_real_transform(b, 1, pad, ws->fft_rw, ws->fft_work);
        /* halfcomplex layout: b[0] real, then (re, im) pairs, b[pad - 1] the real Nyquist */
        b[0] *= b[0];
        for (size_t k = 1; k < pad / 2; k++) {
            b[2 * k - 1] = b[2 * k - 1] * b[2 * k - 1] + b[2 * k] * b[2 * k];
            b[2 * k] = 0;
        }
        b[pad - 1] *= b[pad - 1];
        gsl_fft_halfcomplex_inverse(b, 1, pad, ws->fft_hw, ws->fft_work);
        /* posterior's ac / ac[1] * var(x) * (N - 1) / N, i.e. lag 0 pinned to ss / N */
        for (size_t k = 0; k < len; k++) ws->acov[k] += b[k] / b[0] * (ws->colss[j] / len);
    }
    for (size_t k = 0; k < len; k++) ws->acov[k] /= a->sp.cols;
    a->done = (int)len;
}

double cr_acov_at(cr_acov *a, int lag)
{
    if (lag >= a->done) {
        if (lag < DIRECT_LAGS) direct_lags(a, lag);
        else fft_lags(a);
    }
    return a->ws->acov[lag];
}
