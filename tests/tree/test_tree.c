/* The tree speaks of the project only: no absolute path of a developer's machine and no dated
 * work notes ("this session", "issue 4") in any tracked text file. Skipped outside a git
 * checkout. */
#include <stdio.h>
#include <stdlib.h>

#include "test.h"

static void finds(const char *what, const char *pattern)
{
    const char *t = cr_test_tmpdir();
    int rc = cr_test_sh("git grep -nIiE '%s' -- . ':!tests/tree/test_tree.c' > %s/hits.txt", pattern,
                        t);
    char p[600];
    snprintf(p, sizeof p, "%s/hits.txt", t);
    char *hits = cr_test_slurp(p, NULL);
    CHECKF(rc == 1, "%s:\n%s", what, hits ? hits : "(git grep failed)");
    free(hits);
}

static void no_machine_paths_or_work_notes(void)
{
    if (cr_test_sh("git rev-parse --is-inside-work-tree >/dev/null 2>&1") != 0)
        SKIP("not a git checkout");
    finds("absolute paths of a machine", "(^|[^.a-z])/(work|home|root|Users)/");
    finds("dated work notes", "this session|last session|in session [0-9]|\\(session [0-9]|"
                              "issue [0-9]+[):]|\\(issue [0-9]");
}

TEST_MAIN(RUN(no_machine_paths_or_work_notes))
