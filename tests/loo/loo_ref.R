# Reference values for tests/loo/test_loo.c from R's loo package.
# Usage: Rscript loo_ref.R DIR
# Every matrix file holds S x N little-endian doubles, column-major (observation after
# observation), rows chain-major: chain_id = rep(1:chains, each = S / chains).
#   DIR/cases.txt     "name chains obs": writes name.point.bin (per observation: r_eff,
#                     elpd_loo, mcse_elpd_loo, p_loo, looic, pareto_k, lpd, n_eff),
#                     name.est.bin (estimates(), see below) and name.lw.bin (psis() log
#                     weights, each column sorted ascending).
#   DIR/weighted.txt  "name case weights": the case's columns repeated weights[i] times
#                     (weights: a file of integers, one a line); writes name.est.bin.
#   DIR/compare.txt   "name weights model...": loo_compare() of the models (cases, columns
#                     expanded by the weights unless weights is "-"); writes name.cmp.bin:
#                     per row of loo_compare, best first: model index (0-based), elpd_diff,
#                     se_diff.
#   DIR/gpd.txt       "file n": gpdfit(x, sort_x = FALSE) of n sorted values; writes
#                     file.gpd.bin: k, sigma.
suppressMessages(library(loo))
dir <- commandArgs(trailingOnly = TRUE)[1]

read_lines <- function(f) {
  p <- file.path(dir, f)
  if (!file.exists(p)) return(list())
  strsplit(readLines(p), " ", fixed = TRUE)
}
cases <- list()
read_case <- function(name, chains, obs) {
  x <- readBin(file.path(dir, paste0(name, ".bin")), "double", n = 1e9, endian = "little")
  m <- matrix(x, ncol = obs)
  list(ll = m, chain_id = rep(seq_len(chains), each = nrow(m) / chains))
}
run_loo <- function(cs, cols = seq_len(ncol(cs$ll))) {
  ll <- cs$ll[, cols, drop = FALSE]
  r_eff <- relative_eff(exp(ll), cs$chain_id)
  list(loo = suppressWarnings(loo(ll, r_eff = r_eff)), r_eff = r_eff, ll = ll)
}
# estimates: elpd_loo, se, p_loo, se, looic, se, mcse_loo, 4 k counts, 4 min n_eff
estimates <- function(l) {
  tab <- pareto_k_table(l)
  c(t(l$estimates), mcse_loo(l), tab[, "Count"], tab[, "Min. n_eff"])
}
put <- function(x, f) writeBin(as.numeric(x), file.path(dir, f), endian = "little")

for (a in read_lines("cases.txt")) {
  cs <- read_case(a[1], as.integer(a[2]), as.integer(a[3]))
  cases[[a[1]]] <- cs
  r <- run_loo(cs)
  pw <- r$loo$pointwise
  lpd <- matrixStats::colLogSumExps(cs$ll) - log(nrow(cs$ll))
  put(t(cbind(r$r_eff, pw[, c("elpd_loo", "mcse_elpd_loo", "p_loo", "looic",
                             "influence_pareto_k")], lpd, r$loo$diagnostics$n_eff)),
      paste0(a[1], ".point.bin"))
  put(estimates(r$loo), paste0(a[1], ".est.bin"))
  ps <- suppressWarnings(psis(-cs$ll, r_eff = r$r_eff))
  put(apply(ps$log_weights, 2, sort), paste0(a[1], ".lw.bin"))
}

expand <- function(f) {
  if (f == "-") return(NULL)
  w <- scan(file.path(dir, f), quiet = TRUE)
  rep(seq_along(w), times = w)
}

for (a in read_lines("weighted.txt")) {
  r <- run_loo(cases[[a[2]]], expand(a[3]))
  put(estimates(r$loo), paste0(a[1], ".est.bin"))
}

for (a in read_lines("compare.txt")) {
  cols <- expand(a[2])
  loos <- lapply(a[-(1:2)], function(m) {
    cs <- cases[[m]]
    run_loo(cs, if (is.null(cols)) seq_len(ncol(cs$ll)) else cols)$loo
  })
  names(loos) <- paste0("m", seq_along(loos) - 1)
  cmp <- loo_compare(loos)
  idx <- as.integer(sub("^m", "", rownames(cmp)))
  put(t(cbind(idx, cmp[, "elpd_diff"], cmp[, "se_diff"])), paste0(a[1], ".cmp.bin"))
}

for (a in read_lines("gpd.txt")) {
  x <- readBin(file.path(dir, a[1]), "double", n = as.integer(a[2]), endian = "little")
  f <- gpdfit(x, sort_x = FALSE)
  put(c(f$k, f$sigma), paste0(a[1], ".gpd.bin"))
}
