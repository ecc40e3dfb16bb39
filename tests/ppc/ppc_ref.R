# Reference posterior predictive checks for tests/ppc/test_ppc.c, computed the plain R way.
# usage: Rscript ppc_ref.R obs.csv reps.csv out.csv
# obs.csv: machine_id,machine,minute,y (one row per second); reps.csv: one replicate per line
# (no header), one column per row of obs.csv. Writes the table cr_ppc_write_csv writes.
args <- commandArgs(TRUE)
obs <- read.csv(args[1], stringsAsFactors = FALSE)
reps <- as.matrix(read.csv(args[2], header = FALSE))
band <- 0.99
max_classes <- 64

stats <- function(y, machine, minute) {
    c(mean = mean(y), var = var(y), zero_frac = mean(y == 0),
      q90 = quantile(y, 0.90, type = 7, names = FALSE),
      q99 = quantile(y, 0.99, type = 7, names = FALSE), max = max(y),
      minute_max = max(tapply(y, list(machine, minute), sum), na.rm = TRUE))
}
classes <- function(y, cap) c(sapply(0:(cap - 1), function(c) sum(y == c)), sum(y >= cap))
q <- function(x, p) quantile(x, p, type = 7, names = FALSE)

groups <- c(lapply(sort(unique(obs$machine)), function(k) which(obs$machine == k)),
            list(seq_len(nrow(obs))))
names <- c(sapply(sort(unique(obs$machine)), function(k) obs$machine_id[obs$machine == k][1]),
           "pooled")
out <- NULL
for (g in seq_along(groups)) {
    idx <- groups[[g]]
    t_obs <- stats(obs$y[idx], obs$machine[idx], obs$minute[idx])
    t_rep <- t(apply(reps[, idx, drop = FALSE], 1, stats, obs$machine[idx], obs$minute[idx]))
    for (s in names(t_obs)) {
        tol <- 1e-9 * max(1, abs(t_obs[[s]]))
        d <- t_rep[, s] - t_obs[[s]]
        p <- mean(d > tol) + 0.5 * mean(abs(d) <= tol)
        out <- rbind(out, data.frame(machine_id = names[g], kind = "stat", what = s,
            observed = t_obs[[s]], rep_mean = mean(t_rep[, s]), rep_median = q(t_rep[, s], 0.5),
            rep_lo = q(t_rep[, s], (1 - band) / 2), rep_hi = q(t_rep[, s], (1 + band) / 2),
            p_value = p, fail = as.integer(p < 0.01 | p > 0.99)))
    }
    cap <- min(max_classes, 1 + max(quantile(obs$y[idx], 0.999, type = 1, names = FALSE),
                                    quantile(as.vector(reps[, idx]), 0.999, type = 1,
                                             names = FALSE)))
    c_obs <- classes(obs$y[idx], cap)
    c_rep <- t(apply(reps[, idx, drop = FALSE], 1, classes, cap))
    for (j in seq_along(c_obs)) {
        lo <- q(c_rep[, j], (1 - band) / 2)
        hi <- q(c_rep[, j], (1 + band) / 2)
        out <- rbind(out, data.frame(machine_id = names[g], kind = "class",
            what = if (j == length(c_obs)) paste0(">=", cap) else as.character(j - 1),
            observed = c_obs[j], rep_mean = mean(c_rep[, j]), rep_median = q(c_rep[, j], 0.5),
            rep_lo = lo, rep_hi = hi, p_value = NA,
            fail = as.integer(c_obs[j] < lo | c_obs[j] > hi)))
    }
}
write.csv(out, args[3], row.names = FALSE, quote = FALSE)
