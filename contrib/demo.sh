#!/usr/bin/env bash
# trustgate demo: one command that installs what is needed, builds trustgate,
# and starts a sandboxed dockerd + local registry + Notary server and signer +
# trustgate on loopback, then shows a signed image pulled and run, an unsigned
# one refused, an image from an untrusted publisher refused, and the signed
# image refused when run --privileged. The sandbox keeps running afterwards so you
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
  source "$repo/tests/integration/notary.sh"
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
# shellcheck source=tests/integration/notary.sh
source "$repo/tests/integration/notary.sh"
tg_h_init >/dev/null
# A readable plugin name for the messages (the harness picks a unique test name).
TG_PLUGIN_NAME=trustgate-demo TG_PLUGIN_SOCK=/run/docker/plugins/trustgate-demo.sock
tg_h_make_busybox_tar "$TG_WORK/busybox.tar"
tg_h_start_registry
tg_n_make_pki >/dev/null
tg_n_start_notary >/dev/null
R=$TG_REGISTRY
policy=$TG_WORK/policy.json
cat >"$policy" <<JSON
{
  "comment": "trustgate demo policy: edit me while the demo runs, trustgate reloads on save",
  "rules": [
    {"match": "*", "require": "publisher"},
    {"match": "$R/acme/*", "require": "signed", "trust_roots": ["acme-notary"]}
  ],
  "trust_roots": {
    "acme-notary": {"type": "notary", "server": "$TG_NOTARY_URL", "server_ca": "$TG_NOTARY_CA",
                    "tofu": true}
  },
  "operations": {"import": "allow"}
}
JSON
tg_h_start_trustgate "$policy" --state-dir "$TG_WORK/state" --docker-socket "$TG_DOCKER_SOCK"
tg_h_start_dockerd

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
show() { say "docker $*"; dk "$@" 2>&1 || true; }

echo "== publishing three images made from busybox-static to the local registry $R:"
echo "   $R/acme/hello:1 signed with Docker Content Trust (DOCKER_CONTENT_TRUST=1 docker push),"
echo "   $R/acme/hello:unsigned pushed without a signature, $R/mallory/miner:1 from another publisher"
dk import --change "LABEL demo=signed" "$TG_WORK/busybox.tar" "$R/acme/hello:1" >/dev/null
tg_n_trust_push "$R/acme/hello:1" >/dev/null
dk import --change "LABEL demo=unsigned" "$TG_WORK/busybox.tar" "$R/acme/hello:unsigned" >/dev/null
dk push "$R/acme/hello:unsigned" >/dev/null
dk import "$TG_WORK/busybox.tar" "$R/mallory/miner:1" >/dev/null
dk push "$R/mallory/miner:1" >/dev/null
for name in acme/hello:1 acme/hello:unsigned mallory/miner:1; do dk rmi "$R/$name" >/dev/null; done

printf '\n== policy %s:\n   %s/acme/* must be signed (Notary at %s); anything else needs a trusted publisher\n' \
  "$policy" "$R" "$TG_NOTARY_URL"
show pull "$R/acme/hello:1"
show run --rm --network none "$R/acme/hello:1" /bin/echo "hello from a signed image"
show pull "$R/acme/hello:unsigned"
show run --rm --network none "$R/mallory/miner:1" /bin/echo "this never runs"
# a trusted image, run the unsafe way: refused by the container rules
show run --rm --network none --privileged -v /etc:/host-etc "$R/acme/hello:1" /bin/echo "this never runs"
say "trustgate check --policy $policy $R/acme/hello:1"
"$TG_BIN" check --policy "$policy" --state-dir "$TG_WORK/state" "$R/acme/hello:1" || true

# Leave the sandbox running: hand its state to "demo.sh stop".
trap - EXIT INT TERM HUP
declare -p TG_WORK _TG_H_WORK TG_H_DOCKERD TG_H_CONTAINERD TG_H_TRUSTGATE TG_H_REGISTRY \
  TG_PLUGIN_NAME TG_PLUGIN_SOCK TG_DOCKER_SOCK TG_NS TG_REGISTRY TG_REGISTRY_PORT \
  TG_N_SIGNER TG_N_SERVER >"$state"

cat <<EOF

== the sandbox is running
  docker CLI:   /usr/bin/docker -H unix://$TG_DOCKER_SOCK images
  policy:       $policy   (edit it; trustgate applies valid changes within a second)
  audit log:    $TG_WORK/trustgate.log   (one JSON line per decision)
  registry:     $R
  Notary:       $TG_NOTARY_URL (CA $TG_NOTARY_CA)
  sign more:    DOCKER_CONFIG=$DOCKER_CONFIG DOCKER_CONTENT_TRUST=1 DOCKER_CONTENT_TRUST_SERVER=$TG_NOTARY_URL \\
                  /usr/bin/docker -H unix://$TG_DOCKER_SOCK push IMAGE
                (passphrases: tgtest-root-passphrase, tgtest-repository-passphrase)
  stop it all:  bash $repo/contrib/demo.sh stop
EOF
