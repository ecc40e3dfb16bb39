# What a calibrated prediction from 8 machines does on held-out groups (docs/validation.md,
# "Averaged over fit sets"). Rscript scripts/calibrated-groups.R; base R only, about 30 s.
#
# The model is exactly right here: each machine's mean concurrency is c0 exp(x), x ~ N(0, 0.66^2)
# (the spread and the 13.5 sessions per user of `synth --machines 300 --seed 7`), and a second's
# sessions alive are Poisson around the sum over the group. A fit set is 8 machines whose x are
# seen exactly; the posterior of (mu, sigma) has a flat prior on mu and connrate's
# half-normal(0, 1) on sigma (drawn by resampling the 1/sigma prior's closed-form posterior), and
# the prediction for a group of N new machines draws them from it. Printed per N: the true q99,
# the median predicted q99, the share of the truth above the predicted q99 over fit sets, and
# that share pooled over 12 fit sets, as `validate --folds 12` pools it.
set.seed(3)
s <- 0.66; n <- 8; c0 <- 13.5 / exp(s^2 / 2)
post <- function(x, nd) {
  sig <- sqrt((n - 1) * var(x) / rchisq(4 * nd, n - 1))
  i <- sample.int(length(sig), nd, replace = TRUE, prob = sig * dnorm(sig))
  sig <- sig[i]
  list(sig = sig, mu = rnorm(nd, mean(x), sig / sqrt(n)))
}
r <- replicate(2000, {
  p <- post(rnorm(n, 0, s), 4000)
  mean(c0 * exp(p$mu + p$sig^2 / 2)) / 13.5
})
cat(sprintf("predicted mean per user / true, over fit sets of 8: mean %.3f, median %.3f\n",
            mean(r), median(r)))
nfit <- 1000; ndraw <- 4000
for (N in c(1, 10, 30)) {
  truth <- rpois(2e5, colSums(matrix(c0 * exp(rnorm(2e5 * N, 0, s)), nrow = N)))
  exc <- numeric(nfit); qs <- numeric(nfit)
  for (f in 1:nfit) {
    p <- post(rnorm(n, 0, s), ndraw)
    xx <- matrix(rnorm(ndraw * N, rep(p$mu, each = N), rep(p$sig, each = N)), nrow = N)
    q <- quantile(rpois(ndraw, colSums(c0 * exp(xx))), 0.99, type = 7)
    qs[f] <- q
    exc[f] <- mean(truth > q) + 0.5 * mean(truth == q)
  }
  m12 <- replicate(20000, mean(sample(exc, 12)))
  cat(sprintf(paste0("N=%d: true q99 %.0f, median predicted q99 %.0f; above q99 over fit sets: ",
                     "mean %.2f%%, median %.3f%%, %.0f%% of fit sets under 0.01%%; pooled over ",
                     "12 fit sets: median %.3f%%, P(under 0.05%%) %.2f, P(under 0.5%%) %.2f\n"),
              N, quantile(truth, 0.99), median(qs), 100 * mean(exc), 100 * median(exc),
              100 * mean(exc < 1e-4), 100 * median(m12), mean(m12 < 5e-4), mean(m12 < 5e-3)))
}
