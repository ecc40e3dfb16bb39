// Hurdle version of nbh_ar1 (connrate fit, model hurdle_nbh_ar1; lib/model/hurdle_nbh_ar1.c
// computes this log density and its gradient by hand on sufficient statistics): whether a
// second has any connection at all is modelled apart from how many it has, for series whose
// zeros are more (or fewer) than the negative binomial's.
//
// For machine k and second s in minute m(s):
//   P(y = 0) = pi[k],  logit pi[k] = mu_pi + sigma_pi * z_pi[k]
//   P(y = n) = (1 - pi[k]) NegBinomial2(n | mu[k,m], phi) / (1 - NegBinomial2(0 | mu[k,m], phi)),
//              n > 0
//   log mu[k,m] as in nbh_ar1.stan (AR(1) minute effects per machine)
// mu is then the rate of the NB before truncation, not the mean of y.
// mu_pi ~ normal(0, 2) (pi within 0.02..0.98 at two sd), sigma_pi ~ half-normal(0, 1),
// z_pi ~ normal(0, 1); the rest as nbh_ar1.stan.
//
// log(1 - NB(0)) = log1m_exp(-phi * log1p_exp(eta - log phi)) keeps its digits when mu is small
// (then it is close to eta, the log of the chance of a positive count).
//
// Current Stan syntax (>= 2.33); data as nbh_ar1.stan. Parameter order equals connrate's
// unconstrained vector: nbh_ar1's, then mu_pi, log sigma_pi, z_pi.
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
  real<lower=0> inv_sqrt_phi;
  vector[K] z_machine;
  vector[C] eps;
  real mu_pi;
  real<lower=0> sigma_pi;
  vector[K] z_pi;
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
  vector[K] logit_pi = mu_pi + sigma_pi * z_pi;
  alpha ~ normal(0, 3);
  sigma_machine ~ normal(0, 1);
  sigma_minute ~ normal(0, 1);
  target += beta_lpdf((rho + 1) / 2 | 2, 2);
  inv_sqrt_phi ~ normal(0, 1);
  z_machine ~ std_normal();
  eps ~ std_normal();
  mu_pi ~ normal(0, 2);
  sigma_pi ~ normal(0, 1);
  z_pi ~ std_normal();
  for (s in 1:S) {
    int c = sec_cell[s];
    int k = cell_machine[c];
    if (y[s] == 0) {
      target += log_inv_logit(logit_pi[k]);
    } else {
      target += log1m_inv_logit(logit_pi[k]) + neg_binomial_2_log_lpmf(y[s] | eta[c], phi)
                - log1m_exp(-phi * log1p_exp(eta[c] - log(phi)));
    }
  }
}
