# Sourced by the rstan test scripts: compile_cached(STANFILE) compiles a Stan program once per
# content (rstan's auto_write cache in $CONNRATE_RSTAN_CACHE, set by with_rstan.sh), so the
# minute-long C++ compile is paid once per machine rather than once per test run.
suppressMessages(library(rstan))
compile_cached <- function(stanfile) {
  cache <- Sys.getenv("CONNRATE_RSTAN_CACHE", tempdir())
  src <- readLines(stanfile)
  copy <- file.path(cache, paste0("nbh-", tools::md5sum(stanfile), ".stan"))
  if (!file.exists(copy)) writeLines(src, copy)
  rstan_options(auto_write = TRUE)
  suppressMessages(stan_model(copy, auto_write = TRUE))
}
