/* connrate merge: tables computed one capture at a time and merged are byte for byte the table
 * `connrate cps` computes from all the captures at once (real captures, synthetic ones, inputs in
 * any order, the GNU parallel recipe of docs/cluster.md); a machine in two tables is refused. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

/* In dir: `cps` on each capture named by the shell glob `pattern` into tables/NAME.csv, `merge`
 * of them (in reverse order) into merged.csv, `cps` on all at once into all.csv. */
static int per_file_then_merge(const char *bin, const char *dir, const char *pattern)
{
    return cr_test_sh("cd '%s' && mkdir -p tables && for f in %s; do b=$(basename \"$f\"); "
                      "'%s' cps -q \"$f\" -o \"tables/${b%%.*}.csv\" || exit 1; done && "
                      "'%s' merge -q $(ls tables/*.csv | sort -r) -o merged.csv && "
                      "'%s' cps -q %s -o all.csv",
                      dir, pattern, bin, bin, bin, pattern);
}

static void shared_captures(void)
{
    if (!cr_test_shared())
        SKIP("../shared is absent");
    char *bin = realpath(cr_test_bin(), NULL), *sh = realpath(cr_test_shared(), NULL), d[700],
         pat[700];
    CHECK(bin && sh);
    /* The .Rds exports and the captures give the same machine ids: two separate sets. */
    const char *sets[] = {"rds", "*.Rds", "pcap", "*.pcap*"};
    int ok = 1;
    for (int s = 0; s < 2 && ok; s++) {
        snprintf(d, sizeof d, "%s/shared-%s", cr_test_tmpdir(), sets[2 * s]);
        snprintf(pat, sizeof pat, "'%s/captures/real/'%s", sh, sets[2 * s + 1]);
        ok = cr_test_sh("mkdir -p '%s'", d) == 0 && per_file_then_merge(bin, d, pat) == 0 &&
             cr_test_sh("cmp '%s/merged.csv' '%s/all.csv'", d, d) == 0 &&
             cr_test_sh("test $(cut -d, -f2 '%s/merged.csv' | sort -u | wc -l) -ge 6", d) == 0;
        CHECKF(ok, "%s set: merged table differs from cps on all captures (%s)", sets[2 * s], d);
    }
    free(bin);
    free(sh);
}

static void synthetic_captures(void)
{
    char *bin = realpath(cr_test_bin(), NULL), d[700];
    CHECK(bin);
    snprintf(d, sizeof d, "%s/synth", cr_test_tmpdir());
    CHECK(cr_test_sh("'%s' synth -q --machines 5 --minutes 2 --seed 3 -o '%s/syn'", bin, d) == 0);
    CHECK(per_file_then_merge(bin, d, "syn/*.pcap") == 0);
    free(bin);
    CHECK(cr_test_sh("cmp '%s/merged.csv' '%s/all.csv'", d, d) == 0);
    /* machines 1..5 in machine_id order, whatever order the tables came in */
    CHECK(cr_test_sh("test \"$(cut -d, -f1,2 '%s/merged.csv' | uniq | tr '\\n' ' ')\" = "
                     "'machine_id,machine ws01,1 ws02,2 ws03,3 ws04,4 ws05,5 '", d) == 0);
}

/* Tables of several machines each merge like tables of one. */
static void tables_of_several_machines(void)
{
    const char *t = cr_test_tmpdir();
    char *bin = realpath(cr_test_bin(), NULL);
    CHECK(bin);
    CHECK(cr_test_sh("'%s' synth -q --machines 4 --minutes 1 --seed 5 -o '%s/four'", bin, t) ==
          0);
    CHECK(cr_test_sh("cd '%s/four' && '%s' cps -q ws01.pcap ws04.pcap -o a.csv && "
                     "'%s' cps -q ws03.pcap ws02.pcap -o b.csv && "
                     "'%s' merge -q b.csv a.csv -o m.csv && '%s' cps -q *.pcap -o all.csv && "
                     "cmp m.csv all.csv",
                     t, bin, bin, bin, bin) == 0);
    free(bin);
}

/* Machine ids a spreadsheet would run, with commas, quotes and a line break: escaped by the
 * writer as cps escapes them. */
static void hostile_machine_ids(void)
{
    const char *t = cr_test_tmpdir();
    char *bin = realpath(cr_test_bin(), NULL);
    CHECK(bin);
    int rc = cr_test_sh(
        "'%s' synth -q --machines 3 --minutes 1 --seed 4 -o '%s/hostile' && cd '%s/hostile' && "
        "mv ws01.pcap '=1+2,x.pcap' && mv ws02.pcap 'say \"hi\".pcap' && "
        "mv ws03.pcap \"$(printf 'two\nlines.pcap')\" && mkdir t && "
        "for f in *.pcap; do '%s' cps -q \"$f\" -o \"t/$(basename \"$f\" .pcap).csv\" "
        "|| exit 1; done && '%s' merge -q t/*.csv -o m.csv && '%s' cps -q *.pcap -o all.csv && "
        "cmp m.csv all.csv && grep -qF '\"'\\''=1+2,x\",1,1,1' m.csv",
        bin, t, t, bin, bin, bin);
    free(bin);
    CHECK_INT(rc, 0);
}

static void a_machine_in_two_tables(void)
{
    const char *t = cr_test_tmpdir();
    char *bin = realpath(cr_test_bin(), NULL);
    CHECK(bin);
    CHECK(cr_test_sh("'%s' synth -q --machines 2 --minutes 1 --seed 9 -o '%s/dup'", bin, t) == 0);
    CHECK(cr_test_sh("cd '%s/dup' && '%s' cps -q ws01.pcap ws02.pcap -o both.csv && "
                     "'%s' cps -q ws02.pcap -o two.csv",
                     t, bin, bin) == 0);
    int rc = cr_test_sh("cd '%s/dup' && '%s' merge both.csv two.csv -o m.csv 2> err", t, bin);
    free(bin);
    CHECK_INT(rc, 1);
    CHECK(cr_test_sh("cd '%s/dup' && test ! -e m.csv && test \"$(cat err)\" = \"connrate: "
                     "both.csv and two.csv: both have machine_id 'ws02' (each machine may be in "
                     "one table only)\"",
                     t) == 0);
}

/* The fenced block after the marker <!-- NAME --> in docs/cluster.md, into path. */
static int doc_block(const char *name, const char *path)
{
    return cr_test_sh("awk '/<!-- %s -->/ { m = 1; next } m && /^```/ { if (b) exit; b = 1; "
                      "next } b { print }' docs/cluster.md > '%s' && test -s '%s'",
                      name, path, path);
}

/* docs/cluster.md's recipe for one machine with many cores, as written there (but the fit). */
static void gnu_parallel_recipe(void)
{
    if (cr_test_sh("command -v parallel >/dev/null") != 0)
        SKIP("GNU parallel is not installed");
    char *bin = realpath(cr_test_bin(), NULL), d[700], recipe[800];
    CHECK(bin);
    snprintf(d, sizeof d, "%s/parallel", cr_test_tmpdir());
    snprintf(recipe, sizeof recipe, "%s/recipe.sh", d);
    CHECK(cr_test_sh("mkdir -p '%s'", d) == 0 && doc_block("parallel-recipe", recipe) == 0);
    CHECK(cr_test_sh("grep -q '^parallel connrate cps' '%s' && grep -v '^connrate fit' '%s' > "
                     "'%s.run'",
                     recipe, recipe, recipe) == 0);
    CHECK(cr_test_sh("'%s' synth -q --machines 6 --minutes 1 --seed 11 -o '%s/syn' && "
                     "mkdir -p '%s/captures' && cp '%s'/syn/*.pcap '%s/captures/' && "
                     "mkdir -p '%s/bin' && ln -s '%s' '%s/bin/connrate'",
                     bin, d, d, d, d, d, bin, d) == 0);
    free(bin);
    CHECK(cr_test_sh("cd '%s' && PATH=\"$PWD/bin:$PATH\" sh -e recipe.sh.run 2> recipe.err && "
                     "bin/connrate cps -q captures/* -o direct.csv && cmp all.csv direct.csv && "
                     "test $(ls tables | wc -l) = 6",
                     d) == 0);
}

/* The Slurm script cannot run here (no cluster): its syntax is what can be checked. */
static void slurm_script_syntax(void)
{
    char path[700];
    snprintf(path, sizeof path, "%s/cps-array.sh", cr_test_tmpdir());
    CHECK(doc_block("slurm-script", path) == 0);
    CHECK(cr_test_sh("grep -q '^#SBATCH' '%s' && grep -q 'connrate cps' '%s' && bash -n '%s'",
                     path, path, path) == 0);
}

TEST_MAIN(RUN(shared_captures); RUN(synthetic_captures); RUN(tables_of_several_machines);
          RUN(hostile_machine_ids); RUN(a_machine_in_two_tables); RUN(gnu_parallel_recipe); RUN(slurm_script_syntax);)
