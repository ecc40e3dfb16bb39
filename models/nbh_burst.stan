// nbh with burst seconds (connrate fit --model nbh_burst; lib/model/nbh_burst.c computes this
// log density and its gradient by hand, on per-cell histograms of the counts).
//
// For machine k and second s in minute m(s) of that machine's capture, the second is a burst
// second with chance w, independently of every other:
//   y[k,s] ~ (1 - w) NegBinomial2(mu[k,m], phi) + w NegBinomial2(lambda_b, phi_b)
//   log mu[k,m] = alpha + sigma_machine * z_machine[k] + sigma_minute * z_minute[k,m]
// The rate part is nbh's (models/nbh.stan). A burst second (a page load opening tens of
// connections at once) has a count of its own law, mean lambda_b and over-dispersion phi_b,
// whatever the machine's or the minute's rate. w < 1/2 and phi_b < phi (burst counts vary more
// than the background's) say which component is the burst: without them a mixture of two
// negative binomials also fits with the roles swapped.
//
// Data as nbh.stan (K, C, cell_machine, S, sec_cell, y). Parameter order equals connrate's
// unconstrained vector: alpha, log sigma_machine, log sigma_minute, log inv_sqrt_phi,
// z_machine, z_minute, logit(2 w), log lambda_b, log e_b.
data {
  int<lower=1> K;
  int<lower=1> C;
  array[C] int<lower=1, upper=K> cell_machine;
  int<lower=1> S;
  array[S] int<lower=1, upper=C> sec_cell;
  array[S] int<lower=0> y;
}
parameters {
  real alpha;
  real<lower=0> sigma_machine;
  real<lower=0> sigma_minute;
  real<lower=0> inv_sqrt_phi;
  vector[K] z_machine;
  vector[C] z_minute;
  real<lower=0, upper=0.5> w;
  real<lower=0> lambda_b;
  real<lower=0> e_b; // 1 / sqrt(phi_b) - 1 / sqrt(phi)
}
transformed parameters {
  real<lower=0> phi = 1 / square(inv_sqrt_phi);
  real<lower=0> phi_b = 1 / square(inv_sqrt_phi + e_b);
}
model {
  vector[C] eta = alpha + sigma_machine * z_machine[cell_machine] + sigma_minute * z_minute;
  alpha ~ normal(0, 3);
  sigma_machine ~ normal(0, 1);
  sigma_minute ~ normal(0, 1);
  inv_sqrt_phi ~ normal(0, 1);
  z_machine ~ std_normal();
  z_minute ~ std_normal();
  2 * w ~ beta(1, 9);
  lambda_b ~ lognormal(2, 1.5);
  e_b ~ normal(0, 2);
  for (s in 1:S)
    target += log_mix(w, neg_binomial_2_lpmf(y[s] | lambda_b, phi_b),
                      neg_binomial_2_log_lpmf(y[s] | eta[sec_cell[s]], phi));
}
