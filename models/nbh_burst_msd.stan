// nbh_burst with a minute spread of each machine's own (connrate fit --model nbh_burst_msd;
// lib/model/nbh_burst_msd.c computes this log density and its gradient by hand, on per-cell
// histograms of the counts).
//
// For machine k and second s in minute m(s) of that machine's capture:
//   y[k,s] ~ (1 - w) NegBinomial2(mu[k,m], phi) + w NegBinomial2(lambda_b, phi_b)
//   log mu[k,m] = alpha + sigma_machine * z_machine[k]
//                 + sigma_minute[k] * z_minute[k,m] - sigma_minute[k]^2 / 2
//   log sigma_minute[k] = mu_s + tau_s * z_s[k]
// The minute effect is centred on its mean, so a machine's mean rate does not grow with its
// spread (uncentred, a user's expected rate over a lognormal spread is infinite). The burst
// part is nbh_burst's (models/nbh_burst.stan). mu_s ~ normal(-0.5, 1) centres the population's
// median minute spread on 0.6; tau_s ~ half-normal(0, 0.5) is the spread of log sigma_minute
// between machines.
//
// Data as nbh.stan (K, C, cell_machine, S, sec_cell, y). Parameter order equals connrate's
// unconstrained vector: alpha, log sigma_machine, mu_s, log tau_s, log inv_sqrt_phi,
// z_machine, z_minute, logit(2 w), log lambda_b, log e_b, z_s.
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
  real mu_s;
  real<lower=0> tau_s;
  real<lower=0> inv_sqrt_phi;
  vector[K] z_machine;
  vector[C] z_minute;
  real<lower=0, upper=0.5> w;
  real<lower=0> lambda_b;
  real<lower=0> e_b; // 1 / sqrt(phi_b) - 1 / sqrt(phi)
  vector[K] z_s;
}
transformed parameters {
  real<lower=0> phi = 1 / square(inv_sqrt_phi);
  real<lower=0> phi_b = 1 / square(inv_sqrt_phi + e_b);
  vector<lower=0>[K] sigma_minute = exp(mu_s + tau_s * z_s);
}
model {
  vector[C] eta = alpha + sigma_machine * z_machine[cell_machine]
                  + sigma_minute[cell_machine] .* (z_minute - 0.5 * sigma_minute[cell_machine]);
  alpha ~ normal(0, 3);
  sigma_machine ~ normal(0, 1);
  mu_s ~ normal(-0.5, 1);
  tau_s ~ normal(0, 0.5);
  inv_sqrt_phi ~ normal(0, 1);
  z_machine ~ std_normal();
  z_minute ~ std_normal();
  z_s ~ std_normal();
  2 * w ~ beta(1, 9);
  lambda_b ~ lognormal(2, 1.5);
  e_b ~ normal(0, 2);
  for (s in 1:S)
    target += log_mix(w, neg_binomial_2_lpmf(y[s] | lambda_b, phi_b),
                      neg_binomial_2_log_lpmf(y[s] | eta[sec_cell[s]], phi));
}
