/* Firewall sizing for N users (`connrate run`, docs/report.md): from loaded captures to the
 * sizing table, its JSON twin, the figures and the report page.
 *
 *   1. tables: DIR/cps.csv and DIR/flows.csv, as `connrate cps` and `connrate flows` write them;
 *   2. fits: the hierarchical rate model of new connections (tcp_new + udp_new) and of
 *      terminations (tcp_end + udp_end) under DIR/fit/new and DIR/fit/end (lib/fit), and the
 *      censored duration mixture per protocol (lib/duration) with the same criteria;
 *   3. simulation per N (lib/sim): arrivals from the new-connection draws, a session time per
 *      arrival (duration plus the firewall profile's hold), sessions alive and ending per second;
 *   4. outputs: sizing.csv, sizing.json, plots/, report.html.
 *
 * Everything written depends only on the inputs and the settings (seed included), never on the
 * thread count or the machine's speed. */
#ifndef CR_SIZING_H
#define CR_SIZING_H

#include <stdint.h>

#include "common/err.h"
#include "firewall/profiles.h"
#include "fit/fit.h"
#include "flows/machine.h"
#include "duration/law.h"
#include "sim/concurrency.h"
#include "sim/quantiles.h"

/* The rows of sizing.csv, in this order. */
enum { CR_SZ_NEW, CR_SZ_LOGS, CR_SZ_CONC, CR_SZ_FWLOGS, CR_SZ_BYTES, CR_SZ_NMETRICS };
/* "new_per_s", "logs_per_min", "concurrent", "firewall_logs_per_min", "log_bytes_per_day". */
extern const char *const cr_sizing_metric_names[CR_SZ_NMETRICS];

#define CR_SZ_MAX_USERS 16

typedef struct {
    const char *out_dir;
    int nusers;
    int users[CR_SZ_MAX_USERS]; /* 1, 10, 50, 100 */
    cr_fw_profile fw;           /* "none" */
    uint64_t seed;              /* 42, for the fits and the simulation */
    int draws;                  /* posterior draws simulated: 200 */
    long seconds;               /* simulated seconds per draw and N: 3600 */
    double log_bytes;           /* bytes per firewall log line: 800 */
    double max_session;         /* seconds a connection can live at most; 0: the longest
                                 * capture (no capture can show a longer one) */
    cr_fit_options fit;         /* sampler settings of every fit (seed set from `seed`) */
    int model;                  /* rate model: CR_LADDER_NBH (default), any CR_LADDER_*, or -1
                                 * for the ladder's automatic choice */
    int threads;                /* 0: one per CPU */
} cr_sizing_config;

void cr_sizing_config_default(cr_sizing_config *c);
/* Parses "1,10,50,100" (ascending, distinct, 1..1e6) into c->users. */
int cr_sizing_parse_users(cr_sizing_config *c, const char *arg, cr_err *e);

/* The duration fit of one protocol. */
typedef struct {
    size_t flows, censored;  /* connections used; of them still open at capture end */
    int fitted;              /* 0 when the protocol has no connections */
    cr_fit_check check;      /* the seed's criteria, as for the rate fits */
    int attempts;
    double mean_s[3];        /* posterior q5, q50, q95 of the mixture's mean duration, seconds */
    double ended_mean_s;     /* plain mean of the ended durations (a lower bound, for scale) */
    cr_duration_params *draws; /* [config draws], aligned with the rate draws */
} cr_sizing_duration;

/* The posterior predictive checks of a rate fit (lib/fit's diagnostics/ppc_SERIES.csv). */
typedef struct {
    int ran;
    int checks, failed;    /* statistics and count classes, every machine and pooled */
    char pooled[256];      /* failing pooled statistics and classes, e.g. "zero_frac q99" */
} cr_sizing_ppc;

typedef struct {
    int nmachines;
    char **machine_ids;
    char **inputs;           /* path per machine */
    const char **kinds;      /* input kind per machine */
    double seconds;          /* capture seconds, all machines */
    double longest_capture;  /* seconds, the longest of one machine */
    uint64_t total[4];       /* tcp_new, udp_new, tcp_end, udp_end over all machines */
    uint64_t tcp_streams, tcp_never_closed;

    cr_fit_status fit_new, fit_end; /* convergence and predictive checks together */
    cr_sizing_ppc ppc_new, ppc_end;
    char model[32];          /* the rate model simulated (of the new-connection fit) */
    cr_sizing_duration dur[2]; /* 0 TCP, 1 UDP */
    /* Durations are cut at this many seconds (0: not cut). A lognormal tail beyond what the
     * captures watched is the prior's and the shape's, not the data's: on short real captures
     * its mean ran to 1e17 s (docs/durations.md, "The horizon"). */
    double horizon;
    /* Observed shares, plugged in: TCP of new connections; of ended TCP connections those
     * closed by RST and those that went idle without a close (CR_SZ_IDLE_MS); DNS of UDP. */
    double p_tcp, p_rst, p_idle, p_dns;

    /* Terminations: when every input shows closes (captures with TCP flags), the fitted
     * termination series is simulated; otherwise log volume is derived from new connections
     * and session times (sessions end once each), and the fitted series is only a check. */
    int closes_visible;
    int logs_from_fit;
    char logs_why[320];
    double logs_check_ratio; /* N=1 mean of the other estimate / the one used */

    long burnin_max;         /* longest burn-in over N and draws, seconds */
    double missed_max;       /* largest estimated share of concurrency lost to the burn-in cap */
    double logs_per_session; /* firewall log lines per session, mean over draws */

    double stage_seconds;    /* wall time of cr_sizing_run (stderr only, never in outputs) */
    cr_sim_summary sum[CR_SZ_MAX_USERS][CR_SZ_NMETRICS];
    double *sample[CR_SZ_MAX_USERS][3]; /* pooled samples of new, logs, concurrent (for plots) */
    size_t nsample;
} cr_sizing;

/* Runs steps 1-3 on loaded machines (local addresses set) and fills s; writes nothing of step
 * 4. A fit that fails its criteria is a status, not an error. */
int cr_sizing_run(const cr_machine *machines, int nmachines, const cr_sizing_config *c,
                  cr_sizing *s, cr_err *e);
void cr_sizing_free(cr_sizing *s);

/* Step 3 alone, for tests and callers with their own fits: simulates every N of c from rate
 * draws dnew (and dend, used when s->logs_from_fit) and what s already holds of the session
 * model (dur[] with c->draws draws each, p_tcp, p_rst, p_idle, p_dns); fills the summaries and
 * samples of s. */
int cr_sizing_simulate(const cr_sizing_config *c, const cr_sim_draw *dnew,
                       const cr_sim_draw *dend, cr_sizing *s, cr_err *e);

/* Step 4, each file atomically. */
int cr_sizing_write_csv(const char *path, const cr_sizing_config *c, const cr_sizing *s,
                        cr_err *e);
int cr_sizing_write_json(const char *path, const cr_sizing_config *c, const cr_sizing *s,
                         cr_err *e);
/* DIR/plots/{new_per_s,logs_per_min,concurrent,scaling}.{png,svg}. */
int cr_sizing_plots(const char *dir, const cr_sizing_config *c, const cr_sizing *s, cr_err *e);
/* DIR/report.html, embedding DIR/plots/ *.svg (written first). */
int cr_sizing_report(const char *dir, const cr_sizing_config *c, const cr_sizing *s, cr_err *e);

/* The overall status line: "PASS" when every fit met the criteria, else "FAIL: ..." */
void cr_sizing_status(const cr_sizing *s, char *buf, size_t n);

/* Reads dir/diagnostics/ppc_tcp_new.csv (ran = 0 when there is none). */
int cr_sizing_read_ppc(const char *dir, cr_sizing_ppc *p, cr_err *e);

/* Posterior draws of a rate model of the ladder, any of them, as lib/sim draws them: out[ndraws]
 * evenly thinned from the draws in chain order, the parameters found by name (alpha,
 * sigma_machine, sigma_minute, phi, rho, mu_pi, sigma_pi). What is absent says which model made
 * them: no phi is pois (phi = INFINITY), no sigma_minute nb_machine (0), no rho a model without
 * AR(1) minutes (0), mu_pi and sigma_pi (both, with phi) the hurdle. Anything else is a one-line
 * error naming `what` (from_fit) or the file (read_draws). */
int cr_sizing_draws_from_fit(const cr_model *m, const cr_chains_result *res, int ndraws,
                             cr_sim_draw *out, const char *what, cr_err *e);
/* The same from a draws CSV in lib/fit's format (draws/SERIES.csv), e.g. of `connrate fit`. */
int cr_sizing_read_draws(const char *path, int ndraws, cr_sim_draw *out, cr_err *e);

#endif
