#!/bin/sh
# Installs the test tools that are not in scripts/deps-test.txt (as root; run again, it changes
# nothing): zsh, man-db and groff for the completion and man page tests, dpkg-dev for `make deb`,
# and from npm, outside the source tree in $CONNRATE_TEST_NODE (default /opt/connrate-test-node),
# ajv-cli with ajv-formats (sizing.json against schema/sizing.schema.json) and playwright-core
# (the report in Debian's Chromium; it never downloads a browser). The tests that need them skip
# when they are missing.
set -eu
node_dir=${CONNRATE_TEST_NODE:-/opt/connrate-test-node}
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends zsh man-db groff-base dpkg-dev bsdutils >/dev/null
if command -v npm >/dev/null 2>&1; then
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-audit --no-fund --no-update-notifier --loglevel=error \
        ajv-cli@5.0.0 ajv-formats@3.0.1 playwright-core@1.65.2 >/dev/null ||
        echo "scripts/test-tools.sh: npm install failed: the schema and browser tests will skip" >&2
else
    echo "scripts/test-tools.sh: no npm: the schema and browser tests will skip" >&2
fi
