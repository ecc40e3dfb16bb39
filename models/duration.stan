// Connection durations of one protocol (connrate's duration model, lib/model/duration.c, which
// computes this log density and its gradient by hand), in current Stan syntax (>= 2.33).
//
//   log D ~ w * normal(m[1], s[1]) + (1 - w) * normal(m[2], s[2])   D in seconds, m ordered
//   w ~ beta(2, 2); m ~ normal(0, 5); s ~ lognormal(0, 1)            (log-seconds scale)
//
// Data are durations in ms (end_ms - start_ms), so a duration of d ms says d <= D < d + 1 ms:
//   exact_ms  durations of at least 1000 ms: the density at d + 0.5 ms stands in for the
//             interval, narrower than 0.1% of D (the likelihood is the same up to a constant)
//   bin_ms    distinct durations below 1000 ms, bin_n how many connections have each: the
//             interval probability itself, P(D < 1 ms) for 0 ms (no log 0, and ties cannot pull
//             a component onto one value with a vanishing spread)
//   cens_ms   ages (> 0 ms) at capture end of connections still open then: log P(D > c)
// Parameter order equals connrate's unconstrained vector: logit w, m[1], log(m[2] - m[1]),
// log s[1], log s[2].
data {
  int<lower=0> N_exact;
  vector<lower=1000>[N_exact] exact_ms;
  int<lower=0> N_bin;
  array[N_bin] int<lower=0, upper=999> bin_ms;
  vector<lower=0>[N_bin] bin_n;
  int<lower=0> N_cens;
  vector<lower=0>[N_cens] cens_ms;
}
transformed data {
  vector[N_exact] x_exact = log((exact_ms + 0.5) / 1000);
  vector[N_cens] x_cens = log(cens_ms / 1000);
}
parameters {
  real<lower=0, upper=1> w;
  ordered[2] m;
  vector<lower=0>[2] s;
}
model {
  w ~ beta(2, 2);
  m ~ normal(0, 5);
  s ~ lognormal(0, 1);
  for (i in 1:N_exact)
    target += log_mix(w, normal_lpdf(x_exact[i] | m[1], s[1]),
                      normal_lpdf(x_exact[i] | m[2], s[2]));
  for (j in 1:N_bin) {
    real hi = log((bin_ms[j] + 1) / 1000.0);
    real l1 = normal_lcdf(hi | m[1], s[1]);
    real l2 = normal_lcdf(hi | m[2], s[2]);
    if (bin_ms[j] > 0) {
      real lo = log(bin_ms[j] / 1000.0);
      l1 = log_diff_exp(l1, normal_lcdf(lo | m[1], s[1]));
      l2 = log_diff_exp(l2, normal_lcdf(lo | m[2], s[2]));
    }
    target += bin_n[j] * log_mix(w, l1, l2);
  }
  // log P(X > c) as log P(-X < -c): normal_lcdf keeps its digits (and a finite gradient) far
  // into the tail, where normal_lccdf up to Stan 2.21 at least returns -inf beyond 8.25 sd
  for (i in 1:N_cens)
    target += log_mix(w, normal_lcdf(-x_cens[i] | -m[1], s[1]),
                      normal_lcdf(-x_cens[i] | -m[2], s[2]));
}
