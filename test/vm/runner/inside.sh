#!/bin/sh
# Runs the VM test tier on a machine that has a pure cgroup v2 hierarchy with
# every controller: the qemu guest that `npm run test:vm` boots (its /init
# calls this) and the Vagrant box (`sudo npm run test:vm:inside`). One
# command for both, so both run the same tests the same way.
#
# Tests: test/vm/**/*.test.{ts,js}; with PODSHIM_VM_INTEGRATION=1 also
# test/integration/**/*.test.{ts,js}; PODSHIM_VM_ONLY_INTEGRATION=1 runs the
# integration tests alone. Files given as arguments replace that choice.
# Skips fail (--fail-skip): in the VM every controller is there, so a test
# that skips has lost what it exists to prove.
set -u
cd "$(dirname "$0")/../../.." || exit 1

if [ "$(id -u)" != 0 ]; then
  echo "inside.sh: run as root (the VM tier makes namespaces and cgroups)" >&2
  exit 1
fi

export PODSHIM_VM=1
export TAP_COLOR=0 NO_COLOR=1 FORCE_COLOR=0

find_tests () {
  [ -d "$1" ] || return 0
  find "$1" -path test/vm/runner -prune -o -type f \
    \( -name '*.test.ts' -o -name '*.test.js' -o -name '*.test.mjs' -o -name '*.test.cjs' \) \
    -print | sort
}

if [ $# -gt 0 ]; then
  files="$*"
else
  files=""
  [ "${PODSHIM_VM_ONLY_INTEGRATION:-0}" = 1 ] || files="$(find_tests test/vm)"
  if [ "${PODSHIM_VM_INTEGRATION:-0}" = 1 ] || [ "${PODSHIM_VM_ONLY_INTEGRATION:-0}" = 1 ]; then
    files="$files $(find_tests test/integration)"
  fi
fi
# shellcheck disable=SC2086
set -- $files
if [ $# -eq 0 ]; then
  echo "inside.sh: no test files found" >&2
  exit 1
fi

echo "podshim-vm: running $# test file(s) with tap"
# -R tap: the raw TAP stream (the default reporter draws with ink and react,
# which costs a lot under software emulation, and raw TAP reads well in logs).
exec node node_modules/tap/dist/esm/run.mjs \
  --fail-skip --disable-coverage -R tap \
  --jobs="${PODSHIM_VM_JOBS:-2}" --timeout="${PODSHIM_VM_TEST_TIMEOUT:-900}" \
  "$@"
