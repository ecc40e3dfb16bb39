// Connection durations of one protocol (connrate's duration model, lib/duration/mixture.c, which
// computes this log density and its gradient by hand), in current Stan syntax (>= 2.33), for
// K = 1 to 4 components (K is data; connrate chooses it by PSIS-LOO, docs/durations.md).
//
//   D < r                                             with probability p0 (the zero class)
//   log D ~ sum_j w[j] * normal(m[j], s[j]) given D >= r   otherwise;  D in seconds, m ordered
//   p0 ~ beta(1, 1); w ~ dirichlet(2, ..., 2); m ~ normal(0, 5); s ~ lognormal(0, 1)
//
// r is the timestamps' resolution (res_ms: 1 for connrate's flows). Data are binned durations
// (docs/durations.md): a duration observed as d says d <= D < d + r, and connrate merges those
// intervals into bins on a grid (edge_ms, whole multiples of r, ascending; the first may be 0):
//   n_event[i]  ended durations in [edge_ms[i], edge_ms[i + 1]): a first bin [0, r) is the zero
//               class's, each of the others contributes log(1 - p0) and that interval's
//               probability given D >= r
//   n_cens[i]   durations still running at capture end whose age is at least edge_ms[i] (>= r,
//               rounded down to the grid): each contributes log(1 - p0) + log P(D > edge_ms[i])
//               given D >= r
// Parameter order equals connrate's unconstrained vector: the simplex w by Stan's stick-breaking
// (K - 1 values), m[1] and log(m[j] - m[j - 1]), log s[j], logit p0.
//
// Every probability is taken in the tail it lies in, and normal_lcdf is only asked for lower
// tails (P(X > c) as P(-X < -c)), where it keeps its digits and a finite gradient far out:
// normal_lccdf up to Stan 2.21 at least returns -inf beyond 8.25 sd.
functions {
  // log P(X > lo)
  real log_above(real lo, real m, real s) {
    return lo >= m ? normal_lcdf(-lo | -m, s) : log1m_exp(normal_lcdf(lo | m, s));
  }
  // log P(lo <= X < hi), lo finite
  real log_interval(real lo, real hi, real m, real s) {
    if (hi <= m)
      return log_diff_exp(normal_lcdf(hi | m, s), normal_lcdf(lo | m, s));
    if (lo >= m)
      return log_diff_exp(normal_lcdf(-lo | -m, s), normal_lcdf(-hi | -m, s));
    return log1m_exp(log_sum_exp(normal_lcdf(lo | m, s), normal_lcdf(-hi | -m, s)));
  }
}
data {
  int<lower=1, upper=4> K;
  real<lower=0> res_ms;
  int<lower=1> N_edge;
  vector<lower=0>[N_edge] edge_ms;
  vector<lower=0>[N_edge - 1] n_event;
  vector<lower=0>[N_edge] n_cens;
}
transformed data {
  vector[N_edge] x; // log seconds; unused for an edge of 0 ms
  real x_res = log(res_ms / 1000);
  real n_zero = 0;             // ended durations below r: the bin [0, r)
  real n_pos = sum(n_cens);    // the others
  for (i in 1:N_edge)
    x[i] = edge_ms[i] > 0 ? log(edge_ms[i] / 1000) : 0;
  for (i in 1:(N_edge - 1)) {
    if (edge_ms[i] == 0)
      n_zero += n_event[i];
    else
      n_pos += n_event[i];
  }
}
parameters {
  simplex[K] w;
  ordered[K] m;
  vector<lower=0>[K] s;
  real<lower=0, upper=1> p0;
}
model {
  vector[K] lw = log(w);
  vector[K] l;
  w ~ dirichlet(rep_vector(2, K));
  m ~ normal(0, 5);
  s ~ lognormal(0, 1);
  p0 ~ beta(1, 1);
  target += n_zero * log(p0) + n_pos * log1m(p0);
  // the mixture given D >= r
  for (j in 1:K)
    l[j] = log_above(x_res, m[j], s[j]);
  target += -n_pos * log_sum_exp(lw + l);
  for (i in 1:(N_edge - 1)) {
    if (n_event[i] > 0 && edge_ms[i] > 0) {
      for (j in 1:K)
        l[j] = log_interval(x[i], x[i + 1], m[j], s[j]);
      target += n_event[i] * log_sum_exp(lw + l);
    }
  }
  for (i in 1:N_edge) {
    if (n_cens[i] > 0) {
      for (j in 1:K)
        l[j] = log_above(x[i], m[j], s[j]);
      target += n_cens[i] * log_sum_exp(lw + l);
    }
  }
}
