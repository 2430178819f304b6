#!/usr/bin/env bash
# trustgate core through a real dockerd, a real registry and the docker CLI:
# publisher allowlists decide pulls and runs, deny messages reach the user,
# bodies dockerd drops or reads differently are denied, the daemon keeps
# serving, policy edits apply without restarts, and a trustgate restart is
# survived.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

tg_h_init
tg_h_make_busybox_tar "$TG_WORK/bb.tar"
tg_h_start_registry
R=$TG_REGISTRY
policy=$TG_WORK/policy.json
# A Notary that is not there: a free loopback port nothing listens on.
tg_h_free_port no_notary_port

write_policy() { # write_policy EXTRA_RULES_JSON
  cat >"$policy.tmp" <<JSON
{
  "verified_publishers": ["$R/vendor"],
  "rules": [
    {"match": "*", "require": "publisher"},
    {"match": "$R/trusted/*", "require": "allow"},
    {"match": "$R/signed/*", "require": "signed", "trust_roots": ["acme-notary"]}
    $1
  ],
  "operations": {"import": "allow"},
  "trust_roots": {"acme-notary": {"type": "notary", "server": "https://127.0.0.1:$no_notary_port",
                                  "tofu": true, "timeout_ms": 1000}}
}
JSON
  mv "$policy.tmp" "$policy" # atomic, as config managers do
}
write_policy ""
tg_h_start_trustgate "$policy"
tg_h_start_dockerd
denied="authorization denied by plugin $TG_PLUGIN_NAME"
D="/usr/bin/docker -H unix://$TG_DOCKER_SOCK" # for pipelines inside bash -c

# Seed the registry: images enter by import (allowed by this policy) and push.
for name in trusted/bb vendor/bb evil/bb signed/bb; do
  tg_h_expect_ok "import $name" dk import "$TG_WORK/bb.tar" "$R/$name:1"
  tg_h_expect_ok "push $name" dk push "$R/$name:1"
  tg_h_expect_ok "rmi $name" dk rmi "$R/$name:1"
done

# --- pulls by publisher
tg_h_expect_ok "pull of an allowed repository" dk pull "$R/trusted/bb:1"
tg_h_expect_ok "pull from a verified publisher" dk pull "$R/vendor/bb:1"
tg_h_expect_fail "pull of an untrusted publisher is denied with trustgate's message" \
  "$denied: pull of image $R/evil/bb:1 is not allowed: no rule trusts publisher \"$R/evil\". To allow it, add \"$R/evil\" to \"verified_publishers\" in $policy" \
  dk pull "$R/evil/bb:1"
tg_h_expect_fail "pull of a repository that needs a signature, with its Notary unreachable, is denied" \
  "its signature could not be verified: cannot connect to 127.0.0.1:$no_notary_port" \
  dk pull "$R/signed/bb:1"
tg_h_expect_fail "pull of all tags of an untrusted repository is denied" \
  "pull of image $R/evil/bb (all tags) is not allowed" dk pull --all-tags "$R/evil/bb"
tg_h_check "the denied image was not pulled" bash -c "! $D images | grep -q '$R/evil/bb'"

# --- runs
tg_h_expect_output "run of an allowed image works" "hello from trustgate" \
  dk run --rm --network none "$R/trusted/bb:1" /bin/echo "hello from trustgate"
tg_h_expect_fail "run of an untrusted image is denied at create" \
  "$denied: container create of image $R/evil/bb:1 is not allowed: no rule trusts publisher" \
  dk run --rm --network none "$R/evil/bb:1" /bin/true
tg_h_expect_ok "import of the untrusted image (allowed by this policy)" \
  dk import "$TG_WORK/bb.tar" "$R/evil/bb:1"
tg_h_expect_fail "an untrusted image already on the host cannot run" \
  "container create of image $R/evil/bb:1 is not allowed" \
  dk run --rm --network none "$R/evil/bb:1" /bin/true
tg_h_expect_fail "retagging an untrusted image under a trusted name is denied" \
  "docker tag of image $R/evil/bb:1 is not allowed" dk tag "$R/evil/bb:1" "$R/trusted/bb:evil"
tg_h_expect_fail "run by image ID of an imported image is denied (nothing vouches for it)" \
  "was not pulled from a registry" \
  dk run --rm --network none "$(dk images -q --no-trunc "$R/evil/bb:1")" /bin/true
tg_h_expect_output "run by image ID of a pulled trusted image works" "by id" \
  dk run --rm --network none "$(dk images -q --no-trunc "$R/trusted/bb:1")" /bin/echo "by id"

# --- entry points without a checkable name follow "operations"
tg_h_expect_fail "docker build is denied by default" \
  "docker build is not allowed on this host" \
  bash -c "printf 'FROM $R/trusted/bb:1\n' | $D build --network none -t local/built -"
tg_h_expect_fail "docker load is denied by default" "docker load is not allowed on this host" \
  bash -c "$D save $R/trusted/bb:1 | $D load"
tg_h_expect_ok "a container of the trusted image" \
  dk create --name tg-keep --network none "$R/trusted/bb:1" /bin/true
tg_h_expect_fail "docker commit is denied by default" "docker commit is not allowed on this host" \
  dk commit tg-keep local/committed:1

# --- the daemon keeps serving
tg_h_expect_ok "docker ps works" dk ps -a
tg_h_expect_ok "docker images works" dk images
tg_h_expect_ok "docker info works" dk info
tg_h_expect_ok "docker rm works" dk rm tg-keep

# --- raw API: requests dockerd and a naive plugin could read differently
count_evil() { dk ps -a --format '{{.Image}}' | grep -c "evil" || true; }
before=$(count_evil)
big=$TG_WORK/big.json
{ printf '{"Image":"%s","Cmd":["/bin/true"],"Labels":{"pad":"' "$R/trusted/bb:1"
  head -c 1100000 /dev/zero | tr '\0' 'a'; printf '"}}'; } >"$big"
tg_h_expect_output "a create whose body dockerd drops (over 1 MiB) is denied" \
  "without its body" tg_h_curl_docker POST /v1.41/containers/create \
  -H 'Content-Type: application/json' --data-binary "@$big"
tg_h_expect_output "a create naming the image with a lower-case key is decoded as dockerd does" \
  "container create of image $R/evil/bb:1 is not allowed" tg_h_curl_docker POST \
  /v1.41/containers/create -H 'Content-Type: application/json' \
  -d "{\"image\":\"$R/evil/bb:1\",\"Cmd\":[\"/bin/true\"]}"
tg_h_expect_output "a create with the image key twice (case-folded) is denied" \
  "sets \\\"Image\\\" more than once" tg_h_curl_docker POST /v1.41/containers/create \
  -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$R/trusted/bb:1\",\"IMAGE\":\"$R/evil/bb:1\",\"Cmd\":[\"/bin/true\"]}"
tg_h_expect_output "a percent-encoded create path is decoded" "$R/evil/bb:1 is not allowed" \
  tg_h_curl_docker POST /v1.41/containers%2Fcreate -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$R/evil/bb:1\"}"
tg_h_expect_output "a create without version prefix is decoded" "$R/evil/bb:1 is not allowed" \
  tg_h_curl_docker POST /containers/create -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$R/evil/bb:1\"}"
tg_h_expect_output "an absolute-form request URI is decoded" "$R/evil/bb:1 is not allowed" \
  tg_h_curl_docker POST /v1.41/containers/create --request-target \
  "http://docker/v1.41/containers/create" -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$R/evil/bb:1\"}"
tg_h_expect_output "a pull whose form body could override the query is denied" \
  "trustgate cannot see" tg_h_curl_docker POST "/v1.41/images/create?fromImage=$R/trusted/bb&tag=1" \
  -d "fromImage=$R/evil/bb"
tg_h_expect_output "a pull with a repeated fromImage is read as dockerd reads it (first wins)" \
  "$R/evil/bb:1 is not allowed" tg_h_curl_docker POST \
  "/v1.41/images/create?fromImage=$R/evil/bb&fromImage=$R/trusted/bb&tag=1" -H 'Content-Length: 0'
tg_h_expect_output "disabling trustgate through the API is denied" \
  "is not allowed: it would switch off or change the image trust gate" \
  tg_h_curl_docker POST "/v1.41/plugins/$TG_PLUGIN_NAME/disable" -H 'Content-Length: 0'
tg_h_check "no container was created from the untrusted image" test "$(count_evil)" = "$before"
tg_h_check "the audit log records the denied pull" \
  grep -q "\"op\":\"pull\".*\"normalized\":\"$R/evil/bb:1\".*\"verdict\":\"deny\"" "$TG_WORK/trustgate.log"

# --- policy edits apply without a restart; a broken edit keeps the last good policy
write_policy ", {\"match\": \"$R/evil/*\", \"require\": \"allow\"}"
tg_h_expect_ok "after allowing the publisher in the policy file, its pull works" \
  tg_h_wait_until 5 dk pull "$R/evil/bb:1"
printf '{"rules": [{"match": "*", "require": "alow"}]}' >"$policy"
tg_h_check "a broken policy is reported with line and column" \
  tg_h_wait_until 5 grep -q "policy not reloaded, keeping the last good policy: $policy:1:38: \"require\" must be one of" "$TG_WORK/trustgate.log"
tg_h_expect_ok "the last good policy stays in force" dk pull "$R/evil/bb:1"
write_policy ""
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_expect_fail "after SIGHUP the restored policy denies again" "no rule trusts publisher" \
  dk pull "$R/evil/bb:1"

# --- trustgate restarts while dockerd runs
tg_h_stop_trustgate
dk ps >"$TG_WORK/ps-during-restart.out" 2>&1 &
ps_pid=$!
sleep 1
tg_h_start_trustgate "$policy"
wait "$ps_pid"
ps_status=$?
tg_h_check "a docker command issued while trustgate was down completes after it returns" \
  test "$ps_status" -eq 0
tg_h_expect_ok "allowed pulls work after the restart" dk pull "$R/trusted/bb:1"
tg_h_expect_fail "denies work after the restart" "$denied: pull of image $R/evil/bb:1" \
  dk pull "$R/evil/bb:1"
tg_h_expect_ok "dockerd still answers" dk version

# --- dockerd's own retry: a plugin call dropped after the request was sent
# is sent again with an EMPTY body (moby#39331). A stand-in socket reads the
# first attempt and drops it; trustgate then takes the retry, which must be
# denied even though the image is trusted (a plugin that allowed it let
# unsigned containers run).
before=$(dk ps -a -q | wc -l)
tg_h_stop_trustgate
rm -f "$TG_PLUGIN_SOCK"
timeout 2 socat -u "UNIX-LISTEN:$TG_PLUGIN_SOCK,unlink-early,unlink-close" OPEN:/dev/null &
dropper=$!
for _ in $(seq 50); do [[ -S $TG_PLUGIN_SOCK ]] && break; sleep 0.05; done
tg_h_curl_docker POST /v1.41/containers/create -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$R/trusted/bb:1\",\"Cmd\":[\"/bin/true\"]}" >"$TG_WORK/retry.out" 2>&1 &
creator=$!
wait "$dropper"
tg_h_start_trustgate "$policy"
wait "$creator"
tg_h_expect_output "dockerd's empty-body retry of a create is denied" \
  "the plugin request is empty" cat "$TG_WORK/retry.out"
tg_h_check "no container was created by the retried request" test "$(dk ps -a -q | wc -l)" = "$before"
tg_h_check "the retry reached trustgate (audit log)" \
  grep -q '"verdict":"deny","reason":"the request is not allowed: the plugin request is empty' "$TG_WORK/trustgate.log"

# --- audit mode: nothing is blocked, what would be is logged
cat >"$policy.tmp" <<JSON
{"mode": "audit", "rules": [{"match": "*", "require": "publisher"}]}
JSON
mv "$policy.tmp" "$policy"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_expect_ok "in audit mode an untrusted pull goes through" tg_h_wait_until 5 dk pull "$R/evil/bb:1"
tg_h_check "and the audit log says enforce would have denied it" \
  grep -q "\"normalized\":\"$R/evil/bb:1\".*\"verdict\":\"audit-deny\"" "$TG_WORK/trustgate.log"
tg_h_expect_ok "dockerd still answers at the end" dk version

tg_h_summary
