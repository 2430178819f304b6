#!/usr/bin/env bash
# trustgate's benchmark, part 2: cold signature lookups against a local
# Notary (bash tests/bench/cold_lookup.sh, as root; about 40 s).
#
# Starts what the integration tests start (tests/integration/lib.sh and
# notary.sh): a real dockerd with trustgate, docker-registry, notary-server
# and notary-signer on loopback, and signs an image with
# `DOCKER_CONTENT_TRUST=1 docker push`. Then, with the trust cache flushed
# before each one, pulls the signed tag BENCH_COLD_RUNS times (default 30)
# and reports the time trustgate spent on the lookup (the "ms" of the audit
# line: fetch and verify timestamp, snapshot and targets from Notary, and
# the tag's digest from the registry), and the whole `docker pull` round
# trip for scale. The first lookup of all (first contact: the root is
# fetched and trusted on first use) is shown apart. Last, BENCH_BURST
# (default 100) concurrent pulls of one uncached image and the number of
# Notary fetch sets they caused. Informational: exits 0 whatever the figures.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/integration
runs=${BENCH_COLD_RUNS:-30}
burst=${BENCH_BURST:-100}
if [ "$(id -u)" != 0 ]; then
  echo "cold_lookup.sh: needs root (it starts a dockerd)" >&2
  exit 1
fi
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
  cmake --build "$root/build-bench" -j "$(nproc)" --target trustgate >/dev/null || exit 1
export TG_BIN=$root/build-bench/plugin/trustgate
source "$here/lib.sh"
source "$here/notary.sh"

tg_h_init
tg_h_make_busybox_tar "$TG_WORK/bb.tar"
tg_h_start_registry
tg_n_make_pki
tg_n_start_notary
R=$TG_REGISTRY
cat >"$TG_WORK/policy.json" <<JSON
{
  "rules": [{"match": "$R/acme/*", "require": "signed", "trust_roots": ["acme"]}],
  "trust_roots": {"acme": {"type": "notary", "server": "$TG_NOTARY_URL",
                           "server_ca": "$TG_NOTARY_CA", "tofu": true}},
  "operations": {"import": "allow"}
}
JSON
tg_h_start_trustgate "$TG_WORK/policy.json" --state-dir "$TG_WORK/state" \
  --docker-socket "$TG_DOCKER_SOCK" || exit 1
tg_h_start_dockerd || exit 1
dk import "$TG_WORK/bb.tar" "$R/acme/app:1" >/dev/null &&
  tg_n_trust_push "$R/acme/app:1" >/dev/null 2>&1 || { echo "signing failed" >&2; exit 1; }
dk rmi -f "$R/acme/app:1" >/dev/null

# pull_once: prints "LOOKUP_MS TOTAL_MS" of one pull through dockerd's API
pull_once() {
  local t0 t1 ms
  t0=$(date +%s%N)
  tg_h_curl_docker POST "/v1.41/images/create?fromImage=$R/acme/app&tag=1" \
    -H 'Content-Length: 0' >/dev/null 2>&1
  t1=$(date +%s%N)
  ms=$(grep '"op":"pull"' "$TG_WORK/trustgate.log" | tail -1 | grep -o '"ms":[0-9.]*' | cut -d: -f2)
  echo "${ms:-nan} $(( (t1 - t0) / 1000 ))"
}
stats() { # stats: "median p90 max" of the numbers on stdin
  sort -g | awk '{v[NR] = $1} END {
    printf "median %.1f, p90 %.1f, max %.1f", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR] }'
}

first=$(pull_once)
: >"$TG_WORK/cold.txt"
for _ in $(seq "$runs"); do
  "$TG_BIN" cache flush --socket "$TG_PLUGIN_SOCK" >/dev/null
  pull_once >>"$TG_WORK/cold.txt"
done
warm=$(pull_once)

timestamp_gets() { grep -c "_trust/tuf/timestamp.json\".*\"trustgate/" "$TG_WORK/notary-server.log"; }
"$TG_BIN" cache flush --socket "$TG_PLUGIN_SOCK" >/dev/null
before=$(timestamp_gets)
for _ in $(seq "$burst"); do
  tg_h_curl_docker POST "/v1.41/images/create?fromImage=$R/acme/app&tag=1" \
    -H 'Content-Length: 0' >/dev/null 2>&1 &
done
wait
sets=$(( $(timestamp_gets) - before ))

echo "cold signature lookups, local Notary + registry on loopback ($(nproc) CPUs, $runs runs)"
printf "  %-44s %s ms\n" "first contact (root trusted on first use)" "$(awk '{printf "%.1f", $1}' <<<"$first")"
printf "  %-44s %s ms\n" "cold lookup (trust cache flushed)" "$(cut -d' ' -f1 "$TG_WORK/cold.txt" | stats)"
printf "  %-44s %s ms\n" "  whole docker pull round trip, for scale" \
  "$(cut -d' ' -f2 "$TG_WORK/cold.txt" | awk '{print $1 / 1000}' | stats)"
printf "  %-44s %s ms\n" "warm lookup (trust cache hit)" "$(awk '{printf "%.3f", $1}' <<<"$warm")"
printf "  %-44s %s\n" "$burst concurrent pulls, one uncached image" "$sets set(s) of Notary fetches"
echo "targets: cold lookup <= 20 ms; $burst concurrent requests -> 1 set of fetches"
