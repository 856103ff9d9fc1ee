#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine as root: installs the system
# tools the tests use as real peers (erofs-utils, skopeo, umoci, debootstrap, docker-registry,
# apache2-utils), the npm packages from the lock file, builds, and runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v fsck.erofs >/dev/null || need+=(erofs-utils)
command -v skopeo >/dev/null || need+=(skopeo)
command -v umoci >/dev/null || need+=(umoci)
# The Debian end-to-end image is built with debootstrap (../shared/fixtures/make-debian-image.sh).
command -v debootstrap >/dev/null || need+=(debootstrap)
# The registry tests start a real registry (distribution 2.8) and make bcrypt htpasswd files.
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing ${need[*]}: run as root or apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
mkdir -p .tmp
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@" || status=$?
# One plain closing line, the same whatever the runner prints above it.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".tmp/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' || true
exit $status
