/* What a user sees on bad input or absurd options: a one-line error that names the file and
 * the problem, a non-zero exit, and no output file left behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static char path[512];

static const char *file_with(const char *name, const void *bytes, size_t n)
{
    snprintf(path, sizeof path, "%s/%s", cr_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, n, f);
    fclose(f);
    return path;
}

/* Runs `connrate ARGS -o OUT`, expects status != 0, one stderr line containing needle, and no
 * OUT afterwards. */
static int fails_cleanly(const char *args, const char *needle)
{
    const char *t = cr_test_tmpdir();
    int rc = cr_test_sh("%s %s -o %s/out.csv 2> %s/err.txt", cr_test_bin(), args, t, t);
    char p[600];
    snprintf(p, sizeof p, "%s/err.txt", t);
    char *err = cr_test_slurp(p, NULL);
    int ok = 1;
    if (rc == 0 || rc >= 128) {
        printf("  %s: exit status %d\n", args, rc);
        ok = 0;
    }
    size_t lines = 0;
    for (char *c = err; c && *c; c++)
        lines += *c == '\n';
    if (!err || lines != 1 || !strstr(err, needle)) {
        printf("  %s: stderr was: %s  (wanted one line with '%s')\n", args, err ? err : "", needle);
        ok = 0;
    }
    if (cr_test_sh("ls %s | grep -q '^out.csv'", t) == 0) {
        printf("  %s: left an output file\n", args);
        ok = 0;
    }
    free(err);
    return ok;
}

static const unsigned char pcap_hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                           0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};

static void bad_captures(void)
{
    char args[1024];
    const char *p = file_with("empty.pcap", pcap_hdr, sizeof pcap_hdr);
    snprintf(args, sizeof args, "cps %s", p);
    CHECK(fails_cleanly(args, "empty.pcap: no TCP or UDP packets"));

    unsigned char trunc[24 + 16 + 10];
    memcpy(trunc, pcap_hdr, 24);
    memset(trunc + 24, 0, sizeof trunc - 24);
    trunc[24 + 8] = 60; /* caplen 60, only 10 bytes follow */
    trunc[24 + 12] = 60;
    p = file_with("trunc.pcap", trunc, sizeof trunc);
    snprintf(args, sizeof args, "cps %s", p);
    CHECK(fails_cleanly(args, "trunc.pcap"));

    unsigned char odd[24];
    memcpy(odd, pcap_hdr, 24);
    odd[20] = 147; /* LINKTYPE_USER0 */
    p = file_with("user0.pcap", odd, sizeof odd);
    snprintf(args, sizeof args, "flows %s", p);
    CHECK(fails_cleanly(args, "user0.pcap"));

    p = file_with("junk.Rds", "\x1f\x8b\x08\x00garbage-not-deflate", 22);
    snprintf(args, sizeof args, "cps %s", p);
    CHECK(fails_cleanly(args, "junk.Rds"));

    p = file_with("cols.csv", "a,b,c\n1,2,3\n", 12);
    snprintf(args, sizeof args, "cps %s", p);
    CHECK(fails_cleanly(args, "cols.csv: missing columns"));
}

static void absurd_options(void)
{
    const char *p = file_with("x.csv", "a,b\n", 4);
    char args[1024];
    snprintf(args, sizeof args, "cps --tcp-end=fin %s", p);
    CHECK(fails_cleanly(args, "--tcp-end fin"));
    snprintf(args, sizeof args, "cps --threads 0 %s", p);
    CHECK(fails_cleanly(args, "--threads 0"));
    snprintf(args, sizeof args, "cps --local-ip nosuch=10.0.0.1 %s", p);
    CHECK(fails_cleanly(args, "no input has machine_id 'nosuch'"));
    snprintf(args, sizeof args, "cps --local-ip ws=300.1.1.1 %s", p);
    CHECK(fails_cleanly(args, "not an IPv4 or IPv6 address"));
    CHECK(fails_cleanly("cps /nonexistent/dir", "/nonexistent/dir"));
    CHECK(fails_cleanly("cps", "no input"));
    CHECK(fails_cleanly("nosuchcommand", "unknown command"));
}

static void help_and_version(void)
{
    static const char *cmds[] = {"packets", "cps", "flows", "synth"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        CHECKF(cr_test_sh("%s %s --help | grep -q '^usage: connrate %s'", cr_test_bin(), cmds[i],
                          cmds[i]) == 0,
               "%s --help", cmds[i]);
    CHECK(cr_test_sh("%s --version | grep -Eq '^connrate [0-9]+\\.[0-9]+\\.[0-9]+$'",
                     cr_test_bin()) == 0);
}

TEST_MAIN(RUN(bad_captures); RUN(absurd_options); RUN(help_and_version))
