#!/usr/bin/env bash
# Run every trustgate test: install what is needed, build (normal and
# ASan+UBSan), unit tests under both builds, then the integration tests
# against a real dockerd, registry and the docker CLI. Needs root (dockerd).
# The last line is the total: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0
step() { printf '\n=== %s\n' "$*"; }
tally() { # tally NAME STATUS
  if [[ $2 -eq 0 ]]; then passed=$((passed + 1)); echo "ok: $1"
  else failed=$((failed + 1)); echo "FAILED: $1"; fi
}

step "dependencies"
bash tests/deps.sh || { echo "cannot install dependencies"; echo "0 passed, 1 failed"; exit 1; }

step "build (release, hardened)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j "$jobs"
tally "build" $?

step "build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTG_SANITIZE=ON >/dev/null &&
  cmake --build build-asan -j "$jobs"
tally "sanitizer build" $?

step "unit tests"
ctest --test-dir build --output-on-failure
tally "unit tests" $?

step "unit tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure
tally "unit tests (sanitizers)" $?

# The harness itself (dockerd/registry life cycle, Notary server+signer and
# content-trust signing) is checked first, so a broken environment is told
# apart from a broken trustgate.
for t in tests/integration/selftest_*.sh; do
  step "harness self-test: $t"
  bash "$t"
  tally "$t" $?
done

for t in tests/integration/test_*.sh; do
  step "integration: $t"
  TG_BIN="$root/build/plugin/trustgate" bash "$t"
  tally "$t" $?
done

# The keyless verifier (parsers of bundles, certificates, log entries and
# trusted roots) on the forged material, under the sanitizers too.
step "integration: keyless verify-bundle under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TG_KEYLESS_CLI_ONLY=1 TG_BIN="$root/build-asan/plugin/trustgate" \
  bash tests/integration/test_sigstore_keyless.sh
tally "keyless verify-bundle (sanitizers)" $?

printf '\n%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
