/* The ladder's registry drives the commands, the notes and the docs: every model it lists has
 * its Stan twin, its own test, a section in docs/rate-models.md, and appears in the help of the
 * commands that fit it; nothing else names a model the registry does not have. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/ladder.h"
#include "test.h"

static void every_model_has_its_files(void)
{
    char *doc = cr_test_slurp("docs/rate-models.md", NULL);
    CHECK(doc != NULL);
    for (int i = 0; i < CR_LADDER_NMODELS; i++) {
        const cr_ladder_model *lm = &cr_ladder_models[i];
        char p[256], heading[128];
        CHECKF(cr_test_sh("test -s %s", lm->stan) == 0, "%s: no %s", lm->name, lm->stan);
        snprintf(p, sizeof p, "tests/model/test_%s.c", lm->name);
        CHECKF(cr_test_sh("test -s %s", p) == 0, "%s: no %s", lm->name, p);
        snprintf(heading, sizeof heading, "`%s`", lm->name);
        CHECKF(strstr(doc, heading) != NULL, "%s: not in docs/rate-models.md", lm->name);
        CHECK(cr_ladder_find(lm->name) == lm);
        CHECKF(lm->summary && lm->about && strlen(lm->summary) < 60, "%s: summary", lm->name);
        for (const char *cmd = "fit"; cmd; cmd = strcmp(cmd, "fit") ? NULL : "run")
            CHECKF(cr_test_sh("%s %s --help | tr -s ' \\n' ' ' | grep -q '%s'", cr_test_bin(),
                              cmd, lm->name) == 0,
                   "%s --help does not name %s", cmd, lm->name);
    }
    free(doc);
    CHECK(cr_ladder_find("nosuch") == NULL);
}

TEST_MAIN(RUN(every_model_has_its_files))
