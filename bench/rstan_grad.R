# usage: with_rstan.sh rstan_grad.R CPS.csv SERIES STANFILE...
# rstan's cost of one gradient of each model's log density on SERIES of the table: what every
# leapfrog step of Stan's NUTS pays, so that times a trajectory's length is what NUTS spends on
# it. grad_log_prob (unconstrained scale, Jacobian included, as the sampler calls it) at a few
# points drawn as Stan draws its inits, uniform(-2, 2), repeated for at least 2 s of wall clock
# after one untimed call per point. Prints rstan's version, then per model:
#   rstan_grad MODEL upars=N calls=N s_per_grad=X
# Compilation is cached (compile_cached), the fit object comes from sampling(chains = 0).
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                 "rstan_fit.R"))
a <- commandArgs(TRUE)
cat(sprintf("rstan version %s (Stan %s)\n", packageVersion("rstan"), stan_version()))
d <- stan_data(a[1], a[2])
set.seed(1)
for (stanfile in a[-(1:2)]) {
  m <- compile_cached(stanfile)
  f <- suppressMessages(suppressWarnings(sampling(m, data = d, chains = 0)))
  n <- get_num_upars(f)
  finite <- function(p) {
    g <- tryCatch(grad_log_prob(f, p), error = function(e) NA)
    all(is.finite(g)) && is.finite(attr(g, "log_prob"))
  }
  pts <- list()
  for (try in 1:100) {
    if (length(pts) == 5) break
    p <- runif(n, -2, 2)
    if (finite(p)) pts[[length(pts) + 1]] <- p
  }
  if (length(pts) == 0) stop(stanfile, ": no finite gradient at 100 random points")
  calls <- 0
  t0 <- proc.time()[["elapsed"]]
  repeat {
    for (p in pts) grad_log_prob(f, p)
    calls <- calls + length(pts)
    t <- proc.time()[["elapsed"]] - t0
    if (t >= 2) break
  }
  cat(sprintf("rstan_grad %s upars=%d calls=%d s_per_grad=%.6g\n",
              sub("\\.stan$", "", basename(stanfile)), n, calls, t / calls))
}
