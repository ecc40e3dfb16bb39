/* Sessions alive per second (firewall session table) and sessions ending per second (log
 * lines) for N users: arrivals from users.h, each new session held for a duration drawn by a
 * caller-supplied model (flow duration plus the firewall's close or idle timer), swept with a
 * difference array so the cost is one callback per session, whatever its length.
 *
 * Time convention: a session arriving in second j starts at j + U (U uniform in (0,1)) and is
 * held for D seconds. alive[s] counts the sessions held at the instant that ends second s (a
 * snapshot, so mean alive = arrival rate x mean D by Little's law, and sessions shorter than a
 * second mostly never appear); ends[s] counts the sessions whose hold ends during second s.
 *
 * Two methods give these counts. The sweep draws every session (cost: one callback per
 * session, 20 billion of them for 10,000 users over 200 draws). When the session law also comes
 * as its stop-loss function G(x) = E[(D - x)+] and the arrivals are a Poisson mixture (every
 * rate model but the hurdle), the counts come from the intensity instead: given the aggregate
 * intensity L[j] of each second, arrivals are Poisson and each session independently survives
 * or ends, so by Poisson thinning
 *     alive[t] ~ Poisson(sum_j L[j] a[t - j]),   a[k] = P(held at the end of second j + k)
 *                                                     = G(k) - G(k + 1),
 *     ends[t]  ~ Poisson(sum_j L[j] (a[t - j - 1] - a[t - j])),   a[-1] = 1,
 * exactly, second by second; the sums are convolutions (FFT), so the cost no longer grows with
 * the number of users. What differs from the sweep is only the dependence between seconds
 * (each second's count is drawn on its own given the intensity), which no per-second
 * percentile depends on; the largest value of a long run can come out a little higher. */
#ifndef CR_SIM_CONCURRENCY_H
#define CR_SIM_CONCURRENCY_H

#include <gsl/gsl_rng.h>

#include "common/err.h"
#include "sim/users.h"

/* Seconds one new session occupies the table, drawn with r for posterior draw `draw`. Must be
 * finite and >= 0, and thread-safe (called concurrently for different draws, each with its own
 * r). */
typedef double (*cr_sim_session_fn)(void *ctx, gsl_rng *r, int draw);
/* E[(D - x)+] of the same law for draw `draw`, for any x (E[D] - x when x <= 0). */
typedef double (*cr_sim_stoploss_fn)(void *ctx, int draw, double x);

typedef struct cr_sim_kernels cr_sim_kernels;

typedef struct {
    cr_sim_session_fn session_seconds;
    cr_sim_stoploss_fn stoploss; /* NULL: every session is drawn (the sweep) */
    void *ctx;
    /* Burn-in of a draw: the shortest b in whole minutes, at most burnin_cap, beyond the 99.9th
     * percentile of session times and whose share of mean concurrency lost, E[(D - b)+] / E[D]
     * (sessions older than the burn-in are never simulated), is at most missed_tol. From G
     * itself when there is a stop-loss function; else estimated from `pilot` session times
     * drawn first. */
    double burnin_cap; /* 7200 s */
    double missed_tol; /* 1e-3 */
    int pilot;         /* 10000 */
    /* 600 s: with the thinning, the last `near` seconds of the burn-in (whole minutes) are
     * drawn second by second and the older minutes by their expected intensity given the
     * users' rates of each minute (cr_sim_users_draw_far): the users' minute effects stay
     * exact, only the per-second gamma noise of sessions older than `near` is averaged out
     * (docs/simulation.md, "Stability"). Negative: the whole burn-in second by second. */
    long near;
    /* NULL, or the burn-ins and kernels of these draws (cr_sim_kernels_build), shared by every
     * N instead of evaluating G at each second again for each. */
    const cr_sim_kernels *kernels;
} cr_sim_sessions;

/* Per posterior draw, what the thinning takes of the session law whatever N is: the burn-in
 * and a[k] = G(k) - G(k + 1), k < burnin + seconds. */
struct cr_sim_kernels {
    int ndraws;
    long seconds;
    long *burnin;         /* [draw] */
    double *q999, *missed; /* [draw], as in cr_sim_concurrency_info */
    double **a;           /* [draw][burnin + seconds] */
};

/* Builds k for draws 0..ndraws-1 of ss (which needs its stop-loss) on `threads` threads (0:
 * one per CPU). */
void cr_sim_kernels_build(const cr_sim_sessions *ss, int ndraws, long seconds, int threads,
                          cr_sim_kernels *k);
void cr_sim_kernels_free(cr_sim_kernels *k);

/* Sets burnin_cap, missed_tol and pilot; the caller sets session_seconds and ctx. */
void cr_sim_sessions_default(cr_sim_sessions *ss);

typedef struct {
    long burnin;   /* longest burn-in of any draw, seconds */
    double q999;   /* largest 99.9th percentile of session seconds (from G, or the pilot's) */
    /* Largest E[(D - burnin)+] / E[D] (or its pilot estimate), the share of mean concurrency
     * lost (at most missed_tol unless the cap bit). */
    double missed;
} cr_sim_concurrency_info;

/* The burn-in of one draw from a pilot sample drawn with r (the rule above); q999 and missed as
 * in cr_sim_concurrency_info. Returns -1 (with e) when the callback returns a bad duration. */
long cr_sim_burnin(const cr_sim_sessions *ss, int draw, gsl_rng *r, double *q999, double *missed,
                   cr_err *e);

/* Sweeps arrivals[0..burnin+nsec) (integer counts per second) and fills ends and alive (either
 * may be NULL) for the last nsec seconds. */
int cr_sim_sweep(const double *arrivals, long burnin, long nsec, const cr_sim_sessions *ss,
                 int draw, gsl_rng *r, double *ends, double *alive, cr_err *e);

/* alive and ends (either may be NULL) for the last nsec seconds by the thinning identity above,
 * with the kernel a[0..60 far + near + nsec): the burn-in's old minutes as far_rate[0..far),
 * each minute's intensity spread evenly over its seconds (cr_sim_users_draw_far; far may be 0
 * and far_rate NULL), then the intensity of each second, rate[0..near + nsec). */
void cr_sim_thin(const double *far_rate, long far, const double *rate, long near, long nsec,
                 const double *a, gsl_rng *r, double *ends, double *alive);

/* For each draw (threads and streams as cr_sim_users): burn-in, N users' arrivals over burn-in
 * plus cfg->seconds, then the thinning identity where it applies, else the sweep. Outputs
 * [draw][cfg->seconds], any may be NULL: arrivals (new sessions per second), ends, alive.
 * info may be NULL. */
int cr_sim_concurrency(const cr_sim_draw *draws, int ndraws, const cr_sim_config *cfg,
                       const cr_sim_sessions *ss, double *arrivals, double *ends, double *alive,
                       cr_sim_concurrency_info *info, cr_err *e);

#endif
