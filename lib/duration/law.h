/* The law of a connection's duration under one posterior draw of the duration model
 * (duration/mixture.h): what the simulation of sessions draws and integrates
 * (lib/sizing/sizing_sessions.c). D in seconds, r the resolution:
 *   D = 0                                            with probability p0 (the zero class)
 *   log D ~ sum_j w_j Normal(m_j, s_j) given D >= r  otherwise.
 * The data say only D < r of the zero class; it is taken as 0: what such a session costs a
 * firewall is its hold (the profile's), and what the class holds (single packets, answers
 * within the same ms) lies far below r rather than across it. At r = 1 ms the choice moves a
 * mean by less than p0 x 1 ms. With p0 = 0 and r = 0 the law is the mixture alone. */
#ifndef CR_DURATION_LAW_H
#define CR_DURATION_LAW_H

#include <gsl/gsl_rng.h>

/* The most components fitted: the synthetic TCP lifetimes need four (refused connections,
 * three groups of sessions; docs/durations.md), and each one more costs a fit. */
#define CR_DUR_KMAX 4

/* One posterior draw (log-seconds scale). */
typedef struct {
    int k;
    double w[CR_DUR_KMAX], m[CR_DUR_KMAX], s[CR_DUR_KMAX];
    double p0;  /* P(D < res), the zero class (0 needs no res) */
    double res; /* the data's resolution, seconds */
} cr_duration_params;

/* P(D > t) for t seconds. */
double cr_duration_survival(const cr_duration_params *p, double t);
/* E[D] in seconds. */
double cr_duration_mean(const cr_duration_params *p);
/* E[min(D, t)], the area under P(D > .) up to t seconds (t may be infinite): comparable with
 * cr_km_mean. */
double cr_duration_mean_within(const cr_duration_params *p, double t);
/* A duration in seconds from the law. */
double cr_duration_draw(const cr_duration_params *p, gsl_rng *r);
/* A total duration in seconds given that the connection is already age seconds old (D > age,
 * age >= 0: never in the zero class): for connections open when a simulation starts. */
double cr_duration_draw_beyond(const cr_duration_params *p, double age, gsl_rng *r);

/* log P(Z > z) for standard normal Z, accurate in both tails (the density's too). */
double cr_duration_log_q(double z);

#endif
