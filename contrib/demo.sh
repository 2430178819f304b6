#!/usr/bin/env bash
# trustgate demo: one command that installs what is needed, builds trustgate,
# and starts a sandboxed dockerd + local registry + trustgate on loopback, then
# shows an image from an allowed publisher pulled and run, and one from an
# untrusted publisher refused. The sandbox keeps running afterwards so you
# can try it; `bash contrib/demo.sh stop` removes it. Run as root.
#
# Nothing outside the sandbox is touched: dockerd gets its own data root,
# socket and containerd namespace; trustgate its own plugin name and socket.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state=/tmp/trustgate-demo.state

stop_demo() {
  [[ -f $state ]] || { echo "no trustgate demo is running"; return 0; }
  # shellcheck source=/dev/null
  source "$repo/tests/integration/lib.sh"
  # shellcheck source=/dev/null
  source "$state"
  TG_KEEP=0 tg_h_cleanup 0 && rm -f "$state" && echo "trustgate demo stopped and removed"
}

if [[ ${1:-} == stop ]]; then stop_demo; exit; fi
[[ $(id -u) -eq 0 ]] || { echo "run as root: bash contrib/demo.sh" >&2; exit 1; }
[[ -f $state ]] && { echo "a demo is already running; stop it first: bash contrib/demo.sh stop"; exit 1; }

echo "== installing dependencies and building trustgate"
bash "$repo/tests/deps.sh"
cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$repo/build" -j "$(nproc)" >/dev/null
export TG_BIN=$repo/build/plugin/trustgate

# shellcheck source=tests/integration/lib.sh
source "$repo/tests/integration/lib.sh"
tg_h_init >/dev/null
# A readable plugin name for the messages (the harness picks a unique test name).
TG_PLUGIN_NAME=trustgate-demo TG_PLUGIN_SOCK=/run/docker/plugins/trustgate-demo.sock
tg_h_make_busybox_tar "$TG_WORK/busybox.tar"
tg_h_start_registry
R=$TG_REGISTRY
policy=$TG_WORK/policy.json
cat >"$policy" <<JSON
{
  "comment": "trustgate demo policy: edit me while the demo runs, trustgate reloads on save",
  "verified_publishers": ["$R/acme"],
  "rules": [
    {"match": "*", "require": "publisher"}
  ],
  "operations": {"import": "allow"}
}
JSON
tg_h_start_trustgate "$policy"
tg_h_start_dockerd

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
show() { say "docker $*"; dk "$@" 2>&1 || true; }

echo "== seeding the local registry $R with two images made from busybox-static"
for name in acme/hello mallory/miner; do
  dk import "$TG_WORK/busybox.tar" "$R/$name:1" >/dev/null
  dk push "$R/$name:1" >/dev/null
  dk rmi "$R/$name:1" >/dev/null
done

printf '\n== policy %s: trusted publishers are official images and "%s/acme"\n' "$policy" "$R"
show pull "$R/acme/hello:1"
show run --rm --network none "$R/acme/hello:1" /bin/echo "hello from a trusted publisher"
show pull "$R/mallory/miner:1"
show run --rm --network none "$R/mallory/miner:1" /bin/echo "this never runs"
say "trustgate check --policy $policy $R/mallory/miner:1"
"$TG_BIN" check --policy "$policy" "$R/mallory/miner:1" || true

# Leave the sandbox running: hand its state to "demo.sh stop".
trap - EXIT INT TERM HUP
declare -p TG_WORK _TG_H_WORK TG_H_DOCKERD TG_H_CONTAINERD TG_H_TRUSTGATE TG_H_REGISTRY \
  TG_PLUGIN_NAME TG_PLUGIN_SOCK TG_DOCKER_SOCK TG_NS TG_REGISTRY TG_REGISTRY_PORT >"$state"

cat <<EOF

== the sandbox is running
  docker CLI:   /usr/bin/docker -H unix://$TG_DOCKER_SOCK images
  policy:       $policy   (edit it; trustgate applies valid changes within a second)
  audit log:    $TG_WORK/trustgate.log   (one JSON line per decision)
  registry:     $R
  stop it all:  bash $repo/contrib/demo.sh stop
EOF
