/* The engine's choice loop (lib/fit/fit_select.c, cr_fit_select) on made-up candidates: judged
 * candidates kept by the ladder's rule when nothing confirms them; a chosen candidate whose
 * confirmation fails drops out and the rule chooses again; a failing choice keeps a fit that
 * converges; a failed convergence with nothing usable left falls back. */
#include "test.h"

#include <string.h>

#include "common/progress.h"
#include "fit/fit.h"

#define N 50

/* Candidate i's judgement, and what its confirmation finds. */
typedef struct {
    int converged[3], ppc_pass[3], usable[3];
    int fit_converged[3], fit_ppc_pass[3];
    int confirmed[3];    /* how often each was confirmed */
    int order[8], nconf; /* in which order */
    int fallback_seen;
    double elpd[3][N];
} scenario;

static int judge(void *ctx, int i, cr_ladder_candidate *c, cr_err *e)
{
    scenario *s = ctx;
    (void)e;
    *c = (cr_ladder_candidate){s->converged[i], s->ppc_pass[i], s->elpd[i], s->usable[i]};
    return 0;
}

static int confirm(void *ctx, const cr_ladder_choice *ch, int fallback, cr_ladder_candidate *c,
                   cr_err *e)
{
    scenario *s = ctx;
    (void)e;
    s->confirmed[ch->chosen]++;
    s->order[s->nconf++] = ch->chosen;
    s->fallback_seen |= fallback;
    c->converged = s->fit_converged[ch->chosen];
    c->ppc_pass = s->fit_ppc_pass[ch->chosen];
    return 0;
}

/* Candidate 2 fits best, 1 by a little less (within 2 SE of 2), 0 far worse. */
static void init(scenario *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 3; i++)
        s->converged[i] = s->ppc_pass[i] = s->usable[i] = s->fit_converged[i] =
            s->fit_ppc_pass[i] = 1;
    for (int j = 0; j < N; j++) {
        s->elpd[2][j] = -1 - 0.01 * (j % 7);
        s->elpd[1][j] = s->elpd[2][j] - 0.005 + (j % 2 ? 0.1 : -0.1);
        s->elpd[0][j] = s->elpd[2][j] - 0.5;
    }
}

static int select_in(scenario *s, int with_confirm, cr_ladder_choice *ch)
{
    static const char *const names[3] = {"a", "b", "c"};
    cr_ladder_candidate c[3];
    const cr_fit_selection sel = {"test", 3, names, NULL, N, judge,
                                  with_confirm ? confirm : NULL, 0, s};
    cr_err e;
    return cr_fit_select(&sel, c, ch, &e);
}

static void test_judgement_stands(void)
{
    scenario s;
    init(&s);
    cr_ladder_choice ch;
    CHECK_INT(select_in(&s, 0, &ch), 0);
    CHECK_INT(ch.chosen, 1); /* within 2 SE of the best, and simpler */
    CHECK_INT(ch.failing, 0);
}

static void test_confirmed_once(void)
{
    scenario s;
    init(&s);
    cr_ladder_choice ch;
    CHECK_INT(select_in(&s, 1, &ch), 0);
    CHECK_INT(ch.chosen, 1);
    CHECK_INT(s.nconf, 1);
}

/* b's draws fail the check while c passes: b drops out and c is confirmed and kept. */
static void test_failed_check_chooses_again(void)
{
    scenario s;
    init(&s);
    s.fit_ppc_pass[1] = 0;
    cr_ladder_choice ch;
    CHECK_INT(select_in(&s, 1, &ch), 0);
    CHECK_INT(ch.chosen, 2);
    CHECK_INT(ch.failing, 0);
    CHECK_INT(s.nconf, 2);
    CHECK_INT(s.order[0], 1);
    CHECK_INT(s.order[1], 2);
}

/* Every candidate fails its check: the best usable is confirmed, converges and is kept,
 * failing, without fitting the others. */
static void test_failing_choice_keeps_a_converged_fit(void)
{
    scenario s;
    init(&s);
    for (int i = 0; i < 3; i++)
        s.ppc_pass[i] = s.fit_ppc_pass[i] = 0;
    cr_ladder_choice ch;
    CHECK_INT(select_in(&s, 1, &ch), 0);
    CHECK_INT(ch.chosen, 2);
    CHECK_INT(ch.failing, 1);
    CHECK_INT(s.nconf, 1);
}

/* b and c fail convergence; a is not usable: after c fails no usable candidate is left, so the
 * fallback (a) is confirmed, and kept whatever it finds. */
static void test_fallback(void)
{
    scenario s;
    init(&s);
    s.usable[0] = s.converged[0] = 0;
    s.fit_converged[1] = s.fit_converged[2] = s.fit_converged[0] = 0;
    cr_ladder_choice ch;
    CHECK_INT(select_in(&s, 1, &ch), 0);
    CHECK_INT(ch.chosen, 0);
    CHECK_INT(s.nconf, 3);
    CHECK_INT(s.order[0], 1);
    CHECK_INT(s.order[1], 2);
    CHECK_INT(s.order[2], 0);
    CHECK(s.fallback_seen);
    for (int i = 0; i < 3; i++)
        CHECK_INT(s.confirmed[i], 1);
}

TEST_MAIN(cr_progress_set_quiet(1); RUN(test_judgement_stands); RUN(test_confirmed_once);
          RUN(test_failed_check_chooses_again); RUN(test_failing_choice_keeps_a_converged_fit);
          RUN(test_fallback))
