#!/usr/bin/env Rscript
# usage: gen_cps.R OUT.csv SECONDS[,SECONDS...] SEED
# A CPS table drawn from the hierarchical negative binomial model (models/nbh.stan) in plain R,
# independently of connrate: one machine per SECONDS entry, each series with its own true
# (alpha, sigma_machine, sigma_minute, phi) below. Used by tests/fit/test_stan.c and
# bench/bench_fit.sh.
a <- commandArgs(TRUE)
out <- a[1]; nsec <- as.integer(strsplit(a[2], ",")[[1]]); set.seed(as.integer(a[3]))
truth <- rbind(tcp_new = c(-0.5, 0.6, 0.5, 2.0), udp_new = c(-0.8, 0.5, 0.7, 1.0),
               tcp_end = c(-0.9, 0.6, 0.5, 3.0), udp_end = c(-0.8, 0.5, 0.7, 1.0))
K <- length(nsec)
cps <- data.frame(machine_id = rep(sprintf("synthetic-%02d", seq_len(K)), nsec),
                  machine = rep(seq_len(K), nsec), second = sequence(nsec))
cps$minute <- (cps$second - 1L) %/% 60L + 1L
cell <- paste(cps$machine, cps$minute)
cells <- unique(cell)
for (s in rownames(truth)) {
  p <- truth[s, ]
  z_machine <- rnorm(K); z_minute <- rnorm(length(cells))
  eta <- p[1] + p[2] * z_machine[cps$machine] + p[3] * z_minute[match(cell, cells)]
  cps[[s]] <- rnbinom(nrow(cps), size = p[4], mu = exp(eta))
}
write.csv(cps, out, row.names = FALSE, quote = FALSE)
