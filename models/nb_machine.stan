// Negative binomial model of one per-second connection series with machine effects only: the
// rung of connrate's model ladder where each machine has one rate for its whole capture, and all
// variation between seconds is the negative binomial's over-dispersion.
//
// For machine k and second s of that machine's capture:
//   y[k,s] ~ NegBinomial2(mu[k], phi)          mean mu, variance mu + mu^2 / phi
//   log mu[k] = alpha + sigma_machine * z_machine[k]
//
// lib/model/nb_machine.c computes this log density and its gradient by hand on per-machine
// sufficient statistics. Current Stan syntax (>= 2.33); the data layout is nbh.stan's, so one
// data file fits every model of the ladder (the minute cells only say which machine a second
// belongs to here):
//   K             number of machines
//   C             machine-minute cells, ordered by machine then minute
//   cell_machine  machine of each cell
//   S             seconds (rows of the CPS table)
//   sec_cell      cell of each second
//   y             the series' count in each second
// Parameter order equals connrate's unconstrained vector: alpha, log sigma_machine,
// log inv_sqrt_phi, z_machine.
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
  real<lower=0> inv_sqrt_phi; // half-normal on 1/sqrt(phi) keeps phi away from 0 softly
  vector[K] z_machine;
}
transformed parameters {
  real<lower=0> phi = 1 / square(inv_sqrt_phi);
}
model {
  vector[K] eta = alpha + sigma_machine * z_machine;
  alpha ~ normal(0, 3);
  sigma_machine ~ normal(0, 1);
  inv_sqrt_phi ~ normal(0, 1);
  z_machine ~ std_normal();
  y ~ neg_binomial_2_log(eta[cell_machine[sec_cell]], phi);
}
