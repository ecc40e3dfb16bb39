# Sourced by the rstan test scripts: compile_cached(STANFILE) compiles a Stan program once per
# content (rstan's auto_write cache in $CONNRATE_RSTAN_CACHE, set by with_rstan.sh), so the
# minute-long C++ compile is paid once per machine rather than once per test run.
#
# Before rstan 2.26 (Debian ships 2.21) Stan only knows the old array syntax, so declarations in
# the current one ("array[N] int<lower=0> y;") are rewritten mechanically ("int<lower=0> y[N];");
# the models' other constructs exist in both.
suppressMessages(library(rstan))
old_array_syntax <- function(src) {
  sub("^(\\s*)array\\[([^]]*)\\]\\s+(.*\\S)\\s+(\\w+)\\s*(;|=)", "\\1\\3 \\4[\\2]\\5", src,
      perl = TRUE)
}
compile_cached <- function(stanfile) {
  cache <- Sys.getenv("CONNRATE_RSTAN_CACHE", tempdir())
  src <- readLines(stanfile)
  if (packageVersion("rstan") < "2.26") src <- old_array_syntax(src)
  name <- sub("\\.stan$", "", basename(stanfile))
  copy <- file.path(cache, paste0(name, "-", tools::md5sum(stanfile), ".stan"))
  if (!file.exists(copy)) writeLines(src, copy)
  rstan_options(auto_write = TRUE)
  suppressMessages(stan_model(copy, auto_write = TRUE))
}
