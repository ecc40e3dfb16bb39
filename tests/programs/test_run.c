/* `connrate run` end to end: on synthetic captures every output exists and sizing.csv and
 * sizing.json agree to the digit; the recommended figures are the table's percentile times the
 * headroom in sizing.json, the report and on stderr, and datasheet limits are judged against
 * them; the same seed gives byte-identical tables whatever the thread count, with the fits'
 * chains run on (--run-on) as without; the report renders
 * in headless Chromium and shows the table; no two labels of any figure meet, on synthetic and
 * real captures; and on every real capture the observed session-table size per second
 * (computed here from the run's flows.csv, by the seed's definition) lies within the N = 1
 * predictive band. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/plot.h"
#include "sizing/sizing.h"
#include "test.h"

/* Small settings: these tests check plumbing and consistency, not convergence. */
#define FAST "--draws 40 --seconds 600 --warmup 300 --samples 300"

static char synth_dir[512], run_dir[512];

/* Synthetic captures and one run over them, shared by the cases below. */
static int synth_run(void)
{
    static int done = -1;
    if (done >= 0)
        return done;
    const char *t = cr_test_tmpdir();
    snprintf(synth_dir, sizeof synth_dir, "%s/captures", t);
    snprintf(run_dir, sizeof run_dir, "%s/run", t);
    done = cr_test_sh("%s synth -q --machines 3 --minutes 20 --seed 5 -o %s", cr_test_bin(),
                      synth_dir) == 0 &&
           cr_test_ran(cr_test_sh("%s run -q %s -o %s --users 1,10,100 --firewall asa " FAST,
                                  cr_test_bin(), synth_dir, run_dir));
    return done;
}

static int exists(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n > 0;
}

static char *slurp_in(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return cr_test_slurp(p, NULL);
}

/* Faults in the text of the run's four figures (strings that meet or leave the page). */
static int label_faults(const char *dir)
{
    static const char *const figs[] = {"new_per_s", "logs_per_min", "concurrent", "scaling"};
    int faults = 0;
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++) {
        char p[1024], why[300] = "";
        snprintf(p, sizeof p, "%s/plots/%s.svg", dir, figs[i]);
        size_t len = 0;
        cr_plot_svg svg = {cr_test_slurp(p, &len), 0};
        svg.len = len;
        int k = svg.text ? cr_plot_svg_text_faults(&svg, 1600, 1000, why, sizeof why) : 1;
        if (k)
            printf("  %s: %d text faults: %s\n", p, k, svg.text ? why : "missing");
        faults += k;
        cr_plot_svg_free(&svg);
    }
    return faults;
}

/* The number after "key": in text, NAN when absent. */
static double json_num(const char *text, const char *key)
{
    char k[96];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *at = text ? strstr(text, k) : NULL;
    return at && strncmp(at + strlen(k), "null", 4) ? atof(at + strlen(k)) : NAN;
}

/* The table's JSON entry of (users, metric), as the writer prints it: {"users": U, "metric":
 * "M", ... in "sizing" (the recommended figures' entries begin alike). */
static const char *json_row(const char *json, const char *users, const char *metric)
{
    char key[128];
    snprintf(key, sizeof key, "{\"users\": %s, \"metric\": \"%s\"", users, metric);
    const char *table = strstr(json, "\"sizing\": [");
    return table ? strstr(table, key) : NULL;
}

static void outputs_exist_and_agree(void)
{
    CHECK(synth_run());
    static const char *const files[] = {
        "sizing.csv", "sizing.json", "report.html", "cps.csv", "flows.csv",
        "plots/new_per_s.png", "plots/new_per_s.svg", "plots/logs_per_min.png",
        "plots/logs_per_min.svg", "plots/concurrent.png", "plots/concurrent.svg",
        "plots/scaling.png", "plots/scaling.svg", "fit/new/draws/new.csv",
        "fit/end/diagnostics/status"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        CHECKF(exists(run_dir, files[i]), "missing %s", files[i]);

    char *csv = slurp_in(run_dir, "sizing.csv"), *json = slurp_in(run_dir, "sizing.json");
    CHECK(csv && json);
    static const char header[] = "users,metric,mean,mcse_mean,q50,mcse_q50,q90,mcse_q90,q95,"
                                 "mcse_q95,q99,mcse_q99,q999,mcse_q999,max\n";
    CHECK(!strncmp(csv, header, strlen(header)));
    static const char *const cols[13] = {"mean", "mcse_mean", "q50",       "mcse_q50", "q90",
                                         "mcse_q90", "q95",   "mcse_q95",  "q99",
                                         "mcse_q99", "q999",  "mcse_q999", "max"};
    int rows = 0;
    char *save = NULL;
    for (char *line = strtok_r(csv + strlen(header), "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[15], *s2 = NULL;
        int n = 0;
        for (char *c = strtok_r(line, ",", &s2); c && n < 15; c = strtok_r(NULL, ",", &s2))
            f[n++] = c;
        CHECK_INT(n, 15);
        const char *j = json_row(json, f[0], f[1]);
        CHECKF(j, "sizing.json has no row for %s users %s", f[0], f[1]);
        double prev = 0;
        for (int k = 0; k < 13; k++) {
            char want[96];
            snprintf(want, sizeof want, "\"%s\": %s", cols[k], f[2 + k]);
            const char *end = strchr(j, '}');
            const char *at = strstr(j, want);
            CHECKF(at && at < end, "%s users %s: json lacks %s", f[0], f[1], want);
            if (k % 2 == 0 && k > 0) { /* the quantiles and the max, in order */
                CHECKF(atof(f[2 + k]) >= prev, "%s %s: quantiles not ordered", f[0], f[1]);
                prev = atof(f[2 + k]);
            } else if (k % 2) { /* a Monte Carlo error: finite and not negative */
                CHECKF(atof(f[2 + k]) >= 0 && strcmp(f[2 + k], "NA"), "%s %s: %s = %s", f[0],
                       f[1], cols[k], f[2 + k]);
            }
        }
        rows++;
    }
    CHECK_INT(rows, 3 * CR_SZ_NMETRICS);
    /* ASA logs a session twice (built and teardown): twice the terminations' lines. */
    const char *j = json_row(json, "100", "firewall_logs_per_min");
    const char *l = json_row(json, "100", "logs_per_min");
    CHECK(j && l);
    double fw = atof(strstr(j, "\"mean\": ") + 8), logs = atof(strstr(l, "\"mean\": ") + 8);
    CHECK_NEAR(fw, 2 * logs, 1e-6 * logs);
    CHECK(strstr(json, "\"name\": \"asa\"") != NULL);
    CHECK(strstr(json, "\"terminations\": {\"source\": ") != NULL);

    char *html = slurp_in(run_dir, "report.html");
    CHECK(html);
    CHECK(strstr(html, "id=\"sizing-table\"") != NULL);
    CHECK(strstr(html, "<p><b>For 100 users, size for ") != NULL);
    CHECK(strstr(html, "id=\"caveats\"") && strstr(html, "id=\"recommended\""));
    CHECK(!strstr(html, "id=\"capacity\"")); /* no limits given */
    /* the recommended figures: the table's 99th percentile x 1.25, at every N */
    const char *rec = strstr(json, "\"recommended\": [");
    CHECK(rec);
    static const char *const ds[3] = {"new_per_s", "concurrent", "firewall_logs_per_min"};
    static const char *const users[3] = {"1", "10", "100"};
    for (int u = 0; u < 3; u++)
        for (int k = 0; k < 3; k++) {
            char key[128];
            snprintf(key, sizeof key, "{\"users\": %s, \"metric\": \"%s\", \"percentile\": 99,",
                     users[u], ds[k]);
            const char *r = strstr(rec, key), *t = json_row(json, users[u], ds[k]);
            CHECKF(r && t, "no recommended figure for %s users %s", users[u], ds[k]);
            double q99 = json_num(t, "q99"), mq = json_num(t, "mcse_q99");
            CHECK_NEAR(json_num(r, "quantile"), q99, 1e-9 * q99);
            CHECK_NEAR(json_num(r, "mcse_quantile"), mq, 1e-9 * mq);
            CHECK_NEAR(json_num(r, "size"), 1.25 * q99, 1e-9 * q99);
        }
    CHECK(strstr(json, "\"capacity\": [],") && strstr(json, "\"caveats\": ["));
    CHECK(strstr(json, "\"percentile\": 99, \"headroom\": 1.25, \"capacity\": {\"cps\": null, "
                       "\"sessions\": null, \"logs\": null}"));
    CHECKF(label_faults(run_dir) == 0, "labels meet in %s/plots", run_dir);
    CHECK(strstr(html, "<svg") != NULL);
    /* Self-contained: no scripts, links, or anything fetched. */
    CHECK(!strstr(html, "<script") && !strstr(html, "<link") && !strstr(html, "src=") &&
          !strstr(html, "@import") && !strstr(html, "url(http"));
    free(csv);
    free(json);
    free(html);
}

/* --percentile, --headroom and --capacity: the figures follow them in sizing.json, the report
 * and the summary on stderr; each limit's largest N agrees with the table's figures (within the
 * limit at every N up to it, beyond it above); a datasheet file gives the same. */
static void percentile_headroom_capacity(void)
{
    CHECK(synth_run());
    const char *t = cr_test_tmpdir();
    char dir[600], file[600];
    snprintf(dir, sizeof dir, "%s/capacity", t);
    CHECK(cr_test_ran(cr_test_sh("%s run %s -o %s --users 1,10,100 --firewall asa --percentile "
                                 "99.9 --headroom 1.5 --capacity cps=40,sessions=20k,logs=50 "
                                 FAST " 2> %s/capacity.err", cr_test_bin(), synth_dir, dir, t)));
    char *json = slurp_in(dir, "sizing.json"), *html = slurp_in(dir, "report.html");
    char *err = slurp_in(t, "capacity.err");
    CHECK(json && html && err);
    CHECK(strstr(json, "\"percentile\": 99.9, \"headroom\": 1.5, \"capacity\": {\"cps\": 40, "
                       "\"sessions\": 20000, \"logs\": 50}"));
    static const char *const ds[3] = {"new_per_s", "concurrent", "firewall_logs_per_min"};
    static const char *const lim[3] = {"cps", "sessions", "logs"};
    static const double limit[3] = {40, 20000, 50 * 60};
    static const int users[3] = {1, 10, 100};
    for (int k = 0; k < 3; k++) {
        char key[128];
        snprintf(key, sizeof key, "{\"limit\": \"%s\", \"metric\": \"%s\"", lim[k], ds[k]);
        const char *c = strstr(json, key);
        CHECKF(c, "sizing.json has no limit %s", lim[k]);
        double most = json_num(c, "max_users");
        for (int u = 0; u < 3; u++) {
            char n[16];
            snprintf(n, sizeof n, "%d", users[u]);
            const char *row = json_row(json, n, ds[k]);
            double size = 1.5 * json_num(row, "q999");
            snprintf(key, sizeof key, "{\"users\": %d, \"metric\": \"%s\", \"percentile\": 99.9",
                     users[u], ds[k]);
            CHECK_NEAR(json_num(strstr(json, key), "size"), size, 1e-9 * size);
            CHECKF(size <= limit[k] ? most >= users[u] : most < users[u],
                   "%s: %d users need %g against %g, yet the largest N within is %g", lim[k],
                   users[u], size, limit[k], most);
            snprintf(key, sizeof key, "{\"users\": %d, \"share\": ", users[u]);
            double p = json_num(strstr(c, key), "share");
            CHECKF(p >= 0 && p <= 1, "%s N=%d: share %g", lim[k], users[u], p);
        }
        /* the summary on stderr says the same */
        snprintf(key, sizeof key, "capacity %s=", lim[k]);
        const char *line = strstr(err, key);
        char want[64];
        const char *least = strstr(c, "\"max_users_at_least\": ");
        snprintf(want, sizeof want, "%s%.0f users within it",
                 least && !strncmp(least + 22, "true", 4) ? "at least " : "up to ", most);
        CHECKF(line && (most == 0 ? strstr(line, "not even one user") != NULL
                                  : strstr(line, want) != NULL),
               "stderr lacks \"%s\" for %s: %s", want, lim[k], err);
    }
    CHECK(strstr(err, "size for 100 users: ") && strstr(err, "99.9th percentile"));
    CHECK(strstr(html, "id=\"capacity\"") && strstr(html, "times a headroom of 1.5 (set by "
                                                       "<code>--headroom</code>; the default is "
                                                       "1.25)"));
    /* the same limits from a datasheet file, one of them overridden on the command line */
    snprintf(file, sizeof file, "%s/datasheet.txt", t);
    FILE *f = fopen(file, "w");
    fputs("# a small firewall\ncps = 40\nsessions = 1M\nlogs = 50\n", f);
    fclose(f);
    char again[600];
    snprintf(again, sizeof again, "%s/capacity_file", t);
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s -o %s --users 1,10,100 --firewall asa "
                                 "--percentile 99.9 --headroom 1.5 --capacity-file %s "
                                 "--capacity sessions=20k " FAST, cr_test_bin(), synth_dir, again,
                                 file)));
    CHECK(cr_test_sh("cmp -s %s/sizing.json %s/sizing.json", dir, again) == 0);
    free(json);
    free(html);
    free(err);
}

/* The shared run again under DIR `name` with the options `extra`: every file the same bytes. */
static void same_bytes_with(const char *name, const char *extra)
{
    CHECK(synth_run());
    char other[600];
    snprintf(other, sizeof other, "%s/%s", cr_test_tmpdir(), name);
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s -o %s --users 1,10,100 --firewall asa %s " FAST,
                                 cr_test_bin(), synth_dir, other, extra)));
    static const char *const files[] = {"sizing.csv", "sizing.json", "report.html", "cps.csv",
                                        "flows.csv", "fit/new/draws/new.csv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        CHECKF(cr_test_sh("cmp -s %s/%s %s/%s", run_dir, files[i], other, files[i]) == 0,
               "%s %s: %s differs", name, extra, files[i]);
}

static void same_seed_same_bytes(void) { same_bytes_with("again", "--threads 1"); }

/* --run-on: with every batch on the same draws (--draws as many as the fit has) and a target
 * that leaves their floor above it, the fits' chains run on to 4 times their draws (sizing.json
 * says so); the draws file holds them, with the draws every run makes unchanged at the head of
 * each chain; and the run is as reproducible as any. */
static void runs_the_fits_on(void)
{
    CHECK(synth_run());
    char dir[600], again[600];
    snprintf(dir, sizeof dir, "%s/run_on", cr_test_tmpdir());
    snprintf(again, sizeof again, "%s/run_on_again", cr_test_tmpdir());
    const char *opts = "--users 1,10,100 --firewall asa --mcse-target 0.001 --run-on 4 "
                       "--warmup 300 --samples 300 --draws 1200 --seconds 60";
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s -o %s %s", cr_test_bin(), synth_dir, dir, opts)));
    char *json = slurp_in(dir, "sizing.json");
    CHECK_NEAR(json_num(json, "fit_draws_run_on"), 4, 0);
    free(json);
    json = slurp_in(run_dir, "sizing.json");
    CHECK_NEAR(json_num(json, "fit_draws_run_on"), 1, 0);
    free(json);
    /* n draws in the run without --run-on (4 chains; a fit may already have run on once to
     * pass its checks), 4 n with it, the first n / 4 of each chain as before */
    CHECK(cr_test_sh("n=$(($(wc -l < %s/fit/new/draws/new.csv) - 1)); "
                     "test $(wc -l < %s/fit/new/draws/new.csv) -eq $((4 * n + 1)) && "
                     "awk -F, -v s=$((n / 4)) 'NR > 1 && $2 <= s' %s/fit/new/draws/new.csv "
                     "> %s/head.csv && tail -n +2 %s/fit/new/draws/new.csv | cmp -s - %s/head.csv",
                     run_dir, dir, dir, dir, run_dir, dir) == 0);
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s -o %s %s --threads 1", cr_test_bin(), synth_dir,
                                 again, opts)));
    static const char *const files[] = {"sizing.csv", "sizing.json", "report.html",
                                        "fit/new/draws/new.csv", "fit/end/draws/end.csv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        CHECKF(cr_test_sh("cmp -s %s/%s %s/%s", dir, files[i], again, files[i]) == 0,
               "--run-on, again on 1 thread: %s differs", files[i]);
}

/* The flows table a run writes is an input like the captures it came from (flow records with
 * the machines' names): the same connections, windows and durations, so the same sizing to the
 * byte; and flow records of another tool (nfdump's JSON of a real capture) make a run whose
 * machines are the inside hosts, named by address. */
static void flow_records_as_input(void)
{
    CHECK(synth_run());
    char dir[600];
    snprintf(dir, sizeof dir, "%s/from_flows", cr_test_tmpdir());
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s/flows.csv -o %s --users 1,10,100 --firewall asa "
                                 FAST, cr_test_bin(), run_dir, dir)));
    CHECK(cr_test_sh("cmp %s/sizing.csv %s/sizing.csv", run_dir, dir) == 0);
    CHECK(cr_test_sh("cmp %s/cps.csv %s/cps.csv", run_dir, dir) == 0);
    char *json = slurp_in(dir, "sizing.json");
    CHECK(json && strstr(json, "\"machine_id\": \"ws02\", \"path\": ") &&
          strstr(json, "\"kind\": \"connrate-flows\""));
    free(json);

    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("no ../shared");
    snprintf(dir, sizeof dir, "%s/from_nfdump", cr_test_tmpdir());
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s/flowlogs/nfdump/ndpi-skype.nfdump.json -o %s "
                                 "--scope all --users 1,10 " FAST, cr_test_bin(), sh, dir)));
    json = slurp_in(dir, "sizing.json");
    CHECK(json && strstr(json, "\"machine_id\": \"192.168.1.34\"") &&
          strstr(json, "\"kind\": \"nfdump-json\""));
    /* fit takes the records as they are: the same draws as from their CPS table */
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s cps -q %s/flowlogs/nfdump/ndpi-skype.nfdump.json -o %s/nf.csv",
                     cr_test_bin(), sh, t) == 0);
    for (int k = 0; k < 2; k++) {
        char in[1200];
        snprintf(in, sizeof in, k ? "%s/nf.csv" : "%s/flowlogs/nfdump/ndpi-skype.nfdump.json",
                 k ? t : sh);
        CHECK(cr_test_ran(cr_test_sh("%s fit -q %s -o %s/nffit%d --series udp_new --model nbh "
                                     "--no-holdout --warmup 200 --samples 200",
                                     cr_test_bin(), in, t, k)));
    }
    CHECK(cr_test_sh("cmp %s/nffit0/draws/udp_new.csv %s/nffit1/draws/udp_new.csv", t, t) == 0);
    /* the file's hosts, as many as the machines of the table */
    long hosts = cr_test_sh_count("tail -n +2 %s/cps.csv | cut -d, -f1 | sort -u | wc -l", dir);
    char want[128];
    snprintf(want, sizeof want, "\"format\": \"nfdump-json\", \"records\": %ld, ",
             cr_test_sh_count("grep -c '\"type\" : \"FLOW\"' %s/flowlogs/nfdump/ndpi-skype.nfdump.json",
                              sh));
    CHECKF(json && strstr(json, want), "sizing.json lacks %s", want);
    snprintf(want, sizeof want, "\"hosts\": %ld, \"hosts_under_min_flows\": 0}", hosts);
    CHECKF(hosts >= 2 && strstr(json, want), "sizing.json lacks %s", want);
    /* the workstation's 96 outbound TCP and 184 UDP connections (tests/series/test_cps_flows.c)
     * and the other inside hosts' */
    CHECK_INT(cr_test_sh_count("awk -F, '$1 == \"192.168.1.34\" { n += $5 + $6 } END { print n }' "
                               "%s/cps.csv", dir), 280);
    free(json);
}

/* The header of the Zeek conn.log the awk programs below write. */
#define ZEEK_HEADER                                                                           \
    "print \"#separator \\\\x09\"; print \"#fields\\tts\\tuid\\tid.orig_h\\tid.orig_p\\t"        \
    "id.resp_h\\tid.resp_p\\tproto\\tduration\\tconn_state\\tlocal_orig\";"

/* A log of more hosts than --sample-hosts and of more machine-minutes than --fit-cells (awk:
 * 30 hosts, 40 minutes, a connection every 20 s each): the run sizes from the sample, says so
 * in sizing.json and in a caveat, and its tables hold only the sampled hosts. */
static void sampled_hosts_and_minutes(void)
{
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("awk 'BEGIN { " ZEEK_HEADER " for (s = 0; s < 2400; s += 20) "
                     "for (h = 1; h <= 30; h++) printf \"%%d.%%03d\\tC\\t10.3.0.%%d\\t%%d\\t"
                     "93.184.216.%%d\\t443\\ttcp\\t%%d.5\\tSF\\tT\\n\", 1700000000 + s, h, h, "
                     "1024 + s, h, h %% 7 }' > %s/many.log", t) == 0);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/sampled", t);
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s/many.log -o %s --users 1,10 --sample-hosts 10 "
                                 "--fit-cells 100 " FAST, cr_test_bin(), t, dir)));
    char *json = slurp_in(dir, "sizing.json");
    CHECKF(json && strstr(json, "\"sample\": {\"hosts\": 10, \"population_hosts\": 30, "
                                "\"cells\": 400, \"fit_cells\": 100}"),
           "sizing.json lacks its sample");
    CHECK(strstr(json, "uniform sample of the 30 inside hosts") &&
          strstr(json, "saw 100 of their 400 machine-minutes"));
    free(json);
    CHECK_INT(cr_test_sh_count("tail -n +2 %s/cps.csv | cut -d, -f1 | sort -u | wc -l", dir), 10);
}

/* Captures under 2 hours are sized whole, as before windows: --window auto (the default) writes
 * the bytes of --window all, and sizing.json has no window. */
static void short_captures_have_no_window(void)
{
    same_bytes_with("window_all", "--window all");
    char *json = slurp_in(run_dir, "sizing.json");
    CHECK(json && !strstr(json, "\"window\""));
    free(json);
}

/* A log of 3 hours (awk: 8 hosts with a connection a minute, 10 a minute in minutes 100 to 159
 * of the clock, the truth's busiest hour; a ninth host only in its first half hour): the run
 * sizes minutes 100 to 159 and says so; its share of new connections and counts are those of
 * the log's records in the window; the ninth host, which the log watched all along, is sized
 * as silent in it; cps.csv is the whole log's, as `connrate cps` writes it. */
static void busy_hour_of_a_long_log(void)
{
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("awk 'BEGIN { " ZEEK_HEADER " fflush(); srand(7); for (h = 1; h <= 9; h++) "
                     "for (m = 0; m < (h < 9 ? 180 : 30); m++) { n = m >= 100 && m < 160 ? 10 : 1; "
                     "for (i = 0; i < n; i++) printf \"%%.3f\\tC\\t10.3.0.%%d\\t%%d\\t"
                     "93.184.216.%%d\\t443\\ttcp\\t%%.1f\\tSF\\tT\\n\", 1700000000 + (m || i ? "
                     "60 * m + 60 * rand() : 0.5), h, 1024 + 10 * m + i, h, 0.5 + 3 * rand() | "
                     "\"sort -n\" } }' > %s/day.log", t) == 0);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/busy", t);
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s/day.log -o %s --users 1,10 --attempts 1 " FAST,
                                 cr_test_bin(), t, dir)));
    long inside = cr_test_sh_count("awk '$1 >= 1700006000 && $1 < 1700009600' %s/day.log | wc -l",
                                   t),
         all = cr_test_sh_count("grep -vc '^#' %s/day.log", t);
    CHECK_INT(inside, 8 * 60 * 10);
    char *json = slurp_in(dir, "sizing.json"), want[400];
    snprintf(want, sizeof want, "\"window\": {\"kind\": \"busy-hour\", \"start_s\": 6000, "
             "\"end_s\": 9600, \"start_utc\": \"2023-11-14 23:53:20 UTC\", \"end_utc\": "
             "\"2023-11-15 00:53:20 UTC\", \"minutes\": 60, \"new_share\": %.10g, "
             "\"machines_outside\": 0}", (double)inside / (double)all);
    CHECKF(json && strstr(json, want), "sizing.json lacks %s", want);
    snprintf(want, sizeof want, "\"tcp_new\": %ld, ", inside);
    CHECKF(json && strstr(json, want), "sizing.json lacks %s", want);
    CHECK(json && strstr(json, "Sized for the busy hour: minutes 100 to 160 of the data") &&
          strstr(json, "\"machine_id\": \"10.3.0.9\", \"path\": ") &&
          strstr(json, "\"capture_s\": 3600, \"observed_new_per_s_mean\": 0, "));
    free(json);
    CHECK(cr_test_sh("%s cps -q %s/day.log -o %s/day_cps.csv", cr_test_bin(), t, t) == 0);
    CHECK(cr_test_sh("cmp %s/day_cps.csv %s/cps.csv", t, dir) == 0);
}

/* Field col (1-based) of the sizing.csv row of `users` users and metric m, or NAN. */
static double table_value(const char *dir, int users, const char *m, int col)
{
    char *csv = slurp_in(dir, "sizing.csv"), key[96];
    snprintf(key, sizeof key, "\n%d,%s,", users, m);
    const char *row = csv ? strstr(csv, key) : NULL;
    double v = NAN;
    if (row) {
        row++;
        for (int i = 1; i < col && row; i++)
            row = strchr(row, ',') ? strchr(row, ',') + 1 : NULL;
        if (row)
            v = atof(row);
    }
    free(csv);
    return v;
}

/* A mix of two classes fitted on the same machines, 5 users each, is 10 users of one class:
 * the same exact means, and the median and q90 within their Monte Carlo errors of the plain
 * run's (the classes' users are simulated with streams of their own, so the bytes differ). With
 * the 40 draws of FAST, q95 and above rest on the two or three heaviest draws, whose Monte Carlo
 * errors are themselves too noisy to test against. */
static void classes_mix_adds_users(void)
{
    CHECK(synth_run());
    char dir[600];
    snprintf(dir, sizeof dir, "%s/mix", cr_test_tmpdir());
    CHECK(cr_test_ran(cr_test_sh("%s run -q --class a=%s --class b=%s --users a=5,b=5 -o %s "
                                 "--firewall asa " FAST, cr_test_bin(), synth_dir, synth_dir,
                                 dir)));
    static const char *const metrics[] = {"new_per_s", "logs_per_min", "concurrent",
                                          "firewall_logs_per_min"};
    for (int k = 0; k < 4; k++) {
        double m = table_value(dir, 10, metrics[k], 3), r = table_value(run_dir, 10, metrics[k], 3);
        CHECKF(fabs(m - r) <= 1e-8 * r, "%s: mix mean %g, 10 users %g", metrics[k], m, r);
        for (int col = 5; col <= 7; col += 2) { /* q50, q90 and their errors */
            double a = table_value(dir, 10, metrics[k], col), b = table_value(run_dir, 10,
                                                                             metrics[k], col);
            double se = hypot(table_value(dir, 10, metrics[k], col + 1),
                              table_value(run_dir, 10, metrics[k], col + 1));
            CHECKF(fabs(a - b) <= 4 * se + 1, "%s column %d: mix %g, 10 users %g (se %g)",
                   metrics[k], col, a, b, se);
        }
    }
    char *json = slurp_in(dir, "mix.json"), *html = slurp_in(dir, "report.html");
    CHECK(json && strstr(json, "{\"class\": \"a\", \"users\": 5, \"report\": "
                               "\"classes/a/report.html\"}"));
    CHECK(html && strstr(html, "href=\"classes/b/report.html\""));
    CHECK(exists(dir, "classes/a/sizing.csv") && exists(dir, "classes/b/report.html"));
    free(json);
    free(html);
}

static void report_renders_in_chromium(void)
{
    if (cr_test_sh("command -v chromium >/dev/null 2>&1") != 0)
        SKIP("chromium is not installed (apt-get install -y chromium)");
    CHECK(synth_run());
    const char *t = cr_test_tmpdir();
    const char *flags = "--headless --no-sandbox --disable-gpu --disable-background-networking "
                        "--no-first-run --disable-component-update --disable-sync";
    CHECK(cr_test_sh("timeout 120 chromium %s --user-data-dir=%s/chrome --enable-logging=stderr "
                     "--dump-dom file://%s/report.html > %s/dom.html 2> %s/chrome.log",
                     flags, t, run_dir, t, t) == 0);
    char p[700];
    snprintf(p, sizeof p, "%s/dom.html", t);
    char *dom = cr_test_slurp(p, NULL);
    CHECK(dom);
    CHECK(strstr(dom, "id=\"sizing-table\"") != NULL);
    CHECK(strstr(dom, "<td class=\"l\">Concurrent sessions</td>") != NULL);
    CHECK(strstr(dom, "<svg") != NULL);
    free(dom);
    snprintf(p, sizeof p, "%s/chrome.log", t);
    char *log = cr_test_slurp(p, NULL);
    CHECKF(!log || (!strstr(log, "Failed to load resource") && !strstr(log, "Uncaught")),
           "chromium reported errors: %s", log);
    free(log);
    CHECK(cr_test_sh("timeout 120 chromium %s --user-data-dir=%s/chrome --window-size=1280,2400 "
                     "--screenshot=%s/report.png file://%s/report.html > /dev/null 2>&1",
                     flags, t, t, run_dir) == 0);
    CHECK(exists(t, "report.png"));
}

/* Sessions alive at t0 + k s, after the first skip s or quarter of the capture (the shorter), by
 * the seed's definition, from flows.csv: a session lives from its first packet to its FIN/RST
 * (TCP) or last packet (UDP); a TCP that never closed lives to the capture end unless it was
 * silent for its last 300 s (then to its last packet). */
static int observed_concurrency(const char *flows, int skip, double **out)
{
    FILE *f = fopen(flows, "r");
    if (!f)
        return -1;
    char line[1024];
    size_t n = 0, cap = 0;
    double *s = NULL, *e = NULL, *last = NULL;
    int *open = NULL;
    double t0 = INFINITY, tend = 0;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *col[12], *save = NULL;
        int k = 0;
        for (char *c = strtok_r(line, ",\n", &save); c && k < 12; c = strtok_r(NULL, ",\n", &save))
            col[k++] = c;
        if (k < 11) /* end_ms empty for open streams: one column fewer */
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            s = realloc(s, cap * sizeof *s);
            e = realloc(e, cap * sizeof *e);
            last = realloc(last, cap * sizeof *last);
            open = realloc(open, cap * sizeof *open);
        }
        int is_open = !strcmp(col[k - 2], "open");
        s[n] = atof(col[7]);
        last[n] = atof(col[is_open ? 8 : 9]);
        open[n] = is_open;
        e[n] = is_open ? 0 : !strcmp(col[1], "udp") ? last[n] : atof(col[8]);
        t0 = fmin(t0, s[n]);
        tend = fmax(tend, fmax(e[n], last[n]));
        n++;
    }
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (open[i])
            e[i] = tend - last[i] >= 300000 ? last[i] : tend;
    int m = 0;
    *out = NULL;
    for (double t = t0 + fmin(1000.0 * skip, (tend - t0) / 4); t <= tend; t += 1000) {
        double c = 0;
        for (size_t i = 0; i < n; i++)
            c += s[i] <= t && t < e[i];
        *out = realloc(*out, (size_t)(m + 1) * sizeof **out);
        (*out)[m++] = c;
    }
    free(s);
    free(e);
    free(last);
    free(open);
    return m;
}

/* Every real capture alone (one machine, so the N = 1 band is a new user like it): the seconds
 * after the first 2 minutes (or quarter of a shorter capture), by the seed's definition, lie
 * within the predictive band: at most 5% of them above its 99th percentile and none above its
 * largest draw. And the duration fits kept have converged. */
static void real_captures_within_band(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("no ../shared");
    static const char *const caps[] = {
        "community-DNS2-browsing-burst.pcap", "ndpi-alexa-app.pcapng", "ndpi-gnutella.pcap",
        "ndpi-reddit-ipv6.pcap", "ndpi-skype.pcap", "ndpi-wechat.pcap",
        "wireshark-Obsolete_Packets-lan-sll.cap"};
    for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
        char cap[700], dir[600], p[700];
        snprintf(cap, sizeof cap, "%s/captures/real/%s", sh, caps[c]);
        snprintf(dir, sizeof dir, "%s/real%zu", cr_test_tmpdir(), c);
        CHECKF(cr_test_ran(cr_test_sh("%s run -q %s -o %s --users 1 " FAST, cr_test_bin(), cap,
                                      dir)),
               "%s: run failed", caps[c]);
        snprintf(p, sizeof p, "%s/flows.csv", dir);
        double *obs;
        int m = observed_concurrency(p, 120, &obs);
        CHECKF(m >= 5, "%s: %d seconds observed", caps[c], m);
        CHECKF(label_faults(dir) == 0, "%s: labels meet in the figures", caps[c]);
        char *csv = slurp_in(dir, "sizing.csv");
        const char *row = csv ? strstr(csv, "\n1,concurrent,") : NULL;
        double w[13], v[7];
        CHECKF(row && sscanf(row, "\n1,concurrent,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,"
                             "%lf", &w[0], &w[1], &w[2], &w[3], &w[4], &w[5], &w[6], &w[7],
                             &w[8], &w[9], &w[10], &w[11], &w[12]) == 13,
               "%s: no concurrency row", caps[c]);
        for (int k = 0; k < 7; k++) /* mean, q50, q90, q95, q99, q999, max */
            v[k] = w[2 * k];
        int above = 0;
        double mean = 0, mx = 0;
        for (int i = 0; i < m; i++) {
            above += obs[i] > v[4];
            mean += obs[i] / m;
            mx = fmax(mx, obs[i]);
        }
        printf("  %-40s observed mean %7.2f max %5.0f over %5d s; N=1 q50 %6.0f q99 %8.0f max "
               "%8.0f; %d s above q99\n", caps[c], mean, mx, m, v[1], v[4], v[6], above);
        CHECKF(above <= m / 20, "%s: %d of %d seconds above the N=1 q99", caps[c], above, m);
        CHECKF(mx <= v[6], "%s: observed %g above the N=1 largest draw", caps[c], mx);
        /* a duration mixture whose chains disagree drops out for fewer components: what is
         * kept has converged, whatever its check against Kaplan-Meier says */
        char *json = slurp_in(dir, "sizing.json");
        for (int udp = 0; udp < 2 && json; udp++) {
            const char *d = strstr(json, udp ? "\"duration_udp\": {" : "\"duration_tcp\": {");
            const char *r = d ? strstr(d, "\"reasons\": \"") : NULL;
            const char *end = r ? strchr(r + 13, '"') : NULL;
            if (!r || end - d > 400 || strchr(d, '}') < r) /* no connections: not fitted */
                continue;
            char reasons[256];
            snprintf(reasons, sizeof reasons, "%.*s", (int)(end - r - 13), r + 13);
            CHECKF(!strstr(reasons, "rhat") && !strstr(reasons, "ess_") &&
                       !strstr(reasons, "divergences") && !strstr(reasons, "ebfmi"),
                   "%s: %s durations kept unconverged: %s", caps[c], udp ? "UDP" : "TCP",
                   reasons);
        }
        free(json);
        free(obs);
        free(csv);
    }
}

/* The seven real captures in one run, at the default N: bursty, short and unlike one another,
 * the figures' hardest case. No two labels meet; the caveats name the short captures. */
static void real_captures_together(void)
{
    const char *sh = cr_test_shared();
    if (!sh)
        SKIP("no ../shared");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/real_all", cr_test_tmpdir());
    CHECK(cr_test_ran(cr_test_sh("%s run -q %s/captures/real/*.pcap %s/captures/real/*.pcapng "
                                 "%s/captures/real/*.cap -o %s " FAST, cr_test_bin(), sh, sh, sh,
                                 dir)));
    CHECKF(label_faults(dir) == 0, "labels meet in %s/plots", dir);
    char *json = slurp_in(dir, "sizing.json");
    CHECK(json && strstr(json, "\"caveats\": [") &&
          strstr(json, "minutes of capture: ") && strstr(json, "\"short_capture\": true"));
    free(json);
}

/* --model takes the models of the ladder that lib/sim draws differently from nbh: the Poisson
 * (no gamma per second) and the hurdle (users drawn one by one). The run keeps the model asked
 * for, says so in sizing.json, and the report's notes describe that model, not nbh. */
static void runs_other_ladder_models(void)
{
    CHECK(synth_run());
    static const struct {
        const char *model, *about;
    } cases[] = {{"pois", "Poisson counts around a rate"},
                 {"hurdle_nbh_ar1", "a hurdle for idle seconds"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[600], want[96];
        snprintf(dir, sizeof dir, "%s/model_%s", cr_test_tmpdir(), cases[i].model);
        CHECKF(cr_test_ran(cr_test_sh("%s run -q %s -o %s --users 1,100 --model %s " FAST,
                                      cr_test_bin(), synth_dir, dir, cases[i].model)),
               "--model %s failed", cases[i].model);
        char *json = slurp_in(dir, "sizing.json"), *html = slurp_in(dir, "report.html");
        CHECK(json && html);
        snprintf(want, sizeof want, "\"rate_model\": \"%s\"", cases[i].model);
        CHECKF(strstr(json, want), "%s: sizing.json lacks %s", cases[i].model, want);
        snprintf(want, sizeof want, "<code>%s</code>, ", cases[i].model);
        CHECKF(strstr(html, want) && strstr(html, cases[i].about),
               "%s: the report's notes do not describe it", cases[i].model);
        CHECKF(!strstr(html, "negative binomial (bursty) counts around a rate that varies"),
               "%s: the report describes nbh", cases[i].model);
        free(json);
        free(html);
    }
}

/* Bad options: exit status 2, one line naming the option, nothing written. */
static void rejects_bad_options(void)
{
    static const struct {
        const char *args, *needle;
    } cases[] = {{"--users 10,5", "--users 10,5: values must be increasing"},
                 {"--users 0", "--users 0"},
                 {"--firewall nope", "nope"},
                 {"--model nope", "--model nope: expected one of auto, pois, nb_machine, nbh, "
                                  "nbh_ar1, hurdle_nbh_ar1, nbh_burst"},
                 {"--udp-timeout -3", "--udp-timeout"},
                 {"--max-session 0", "--max-session 0: expected a duration from 1 s to 366d"},
                 {"--draws 0", "--draws 0"},
                 {"--percentile 98", "--percentile 98: expected one of 50, 90, 95, 99, 99.9"},
                 {"--headroom 0.8", "--headroom 0.8: expected a number from 1 to 10"},
                 {"--capacity cps=x", "--capacity cps=x: cps: 'x' is not a number above 0"}};
    const char *t = cr_test_tmpdir();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = cr_test_sh("%s run /nonexistent.pcap -o %s/bad %s 2> %s/err.txt", cr_test_bin(),
                            t, cases[i].args, t);
        char p[600];
        snprintf(p, sizeof p, "%s/err.txt", t);
        char *err = cr_test_slurp(p, NULL);
        CHECKF(rc == 2, "%s: exit status %d", cases[i].args, rc);
        CHECKF(err && strstr(err, cases[i].needle), "%s: stderr %s", cases[i].args, err);
        free(err);
        CHECKF(!exists(t, "bad/sizing.csv"), "%s left output", cases[i].args);
    }
    CHECK(cr_test_sh("%s run /nonexistent.pcap 2>/dev/null", cr_test_bin()) == 2);
}

TEST_MAIN(RUN(rejects_bad_options); RUN(outputs_exist_and_agree);
          RUN(percentile_headroom_capacity); RUN(same_seed_same_bytes); RUN(runs_the_fits_on);
          RUN(runs_other_ladder_models); RUN(flow_records_as_input);
          RUN(sampled_hosts_and_minutes); RUN(short_captures_have_no_window);
          RUN(busy_hour_of_a_long_log);
          RUN(classes_mix_adds_users); RUN(report_renders_in_chromium);
          RUN(real_captures_within_band); RUN(real_captures_together))
