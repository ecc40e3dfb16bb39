/* Firewall sizing for N users (`connrate run`, docs/report.md), from observed machines in
 * memory to the sizing table, its JSON twin, the figures and the report page.
 *
 *   1. data (cr_sizing_data): each machine's per-second table and outbound connections, from
 *      loaded captures or any other source, with the facts the report quotes;
 *   2. fits: the hierarchical rate model of new connections (tcp_new + udp_new, the series
 *      "new") and of terminations ("end"), lib/fit in memory, and the censored duration
 *      mixture per protocol (lib/duration) with the same criteria;
 *   3. simulation per N (lib/sim): arrivals from the new-connection draws, a session time per
 *      arrival (duration plus the firewall profile's hold), sessions alive and ending per second;
 *   4. outputs (cr_sizing_write, the only step that writes): cps.csv and flows.csv as `connrate
 *      cps` and `connrate flows` write them, fit/, sizing.csv, sizing.json, plots/, report.html.
 *
 * Everything written depends only on the inputs and the settings (seed included), never on the
 * thread count or the machine's speed. */
#ifndef CR_SIZING_H
#define CR_SIZING_H

#include <stdint.h>

#include "common/err.h"
#include "firewall/profiles.h"
#include "fit/fit.h"
#include "flowlog/flowlog.h"
#include "flows/flows.h"
#include "flows/machine.h"
#include "duration/law.h"
#include "series/cps_table.h"
#include "sim/concurrency.h"
#include "sim/effort.h"
#include "series/cps.h"
#include "sim/mcse.h"
#include "sim/quantiles.h"

/* The rows of sizing.csv, in this order. Log lines per minute are sums over whole simulated
 * minutes (with the model's minute effects), not one second's terminations x 60: a busy second
 * is not a busy minute. The seed's terminations/s x 60 stays as its own row, labelled so. */
enum { CR_SZ_NEW, CR_SZ_LOGS, CR_SZ_CONC, CR_SZ_FWLOGS, CR_SZ_BYTES, CR_SZ_ENDS_X60,
       CR_SZ_NMETRICS };
/* "new_per_s", "logs_per_min", "concurrent", "firewall_logs_per_min", "log_bytes_per_day",
 * "ends_per_s_x60". */
extern const char *const cr_sizing_metric_names[CR_SZ_NMETRICS];

#define CR_SZ_MAX_USERS 16

/* The three figures a firewall's datasheet gives and a sizing recommends (docs/report.md): new
 * sessions per second, concurrent sessions, firewall log lines (per whole minute; limits are
 * given per second, as datasheets and log collectors quote them). Limits are named "cps",
 * "sessions" and "logs"; cr_sizing_datasheet_metric maps each to its row of the table. */
enum { CR_SZ_CPS, CR_SZ_SESSIONS, CR_SZ_LOGRATE, CR_SZ_NDATASHEET };
extern const char *const cr_sizing_limit_names[CR_SZ_NDATASHEET];
extern const int cr_sizing_datasheet_metric[CR_SZ_NDATASHEET]; /* CR_SZ_NEW, _CONC, _FWLOGS */
/* The percentiles the table has (50, 90, 95, 99, 99.9), which --percentile takes. */
#define CR_SZ_NPERCENTILES 5
extern const double cr_sizing_percentiles[CR_SZ_NPERCENTILES];

typedef struct {
    /* Where the duration fits write their diagnostics (NULL: nowhere); everything else is
     * written by cr_sizing_write. */
    const char *out_dir;
    int nusers;
    int users[CR_SZ_MAX_USERS]; /* 1, 10, 50, 100 */
    cr_fw_profile fw;           /* "none" */
    uint64_t seed;              /* 42, for the fits and the simulation */
    int draws;                  /* posterior draws per batch: 1000 */
    long seconds;               /* simulated seconds per draw and N: 720 */
    /* Adaptive effort (lib/sim/effort.h; docs/simulation.md, "Stability"): batches of `draws`
     * draws x `seconds` s, each with fresh users and seconds (and, while the fit has unused
     * ones, other posterior draws), are added until the relative mcse of the 99th percentile of
     * new sessions/s, log lines/min and concurrent sessions at every N is at most mcse_target
     * (0.015), or max_batches (4: each of the fit's 4,000 draws once) batches are simulated; 1 is
     * the simulation of one batch as before adaptive effort. */
    double mcse_target;
    int max_batches;
    /* When the fits' draws, which every batch shares, hold an error above mcse_target (the
     * effort's floor), the fits' chains run on, once, to as many times their draws as the floor
     * asks for, at most run_on (1: never, the default), and the simulation starts again with
     * max_batches grown as much (each draw used as often as before). */
    int run_on;
    double log_bytes;           /* bytes per firewall log line: 800 */
    double max_session;         /* seconds a connection can live at most; 0: the longest
                                 * capture (no capture can show a longer one) */
    cr_fit_options fit;         /* sampler settings of every fit (seed set from `seed`) */
    int model;                  /* rate model: CR_LADDER_NBH_BURST (default), any CR_LADDER_*, or -1
                                 * for the ladder's automatic choice */
    int threads;                /* 0: one per CPU */
    cr_tcp_end_rule tcp_end;    /* the CPS table's termination rule: flags */
    /* Longest burn-in before the simulated seconds (7200 s): sessions alive at the start are
     * those a firewall running for that long holds. 0 starts from an empty table, as a capture
     * sees its first seconds (validate compares captures with that). */
    double burnin_cap;
    /* The recommended figure (sizing_recommend.c): this percentile of the table (99, one of
     * cr_sizing_percentiles) times this headroom (1.25). */
    double percentile;
    double headroom;
    /* Datasheet limits, 0 where none: new sessions/s, concurrent sessions, log lines per
     * second (CR_SZ_CPS ...). */
    double capacity[CR_SZ_NDATASHEET];
    /* The largest N the search for the users a limit holds simulates (100000: a simulation
     * costs in proportion to N, 10 s for 100,000 users at the default draws and seconds);
     * a limit still not reached there is reported as "at least" that. */
    long search_max;
    /* Machine-minutes the rate fits see at most (1000; 0: all): past it each machine keeps a
     * uniform sample of its minutes (series/cps_sample.h), the held-out check says whether it
     * was enough. A few machines over a few hours stay under it. */
    long fit_cells;
} cr_sizing_config;

void cr_sizing_config_default(cr_sizing_config *c);
/* Parses "1,10,50,100" (ascending, distinct, 1..1e6) into c->users. */
int cr_sizing_parse_users(cr_sizing_config *c, const char *arg, cr_err *e);
/* "99" or "99.9" (one of cr_sizing_percentiles) into c->percentile. */
int cr_sizing_parse_percentile(cr_sizing_config *c, const char *arg, cr_err *e);
/* "cps=20k,sessions=1.5M,logs=5000", any subset, each key once, numbers > 0 with an optional
 * k (1e3) or M (1e6), into c->capacity; given[k] set for each key read (may be NULL). The
 * messages name the option `opt` ("--capacity"). */
int cr_sizing_parse_capacity(cr_sizing_config *c, const char *opt, const char *arg, int *given,
                             cr_err *e);
/* The same from a datasheet file of key=value lines (blank lines and # comments allowed);
 * keys in skip[] (may be NULL) are read but not set, as the command line gave them. Messages
 * name the file and line. */
int cr_sizing_read_capacity(cr_sizing_config *c, const char *path, const int *skip, cr_err *e);

/* Every outbound connection of the machines, with its machine (0-based) and that machine's
 * capture end, for the duration fits. */
typedef struct {
    size_t n;
    cr_flow *fl;
    int *machine;
    int64_t *capture_end_ms; /* per machine */
    int64_t res_ms;          /* the coarsest resolution of their times */
} cr_sz_flows;

/* One observed machine. */
typedef struct {
    char *id;
    char *input;             /* path */
    const char *kind;        /* input kind */
    double capture_s;        /* first to last packet, seconds */
    int64_t first_ms;        /* the first packet (second 1 of the table is its second) */
    int64_t res_ms;          /* resolution of its times: 1 ms (captures), 1 s (some logs) */
    uint64_t total[4];       /* tcp_new, udp_new, tcp_end, udp_end */
    uint64_t tcp_streams, tcp_never_closed;
    int closes_visible;      /* TCP closes show (captures with flags; exports lose most) */
    int flow_records;        /* flow records or firewall logs of another tool, not packets */
    uint64_t out_of_scope[CR_SCOPE_NREASONS]; /* connections left out, per reason */
} cr_sizing_machine;

/* A file of flow records or session logs: what it gave. */
typedef struct {
    char *path;
    const char *format;      /* cr_flowlog_format_name */
    uint64_t records, connections;
    size_t hosts, dropped_hosts; /* inside hosts in it; those under --min-flows */
} cr_sizing_logfile;

/* The seconds a run sizes (docs/scale.md, "The busy hour"): all of them, or the busy hour
 * (series/busyhour.h) when the data span a day's regimes. */
enum { CR_SZ_WINDOW_AUTO, CR_SZ_WINDOW_BUSY_HOUR, CR_SZ_WINDOW_ALL, CR_SZ_NWINDOWS };
extern const char *const cr_sizing_window_names[CR_SZ_NWINDOWS]; /* "auto", "busy-hour", "all" */
/* auto takes the busy hour when the longest capture is longer than this (2 h): a shorter one
 * holds one regime, and sizing all of it is what runs did before windows. */
#define CR_SZ_WINDOW_AUTO_S 7200.0

/* A window of a run's data: seconds since the data's start (the earliest machine's first
 * second, origin_ms), and how much of the traffic it holds. */
typedef struct {
    int kind;                /* CR_SZ_WINDOW_BUSY_HOUR; CR_SZ_WINDOW_ALL when there is none */
    int64_t origin_ms;       /* the data's start, on the inputs' clock (ms) */
    long start_s, end_s;     /* [start_s, end_s) */
    long minutes;
    double new_share;        /* of all new connections (tcp_new + udp_new), those inside */
    int machines_outside;    /* machines without a second in it, left out */
} cr_sizing_window;

/* Origins from 2000 on are dates (UTC); earlier ones a clock of its own, as some exports count
 * from the capture's start, which has no date. */
#define CR_SZ_DATED_MS 946684800000LL

struct cr_sizing_data;

/* Step 1: what a run knows of the observed machines, in memory. */
typedef struct cr_sizing_data {
    int nmachines;
    cr_sizing_machine *m;
    cr_cps_table cps;        /* one row per machine and second */
    cr_sz_flows flows;
    /* over all machines */
    double seconds;          /* seconds of the table */
    double longest_capture;  /* seconds, the longest of one machine */
    uint64_t total[4];
    uint64_t tcp_streams, tcp_never_closed;
    int closes_visible;      /* every machine's */
    uint64_t out_of_scope[CR_SCOPE_NREASONS];
    int scope_firewall;      /* counted under --scope firewall */
    int64_t res_ms;          /* the coarsest resolution: the durations' (duration/data.h) */
    cr_sizing_logfile *logs; /* the flow-record and log files the hosts came from */
    int nlogs;
    /* Inside hosts of the logs the machines are a uniform sample of (flowlog.h, max_hosts);
     * 0 when every host is a machine. */
    size_t population_hosts;
    size_t rows_cap;         /* room for rows in cps (internal) */
    /* The window the data were cut to (kind CR_SZ_WINDOW_ALL: none), and then all of them,
     * owned, whose tables a run writes (cps.csv, flows.csv); NULL without a window. */
    cr_sizing_window window;
    struct cr_sizing_data *whole;
} cr_sizing_data;

/* Built machine by machine: from a loaded capture (local addresses set; its table under the
 * given TCP end rule) or from an inside host of flow records (flowlog/flowlog.h; the scope
 * leaves out what no firewall forwards), then finished (the totals). Machines are numbered in
 * the order they are added. */
void cr_sizing_data_init(cr_sizing_data *d);
void cr_sizing_data_add_machine(cr_sizing_data *d, const cr_machine *m, cr_tcp_end_rule rule);
void cr_sizing_data_add_host(cr_sizing_data *d, const cr_flowlog_host *h, const char *input,
                             const char *kind, const cr_scope *scope);
/* Records that a log file was read (its hosts are added one by one). */
void cr_sizing_data_add_logfile(cr_sizing_data *d, const cr_flowlog_file *f);
void cr_sizing_data_finish(cr_sizing_data *d);
/* All of it for loaded machines. */
void cr_sizing_data_from_machines(const cr_machine *ms, int n, cr_tcp_end_rule rule,
                                  cr_sizing_data *d);
/* The machines keep[0..nkeep) of d (0-based, ascending), renumbered 1..nkeep. */
void cr_sizing_data_subset(const cr_sizing_data *d, const int *keep, int nkeep,
                           cr_sizing_data *out);
void cr_sizing_data_free(cr_sizing_data *d);
/* Cuts *d to the window `kind` asks for (CR_SZ_WINDOW_*; auto as CR_SZ_WINDOW_AUTO_S says):
 * the machines with a second in it, each with its rows inside (counted from its first second
 * inside, totals over them) and its connections that start inside, followed to its capture's
 * end (a duration is not cut by the window); the horizon of the durations stays the longest
 * capture's. What *d was moves to d->whole. Returns 1 when it cut, 0 when d is left whole
 * (then d->window.kind is CR_SZ_WINDOW_ALL). */
int cr_sizing_data_window(cr_sizing_data *d, int kind);

/* What one machine did, second by second, in the terms of the sizing (sizing_observed.c). */
typedef struct {
    size_t nsec;
    double *new_per_s; /* tcp_new + udp_new */
    double *ends;      /* tcp_end + udp_end */
    double *alive;     /* sessions held at the end of each second (connection + hold) */
} cr_observed;

/* Machine k (0-based) of d under the firewall profile fw. */
void cr_observed_machine(const cr_sizing_data *d, int k, const cr_fw_profile *fw,
                         cr_observed *o);
void cr_observed_free(cr_observed *o);

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

/* The posterior predictive checks of a rate fit, counted. */
typedef struct {
    int ran;
    int checks, failed;    /* statistics and count classes, every machine and pooled */
    char pooled[256];      /* failing pooled statistics and classes, e.g. "zero_frac q99" */
} cr_sizing_ppc;

/* One machine judged before it is trusted (sizing_machines.c): what it did, what the fit
 * makes of it, and whether it stands out. */
typedef struct {
    double capture_s;
    double obs_new_mean, obs_new_q99; /* new sessions per second */
    double obs_conc_mean;             /* sessions held, after the capture's first minutes */
    double pred_new_mean;             /* the fit's mean rate of this machine */
    double z;                         /* posterior mean of its machine effect (sd units) */
    int short_capture;                /* under CR_SZ_SHORT_CAPTURE seconds */
    int outlier;                      /* |z| above CR_SZ_OUTLIER_Z */
    /* The q99 of new sessions/s and of concurrency at the largest N, refitted without this
     * machine (only for flagged machines, at most CR_SZ_MAX_INFLUENCE; NAN otherwise). */
    double q99_without[2];
} cr_sizing_machine_check;

#define CR_SZ_SHORT_CAPTURE 600.0
#define CR_SZ_OUTLIER_Z 2.0
#define CR_SZ_MAX_INFLUENCE 5

/* How much the simulation did (cr_sizing_simulate): every N has `batches` batches of c->draws
 * draws, the samples laid out [batch][draw][second] (draw d of batch b simulates draw slot d:
 * its session law, log lines per session and the Monte Carlo errors' cluster, lib/sim/mcse.h). */
typedef struct {
    int batches;
    int capped;            /* stopped by max_batches with a q99 above the target */
    int limited_by;        /* why the batches stopped: CR_SIM_EFFORT_* (sim/effort.h) */
    double worst;          /* the largest relative mcse of a q99 (new/s, logs/min, concurrent) */
    int worst_n, worst_metric; /* where: index of N, CR_SZ_* */
    double fit_factor;     /* times the fits' draws the floored q99 ask for (sim/effort.h) */
    int run_on;            /* times the fits' draws were grown by running their chains on (1) */
} cr_sizing_effort;

/* The recommended figure of one datasheet quantity at one N (sizing_recommend.c). */
typedef struct {
    double q, q_mcse;       /* the table's chosen percentile and its Monte Carlo error */
    double size, size_mcse; /* q x headroom */
    /* 5% and 95% over posterior draws of each draw's own percentile (parameter uncertainty);
     * NAN when a draw has under 5 values beyond it (minutes, or the 99.9th percentile). */
    double draws_q[2];
    int draws_beyond;       /* draws with a value beyond q (the tail rests on them) */
} cr_sizing_figure;

/* A datasheet limit against the simulation (sizing_capacity.c). */
typedef struct {
    double p[CR_SZ_MAX_USERS], p_mcse[CR_SZ_MAX_USERS]; /* share of seconds (logs: minutes)
                                                         * above it, per N, and its error */
    long max_users;         /* largest N whose recommended figure stays within it (0: none) */
    int at_least;           /* the search stopped at c->search_max still within it */
    int simulations;        /* extra N simulated by the search */
} cr_sizing_capacity;

typedef struct {
    const cr_sizing_data *data; /* what was sized (borrowed) */
    cr_sizing_machine_check *checks; /* [data->nmachines] */
    cr_fit_result fit[2];    /* the rate fits of "new" and "end", population draws kept */
    cr_sim_draw *draws[2];   /* their c->draws draws as lib/sim takes them (new, end) */
    /* Every kept draw of the fits in chain order (nall of them), which batches beyond the
     * first take their draws from; NULL: the batches reuse draws[]. */
    cr_sim_draw *all_draws[2];
    int nall[2];
    /* The fit's chain each draw slot comes from (cr_sizing_slot_chains), which the Monte Carlo
     * errors read the slots' correlation along (lib/sim/mcse.h); NULL: taken as independent. */
    int *slot_chain[2];
    cr_sizing_effort effort;
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

    /* Terminations: when every input shows closes (data->closes_visible), the fitted
     * termination series is simulated; otherwise log volume is derived from new connections
     * and session times (sessions end once each), and the fitted series is only a check. */
    int logs_from_fit;
    char logs_why[320];
    double logs_check_ratio; /* N=1 mean of the other estimate / the one used */

    long burnin_max;         /* longest burn-in over N and draws, seconds */
    double missed_max;       /* largest estimated share of concurrency lost to the burn-in cap */
    double logs_per_session; /* firewall log lines per session, mean over draws */

    /* Exact expectations per user over every posterior draw of the fits (not only the ones
     * simulated), with their Monte Carlo standard errors: new connections and terminations
     * per second (E[y] of the "new" and "end" fits), and a session's time held, E[T]. The
     * table's means are these times N (lib/sim/means.h), the same per user at every N. */
    double rate_mean[2], rate_mcse[2];
    double session_mean, session_mcse;
    double lps_mcse;         /* of logs_per_session */
    cr_sim_mcse mcse[CR_SZ_MAX_USERS][CR_SZ_NMETRICS]; /* of the simulated summaries */

    double stage_seconds;    /* wall time of cr_sizing_run (stderr only, never in outputs) */
    char *extra_html;        /* a section the report adds before its notes (owned), or NULL */
    cr_sim_summary sum[CR_SZ_MAX_USERS][CR_SZ_NMETRICS];
    /* pooled samples of new/s, logs per minute and concurrent sessions, for the figures */
    double *sample[CR_SZ_MAX_USERS][3];
    size_t nsample[3];

    /* What the report leads with (cr_sizing_recommend): per N the recommended figures, and
     * each limit of c->capacity given against the simulation. */
    cr_sizing_figure fig[CR_SZ_MAX_USERS][CR_SZ_NDATASHEET];
    cr_sizing_capacity cap[CR_SZ_NDATASHEET];
    double *logs_per_draw;   /* firewall log lines per session of each draw (owned) */
} cr_sizing;

/* The draws simulated per N: batches x c->draws. */
int cr_sizing_sim_draws(const cr_sizing_config *c, const cr_sizing *s);
/* The metrics whose q99 the effort aims at: CR_SZ_NEW, CR_SZ_LOGS, CR_SZ_CONC. */
#define CR_SZ_NEFFORT 3
extern const int cr_sizing_effort_metrics[CR_SZ_NEFFORT];
/* The relative mcse of the q99 of metric at N index u (0 when both are 0). */
double cr_sizing_rel_mcse(const cr_sizing *s, int u, int metric);

/* Runs steps 2-3 on d (which must outlive s) and fills s; writes nothing but the duration
 * diagnostics under c->out_dir when it is set. A fit that fails its criteria is a status, not
 * an error. */
int cr_sizing_run(const cr_sizing_data *d, const cr_sizing_config *c, cr_sizing *s, cr_err *e);
void cr_sizing_free(cr_sizing *s);

/* A mix of classes of users (sizing_mix.c): users[k] users like class k, all at once, each
 * class sized on its own by cr_sizing_run with the same config but for its users. */
#define CR_SZ_MAX_CLASSES 8
typedef struct {
    int nclasses;
    const char *name[CR_SZ_MAX_CLASSES];
    int users[CR_SZ_MAX_CLASSES];
    const cr_sizing *s[CR_SZ_MAX_CLASSES]; /* borrowed */
    int total;                             /* users of every class */
    cr_sim_summary sum[CR_SZ_NMETRICS];
    cr_sim_mcse mcse[CR_SZ_NMETRICS];
    double *sample[3];                     /* as cr_sizing's */
    size_t nsample[3];
} cr_sizing_mix;

/* Simulates every class at its users with streams of its own and adds them second by second;
 * fills the summaries (exact means: the classes' sums). */
int cr_sizing_mix_run(const cr_sizing_config *c, cr_sizing_mix *m, cr_err *e);
void cr_sizing_mix_free(cr_sizing_mix *m);
/* dir/sizing.csv (one row per metric, users = the total), dir/mix.json (the classes and the
 * same table) and dir/report.html (the table and a link to each class's report, which the
 * caller writes under dir/classes/NAME/). */
int cr_sizing_mix_write(const char *dir, const cr_sizing_config *c, const cr_sizing_mix *m,
                        cr_err *e);

/* Step 4: every output under dir, each file atomically. */
int cr_sizing_write(const char *dir, const cr_sizing_config *c, const cr_sizing *s, cr_err *e);

/* Step 3 alone, for tests and callers with their own fits: simulates every N of c from rate
 * draws dnew (and dend, used when s->logs_from_fit) and what s already holds of the session
 * model (dur[] with c->draws draws each, p_tcp, p_rst, p_idle, p_dns); fills the summaries and
 * samples of s. The means are N times the per-user expectations: over every draw of s's fits,
 * or, when s has none (fit[].nrungs 0), over the draws given. */
int cr_sizing_simulate(const cr_sizing_config *c, const cr_sim_draw *dnew,
                       const cr_sim_draw *dend, cr_sizing *s, cr_err *e);

/* Step 4, each file atomically. */
int cr_sizing_write_csv(const char *path, const cr_sizing_config *c, const cr_sizing *s,
                        cr_err *e);
int cr_sizing_write_json(const char *path, const cr_sizing_config *c, const cr_sizing *s,
                         cr_err *e);
/* The figures a report embeds, as their SVG text: the three distributions, the scaling plot,
 * the new-connection fit's rootogram. */
enum { CR_SZ_FIG_NEW, CR_SZ_FIG_LOGS, CR_SZ_FIG_CONC, CR_SZ_FIG_SCALING, CR_SZ_FIG_PPC,
       CR_SZ_NFIGURES };
/* DIR/plots/{new_per_s,logs_per_min,concurrent,scaling}.{png,svg}; their SVG text into
 * svg[CR_SZ_FIG_NEW .. CR_SZ_FIG_SCALING]. */
int cr_sizing_plots(const char *dir, const cr_sizing_config *c, const cr_sizing *s,
                    cr_plot_svg svg[CR_SZ_NFIGURES], cr_err *e);
/* DIR/report.html, one self-contained page embedding the figures' SVG text. */
int cr_sizing_report(const char *dir, const cr_sizing_config *c, const cr_sizing *s,
                     const cr_plot_svg svg[CR_SZ_NFIGURES], cr_err *e);

/* The recommended figures, the limits' exceedance and the largest N within each (a search
 * that simulates further N, each on the seed of the run); after cr_sizing_simulate. */
int cr_sizing_recommend(const cr_sizing_config *c, cr_sizing *s, cr_err *e);
/* Firewall log lines in each simulated minute of N index u, [draw][minute] (fresh array of
 * s->nsample[1]): terminations per minute x the draw's log lines per session. */
double *cr_sizing_log_minutes(const cr_sizing_config *c, const cr_sizing *s, int u);
/* The i-th caveat (0-based) of this run in plain words into buf; 0 when there is none: failed
 * checks, few machines, short or outlying ones, flow-record inputs, a concurrency the burn-in
 * cap understates, a chosen percentile the simulation pins down poorly, a simulation stopped
 * above its --mcse-target by --max-batches or by the fit's draws. */
int cr_sizing_caveat(const cr_sizing_config *c, const cr_sizing *s, int i, char *buf, size_t n);
/* The recommended figures at the largest N and each limit's verdict, on stderr (cr_info). */
void cr_sizing_print_summary(const cr_sizing_config *c, const cr_sizing *s);

/* The overall status line: "PASS" when every fit met the criteria, else "FAIL: ..." */
void cr_sizing_status(const cr_sizing *s, char *buf, size_t n);
/* One line of advice for the i-th failing part (0-based) into buf; 0 when there is none. */
int cr_sizing_advice(const cr_sizing *s, int i, char *buf, size_t n);

/* Posterior draws of a rate model of the ladder, any of them, as lib/sim draws them: out[ndraws]
 * evenly thinned from the draws in chain order (each row outputs cols[0..ncols) of m, or all
 * of m's outputs when cols is NULL), the parameters found by name (alpha, sigma_machine,
 * sigma_minute, phi, rho, mu_pi, sigma_pi). What is absent says which model made them: no phi
 * is pois (phi = INFINITY), no sigma_minute nb_machine (0), no rho a model without AR(1)
 * minutes (0), mu_pi and sigma_pi (both, with phi) the hurdle. Anything else is a one-line
 * error naming `what` (from_columns) or the file (read_draws). */
int cr_sizing_draws_from_columns(const cr_model *m, const cr_chains_result *res, const int *cols,
                                 int ncols, int ndraws, cr_sim_draw *out, const char *what,
                                 cr_err *e);
/* The same from a fit result's rung, whose draws may be trimmed (cr_fit_rung.draw_cols). */
int cr_sizing_draws_from_fit_trimmed(const cr_fit_rung *r, int ndraws, cr_sim_draw *out,
                                     cr_err *e);
/* Which of the fit's rows (chain-major, nrows of them) draw slot i of ndraws takes: evenly
 * thinned, slot i the first of its group of about nrows / ndraws consecutive rows, from which
 * later batches take the next ones (sizing_run.c). */
size_t cr_sizing_thin_row(int i, size_t nrows, int ndraws);
/* chain[0..ndraws): the chain of the fit (chains x samples draws, chain-major) whose draws
 * slot i takes, by cr_sizing_thin_row: the slots of one chain are consecutive and in its
 * iteration order, as lib/sim/mcse.h wants them. A slot whose group crosses into the next
 * chain (when samples is not a multiple of the group) counts in its first row's chain. */
void cr_sizing_slot_chains(int chains, int samples, int ndraws, int *chain);
/* The same from a draws CSV in lib/fit's format (draws/SERIES.csv), e.g. of `connrate fit`. */
int cr_sizing_read_draws(const char *path, int ndraws, cr_sim_draw *out, cr_err *e);

#endif
