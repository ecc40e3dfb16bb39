#include "fit/fit_notes.h"

#include <math.h>
#include <string.h>

/* Failures listed per model before "and N more". */
#define MAX_LISTED 6

void cr_fit_notes_preamble(FILE *f, const char *cps_note)
{
    fprintf(f, "# connrate fit: notes\n\n"
               "%s\n\n"
               "How each series was investigated. Every model is fitted with connrate's own "
               "sampler and then put through three checks:\n\n"
               "1. **Convergence.** No divergent transitions, E-BFMI above 0.3 on every chain, "
               "R-hat below 1.01 and bulk and tail effective sample sizes above 400 for every "
               "quantity. A failing fit is retried with more careful settings (up to 3 "
               "attempts).\n"
               "2. **Posterior predictive check (PPC).** Each machine's seconds are simulated "
               "again from the fitted model and compared with what was captured: mean, "
               "variance, share of idle (zero) seconds, 90th and 99th percentiles, maximum, and "
               "the busiest minute. A model fails when a statistic lies beyond what the "
               "simulations produce, at a threshold corrected for the number of statistics "
               "and machines checked (Bonferroni, 1%% false-alarm chance per series for a "
               "correct model). Counts of seconds per value (0, 1, 2, ...) are shown in the "
               "rootograms with 99%% bands; a few values outside their band are expected even "
               "from a correct model, so they are listed but do not fail a model by "
               "themselves.\n"
               "3. **Leave-one-out prediction (PSIS-LOO).** How well the model predicts each "
               "second it did not see (expected log predictive density, elpd; higher is "
               "better), with Pareto k diagnostics of the approximation.\n\n"
               "The model kept is the simplest one that passes checks 1 and 2 and predicts "
               "within 2 standard errors of the best of those. When none passes, the best "
               "predictor is kept and marked as failing.\n\n"
               "With 3 or more machines, the kept model is also refitted without each machine "
               "in turn, to ask whether that machine looks like a new user drawn from the "
               "population the others describe: this is what scaling to N users assumes.\n",
            cps_note);
}

static void convergence(FILE *f, const cr_fit_attempt *a)
{
    const cr_fit_check *c = &a->chk;
    if (c->pass)
        fprintf(f, "The sampler converged (attempt %d: no divergences, largest R-hat %.3f, "
                   "smallest bulk ESS %.0f, smallest tail ESS %.0f). ",
                a->number, c->max_rhat, c->min_ess_bulk, c->min_ess_tail);
    else
        fprintf(f, "The sampler did **not** converge after %d attempt%s (%s). ", a->number,
                a->number > 1 ? "s" : "", c->reasons);
}

/* What failing peak statistics mean for sizing: observed peaks below every simulation (a
 * machine on a timer, say) make the model's peaks an overestimate, which is safe; observed peaks
 * above them make its peaks an underestimate, which is not. */
static void peaks_direction(FILE *f, const cr_ppc_result *r)
{
    int over = 0, under = 0;
    for (int i = 0; i < r->nfail; i++) {
        int st = r->fail[i].stat;
        if (st != CR_PPC_Q90 && st != CR_PPC_Q99 && st != CR_PPC_MAX && st != CR_PPC_MINUTE_MAX)
            continue;
        r->fail[i].obs < r->fail[i].lo ? over++ : under++;
    }
    if (under)
        fprintf(f, "For sizing: %d peak statistic%s (percentiles, busiest second or minute) "
                   "%s above what the model simulates, so its peaks **understate** the data. ",
                under, under > 1 ? "s" : "", under > 1 ? "lie" : "lies");
    if (over)
        fprintf(f, "For sizing: %d peak statistic%s %s below what the model simulates (more "
                   "regular than the model allows, as a machine on a timer is), so its peaks "
                   "overstate the data there, which errs on the safe side. ",
                over, over > 1 ? "s" : "", over > 1 ? "lie" : "lies");
}

static void ppc_verdict(FILE *f, const cr_ppc_result *r, const char *const *ids)
{
    int nstat = 0, ncls = 0;
    for (int i = 0; i < r->nfail; i++)
        r->fail[i].stat >= 0 ? nstat++ : ncls++;
    if (nstat == 0)
        fprintf(f, "It reproduces the captured statistics of every machine (PPC passed, %d "
                   "simulated replicates)", r->nuse);
    else
        fprintf(f, "It does **not** reproduce the data (PPC failed, %d simulated replicates): ",
                r->nuse);
    int listed = 0;
    char buf[256];
    for (int i = 0; i < r->nfail && nstat > 0; i++) {
        if (r->fail[i].stat < 0)
            continue;
        if (listed == MAX_LISTED) {
            fprintf(f, "; and %d more", nstat - listed);
            break;
        }
        cr_ppc_failure_text(r, &r->fail[i], ids, buf, sizeof buf);
        fprintf(f, "%s%s", listed++ ? "; " : "", buf);
    }
    if (ncls)
        fprintf(f, ". %d count value%s fell outside %s 99%% band%s (see the rootogram)", ncls,
                ncls > 1 ? "s" : "", ncls > 1 ? "their" : "its", ncls > 1 ? "s" : "");
    fputs(". ", f);
    peaks_direction(f, r);
}

static void loo_text(FILE *f, const cr_loo_estimates *l)
{
    fprintf(f, "Leave-one-out: elpd %.1f (standard error %.1f), effective number of "
               "parameters %.1f; Pareto k: %.0f good, %.0f ok, %.0f bad, %.0f very bad",
            l->elpd_loo, l->se_elpd_loo, l->p_loo, l->k_count[CR_LOO_K_GOOD],
            l->k_count[CR_LOO_K_OK], l->k_count[CR_LOO_K_BAD], l->k_count[CR_LOO_K_VERY_BAD]);
    if (l->k_count[CR_LOO_K_BAD] + l->k_count[CR_LOO_K_VERY_BAD] > 0)
        fputs(" (the seconds with k above 0.7 make this elpd less reliable)", f);
    fputs(".\n", f);
}

static void put_diff(FILE *f, double x)
{
    if (isnan(x))
        fputs(" - |", f);
    else
        fprintf(f, " %.1f |", x);
}

static void loo_table(FILE *f, const cr_fit_notes *n)
{
    fputs("\n| model | converged | PPC | elpd_loo | SE | elpd_diff to best | SE of diff |\n"
          "|---|---|---|---|---|---|---|\n", f);
    for (int i = 0; i < n->nmodels; i++) {
        const cr_loo_estimates *l = &n->loo[i];
        fprintf(f, "| %s%s | %s | %s | %.1f | %.1f |", n->lm[i]->entry.name,
                i == n->choice.chosen ? " (kept)" : "", n->fit[i]->chk.pass ? "yes" : "no",
                cr_ladder_ppc_fails(n->ppc[i]) ? "fail" : "pass", l->elpd_loo, l->se_elpd_loo);
        put_diff(f, n->choice.elpd_diff[i]);
        put_diff(f, n->choice.se_diff[i]);
        fputc('\n', f);
    }
}

static void holdout(FILE *f, const cr_fit_notes *n)
{
    if (n->nholdout == 0) {
        fputs(n->nmachines < 3
                  ? "\nLeave one machine out: not run (it needs at least 3 machines).\n"
                  : "\nLeave one machine out: not run here (`connrate fit` runs it unless "
                    "--no-holdout).\n",
              f);
        return;
    }
    fprintf(f, "\n### Does each machine look like a new user? (leave one machine out)\n\n"
               "%s was refitted without each machine; the machine's own numbers are compared "
               "with the central %.0f%% interval of what the model predicts for a new user "
               "with the same number of seconds.\n\n"
               "| machine | refit converged |", n->lm[n->choice.chosen]->entry.name,
            100 * n->interval);
    for (int j = 0; j < CR_HOLDOUT_NSTATS; j++)
        fprintf(f, " %s: observed [interval] |", cr_holdout_stat_names[j]);
    fputs("\n|---|---|---|---|---|\n", f);
    int inside[CR_HOLDOUT_NSTATS] = {0};
    for (int i = 0; i < n->nholdout; i++) {
        const cr_holdout_machine *h = &n->holdout[i];
        fprintf(f, "| %s | %s |", n->machine_ids[h->machine - 1], h->converged ? "yes" : "no");
        for (int j = 0; j < CR_HOLDOUT_NSTATS; j++) {
            inside[j] += h->inside[j];
            fprintf(f, " %.3g [%.3g, %.3g]%s |", h->obs[j], h->lo[j], h->hi[j],
                    h->inside[j] ? "" : " **outside**");
        }
        fputc('\n', f);
    }
    fputs("\nCoverage:", f);
    for (int j = 0; j < CR_HOLDOUT_NSTATS; j++)
        fprintf(f, "%s %s %d of %d", j ? ";" : "", cr_holdout_stat_names[j], inside[j],
                n->nholdout);
    fprintf(f, " machines inside (about %.0f%% expected if the machines are alike). ",
            100 * n->interval);
    int worst = n->nholdout;
    for (int j = 0; j < CR_HOLDOUT_NSTATS; j++)
        worst = inside[j] < worst ? inside[j] : worst;
    if (worst < n->interval * n->nholdout - 2 * sqrt(n->nholdout * n->interval *
                                                     (1 - n->interval)))
        fputs("Fewer machines than expected fall inside: these machines are not one "
              "population, so scaling the fitted user to N users should be treated with "
              "caution (look at the machines marked outside).\n", f);
    else
        fputs("This is consistent with the machines being users from one population.\n", f);
}

void cr_fit_notes_series(FILE *f, const cr_fit_notes *n)
{
    fprintf(f, "\n## %s\n\n%d machine%s, %zu seconds, %lld events in all (%.3g per second on "
               "average, %.0f%% of seconds with none).\n\n",
            n->series, n->nmachines, n->nmachines > 1 ? "s" : "", n->nseconds, n->total,
            n->nseconds ? (double)n->total / (double)n->nseconds : 0.0, 100 * n->zero_frac);
    for (int i = 0; i < n->nmodels; i++) {
        fprintf(f, "- **%s**: %s. ", n->lm[i]->entry.name, n->lm[i]->entry.about);
        convergence(f, n->fit[i]);
        ppc_verdict(f, n->ppc[i], n->machine_ids);
        if (n->nmodels > 1)
            loo_text(f, &n->loo[i]);
    }
    if (n->nmodels > 1)
        loo_table(f, n);
    else
        fputs("\nOnly this model was fitted, so there is no choice to make and leave-one-out "
              "cross-validation (PSIS-LOO) was not computed; `--model auto` fits and compares "
              "the whole ladder.\n", f);
    fprintf(f, "\n**Choice: %s%s.** %s\n", n->lm[n->choice.chosen]->entry.name,
            n->choice.failing ? " (FAILING)" : "", n->choice.reason);
    fprintf(f, "\nPlots: plots/ppc_%s.png (rootogram) and plots/ppc_density_%s.png.\n",
            n->series, n->series);
    holdout(f, n);
}
