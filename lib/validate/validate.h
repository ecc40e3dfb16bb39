/* A sizing checked against machines the fit never saw (`connrate validate`).
 *
 * The machines are split at random (by the seed) into a fit set and a held-out set. The sizing
 * run fits the fit set alone and simulates groups of N new users; groups of N held-out machines
 * (each machine alone for N = 1, else random subsets) are summed second by second from the start
 * of each capture (N independent users, as the model assumes): new connections per second, terminations per whole minute (log lines, one per
 * session) and sessions alive at the end of each second (from the connections and the firewall
 * profile's hold times, as the simulation counts them). Pooled over the groups' seconds (or
 * minutes), the observed mean, 90th and 99th percentiles stand beside the predicted ones, and the
 * share of observed values above each predicted quantile says whether the prediction holds: a
 * calibrated q99 is exceeded by about 1% of the observed seconds, a q90 by about 10%.
 *
 * A capture does not see the sessions opened before it started, so its concurrency grows from
 * nothing at its start: the prediction it is held against is simulated the same way (from an
 * empty table, over the held-out captures' median length), and the first warmup_s seconds are
 * left out of both. */
#ifndef CR_VALIDATE_H
#define CR_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "sizing/sizing.h"

#define CR_VAL_MAX_GROUPS 8

enum { CR_VAL_NEW, CR_VAL_LOGS, CR_VAL_CONC, CR_VAL_NMETRICS };
/* "new_per_s", "logs_per_min", "concurrent": the sizing metrics they check. */
extern const char *const cr_validate_metric_names[CR_VAL_NMETRICS];

typedef struct {
    int fit_machines;              /* machines fitted; the others are held out */
    int ngroups;
    int groups[CR_VAL_MAX_GROUPS]; /* group sizes N, increasing: 1, 10, 30 */
    uint64_t seed;                 /* which machines are fitted, and the groups */
    double warmup_s;               /* seconds of each capture left out of concurrency: 300 */
    int random_groups;             /* groups of N > 1, random subsets of the held-out: 100 */
    /* Splits, each with its own fit set drawn from the seed (1). Over several, the shares
     * above the predicted quantiles average over fit sets: one fit's prediction of a large
     * group carries its parameters' uncertainty, which a single split sees only one draw of. */
    int folds;
} cr_validate_config;

void cr_validate_config_default(cr_validate_config *v);

typedef struct {
    int users;       /* N */
    int ngroups;     /* held-out groups of N */
    size_t nobs;     /* observed seconds (minutes for logs) over the groups */
    double pred_mean, pred_q90, pred_q99;
    double obs_mean, obs_q90, obs_q99;
    double above_q90, above_q99; /* share of observed values above the predicted quantile, as
                                  * a mid-quantile counts: 1 - their mid-CDF at it */
    double above_q99_lo, above_q99_hi; /* its range over the splits */
} cr_validate_row;

typedef struct {
    int folds;                     /* splits pooled in row[][] */
    int nfit, nheld;               /* of the first split, whose fit and sizing are kept */
    int *fit, *held;               /* machine indices into the data validated */
    cr_sizing_data fit_data;       /* the fit set */
    cr_sizing sizing;              /* its sizing run, N = the group sizes */
    cr_validate_row row[CR_VAL_MAX_GROUPS][CR_VAL_NMETRICS];
} cr_validate_result;

/* Splits d, runs the sizing of the fit set under sc (whose users are replaced by the group
 * sizes) and compares. Fails when the split leaves no machine to fit or to hold out, or when a
 * group is larger than the held-out set. */
int cr_validate_run(const cr_sizing_data *d, const cr_validate_config *vc,
                    const cr_sizing_config *sc, cr_validate_result *r, cr_err *e);
void cr_validate_free(cr_validate_result *r);

/* validation.csv: users,metric,groups,observed_values,pred_mean,obs_mean,pred_q90,obs_q90,
 * above_q90,pred_q99,obs_q99,above_q99. */
int cr_validate_write_csv(const char *path, const cr_validate_config *vc,
                          const cr_validate_result *r, cr_err *e);
/* The report's validation section (HTML), in a fresh string. */
char *cr_validate_html(const cr_validate_config *vc, const cr_validate_result *r,
                       const cr_sizing_data *d);

#endif
