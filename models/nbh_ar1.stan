// Hierarchical negative binomial model of one per-second connection series whose minute effects
// persist: an AR(1) per machine (connrate fit, model nbh_ar1; lib/model/nbh_ar1.c computes this
// log density and its gradient by hand on per-cell sufficient statistics).
//
// For machine k and second s in minute m(s) of that machine's capture:
//   y[k,s] ~ NegBinomial2(mu[k,m], phi)
//   log mu[k,m] = alpha + sigma_machine * z_machine[k] + sigma_minute * z_minute[k,m]
//   z_minute[k,1] = eps[k,1]
//   z_minute[k,m] = rho * z_minute[k,m-1] + sqrt(1 - rho^2) * eps[k,m],   eps ~ normal(0, 1)
// Each machine's z_minute is a stationary AR(1) with unit variance, so sigma_minute keeps nbh's
// meaning (the spread of a minute's log rate around its machine's) and rho is the correlation
// of consecutive minutes. Non-centred (eps) so the sampler does not meet the funnel when
// sigma_minute is small.
//
// Prior on rho: (rho + 1) / 2 ~ beta(2, 2), density proportional to 1 - rho^2. Weak and
// symmetric (no sign imposed), but zero at rho = +-1, where the minute effects freeze into a
// constant per machine that z_machine already describes; it also gives the unconstrained
// coordinate logit((rho + 1) / 2) light tails.
//
// Current Stan syntax (>= 2.33). Data as nbh.stan, with one cell for every minute from each
// machine's first to its last (a minute without seconds is a cell no second refers to):
//   K, C, cell_machine (cells ordered by machine then minute), S, sec_cell, y
// Parameter order equals connrate's unconstrained vector: alpha, log sigma_machine,
// log sigma_minute, logit((rho + 1) / 2), log inv_sqrt_phi, z_machine, eps.
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
  real<lower=-1, upper=1> rho;
  real<lower=0> inv_sqrt_phi; // half-normal on 1/sqrt(phi) keeps phi away from 0 softly
  vector[K] z_machine;
  vector[C] eps;
}
transformed parameters {
  real<lower=0> phi = 1 / square(inv_sqrt_phi);
  vector[C] z_minute;
  z_minute[1] = eps[1];
  for (c in 2:C) {
    if (cell_machine[c] == cell_machine[c - 1])
      z_minute[c] = rho * z_minute[c - 1] + sqrt(1 - square(rho)) * eps[c];
    else
      z_minute[c] = eps[c];
  }
}
model {
  vector[C] eta = alpha + sigma_machine * z_machine[cell_machine] + sigma_minute * z_minute;
  alpha ~ normal(0, 3);
  sigma_machine ~ normal(0, 1);
  sigma_minute ~ normal(0, 1);
  target += beta_lpdf((rho + 1) / 2 | 2, 2);
  inv_sqrt_phi ~ normal(0, 1);
  z_machine ~ std_normal();
  eps ~ std_normal();
  y ~ neg_binomial_2_log(eta[sec_cell], phi);
}
