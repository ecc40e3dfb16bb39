# usage: with_rstan.sh rstan_logprob.R STANFILE DATA.R POINTS OUT
# Writes rstan's log_prob and grad_log_prob (unconstrained scale, Jacobian included) at each row of
# POINTS, one line per point: lp then the gradient.
a <- commandArgs(TRUE)
source(file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                 "rstan_model.R"))
m <- compile_cached(a[1])
d <- rstan::read_rdump(a[2])
d$cell_machine <- array(as.integer(d$cell_machine))
d$sec_cell <- array(as.integer(d$sec_cell))
d$y <- array(as.integer(d$y))
f <- suppressMessages(suppressWarnings(sampling(m, data = d, chains = 0)))
pts <- as.matrix(read.table(a[3]))
out <- t(apply(pts, 1, function(p) { g <- grad_log_prob(f, p); c(attr(g, "log_prob"), g) }))
write.table(format(out, digits = 17), a[4], row.names = FALSE, col.names = FALSE, quote = FALSE)
