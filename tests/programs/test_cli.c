/* The command-line layer (programs/cli.c): every command's help and man page come from its
 * option tables; options take their values in every accepted spelling; and what the tables
 * allow to repeat may repeat. Bad options are the corpus's (test_corpus.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static const char *const commands[] = {"packets", "cps", "flows", "synth", "fit", "run"};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void help_version_and_man(void)
{
    for (int i = 0; i < NCOMMANDS; i++) {
        CHECKF(cr_test_sh("%s %s --help | grep -q '^usage: connrate %s'", cr_test_bin(),
                          commands[i], commands[i]) == 0, "%s --help", commands[i]);
        /* the man page names the command and every option the help lists */
        CHECKF(cr_test_sh("%s man %s > %s/%s.1 && grep -q '^\\.TH CONNRATE\\\\-%s 1' %s/%s.1 && "
                          "for o in $(%s %s --help | grep -o -- '--[a-z-]*' | sort -u); do "
                          "grep -q -- \"$(echo $o | sed 's/-/\\\\\\\\-/g')\" %s/%s.1 || exit 1; "
                          "done", cr_test_bin(), commands[i], cr_test_tmpdir(), commands[i],
                          commands[i], cr_test_tmpdir(), commands[i], cr_test_bin(), commands[i],
                          cr_test_tmpdir(), commands[i]) == 0,
               "man page of %s", commands[i]);
    }
    CHECK(cr_test_sh("%s --version | grep -Eq '^connrate [0-9]+\\.[0-9]+\\.[0-9]+$'",
                     cr_test_bin()) == 0);
    CHECK(cr_test_sh("%s --help | grep -q '^  run '", cr_test_bin()) == 0);
}

/* --name=value, --name value, -ovalue, -o value, options after inputs, and `--` before an input
 * that starts with a dash all mean the same thing. */
static void option_spellings(void)
{
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("cp tests/corpus/files/ws.pcap %s/-ws.pcap", t) == 0);
    const char *forms[] = {"cps -q --output=%s/a.csv -- %s/-ws.pcap",
                           "cps -q -o %s/b.csv -- %s/-ws.pcap",
                           "cps -q -o%s/c.csv --tcp-end flags -- %s/-ws.pcap",
                           "cps -- %s/-ws.pcap -o %s/d.csv"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char cmd[600];
        if (i < 3)
            snprintf(cmd, sizeof cmd, forms[i], t, t);
        else
            snprintf(cmd, sizeof cmd, "cps -q -o %s/d.csv -- %s/-ws.pcap", t, t);
        CHECKF(cr_test_sh("%s %s", cr_test_bin(), cmd) == 0, "%s", cmd);
    }
    CHECK(cr_test_sh("cd %s && cmp -s a.csv b.csv && cmp -s a.csv c.csv && cmp -s a.csv d.csv",
                     t) == 0);
    /* after --, "-o" is an input, which does not exist */
    CHECK(cr_test_sh("%s cps -q -- %s/-ws.pcap -o 2>/dev/null", cr_test_bin(), t) == 1);
}

static void repeatable_options(void)
{
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("mkdir -p %s/two && cp tests/corpus/files/ws.pcap %s/two/a.pcap && "
                     "cp tests/corpus/files/ws.pcap %s/two/b.pcap", t, t, t) == 0);
    CHECK(cr_test_sh("%s cps -q --local-ip a=10.0.0.1 --local-ip b=10.0.0.2 %s/two -o %s/x.csv",
                     cr_test_bin(), t, t) == 0);
}

/* `seed`, the first name of the original specification's TCP end rule, stays an alias of
 * `completeness`; the summary names the rule by its name. */
static void tcp_end_alias(void)
{
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("%s cps -q --tcp-end=seed -o %s/seed.csv tests/corpus/files/ws.pcap",
                     cr_test_bin(), t) == 0);
    CHECK(cr_test_sh("%s cps --tcp-end completeness -o %s/comp.csv tests/corpus/files/ws.pcap "
                     "2> %s/comp.err", cr_test_bin(), t, t) == 0);
    CHECK(cr_test_sh("cmp -s %s/seed.csv %s/comp.csv", t, t) == 0);
    CHECK(cr_test_sh("grep -q '(rule: completeness)' %s/comp.err", t) == 0);
}

TEST_MAIN(RUN(help_version_and_man); RUN(option_spellings); RUN(repeatable_options);
          RUN(tcp_end_alias))
