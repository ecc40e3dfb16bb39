# usage: with_rstan.sh rstan_fit.R STANFILE CPS.csv SERIES WARMUP SAMPLES
# rstan's fit of the reference model with chosen lengths (fit_nbh.R fixes 1000 + 1000, which takes
# hours on the 8-hour synthetic table), for any of the rate models (models/*.stan share the data
# layout). Prints one line: series, seconds (warmup and sampling, compilation excluded), min bulk
# ESS over the population parameters the model has (alpha, sigma_machine, sigma_minute, phi),
# divergences.
#
# Sourced by rstan_grad.R for stan_data() alone: the fit runs only under Rscript.
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                 "../tests/fit/rstan_model.R"))

# The data block every rate model in models/ shares, from a CPS table.
stan_data <- function(csv, series) {
  cps <- read.csv(csv)
  cell <- paste(cps$machine, cps$minute); cells <- unique(data.frame(cell, machine = cps$machine))
  list(K = max(cps$machine), C = nrow(cells), cell_machine = cells$machine, S = nrow(cps),
       sec_cell = match(cell, cells$cell), y = cps[[series]])
}

if (sys.nframe() == 0L) {
  a <- commandArgs(TRUE)
  suppressMessages(library(posterior))
  m <- compile_cached(a[1])
  series <- a[3]
  d <- stan_data(a[2], series)
  t0 <- proc.time()[["elapsed"]]
  f <- sampling(m, data = d, chains = 4, warmup = as.integer(a[4]),
                iter = as.integer(a[4]) + as.integer(a[5]), seed = 42, cores = 2, refresh = 0)
  t1 <- proc.time()[["elapsed"]]
  pop <- intersect(c("alpha", "sigma_machine", "sigma_minute", "phi"), f@model_pars)
  s <- summarise_draws(as_draws_array(as.array(f, pars = pop)), "ess_bulk")
  div <- sum(sapply(get_sampler_params(f, inc_warmup = FALSE), function(x) sum(x[, "divergent__"])))
  cat(sprintf("rstan %s sample_s=%.1f min_ess_bulk=%.0f divergences=%d\n", series, t1 - t0,
              min(s$ess_bulk), div))
}
