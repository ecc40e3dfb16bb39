// Connection durations of one protocol (connrate's duration model, lib/model/duration.c, which
// computes this log density and its gradient by hand), in current Stan syntax (>= 2.33), for
// K = 1 to 4 components (K is data; connrate chooses it by PSIS-LOO, docs/durations.md).
//
//   log D ~ sum_j w[j] * normal(m[j], s[j])     D in seconds, m ordered
//   w ~ dirichlet(2, ..., 2); m ~ normal(0, 5); s ~ lognormal(0, 1)   (log-seconds scale)
//
// Data are binned durations (docs/durations.md): timestamps have 1 ms resolution, so a duration
// of d ms says d <= D < d + 1 ms, and connrate merges those intervals into bins on a grid
// (edge_ms, whole ms, ascending; the first may be 0):
//   n_event[i]  ended durations in [edge_ms[i], edge_ms[i + 1]): each contributes that
//               interval's probability (for a first edge of 0, P(D < edge_ms[2]))
//   n_cens[i]   durations still running at capture end whose age is at least edge_ms[i]
//               (rounded down to the grid): each contributes log P(D > edge_ms[i])
// Parameter order equals connrate's unconstrained vector: the simplex w by Stan's stick-breaking
// (K - 1 values), m[1] and log(m[j] - m[j - 1]), log s[j].
//
// Every probability is taken in the tail it lies in, and normal_lcdf is only asked for lower
// tails (P(X > c) as P(-X < -c)), where it keeps its digits and a finite gradient far out:
// normal_lccdf up to Stan 2.21 at least returns -inf beyond 8.25 sd.
functions {
  // log P(X < hi) for X ~ normal(m, s)
  real log_below(real hi, real m, real s) {
    return hi <= m ? normal_lcdf(hi | m, s) : log1m_exp(normal_lcdf(-hi | -m, s));
  }
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
  int<lower=1> N_edge;
  vector<lower=0>[N_edge] edge_ms;
  vector<lower=0>[N_edge - 1] n_event;
  vector<lower=0>[N_edge] n_cens;
}
transformed data {
  vector[N_edge] x; // log seconds; unused for an edge of 0 ms
  for (i in 1:N_edge)
    x[i] = edge_ms[i] > 0 ? log(edge_ms[i] / 1000) : 0;
}
parameters {
  simplex[K] w;
  ordered[K] m;
  vector<lower=0>[K] s;
}
model {
  vector[K] lw = log(w);
  vector[K] l;
  w ~ dirichlet(rep_vector(2, K));
  m ~ normal(0, 5);
  s ~ lognormal(0, 1);
  for (i in 1:(N_edge - 1)) {
    if (n_event[i] > 0) {
      for (j in 1:K)
        l[j] = edge_ms[i] == 0 ? log_below(x[i + 1], m[j], s[j])
                               : log_interval(x[i], x[i + 1], m[j], s[j]);
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
