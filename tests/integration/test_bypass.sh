#!/usr/bin/env bash
# The bypass suite: every way an untrusted image could reach a running
# container, tried through a real dockerd with trustgate (docker CLI and raw
# HTTP on the daemon socket). Each must end with no container created or
# started from untrusted content, and dockerd still serving. The entry
# points themselves (import, load, build, commit) are allowed here, so that
# the gate at create and start is what is tested.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

tg_h_init
tg_h_make_busybox_tar "$TG_WORK/bb.tar"
# Untrusted content differs from the trusted image by one file (same layers
# would make it the same content, and a trusted base).
cp "$TG_WORK/bb.tar" "$TG_WORK/evil.tar"
echo "not from the publisher" >"$TG_WORK/EVIL"
tar -rf "$TG_WORK/evil.tar" -C "$TG_WORK" EVIL
tg_h_start_registry
R=$TG_REGISTRY
policy=$TG_WORK/policy.json
write_policy() { # write_policy DEV_LOCAL_IMAGES [EXEC]
  cat >"$policy.tmp" <<JSON
{
  "verified_publishers": ["$R/vendor"],
  "rules": [
    {"match": "*", "require": "publisher"},
    {"match": "$R/trusted/*", "require": "allow"},
    {"match": "$R/built/*", "require": "publisher", "local_images": "trusted_base"},
    {"match": "$R/dev/*", "require": "publisher", "local_images": "$1"},
    {"match": "$R/forbidden/*", "require": "deny", "reason": "a protected namespace"}
  ],
  "operations": {"import": "allow", "load": "allow", "build": "allow", "commit": "allow",
                 "exec": "${2:-allow}"}
}
JSON
  mv "$policy.tmp" "$policy"
}
write_policy allow
tg_h_start_trustgate "$policy"
tg_h_start_dockerd
D="/usr/bin/docker -H unix://$TG_DOCKER_SOCK"
denied="authorization denied by plugin $TG_PLUGIN_NAME"
id_of() { dk image inspect --format '{{.Id}}' "$1"; }

# The trusted image: pushed to the registry, then pulled (so dockerd records
# its repo digest). Untrusted content only ever arrives by import or load.
tg_h_expect_ok "seed: import and push the trusted image" \
  bash -c "$D import --change 'LABEL v=trusted' '$TG_WORK/bb.tar' $R/trusted/bb:1 >/dev/null &&
           $D push $R/trusted/bb:1 >/dev/null && $D rmi $R/trusted/bb:1 >/dev/null"
tg_h_expect_ok "pull of the trusted image" dk pull "$R/trusted/bb:1"
trusted_id=$(id_of "$R/trusted/bb:1")
tg_h_expect_output "it runs" "trusted content" \
  dk run --rm --network none "$R/trusted/bb:1" /bin/echo "trusted content"
count_containers() { dk ps -aq | wc -l; }

# --- an untrusted image under a trusted name
tg_h_expect_ok "import of untrusted content under the trusted name $R/trusted/bb:evil" \
  dk import --change "LABEL v=evil" "$TG_WORK/evil.tar" "$R/trusted/bb:evil"
before=$(count_containers)
tg_h_expect_fail "it cannot run: nothing vouches for it" \
  "$denied: container create of image $R/trusted/bb:evil is not allowed: the local image $R/trusted/bb:evil (sha256:" \
  dk run --rm --network none "$R/trusted/bb:evil" /bin/true
tg_h_expect_fail "the message says why and how to fix it" \
  "was not pulled from a registry (it was built, committed, loaded, imported or tagged on this host)" \
  dk run --rm --network none "$R/trusted/bb:evil" /bin/true
tg_h_expect_fail "nor by its image ID" "was not pulled from a registry" \
  dk run --rm --network none "$(id_of "$R/trusted/bb:evil")" /bin/true
tg_h_expect_output "while the trusted image runs by its image ID" "by id" \
  dk run --rm --network none "$trusted_id" /bin/echo "by id"
tg_h_expect_ok "import of untrusted content as evil/x:1" dk import "$TG_WORK/evil.tar" evil/x:1
tg_h_expect_fail "docker tag of it to a trusted name is denied" \
  "docker tag of image docker.io/evil/x:1 is not allowed: no rule trusts publisher" \
  dk tag evil/x:1 "$R/trusted/bb:tagged"
tg_h_expect_fail "and so is a tag by its image ID" "was not pulled from a registry" \
  dk tag "$(id_of evil/x:1)" "$R/trusted/bb:tagged"
tg_h_expect_fail "even a trusted image cannot be tagged into a protected namespace" \
  "$denied: docker tag to $R/forbidden/x:1 is not allowed: rule \"$R/forbidden/*\" denies that name (a protected namespace)" \
  dk tag "$R/trusted/bb:1" "$R/forbidden/x:1"
tg_h_check "no container was created" test "$(count_containers)" = "$before"

# --- docker load of untrusted content under a trusted name
tg_h_expect_ok "docker save of the untrusted image" \
  bash -c "$D save -o '$TG_WORK/saved.tar' $R/trusted/bb:evil && $D rmi $R/trusted/bb:evil >/dev/null"
tg_h_expect_ok "docker load of it (allowed by this policy)" dk load -i "$TG_WORK/saved.tar"
tg_h_expect_fail "the loaded image cannot run" \
  "$R/trusted/bb:evil is not allowed: the local image $R/trusted/bb:evil" \
  dk run --rm --network none "$R/trusted/bb:evil" /bin/true
tg_h_check "no container was created" test "$(count_containers)" = "$before"

# --- a tag moved between create and start: the container keeps its image
tg_h_expect_ok "create from the trusted tag" \
  dk create --name moved --network none "$R/trusted/bb:1" /bin/echo "still the trusted image"
tg_h_expect_ok "the tag is moved to untrusted content (import under the same name)" \
  dk import --change "LABEL v=moved" "$TG_WORK/evil.tar" "$R/trusted/bb:1"
tg_h_expect_output "the start runs what was created: the trusted image" "still the trusted image" \
  dk start -a moved
tg_h_check "the container's image is the trusted image's ID" \
  test "$(dk inspect --format '{{.Image}}' moved)" = "$trusted_id"
tg_h_expect_fail "a new run of the moved tag is denied" "was not pulled from a registry" \
  dk run --rm --network none "$R/trusted/bb:1" /bin/true
tg_h_expect_ok "pull of the trusted tag restores it" dk pull "$R/trusted/bb:1"

# --- a start is decided again on the container's image ID
tg_h_expect_ok "import of a development image" dk import "$TG_WORK/evil.tar" "$R/dev/tool:1"
tg_h_expect_ok "its rule lets local images run (\"local_images\": \"allow\")" \
  dk create --name devc --network none "$R/dev/tool:1" /bin/echo "dev ran"
write_policy deny
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_check "the policy without it is loaded" tg_h_wait_until 5 \
  bash -c "$D run --rm --network none $R/dev/tool:1 /bin/true 2>&1 | grep -q 'not allowed'"
tg_h_expect_fail "the container made before cannot start now" \
  "$denied: container start of devc ($(dk inspect --format '{{.Id}}' devc | cut -c1-12)) is not allowed: the local image $R/dev/tool:1 (sha256:" \
  dk start -a devc
tg_h_expect_fail "nor can docker restart start it" "$denied: container start of devc (" \
  dk restart devc
tg_h_check "it did not run" test "$(dk inspect --format '{{.State.StartedAt}}' devc | cut -c1-4)" = "0001"

# --- built images: allowed only on a trusted base ("local_images": "trusted_base")
build() { # build TAG FROM
  printf 'FROM %s\nLABEL built=%s\n' "$2" "$1" |
    DOCKER_BUILDKIT=0 $D build --network none -q -t "$1" - >/dev/null
}
tg_h_expect_ok "build FROM the trusted image" build "$R/built/app:good" "$R/trusted/bb:1"
tg_h_expect_output "it runs: built on a trusted base" "built on trust" \
  dk run --rm --network none "$R/built/app:good" /bin/echo "built on trust"
tg_h_check "the audit log names the base that made it trusted" \
  grep -q "is built on the trusted image $R/trusted/bb@sha256:" "$TG_WORK/trustgate.log"
tg_h_expect_output "trustgate check --local explains which base made it trusted" \
  "reason:     the local image $R/built/app:good (sha256:" \
  "$TG_BIN" check --local --docker-socket "$TG_DOCKER_SOCK" --policy "$policy" "$R/built/app:good"
tg_h_expect_output "naming the base image" "is built on the trusted image $R/trusted/bb@sha256:" \
  "$TG_BIN" check --local --docker-socket "$TG_DOCKER_SOCK" --policy "$policy" "$R/built/app:good"
tg_h_expect_ok "build FROM the untrusted image" build "$R/built/app:evil" "$R/trusted/bb:evil"
tg_h_expect_fail "it cannot run: its base is not trusted" \
  "do not start with those of any image this host trusts" \
  dk run --rm --network none "$R/built/app:evil" /bin/true
tg_h_expect_ok "build FROM the trusted image under a name without local images" \
  build "$R/trusted/bb:rebuilt" "$R/trusted/bb:1"
tg_h_expect_fail "it cannot run" "was not pulled from a registry" \
  dk run --rm --network none "$R/trusted/bb:rebuilt" /bin/true

# --- commit of a container
tg_h_expect_ok "a container of the trusted image" dk create --name base --network none "$R/trusted/bb:1" /bin/true
tg_h_expect_ok "commit under a name whose rule takes local images on a trusted base" \
  dk commit base "$R/built/committed:1"
tg_h_expect_output "it runs: its layers start with the trusted image's" "committed ok" \
  dk run --rm --network none "$R/built/committed:1" /bin/echo "committed ok"
tg_h_expect_ok "commit under the trusted repository's name" dk commit base "$R/trusted/bb:committed"
tg_h_expect_fail "that one cannot run" "was not pulled from a registry" \
  dk run --rm --network none "$R/trusted/bb:committed" /bin/true
tg_h_expect_ok "commit of the container of untrusted (imported) content" \
  dk commit devc "$R/built/committed:2"
tg_h_expect_fail "it cannot run: its base is not trusted" \
  "do not start with those of any image this host trusts" \
  dk run --rm --network none "$R/built/committed:2" /bin/true

# --- exec: by default allowed in a container that was allowed to start;
# with "exec": "check_image", decided again on the container's image
write_policy allow
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_check "the policy letting local dev images run is back" tg_h_wait_until 5 \
  dk run --rm --network none "$R/dev/tool:1" /bin/true
tg_h_expect_ok "a running container of the dev image" \
  dk run -d --name devrun --network none "$R/dev/tool:1" /bin/sleep 300
tg_h_expect_ok "a running container of the trusted image" \
  dk run -d --name trustedrun --network none "$R/trusted/bb:1" /bin/sleep 300
write_policy deny check_image
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_check "the policy with \"exec\": \"check_image\" is loaded" tg_h_wait_until 5 \
  bash -c "$D exec devrun /bin/true 2>&1 | grep -q 'not allowed'"
tg_h_expect_fail "an exec in the dev container is denied now, on its image" \
  "$denied: exec in container devrun (" dk exec devrun /bin/true
tg_h_expect_output "while an exec in the trusted container works" "exec ok" \
  dk exec trustedrun /bin/echo "exec ok"
dk rm -f devrun trustedrun >/dev/null 2>&1

# --- saturation: one lookup thread, 40 concurrent runs. Every create and
# start asks dockerd, whose call comes back through trustgate: those
# callbacks are answered on the I/O threads, so all runs finish.
tg_h_stop_trustgate
tg_h_start_trustgate "$policy" --lookup-threads 1
saturate() {
  local i pids=() failed=0
  for i in $(seq 40); do
    dk run --rm --network none "$R/trusted/bb:1" /bin/true >"$TG_WORK/sat$i.out" 2>&1 &
    pids+=($!)
  done
  dk ps >/dev/null || failed=1
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed=1; done
  return $failed
}
tg_h_check "40 concurrent runs (create + start, each asking dockerd) finish with 1 lookup thread" \
  saturate
tg_h_stop_trustgate
tg_h_start_trustgate "$policy"

# --- raw API: requests a naive plugin reads differently from dockerd
before=$(count_containers)
untrusted="$R/trusted/bb:evil"
tg_h_expect_output "a create with a Unicode-folded key (HoſtConfig, U+017F) still has its image judged" \
  "not allowed" tg_h_curl_docker POST /v1.41/containers/create \
  -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$untrusted\",\"Ho\u017ftConfig\":{\"NetworkMode\":\"none\"}}"
tg_h_expect_output "a create with two Content-Type headers is denied" "not allowed" \
  tg_h_curl_docker POST /v1.41/containers/create -H 'Content-Type: application/json' \
  -H 'Content-Type: text/plain' -d "{\"Image\":\"$untrusted\"}"
tg_h_expect_output "a create on a '//' path is not routed by dockerd (it redirects)" "301" \
  tg_h_curl_docker POST //v1.41/containers/create -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$untrusted\"}"
tg_h_expect_output "an untrusted create by a lower-case key" "not allowed" \
  tg_h_curl_docker POST /v1.41/containers/create -H 'Content-Type: application/json' \
  -d "{\"image\":\"$untrusted\"}"
tg_h_expect_output "an untrusted create with a version-less, percent-encoded path" "not allowed" \
  tg_h_curl_docker POST /containers%2Fcreate -H 'Content-Type: application/json' \
  -d "{\"Image\":\"$untrusted\"}"
tg_h_check "no container was created by any of them" test "$(count_containers)" = "$before"
tg_h_expect_ok "dockerd still answers at the end" dk version

tg_h_summary
