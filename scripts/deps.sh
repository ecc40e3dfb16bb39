#!/bin/sh
# Makes sure the Debian packages in scripts/deps.txt are installed. As root it installs what is
# missing; otherwise it prints the one apt-get line needed. With --check it only reports.
# Extra package lists (e.g. scripts/deps-test.txt) can be named with DEPS_FILES.
set -eu
here=$(dirname "$0")
files=${DEPS_FILES:-"$here/deps.txt"}
missing=""
for p in $(cat $files | sed 's/#.*//'); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "${1:-}" = "--check" ]; then
    echo "connrate: missing Debian packages:$missing" >&2
    echo "  install them with: sudo apt-get install -y$missing   (or run: make demo as root)" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "connrate needs these Debian packages:$missing" >&2
    echo "run: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends $missing >&2
