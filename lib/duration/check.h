/* The predictive check of a duration fit that a network engineer can read: Kaplan-Meier's
 * P(D > t) at 1 s, 10 s, 60 s, 300 s and 3600 s, and its area up to the longest ended duration
 * (the restricted mean), against the same statistics of replicated data sets. Replicate i takes
 * every connection's duration from posterior draw i and watches it as long as the real one was
 * watched, so a replicate has the data's size and censoring. Each statistic gets the mid-p
 * value P(T_rep > T_obs) + P(T_rep = T_obs) / 2 and fails below 0.01 or above 0.99 (lib/ppc's
 * thresholds), i.e. outside the central 98% of the replicates. A time no connection was
 * watched for (beyond every capture) is not checked. Replicate i's random numbers come from
 * (seed, i) alone, whatever the thread count. */
#ifndef CR_DURATION_CHECK_H
#define CR_DURATION_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "duration/law.h"

/* Replicated data sets of each check against Kaplan-Meier. */
#define CR_DUR_FIT_REPLICATES 200

enum { CR_DUR_PPC_NTIMES = 5, CR_DUR_PPC_RMST = CR_DUR_PPC_NTIMES, CR_DUR_PPC_NSTATS };
extern const double cr_duration_ppc_times[CR_DUR_PPC_NTIMES]; /* seconds */

typedef struct {
    size_t n;
    const int64_t *ms;        /* each connection's duration as observed, ms */
    const uint8_t *censored;  /* still open at capture end (NULL: none) */
    const int64_t *follow_ms; /* how long it could be watched: its capture's end - its start */
    int beyond_ended;         /* a connection alive at the end of its watch shows as ended there
                               * (1: UDP, as cr_flow_duration takes it) or as censored (0: TCP) */
    int64_t res_ms;           /* the resolution of ms and follow_ms (>= 1): the grid's */
} cr_duration_obs;

typedef struct {
    double t;      /* the time checked, or the restricted mean's horizon, seconds */
    int defined;   /* 0: nobody was watched for t */
    double obs;    /* Kaplan-Meier's P(D > t), or its area in seconds */
    double rep_mean, rep_median, rep_lo, rep_hi; /* over replicates; lo, hi: 1% and 99% */
    double p;
    int fail;
} cr_duration_ppc_stat;

typedef struct {
    int nrep;
    cr_duration_ppc_stat stat[CR_DUR_PPC_NSTATS];
    int nfail;
} cr_duration_ppc;

/* nrep replicates, replicate i from draws[i]; threads 0: one per CPU. */
void cr_duration_ppc_run(const cr_duration_obs *o, const cr_duration_params *draws, int nrep,
                         uint64_t seed, int threads, cr_duration_ppc *out);

#endif
