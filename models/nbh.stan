// Hierarchical negative binomial model of one per-second connection series (connrate fit).
//
// For machine k and second s in minute m(s) of that machine's capture:
//   y[k,s] ~ NegBinomial2(mu[k,m], phi)          mean mu, variance mu + mu^2 / phi
//   log mu[k,m] = alpha + sigma_machine * z_machine[k] + sigma_minute * z_minute[k,m]
// alpha is the log rate of a typical machine, sigma_machine the spread of machines' baseline
// rates, sigma_minute the minute-to-minute spread within a machine, phi the over-dispersion of
// seconds within a minute. Non-centred (z ~ normal(0, 1)) so the sampler does not meet the
// funnel when a sigma is small.
//
// This is the model connrate's own sampler fits (lib/model/nbh.c computes this log density and
// its gradient by hand, on per-cell sufficient statistics), in current Stan syntax (>= 2.33;
// array[N] int) for users with CmdStan. The data layout matches ../shared/reference/nbh.stan
// (2.21 syntax) so the same data file fits both:
//   K             number of machines
//   C             machine-minute cells, ordered by machine then minute
//   cell_machine  machine of each cell
//   S             seconds (rows of the CPS table)
//   sec_cell      cell of each second
//   y             the series' count in each second
// Parameter order equals connrate's unconstrained vector: alpha, log sigma_machine,
// log sigma_minute, log inv_sqrt_phi, z_machine, z_minute.
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
  real<lower=0> inv_sqrt_phi; // half-normal on 1/sqrt(phi) keeps phi away from 0 softly
  vector[K] z_machine;
  vector[C] z_minute;
}
transformed parameters {
  real<lower=0> phi = 1 / square(inv_sqrt_phi);
}
model {
  vector[C] eta = alpha + sigma_machine * z_machine[cell_machine] + sigma_minute * z_minute;
  alpha ~ normal(0, 3);
  sigma_machine ~ normal(0, 1);
  sigma_minute ~ normal(0, 1);
  inv_sqrt_phi ~ normal(0, 1);
  z_machine ~ std_normal();
  z_minute ~ std_normal();
  y ~ neg_binomial_2_log(eta[sec_cell], phi);
}
