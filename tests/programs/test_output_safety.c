/* What connrate does around its outputs: never in place of an input (links included), a
 * directory output replaced whole with --force, temporaries removed on SIGINT/SIGTERM (exit
 * 130/143) and, after a SIGKILL, by the next run into the same place; and machine ids from
 * hostile file names written so that connrate reads them back unchanged. */
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "series/cps_table.h"
#include "test.h"

/* A small capture from the committed corpus, copied to dir/name. */
static int capture(const char *dir, const char *name)
{
    return cr_test_sh("mkdir -p '%s' && cp tests/corpus/files/ws.pcap '%s/%s'", dir, dir, name);
}

static void links_to_an_input_are_refused(void)
{
    char *bin = realpath(cr_test_bin(), NULL), d[600];
    CHECK(bin);
    snprintf(d, sizeof d, "%s/links", cr_test_tmpdir());
    CHECK(capture(d, "ws.pcap") == 0);
    CHECK(cr_test_sh("cd %s && ln ws.pcap hard.csv && ln -s ws.pcap soft.csv && cksum ws.pcap "
                     "> sum", d) == 0);
    int hard = cr_test_sh("cd %s && %s cps -q -o hard.csv ws.pcap 2>/dev/null", d, bin);
    int soft = cr_test_sh("cd %s && %s flows -q -o soft.csv ws.pcap 2>/dev/null", d, bin);
    free(bin);
    CHECK_INT(hard, 1);
    CHECK_INT(soft, 1);
    CHECK(cr_test_sh("cd %s && cksum ws.pcap | cmp -s - sum && test -L soft.csv", d) == 0);
}

static void force_replaces_a_directory_whole(void)
{
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s synth -q --machines 2 --minutes 0.1 -o %s/syn", cr_test_bin(), t) == 0);
    CHECK(cr_test_sh("echo stale > %s/syn/stale.txt", t) == 0);
    CHECK(cr_test_sh("%s synth -q --machines 1 --minutes 0.1 -o %s/syn 2>/dev/null",
                     cr_test_bin(), t) == 1);
    CHECK(cr_test_sh("test -f %s/syn/stale.txt && test -f %s/syn/ws02.pcap", t, t) == 0);
    CHECK(cr_test_sh("%s synth -q --machines 1 --minutes 0.1 --force -o %s/syn", cr_test_bin(),
                     t) == 0);
    CHECK(cr_test_sh("test -f %s/syn/ws01.pcap && ! test -e %s/syn/ws02.pcap && "
                     "! test -e %s/syn/stale.txt", t, t, t) == 0);
    CHECK(cr_test_sh("test -z \"$(ls -a %s | grep connrate-tmp)\"", t) == 0);
}

/* Starts a synth long enough to be caught while it writes into its temporary directory. */
static pid_t start_long_synth(const char *out)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* A shell starts background jobs with SIGINT ignored, and connrate rightly keeps an
         * ignored signal ignored: the test plays a user at a terminal, where it is not. */
        signal(SIGINT, SIG_DFL);
        execl(cr_test_bin(), "connrate", "synth", "-q", "--machines", "40", "--minutes", "600",
              "-o", out, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits (up to two minutes) for a temporary of out to appear. */
static int temporary_appears(const char *dir, const char *name)
{
    for (int i = 0; i < 1200; i++) {
        if (cr_test_sh("ls -a %s | grep -q '^\\.%s\\.connrate-tmp-'", dir, name) == 0)
            return 1;
        usleep(100000);
    }
    return 0;
}

static void signals_remove_temporaries(void)
{
    static const int sigs[] = {SIGTERM, SIGINT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        char dir[600], out[700];
        snprintf(dir, sizeof dir, "%s/sig%d", cr_test_tmpdir(), sigs[i]);
        snprintf(out, sizeof out, "%s/big", dir);
        CHECK(cr_test_sh("mkdir -p %s", dir) == 0);
        pid_t pid = start_long_synth(out);
        CHECK(pid > 0);
        CHECK(temporary_appears(dir, "big"));
        kill(pid, sigs[i]);
        int st;
        CHECK(waitpid(pid, &st, 0) == pid);
        CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 128 + sigs[i], "signal %d: status %d",
               sigs[i], st);
        CHECKF(cr_test_sh("test -z \"$(ls -A %s)\"", dir) == 0, "signal %d left files",
               sigs[i]);
    }
}

static void the_next_run_removes_what_sigkill_left(void)
{
    char dir[600], out[700];
    snprintf(dir, sizeof dir, "%s/kill9", cr_test_tmpdir());
    snprintf(out, sizeof out, "%s/big", dir);
    CHECK(cr_test_sh("mkdir -p %s", dir) == 0);
    pid_t pid = start_long_synth(out);
    CHECK(pid > 0);
    CHECK(temporary_appears(dir, "big"));
    kill(pid, SIGKILL);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(cr_test_sh("ls -a %s | grep -q connrate-tmp", dir) == 0);
    CHECK(cr_test_sh("%s synth -q --machines 1 --minutes 0.1 -o %s", cr_test_bin(), out) == 0);
    CHECK(cr_test_sh("ls -a %s | grep -q connrate-tmp", dir) != 0);
    CHECK(cr_test_sh("test -f %s/ws01.pcap", out) == 0);
}

/* File names a user (or an attacker) may give captures: delimiters, quotes, line breaks,
 * spreadsheet formulas, a leading dash. cps writes their machine ids, fit reads them back. */
static void hostile_names_round_trip(void)
{
    static const char *names[] = {"x,y", "q\"uote", "new\nline", "=cmd|' -C calc'!A0", "-lead",
                                  "@sum(1)", "tab\there", "'quoted'"};
    enum { N = sizeof names / sizeof names[0] };
    char dir[600], file[800], cps[700];
    snprintf(dir, sizeof dir, "%s/hostile", cr_test_tmpdir());
    CHECK(cr_test_sh("mkdir -p %s", dir) == 0);
    for (int i = 0; i < N; i++) {
        snprintf(file, sizeof file, "%s/%s.pcap", dir, names[i]);
        FILE *f = fopen(file, "wb"), *g = fopen("tests/corpus/files/ws.pcap", "rb");
        CHECKF(f && g, "%s", names[i]);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, g)) > 0)
            fwrite(buf, 1, n, f);
        fclose(f);
        fclose(g);
    }
    snprintf(cps, sizeof cps, "%s/cps.csv", cr_test_tmpdir());
    CHECK(cr_test_sh("%s cps -q -o %s %s", cr_test_bin(), cps, dir) == 0);
    cr_cps_table t;
    cr_err e;
    CHECKF(cr_cps_read(&t, cps, &e) == 0, "%s", e.msg);
    CHECK_INT(t.nmachines, N);
    for (int i = 0; i < N; i++) {
        int found = 0;
        for (int k = 0; k < t.nmachines; k++)
            found |= !strcmp(t.machine_ids[k], names[i]);
        CHECKF(found, "machine id '%s' did not come back", names[i]);
    }
    cr_cps_free(&t);
}

TEST_MAIN(RUN(links_to_an_input_are_refused); RUN(force_replaces_a_directory_whole);
          RUN(signals_remove_temporaries); RUN(the_next_run_removes_what_sigkill_left);
          RUN(hostile_names_round_trip))
