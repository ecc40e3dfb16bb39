#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "common/progress.h"
#include "flows/load.h"
#include "sizing/sizing.h"

static const char help[] =
    "usage: connrate run INPUT... -o DIR [OPTIONS]\n"
    "\n"
    "Firewall sizing for N users, end to end: the CPS and flows tables of the captures, the\n"
    "hierarchical rate model of new connections (tcp_new + udp_new) and of terminations, the\n"
    "censored duration model per protocol, then for each N a posterior predictive simulation of\n"
    "new sessions/s, log lines/min and concurrent sessions under a firewall profile\n"
    "(docs/report.md). Writes:\n"
    "  DIR/sizing.csv     users,metric,mean,q50,q90,q95,q99,q999,max per N and metric\n"
    "  DIR/sizing.json    the same plus inputs, settings, models, status and versions\n"
    "  DIR/plots/         new_per_s, logs_per_min, concurrent, scaling (.png and .svg)\n"
    "  DIR/report.html    one self-contained page: table, figures, checks, notes, inputs\n"
    "  DIR/cps.csv, DIR/flows.csv, DIR/fit/   the tables and fits behind them\n"
    "\n"
    "  -o, --output DIR     output directory (required)\n"
    "  --users LIST         numbers of users, increasing (1,10,50,100)\n"
    "  --firewall NAME      none (default: no hold time, one log per session), linux, pf,\n"
    "                       paloalto, fortigate, asa, checkpoint (docs/firewall-profiles.md)\n"
    "  --udp-timeout S      override the profile's UDP idle timeout (seconds; s/m/h/d)\n"
    "  --tcp-fin-hold S     override the hold after a FIN close\n"
    "  --tcp-rst-hold S     override the hold after an RST\n"
    "  --dns-timeout S      override the hold of DNS (UDP to port 53)\n"
    "  --max-session S      longest a connection lives (s/m/h/d; default: the longest capture,\n"
    "                       as no capture shows longer; docs/durations.md, \"The horizon\")\n"
    "  --log-bytes B        bytes per firewall log line (800)\n"
    "  --model NAME         rate model of both rate fits: nbh (default), pois, nb_machine,\n"
    "                       nbh_ar1, hurdle_nbh_ar1, nbh_burst, or auto (the ladder fits all\n"
    "                       six and keeps one per fit by its checks and PSIS-LOO, as connrate\n"
    "                       fit does)\n"
    "  --seed N             random seed of the fits and the simulation (42)\n"
    "  --draws N            posterior draws simulated per N (200)\n"
    "  --seconds N          simulated seconds per draw and N (3600)\n"
    "  --warmup N           warmup iterations per chain of every fit (1000)\n"
    "  --samples N          saved draws per chain of every fit (1000)\n"
    "  --threads N          threads (default: one per CPU; outputs do not depend on it)\n"
    "  -q, --quiet          no progress or summary on stderr\n";

enum { OPT_USERS = 256, OPT_MODEL, OPT_FIREWALL, OPT_OVERRIDE, OPT_MAX_SESSION, OPT_LOG_BYTES,
       OPT_SEED, OPT_DRAWS, OPT_SECONDS, OPT_WARMUP, OPT_SAMPLES, OPT_THREADS };

static const struct option longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"users", required_argument, NULL, OPT_USERS},
    {"model", required_argument, NULL, OPT_MODEL},
    {"firewall", required_argument, NULL, OPT_FIREWALL},
    {"udp-timeout", required_argument, NULL, OPT_OVERRIDE},
    {"tcp-fin-hold", required_argument, NULL, OPT_OVERRIDE},
    {"tcp-rst-hold", required_argument, NULL, OPT_OVERRIDE},
    {"dns-timeout", required_argument, NULL, OPT_OVERRIDE},
    {"max-session", required_argument, NULL, OPT_MAX_SESSION},
    {"log-bytes", required_argument, NULL, OPT_LOG_BYTES},
    {"seed", required_argument, NULL, OPT_SEED},
    {"draws", required_argument, NULL, OPT_DRAWS},
    {"seconds", required_argument, NULL, OPT_SECONDS},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"samples", required_argument, NULL, OPT_SAMPLES},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* Overrides apply after --firewall whatever their order on the command line. */
typedef struct {
    const char *opt, *arg;
} override;

static int parse(int argc, char **argv, cr_sizing_config *c, int *quiet, int *done)
{
    override ov[16];
    int nov = 0, idx = 0, ch;
    const char *firewall = "none";
    cr_err e;
    long v;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "o:qh", longopts, &idx)) != -1) {
        switch (ch) {
        case 'o':
            c->out_dir = optarg;
            break;
        case 'q':
            *quiet = 1;
            break;
        case 'h':
            fputs(help, stdout);
            *done = 1;
            return 0;
        case OPT_USERS:
            if (cr_sizing_parse_users(c, optarg, &e) != 0)
                return cli_usage_error("run", "%s", e.msg);
            break;
        case OPT_FIREWALL:
            firewall = optarg;
            break;
        case OPT_MODEL: {
            const cr_ladder_model *lm = cr_ladder_find(optarg);
            if (!strcmp(optarg, "auto"))
                c->model = -1;
            else if (lm)
                c->model = (int)(lm - cr_ladder_models);
            else
                return cli_usage_error("run", "--model %s: expected auto, pois, nb_machine, nbh, "
                                       "nbh_ar1, hurdle_nbh_ar1 or nbh_burst", optarg);
            break;
        }
        case OPT_OVERRIDE:
            if (nov == 16)
                return cli_usage_error("run", "too many timeout overrides");
            ov[nov++] = (override){longopts[idx].name, optarg};
            break;
        case OPT_MAX_SESSION:
            if (cr_fw_parse_seconds("--max-session", optarg, &c->max_session, &e) != 0 ||
                !(c->max_session >= 1))
                return cli_usage_error("run", "--max-session %s: expected a duration of 1 s or "
                                       "more (s/m/h/d)", optarg);
            break;
        case OPT_LOG_BYTES:
            if (cli_parse_double(optarg, 1, 1e6, &c->log_bytes) != 0)
                return cli_usage_error("run", "--log-bytes %s: expected bytes from 1 to 1e6",
                                       optarg);
            break;
        case OPT_SEED:
            if (cli_parse_long(optarg, 0, 2147483647L, &v) != 0)
                return cli_usage_error("run", "--seed %s: expected a non-negative integer",
                                       optarg);
            c->seed = (uint64_t)v;
            break;
        case OPT_DRAWS:
        case OPT_SECONDS:
        case OPT_WARMUP:
        case OPT_SAMPLES:
        case OPT_THREADS: {
            long lo = ch == OPT_SECONDS ? 60 : ch == OPT_WARMUP ? 100 : ch == OPT_SAMPLES ? 100 : 1;
            long hi = ch == OPT_SECONDS ? 86400 : ch == OPT_THREADS ? 256 : 100000;
            if (cli_parse_long(optarg, lo, hi, &v) != 0)
                return cli_usage_error("run", "--%s %s: expected a number from %ld to %ld",
                                       longopts[idx].name, optarg, lo, hi);
            if (ch == OPT_DRAWS)
                c->draws = (int)v;
            else if (ch == OPT_SECONDS)
                c->seconds = v;
            else if (ch == OPT_WARMUP)
                c->fit.sampler.warmup = (int)v;
            else if (ch == OPT_SAMPLES)
                c->fit.sampler.samples = (int)v;
            else
                c->threads = (int)v;
            break;
        }
        default:
            if (optopt)
                return cli_usage_error("run", "option -%c needs a value or is unknown", optopt);
            return cli_usage_error("run", "unknown option %s", argv[optind - 1]);
        }
    }
    if (!c->out_dir)
        return cli_usage_error("run", "-o DIR is required");
    if (optind >= argc)
        return cli_usage_error("run", "no input: name capture files or directories");
    if (cr_fw_profile_get(&c->fw, firewall, &e) != 0)
        return cli_usage_error("run", "%s", e.msg);
    for (int i = 0; i < nov; i++) {
        char opt[64];
        snprintf(opt, sizeof opt, "--%s", ov[i].opt);
        if (cr_fw_override(&c->fw, opt, ov[i].arg, &e) != 0)
            return cli_usage_error("run", "%s", e.msg);
    }
    c->fit.sampler.seed = c->seed;
    c->fit.sampler.threads = c->threads;
    return 0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static int write_all(const cr_sizing_config *c, const cr_sizing *s, cr_err *e)
{
    char csv[4096], json[4096];
    snprintf(csv, sizeof csv, "%s/sizing.csv", c->out_dir);
    snprintf(json, sizeof json, "%s/sizing.json", c->out_dir);
    if (cr_sizing_write_csv(csv, c, s, e) != 0 || cr_sizing_write_json(json, c, s, e) != 0 ||
        cr_sizing_plots(c->out_dir, c, s, e) != 0 || cr_sizing_report(c->out_dir, c, s, e) != 0)
        return -1;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    cr_sizing_config c;
    cr_sizing_config_default(&c);
    int quiet = 0, done = 0;
    int rc = parse(argc, argv, &c, &quiet, &done);
    if (rc != 0 || done)
        return rc;
    cr_progress_set_quiet(quiet);
    gsl_set_error_handler_off();

    cr_err e;
    cr_inputs in;
    cr_machine *ms = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (cr_inputs_collect(&in, argv + optind, argc - optind, &e) != 0)
        return cli_fail(&e);
    if (cr_machines_load(&in, NULL, 0, c.threads, &ms, &e) != 0) {
        cr_inputs_free(&in);
        return cli_fail(&e);
    }
    char fw[512];
    cr_fw_describe(&c.fw, fw, sizeof fw);
    cr_info("firewall profile: %s\n", fw);
    cr_sizing s;
    double t1 = seconds_since(&t0);
    cr_info("stage %-12s %7.1f s\n", "load", t1);
    rc = cr_sizing_run(ms, in.n, &c, &s, &e) != 0 || write_all(&c, &s, &e) != 0;
    if (!rc)
        cr_info("stage %-12s %7.1f s\nstage %-12s %7.1f s\n", "outputs",
                seconds_since(&t0) - t1 - s.stage_seconds, "total", seconds_since(&t0));
    cr_machines_free(ms, in.n);
    cr_inputs_free(&in);
    if (rc) {
        cr_sizing_free(&s);
        return cli_fail(&e);
    }
    char status[1200];
    cr_sizing_status(&s, status, sizeof status);
    cr_info("status: %s\nreport: %s/report.html\n", status, c.out_dir);
    cr_sizing_free(&s);
    return 0;
}
