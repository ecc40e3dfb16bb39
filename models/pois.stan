// Lognormal-Poisson model of one per-second connection series: the rung of connrate's model
// ladder with machine and minute effects but no over-dispersion of seconds within a minute.
//
// For machine k and second s in minute m(s) of that machine's capture:
//   y[k,s] ~ Poisson(mu[k,m])
//   log mu[k,m] = alpha + sigma_machine * z_machine[k] + sigma_minute * z_minute[k,m]
// Compared with nbh.stan, any extra variance of seconds within a minute must show up as misfit
// (PSIS-LOO, posterior predictive checks): that is what the ladder is for.
//
// lib/model/pois.c computes this log density and its gradient by hand on per-cell sufficient
// statistics. Current Stan syntax (>= 2.33); the data layout is nbh.stan's, so one data file
// fits every model of the ladder:
//   K             number of machines
//   C             machine-minute cells, ordered by machine then minute
//   cell_machine  machine of each cell
//   S             seconds (rows of the CPS table)
//   sec_cell      cell of each second
//   y             the series' count in each second
// Parameter order equals connrate's unconstrained vector: alpha, log sigma_machine,
// log sigma_minute, z_machine, z_minute.
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
  vector[K] z_machine;
  vector[C] z_minute;
}
model {
  vector[C] eta = alpha + sigma_machine * z_machine[cell_machine] + sigma_minute * z_minute;
  alpha ~ normal(0, 3);
  sigma_machine ~ normal(0, 1);
  sigma_minute ~ normal(0, 1);
  z_machine ~ std_normal();
  z_minute ~ std_normal();
  y ~ poisson_log(eta[sec_cell]);
}
