#!/usr/bin/env bash
# Docker Content Trust (Notary v1) enforced by trustgate through a real
# dockerd, a real docker-registry and a real notary-server + notary-signer:
# images signed with `DOCKER_CONTENT_TRUST=1 docker push` and with a
# delegation (`docker trust signer add` + `docker trust sign`) pull and run;
# an unsigned repository, an unsigned tag, a tag pushed again without
# signing, a wrong server CA, a pinned key that does not match, and a
# stopped Notary are each denied with their own message.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/notary.sh"

tg_h_init
tg_h_make_busybox_tar "$TG_WORK/bb.tar"
tg_h_start_registry
tg_n_make_pki
tg_n_start_notary
R=$TG_REGISTRY
policy=$TG_WORK/policy.json
state=$TG_WORK/state

# Short TTLs keep the cache's effects inside this test's timeline.
CACHE='{"tag_ttl_seconds": 2, "verdict_ttl_seconds": 2, "negative_ttl_seconds": 2}'
write_policy() { # write_policy TRUST_ROOT_JSON (uses $CACHE)
  cat >"$policy.tmp" <<JSON
{
  "rules": [
    {"match": "*", "require": "publisher"},
    {"match": "$R/acme/*", "require": "signed", "trust_roots": ["acme-notary"]}
  ],
  "trust_roots": {"acme-notary": $1},
  "operations": {"import": "allow"},
  "cache": $CACHE
}
JSON
  mv "$policy.tmp" "$policy"
}
tofu_root="{\"type\": \"notary\", \"server\": \"$TG_NOTARY_URL\", \"server_ca\": \"$TG_NOTARY_CA\", \"tofu\": true, \"timeout_ms\": 3000}"
write_policy "$tofu_root"
tg_h_start_trustgate "$policy" --state-dir "$state" --docker-socket "$TG_DOCKER_SOCK"
tg_h_start_dockerd
denied="authorization denied by plugin $TG_PLUGIN_NAME"

# --- publish: signed (repository key), signed by a delegation, unsigned tag,
# unsigned repository, and a signed tag later pushed again without signing.
seed() { # seed NAME LABEL: a distinct image (own digest) under NAME
  dk import --change "LABEL v=$2" "$TG_WORK/bb.tar" "$R/$1" >/dev/null
}
seed acme/signed:1 1 && seed acme/signed:2 2 && seed acme/signed:nosig 3 && seed acme/unsigned:1 4 &&
  seed acme/signed:3 5
tg_h_expect_ok "content-trust push of acme/signed:1" tg_n_trust_push "$R/acme/signed:1"
tg_h_expect_ok "plain push of acme/signed:2" dk push "$R/acme/signed:2"
tg_h_expect_ok "delegated signature of acme/signed:2 (targets/releases)" \
  tg_n_trust_sign_delegated "$R/acme/signed:2" alice
tg_h_expect_ok "plain push of an unsigned tag" dk push "$R/acme/signed:nosig"
tg_h_expect_ok "plain push of an unsigned repository" dk push "$R/acme/unsigned:1"
tg_h_expect_ok "content-trust push of acme/signed:3" tg_n_trust_push "$R/acme/signed:3"
signed3=$(tg_n_registry_digest "$R/acme/signed:3")
seed acme/signed:3 6
tg_h_expect_ok "acme/signed:3 pushed again without signing" dk push "$R/acme/signed:3"
tg_h_check "the registry now serves another digest for acme/signed:3" \
  test "$(tg_n_registry_digest "$R/acme/signed:3")" != "$signed3"
digest1=$(tg_n_registry_digest "$R/acme/signed:1")
nosig_digest=$(tg_n_registry_digest "$R/acme/signed:nosig")
for t in signed:1 signed:2 signed:nosig signed:3 unsigned:1; do dk rmi -f "$R/acme/$t" >/dev/null; done

# --- signed images pull and run
tg_h_expect_ok "pull of a signed tag" dk pull "$R/acme/signed:1"
tg_h_expect_ok "the same pull again" dk pull "$R/acme/signed:1"
tg_h_check "the second pull was answered from the trust cache (audit log)" \
  bash -c "grep '\"normalized\":\"$R/acme/signed:1\"' '$TG_WORK/trustgate.log' | grep -q '\"cache\":\"hit\"'"
tg_h_expect_output "run of a signed tag" "hello signed" \
  dk run --rm --network none "$R/acme/signed:1" /bin/echo "hello signed"
tg_h_expect_ok "pull of a tag signed by a delegation (targets/releases)" dk pull "$R/acme/signed:2"
tg_h_expect_ok "pull by a signed digest" dk pull "$R/acme/signed@$digest1"
tg_h_check "the audit log names the signer role" grep -q \
  "\"verdict\":\"allow\",\"reason\":\"$R/acme/signed:2 is signed: tag \\\\\"2\\\\\" is signed by targets/releases" \
  "$TG_WORK/trustgate.log"
tg_h_expect_output "trustgate cache list shows the cached signature of the signed tag" \
  "verified   $R/acme/signed notary acme-notary#" "$TG_BIN" cache list --socket "$TG_PLUGIN_SOCK"
tg_h_expect_output "trustgate cache flush IMAGE forgets that repository's answers" \
  "cached answers for $R/acme/signed" "$TG_BIN" cache flush --socket "$TG_PLUGIN_SOCK" "$R/acme/signed:1"
tg_h_expect_output "after the flush the list has none of them" "0 cached answers" \
  bash -c "'$TG_BIN' cache list --socket '$TG_PLUGIN_SOCK' | grep -v '$R/acme/unsigned' | tail -1"
# --- single flight: a burst of concurrent pulls of one uncached image makes
# one set of Notary fetches (the others wait for it, then share the answer).
CACHE='{"tag_ttl_seconds": 60, "verdict_ttl_seconds": 60, "negative_ttl_seconds": 2}'
write_policy "$tofu_root"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
sleep 1
"$TG_BIN" cache flush --socket "$TG_PLUGIN_SOCK" >/dev/null
timestamp_gets() { # trustgate's fetches of the repository's timestamp.json
  grep -c "_trust/tuf/timestamp.json\".*\"trustgate/" "$TG_WORK/notary-server.log"
}
before=$(timestamp_gets)
for _ in $(seq 100); do
  tg_h_curl_docker POST "/v1.41/images/create?fromImage=$R/acme/signed&tag=1" \
    -H 'Content-Length: 0' >/dev/null 2>&1 &
done
wait
fetches=$(( $(timestamp_gets) - before ))
tg_h_check "100 concurrent pulls of an uncached image made one set of Notary fetches ($fetches)" \
  test "$fetches" -eq 1
tg_h_check "the pulls shared one lookup (audit log: one miss, the rest shared or hit)" \
  test "$(tail -100 "$TG_WORK/trustgate.log" | grep -c '"cache":"miss"')" -eq 1
"$TG_BIN" cache flush --socket "$TG_PLUGIN_SOCK" >/dev/null # back to this test's short TTLs
CACHE='{"tag_ttl_seconds": 2, "verdict_ttl_seconds": 2, "negative_ttl_seconds": 2}'
write_policy "$tofu_root"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
sleep 1

tg_h_check "the trusted root and versions were recorded" \
  bash -c "ls '$state'/notary/acme-notary/ | grep -q signed"

# --- create judges the local image by what it was pulled as: an image
# imported under a signed tag's name cannot run (trustgate asks dockerd for
# its repo digests while dockerd waits on trustgate: no deadlock).
tg_h_expect_ok "an unsigned image imported under the signed name acme/signed:1" \
  dk import --change "LABEL v=impostor" "$TG_WORK/bb.tar" "$R/acme/signed:1"
tg_h_expect_fail "it cannot run: the local image was not pulled as a signed image" \
  "the local image $R/acme/signed:1 (sha256:" dk run --rm --network none "$R/acme/signed:1" /bin/true
tg_h_expect_fail "and the message says how to fix it" "Pull the trusted image with \`docker pull $R/acme/signed:1\`" \
  dk run --rm --network none "$R/acme/signed:1" /bin/true
tg_h_expect_ok "pulling the signed image again" dk pull "$R/acme/signed:1"
tg_h_expect_output "makes it run again" "signed again" \
  dk run --rm --network none "$R/acme/signed:1" /bin/echo "signed again"
tg_h_check "the audit log shows the repo digest that made it trusted" \
  grep -q "the local image $R/acme/signed:1 (sha256:[0-9a-f]*\.\.\.) was pulled as $R/acme/signed@$digest1" "$TG_WORK/trustgate.log"

# --- saturation: every create below needs a lookup that asks dockerd, whose
# own call comes back to trustgate. With 2 lookup threads and 30 creates at
# once, all must finish (the callbacks are answered on trustgate's I/O
# threads, never queued behind the lookups waiting for them).
tg_h_stop_trustgate
tg_h_start_trustgate "$policy" --state-dir "$state" --docker-socket "$TG_DOCKER_SOCK" --lookup-threads 2
saturate() {
  local i pids=() failed=0
  for i in $(seq 30); do
    dk create --network none --name "sat$i" "$R/acme/signed:1" /bin/true >"$TG_WORK/sat$i.out" 2>&1 &
    pids+=($!)
  done
  dk ps >/dev/null || failed=1 # answered meanwhile
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed=1; done
  return $failed
}
tg_h_check "30 concurrent creates that each ask dockerd all succeed with 2 lookup threads" \
  saturate
tg_h_check "all 30 containers exist" \
  test "$(dk ps -a --filter name=sat --format '{{.Names}}' | wc -l)" -eq 30
dk rm $(dk ps -aq --filter name=sat) >/dev/null 2>&1
tg_h_stop_trustgate
tg_h_start_trustgate "$policy" --state-dir "$state" --docker-socket "$TG_DOCKER_SOCK"
tg_h_expect_ok "after the restart (the 2 s TTLs had passed) a pull verifies afresh" \
  dk pull "$R/acme/signed:1"
tg_h_expect_ok "and so does a run (the repo digest's verdict)" \
  dk run --rm --network none "$R/acme/signed:1" /bin/true

# --- each way of not being signed gets its own message
tg_h_expect_fail "an unsigned tag in a signed repository is denied" \
  "$denied: pull of image $R/acme/signed:nosig is not allowed: tag \"nosig\" is not signed in the trust data of $R/acme/signed" \
  dk pull "$R/acme/signed:nosig"
tg_h_expect_fail "an unsigned repository is denied" \
  "$R/acme/unsigned has no trust data on the Notary server (it was never signed)" \
  dk pull "$R/acme/unsigned:1"
tg_h_expect_fail "a tag pushed again without signing is denied" \
  "serves $(tg_n_registry_digest "$R/acme/signed:3") for tag \"3\", but the signed digest is $signed3" \
  dk pull "$R/acme/signed:3"
tg_h_expect_fail "run of an unsigned tag is denied at create" \
  "container create of image $R/acme/signed:nosig is not allowed" \
  dk run --rm --network none "$R/acme/signed:nosig" /bin/true
tg_h_expect_fail "a pull by a digest that is not signed is denied" \
  "digest $nosig_digest is not signed in the trust data of $R/acme/signed" \
  dk pull "$R/acme/signed@$nosig_digest"

# --- trustgate check shows the signed digest and the signer role
tg_h_expect_output "trustgate check shows the signed digest and signer role" \
  "signer role targets/releases" "$TG_BIN" check --policy "$policy" --state-dir "$state" "$R/acme/signed:2"

# --- the wrong CA for the Notary server's TLS certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other-ca \
  -keyout "$TG_WORK/other-ca.key" -out "$TG_WORK/other-ca.crt" 2>/dev/null
write_policy "{\"type\": \"notary\", \"server\": \"$TG_NOTARY_URL\", \"server_ca\": \"$TG_WORK/other-ca.crt\", \"tofu\": true}"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
sleep 1
tg_h_expect_fail "a Notary server whose certificate the configured CA did not sign is denied" \
  "is not trusted" dk pull "$R/acme/signed:1"

# --- a pinned root key that is not the repository's
openssl ecparam -name prime256v1 -genkey -noout -out "$TG_WORK/other.key" 2>/dev/null
openssl ec -in "$TG_WORK/other.key" -pubout -out "$TG_WORK/other.pub" 2>/dev/null
write_policy "{\"type\": \"notary\", \"server\": \"$TG_NOTARY_URL\", \"server_ca\": \"$TG_NOTARY_CA\", \"root_keys\": [\"$TG_WORK/other.pub\"]}"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
rm -rf "$state"
sleep 1
tg_h_expect_fail "a repository whose root is not signed by the pinned key is denied" \
  "is not signed by a key pinned in trust root \"acme-notary\"" dk pull "$R/acme/signed:1"

# --- a Notary that accepts connections and never answers: the lookup ends
# at the trust root's timeout, and other requests are served meanwhile.
tg_h_free_port hang_port
timeout 60 socat "TCP-LISTEN:$hang_port,bind=127.0.0.1,reuseaddr,fork" SYSTEM:'sleep 30' &
hanger=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$hang_port") 2>/dev/null && break; sleep 0.05; done
write_policy "{\"type\": \"notary\", \"server\": \"https://127.0.0.1:$hang_port\", \"tofu\": true, \"timeout_ms\": 1500}"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
sleep 1
start=$(date +%s%N)
dk pull "$R/acme/signed:1" >"$TG_WORK/hang-pull.out" 2>&1 &
puller=$!
sleep 0.3
ps_start=$(date +%s%N)
dk ps >/dev/null 2>&1
ps_ms=$(( ($(date +%s%N) - ps_start) / 1000000 ))
wait "$puller"
pull_ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill "$hanger" 2>/dev/null; wait "$hanger" 2>/dev/null
echo "# hanging Notary: pull denied after ${pull_ms} ms; docker ps meanwhile took ${ps_ms} ms"
tg_h_expect_output "a hanging Notary is cut off at the trust root's timeout" "timed out after" \
  cat "$TG_WORK/hang-pull.out"
tg_h_check "the denied pull returned within the timeout plus slack (${pull_ms} ms)" test "$pull_ms" -lt 6000
tg_h_check "docker ps was not held up by the pending lookup (${ps_ms} ms)" test "$ps_ms" -lt 1500

# --- Notary down. By default trustgate fails closed, even for an image it
# has verified before (once the cached answer's TTL is over).
write_policy "$tofu_root"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
sleep 3 # past the 2 s TTLs
tg_n_stop_notary_server
tg_h_expect_fail "with Notary stopped a signed image is denied (fail closed)" "cannot connect" \
  dk pull "$R/acme/signed:1"
tg_h_expect_fail "and running the local signed image is denied, saying why" \
  "the local image $R/acme/signed:1 (sha256:" dk run --rm --network none "$R/acme/signed:1" /bin/true
tg_h_expect_fail "the reason is the unreachable Notary, not the image" \
  "which this host does not trust: its signature could not be verified: cannot connect" \
  dk run --rm --network none "$R/acme/signed:1" /bin/true
tg_h_expect_ok "docker ps still works with Notary down" dk ps

# Stale-if-error: a positive verdict no older than the window may be used,
# and the audit log says so.
CACHE='{"tag_ttl_seconds": 2, "verdict_ttl_seconds": 2, "stale_if_error_seconds": 3600}'
write_policy "$tofu_root"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
sleep 1
tg_h_expect_ok "with stale-if-error, the signed image verified earlier still pulls" \
  dk pull "$R/acme/signed:1"
tg_h_check "and the audit log marks the verdict as stale" \
  bash -c "grep '\"normalized\":\"$R/acme/signed:1\"' '$TG_WORK/trustgate.log' | tail -1 | grep -q '\"cache\":\"stale\"'"

# The cache survives a restart of trustgate (Notary still down).
tg_h_restart_trustgate
tg_h_check "the trust cache was saved and loaded (after the socket listens)" tg_h_wait_until 10 \
  grep -q "trust cache: [1-9][0-9]* answers loaded" "$TG_WORK/trustgate.log"
tg_h_expect_output "after a restart with Notary down, the cached signed image still runs" \
  "still trusted" dk run --rm --network none "$R/acme/signed:1" /bin/echo "still trusted"
tg_h_expect_fail "an image never verified before is denied" "cannot connect" \
  dk pull "$R/acme/signed@$signed3"

# Past the window: denied again.
CACHE='{"tag_ttl_seconds": 2, "verdict_ttl_seconds": 2, "stale_if_error_seconds": 1}'
write_policy "$tofu_root"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
sleep 2
tg_h_expect_fail "past the stale-if-error window the signed image is denied" "cannot connect" \
  dk pull "$R/acme/signed:1"
tg_h_expect_ok "dockerd still answers" dk version

tg_h_summary
