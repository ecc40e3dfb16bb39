#!/bin/sh
# usage: with_rstan.sh SCRIPT.R ARGS... -- runs Rscript so that rstan can compile models on Debian.
#
# rstan looks for Boost in system.file("include", package = "BH"), but Debian's r-cran-bh is an
# empty stub that depends on libboost-dev. When that folder is missing, a private library in
# $TMPDIR gets a BH whose files link to the stub's and whose include/boost links to
# /usr/include/boost, and R_LIBS puts it first. (Pointing include at /usr/include itself would put
# -I/usr/include on the C++ command line, which breaks libstdc++'s #include_next.) No other
# compile flag is needed: rstan 2.21 brings StanHeaders, RcppEigen and RcppParallel's paths.
#
# Compiled models are cached in $CONNRATE_RSTAN_CACHE (default $TMPDIR/connrate-rstan-cache-UID),
# exported for the R scripts. Exit status 77 means rstan is unusable here (tests SKIP).
command -v Rscript >/dev/null 2>&1 || exit 77
# rstan comparisons take minutes: they run in make check, not in the sanitizer run
[ -n "${CONNRATE_SKIP_SLOW:-}" ] && [ "$CONNRATE_SKIP_SLOW" != 0 ] && exit 77
tmp=${TMPDIR:-/tmp}
uid=$(id -u)
Rscript -e 'if (!requireNamespace("rstan", quietly = TRUE)) quit(status = 1)' >/dev/null 2>&1 ||
    exit 77
inc=$(Rscript -e 'cat(system.file("include", package = "BH"))' 2>/dev/null)
if [ -z "$inc" ]; then
    [ -d /usr/include/boost ] || exit 77
    stub=$(Rscript -e 'cat(system.file(package = "BH"))' 2>/dev/null)
    [ -n "$stub" ] || exit 77
    lib=$tmp/connrate-rstan-lib-$uid
    mkdir -p "$lib/BH/include" || exit 77
    for f in "$stub"/*; do ln -sfn "$f" "$lib/BH/"; done
    ln -sfn /usr/include/boost "$lib/BH/include/boost"
    R_LIBS=$lib${R_LIBS:+:$R_LIBS}
    export R_LIBS
fi
CONNRATE_RSTAN_CACHE=${CONNRATE_RSTAN_CACHE:-$tmp/connrate-rstan-cache-$uid}
mkdir -p "$CONNRATE_RSTAN_CACHE" || exit 77
export CONNRATE_RSTAN_CACHE
exec Rscript "$@"
