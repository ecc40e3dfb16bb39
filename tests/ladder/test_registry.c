/* The registry of models drives the engine, the commands, the notes and the docs: every model it
 * lists (the rate ladder's, lib/ladder/ladder.c, and the duration model's, lib/duration/entry.c)
 * has its Stan twin, its own test and its place in the docs, and the hooks the fit engine calls
 * (its predictive check, its loop log's data); the models built from an entry carry it; every
 * rate model appears in the help of the commands that fit it; nothing else names a model the
 * registry does not have. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration/entry.h"
#include "duration/start.h"
#include "ladder/ladder.h"
#include "test.h"

/* What every entry must have: its Stan twin, its test (the density against rstan's), mention
 * (its name in backquotes) in doc, short words for --help, the engine's hooks. */
static void check_entry(const cr_model_entry *me, const char *test, const char *doc_path,
                        const char *mention)
{
    char *doc = cr_test_slurp(doc_path, NULL);
    CHECKF(doc != NULL, "no %s", doc_path);
    CHECKF(cr_test_sh("test -s %s", me->stan) == 0, "%s: no %s", me->name, me->stan);
    CHECKF(cr_test_sh("test -s %s", test) == 0, "%s: no %s", me->name, test);
    CHECKF(doc && strstr(doc, mention) != NULL, "%s: %s not in %s", me->name, mention, doc_path);
    CHECKF(me->summary && me->about && strlen(me->summary) < 60, "%s: summary", me->name);
    CHECKF(me->ppc && me->log_data, "%s: the engine's hooks", me->name);
    free(doc);
}

static void every_model_has_its_files(void)
{
    for (int i = 0; i < CR_LADDER_NMODELS; i++) {
        const cr_ladder_model *lm = &cr_ladder_models[i];
        const char *name = lm->entry.name;
        char test[256], mention[128];
        snprintf(test, sizeof test, "tests/model/test_%s.c", name);
        snprintf(mention, sizeof mention, "`%s`", name);
        check_entry(&lm->entry, test, "docs/rate-models.md", mention);
        CHECK(cr_ladder_find(name) == lm);
        for (int j = 0; j < i; j++)
            CHECKF(strcmp(cr_ladder_models[j].entry.name, name) != 0, "%s twice", name);
        for (const char *cmd = "fit"; cmd; cmd = strcmp(cmd, "fit") ? NULL : "run")
            CHECKF(cr_test_sh("%s %s --help | tr -s ' \\n' ' ' | grep -q '%s'", cr_test_bin(),
                              cmd, name) == 0,
                   "%s --help does not name %s", cmd, name);
    }
    CHECK(cr_ladder_find("nosuch") == NULL);
    CHECK(cr_ladder_find(cr_duration_entry.name) == NULL);
    check_entry(&cr_duration_entry, "tests/duration/test_mixture.c", "docs/durations.md",
                "`models/duration.stan`");
}

/* The models the engine fits carry their entry: a rate model's leads back to its rung (the
 * hooks find the rest there), the duration model's is the duration entry. */
static void models_carry_their_entry(void)
{
    static const int machine[] = {1, 1, 2, 2}, minute[] = {1, 1, 1, 1}, y[] = {0, 3, 1, 2};
    const cr_ladder_rows r = {4, machine, minute, y};
    for (int i = 0; i < CR_LADDER_NMODELS; i++) {
        cr_ladder_data ld;
        cr_ladder_data_init(&ld, &cr_ladder_models[i], &r);
        CHECK(ld.m.entry == &cr_ladder_models[i].entry);
        CHECK((const cr_ladder_model *)ld.m.entry == &cr_ladder_models[i]);
        cr_ladder_data_free(&ld);
    }
    static const int64_t ms[] = {0, 5, 40, 300, 2000, 9000};
    cr_duration_data d;
    cr_duration_data_init(&d, 6, ms, NULL, 1, CR_DURATION_COARSEN);
    cr_duration_start s;
    cr_duration_find_start(&d, 1, 1, &s);
    cr_model m;
    cr_duration_model_at(&m, &s);
    CHECK(m.entry == &cr_duration_entry);
    cr_duration_model(&m, &d, 1); /* a density alone, outside the registry */
    CHECK(m.entry == NULL);
    cr_duration_data_free(&d);
}

TEST_MAIN(RUN(every_model_has_its_files); RUN(models_carry_their_entry))
