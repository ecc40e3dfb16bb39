# Reference values for tests/diag/test_diag.c from R's posterior package.
# Usage: Rscript posterior_ref.R DIR
# DIR/cases.txt lists "file chains n" per line; each file holds chains * n little-endian doubles
# laid out draws[chain * n + iter]. Writes DIR/posterior.bin: for each case the measures below,
# in this order, as doubles (NA stays NA, a NaN payload). DIR/energy.txt lists "file n" per
# chain; E-BFMI as rstan's get_bfmi() defines it goes to DIR/ebfmi.bin.
suppressMessages(library(posterior))
dir <- commandArgs(trailingOnly = TRUE)[1]

measures <- c("mean", "median", "sd", "mad", "q5", "q50", "q95", "rhat", "rhat_basic",
              "ess_bulk", "ess_tail", "ess_basic", "ess_sd", "ess_median", "mcse_mean",
              "mcse_sd", "mcse_q5", "mcse_q50", "mcse_q95")

cases <- read.table(file.path(dir, "cases.txt"), col.names = c("file", "chains", "n"),
                    stringsAsFactors = FALSE)
out <- numeric(0)
for (i in seq_len(nrow(cases))) {
  ch <- cases$chains[i]
  n <- cases$n[i]
  x <- readBin(file.path(dir, cases$file[i]), "double", n = ch * n, endian = "little")
  d <- as_draws_array(array(x, dim = c(n, ch, 1),
                            dimnames = list(NULL, NULL, "theta")))
  s <- suppressWarnings(summarise_draws(
    d, mean, median, sd, mad, ~quantile2(.x, probs = c(0.05, 0.5, 0.95)), rhat, rhat_basic,
    ess_bulk, ess_tail, ess_basic, ess_sd, ess_median, mcse_mean, mcse_sd,
    ~mcse_quantile(.x, probs = c(0.05, 0.5, 0.95))))
  out <- c(out, vapply(measures, function(m) as.numeric(s[[m]][1]), numeric(1)))
}
writeBin(out, file.path(dir, "posterior.bin"), endian = "little")

energy <- read.table(file.path(dir, "energy.txt"), col.names = c("file", "n"),
                     stringsAsFactors = FALSE)
ebfmi <- vapply(seq_len(nrow(energy)), function(i) {
  e <- readBin(file.path(dir, energy$file[i]), "double", n = energy$n[i], endian = "little")
  # rstan:::get_bfmi, per chain
  sum(diff(e)^2) / length(e) / var(e)
}, numeric(1))
writeBin(ebfmi, file.path(dir, "ebfmi.bin"), endian = "little")
