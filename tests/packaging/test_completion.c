/* Shell completion generated from the option tables (`connrate completion bash|zsh`): bash's
 * script, sourced, is driven as bash drives it (COMP_WORDS, COMP_CWORD) and proposes the
 * commands, each command's options, the words of each choice from the registries (ladder
 * models, firewall profiles), directories for -o DIR and files for inputs; zsh's parses, is
 * registered by compinit, and hands _arguments the specs of each command. */
#include <stdlib.h>
#include <string.h>

#include "firewall/profiles.h"
#include "ladder/ladder.h"
#include "test.h"

static char script[600];

static int bash_script(void)
{
    snprintf(script, sizeof script, "%s/connrate.bash", cr_test_tmpdir());
    return cr_test_sh("%s completion bash > %s", cr_test_bin(), script) == 0;
}

/* COMPREPLY, space-separated, for the words of a command line whose last word is being
 * completed; run in dir. */
static char *complete(const char *dir, const char *words)
{
    char out[700];
    snprintf(out, sizeof out, "%s/reply.txt", cr_test_tmpdir());
    if (cr_test_sh("cd %s && bash --norc -c 'source %s; COMP_WORDS=(%s); "
                   "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _connrate; echo \"${COMPREPLY[*]}\"' "
                   "> %s",
                   dir, script, words, out) != 0)
        return NULL;
    char *r = cr_test_slurp(out, NULL);
    if (r)
        r[strcspn(r, "\n")] = 0;
    return r;
}

#define EXPECT(dir, words, want)                                                              \
    do {                                                                                      \
        char *got_ = complete(dir, words);                                                    \
        CHECKF(got_ && !strcmp(got_, want), "[%s] -> \"%s\", expected \"%s\"", words,         \
               got_ ? got_ : "(failed)", want);                                               \
        free(got_);                                                                           \
    } while (0)

static void bash_completes(void)
{
    if (cr_test_sh("command -v bash >/dev/null 2>&1") != 0)
        SKIP("bash is not installed");
    CHECK(bash_script());
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("bash -n %s", script) == 0);
    EXPECT(".", "connrate \"\"",
           "packets cps flows synth fit run validate merge man --help --version");
    EXPECT(".", "connrate v", "validate");
    EXPECT(".", "connrate man f", "flows fit");
    EXPECT(".", "connrate cps --tcp-end \"\"", "flags completeness");
    EXPECT(".", "connrate cps --tcp-end = c", "completeness"); /* '=' breaks words */
    EXPECT(".", "connrate synth --format=r", "--format=rds"); /* '=' does not */
    EXPECT(".", "connrate run --scope f", "firewall");
    EXPECT(".", "connrate cps --max-span \"\"", "");           /* a value to type */
    EXPECT(".", "connrate cps --tc", "--tcp-end");
    EXPECT(".", "connrate synth --f", "--force --format");
    EXPECT(".", "connrate packets --", "--output --quiet --json-progress --help");
    /* every model of the ladder and every firewall profile, from their registries */
    char want[1024] = "auto";
    for (int i = 0; i < CR_LADDER_NMODELS; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), " %s",
                 cr_ladder_models[i].entry.name);
    EXPECT(".", "connrate fit --model \"\"", want);
    size_t np;
    const cr_fw_profile *p = cr_fw_profiles(&np);
    want[0] = 0;
    for (size_t i = 0; i < np; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? " " : "", p[i].name);
    EXPECT(".", "connrate run --firewall \"\"", want);
    /* files for inputs, directories for -o DIR, files for -o FILE (names with blanks too) */
    CHECK(cr_test_sh("mkdir -p '%s/tree/out dir' && touch '%s/tree/cap one.pcap' "
                     "%s/tree/cap2.pcap",
                     t, t, t) == 0);
    char tree[700];
    snprintf(tree, sizeof tree, "%s/tree", t);
    EXPECT(tree, "connrate cps c", "cap one.pcap cap2.pcap");
    EXPECT(tree, "connrate run -o \"\"", "out dir");
    EXPECT(tree, "connrate cps -o \"\"", "cap one.pcap cap2.pcap out dir");
    EXPECT(tree, "connrate synth c", ""); /* synth takes no input */
    EXPECT(tree, "connrate cps -- --", "");
}

static void zsh_completes(void)
{
    if (cr_test_sh("command -v zsh >/dev/null 2>&1") != 0)
        SKIP("zsh is not installed (apt-get install zsh)");
    const char *t = cr_test_tmpdir();
    CHECK(cr_test_sh("mkdir -p %s/zsh && %s completion zsh > %s/zsh/_connrate", t, cr_test_bin(),
                     t) == 0);
    CHECK(cr_test_sh("zsh -n %s/zsh/_connrate", t) == 0);
    CHECK(cr_test_sh("zsh -f -c 'fpath=(%s/zsh $fpath); autoload -U compinit; compinit -u -d "
                     "%s/zsh/dump; [[ $_comps[connrate] == _connrate ]]'",
                     t, t) == 0);
    /* the specs _arguments gets for `connrate fit ...`, with the completion system's helpers
     * replaced by stubs that print their arguments */
    CHECK(cr_test_sh("zsh -f -c '_arguments() { print -rl -- \"$@\" }; _describe() { print -rl "
                     "-- \"$@\" }; words=(connrate fit x); CURRENT=3; source %s/zsh/_connrate' "
                     "> %s/zsh/specs.txt",
                     t, t) == 0);
    char p[700];
    snprintf(p, sizeof p, "%s/zsh/specs.txt", t);
    char *specs = cr_test_slurp(p, NULL);
    CHECK(specs);
    char want[512] = "--model=[rate model]:NAME:(auto";
    for (int i = 0; i < CR_LADDER_NMODELS; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), " %s",
                 cr_ladder_models[i].entry.name);
    strcat(want, ")\n");
    static const char *const lines[] = {"-o+[output directory (required)]:DIR:_files -/\n",
                                        "--output=[output directory (required)]:DIR:_files -/\n",
                                        "(-q --quiet)-q[", "--chains=[chains per fit]:N: \n",
                                        "--no-holdout[", ":input:_files\n"};
    CHECKF(strstr(specs, want), "no spec %s in:\n%s", want, specs);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        CHECKF(strstr(specs, lines[i]), "no spec %s in:\n%s", lines[i], specs);
    free(specs);
    /* the second word lists the commands (_describe gets the name of their array) */
    CHECK(cr_test_sh("zsh -f -c '_describe() { print -rl -- \"${(@P)argv[-1]}\" }; "
                     "words=(connrate \"\"); "
                     "CURRENT=2; source %s/zsh/_connrate' | grep -qx 'run:firewall sizing for N "
                     "users: fits, simulation, sizing table, report'",
                     t) == 0);
}

TEST_MAIN(RUN(bash_completes); RUN(zsh_completes))
