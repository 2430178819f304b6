#!/usr/bin/env bash
# Self-test of notary.sh, without trustgate (TG_NO_AUTHZ=1): a real
# notary-signer + notary-server (Debian package notary, memory storage, own CA,
# mutual TLS between them) next to lib.sh's registry and dockerd. Signs a tag
# with the repository key (docker push with content trust), a second tag
# through a delegation (docker trust signer add / sign), pushes a third tag
# unsigned, and checks the TUF metadata notary-server serves against what the
# registry serves. Shows how the docker CLI treats our CA (it does not verify
# the Notary certificate for 127.0.0.1 registries). Stops and restarts
# notary-server; proves the cleanup hook stops Notary on exit and on SIGTERM;
# checks that nothing is left. About 15 s.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/lib.sh"
. "$dir/notary.sh"
export TG_NO_AUTHZ=1
unset DOCKER_CONTENT_TRUST DOCKER_CONTENT_TRUST_SERVER
t_start=$SECONDS

tg_h_init || exit 1
tg_h_start_registry || { tg_h_summary; exit 1; }
tg_h_start_dockerd || { tg_h_summary; exit 1; }
for tool in notary-server notary-signer openssl jq; do
	tg_h_check "$tool installed" command -v "$tool"
done

# ---------------------------------------------------------------- PKI, start
tg_n_make_pki || { tg_h_summary; exit 1; }
tg_h_check "CA cert exported" test -s "$TG_NOTARY_CA"
for c in server signer client; do
	tg_h_expect_output "$c cert chains to our CA" "OK" openssl verify -CAfile "$TG_NOTARY_CA" "$TG_NOTARY_DIR/$c.crt"
done
tg_h_expect_output "server cert has SAN IP 127.0.0.1" "IP Address:127.0.0.1" \
	openssl x509 -in "$TG_NOTARY_DIR/server.crt" -noout -ext subjectAltName
tg_h_expect_output "client cert is for client auth" "TLS Web Client Authentication" \
	openssl x509 -in "$TG_NOTARY_DIR/client.crt" -noout -ext extendedKeyUsage

t0=$SECONDS
tg_n_start_notary || { tg_h_summary; exit 1; }
start_secs=$((SECONDS - t0))
health() { curl -sS --noproxy '*' --max-time 5 --cacert "$TG_NOTARY_CA" "$TG_NOTARY_URL/_notary_server/health"; }
tg_h_check "TG_NOTARY_URL is https://127.0.0.1:PORT" test "$TG_NOTARY_URL" = "https://127.0.0.1:$TG_NOTARY_PORT"
tg_h_expect_output "health answers with our CA (up in ${start_secs}s)" "{}" health
tg_h_expect_fail "TLS is verified: without our CA curl refuses" "(60)" \
	curl -sS --noproxy '*' --max-time 5 "$TG_NOTARY_URL/_notary_server/health"
tg_h_expect_output "GET /v2/ without credentials: 200 {}" $'{}\n200' \
	curl -sS --noproxy '*' --max-time 5 --cacert "$TG_NOTARY_CA" -w '\n%{http_code}' "$TG_NOTARY_URL/v2/"
tg_h_check "the CLI's CA file for the notary server" cmp "$TG_NOTARY_CA" "$DOCKER_CONFIG/tls/127.0.0.1:$TG_NOTARY_PORT/ca.crt"
# notary-server reaches notary-signer (mutual TLS) when a GUN is created: the
# first trust push below fails unless that works (the timestamp is signed there).

# ---------------------------------------------------------------- images
repo="$TG_REGISTRY/acme/signed"
gun=$(tg_n_gun "$repo:1")
tg_h_check "GUN of $repo:1 is the repository with its host" test "$gun" = "$repo"
tg_h_check "GUN of alpine" test "$(tg_n_gun alpine)" = docker.io/library/alpine
tg_h_check "GUN of a digest reference" test "$(tg_n_gun "$repo@sha256:abc")" = "$repo"
tg_h_expect_ok "busybox tar built" tg_h_make_busybox_tar "$TG_WORK/bb.tar"
# Distinct images (a label each), so that each tag has its own digest.
for tag in 1 2 nosig down; do
	tg_h_expect_output "import $repo:$tag" "sha256:" dk import --change "LABEL tg.tag=$tag" "$TG_WORK/bb.tar" "$repo:$tag"
done

repo_digest() { local d; d=$(dk inspect --format '{{index .RepoDigests 0}}' "$1") && printf '%s\n' "${d#*@}"; }
role_is() { tg_n_fetch_role "$1" "$2" | jq -e --arg t "$3" '.signed._type == $t' >/dev/null; }
has_tag() { tg_n_fetch_role "$1" "$2" | jq -e --arg t "$3" '.signed.targets | has($t)' >/dev/null; }
lacks_tag() { tg_n_fetch_role "$1" "$2" | jq -e --arg t "$3" '.signed.targets | has($t) | not' >/dev/null; }
b64sha256() { openssl dgst -sha256 -binary | base64 -w0; }
# meta_matches GUN PARENT ROLE: PARENT's meta entry for ROLE has the sha256
# and length of the bytes notary-server serves for ROLE.
meta_matches() {
	local body want_h want_l
	body=$(mktemp "$TG_WORK/role.XXXXXX")
	tg_n_fetch_role "$1" "$3" >"$body" || return 1
	want_h=$(tg_n_fetch_role "$1" "$2" | jq -r --arg r "$3" '.signed.meta[$r].hashes.sha256')
	want_l=$(tg_n_fetch_role "$1" "$2" | jq -r --arg r "$3" '.signed.meta[$r].length')
	echo "$2 says $3 = $want_h/$want_l, served $(b64sha256 <"$body")/$(wc -c <"$body")"
	local ok=1
	[ "$want_h" = "$(b64sha256 <"$body")" ] && [ "$want_l" = "$(wc -c <"$body")" ] || ok=0
	rm -f "$body"
	[ $ok = 1 ]
}
# role_jq GUN ROLE FILTER: jq -r FILTER on the role's JSON.
role_jq() { tg_n_fetch_role "$1" "$2" | jq -r "$3"; }
# by_hash GUN ROLE: fetches ROLE.<sha256-hex>.json, the hash taken from the
# parent's meta (timestamp for snapshot).
by_hash() {
	local h
	h=$(role_jq "$1" timestamp ".signed.meta[\"$2\"].hashes.sha256" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	[ -n "$h" ] && tg_n_fetch_role "$1" "$2.$h" >/dev/null
}
in_lines() { grep -qxF "$1" <<<"$2"; }
none_alive() {
	local e
	for e in "$@"; do
		if _tg_h_alive "$e"; then echo "still running: $e"; return 1; fi
	done
}
manifest_len() {
	curl -sSf --noproxy '*' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$TG_REGISTRY/v2/acme/signed/manifests/$1" | wc -c
}

# ---------------------------------------------------------------- tag 1: targets
t0=$SECONDS
tg_h_expect_output "trust push $repo:1" "Successfully signed $repo:1" tg_n_trust_push "$repo:1"
push_secs=$((SECONDS - t0))
for r in root:Root targets:Targets snapshot:Snapshot timestamp:Timestamp; do
	tg_h_check "$gun: ${r%%:*}.json served, _type ${r#*:}" role_is "$gun" "${r%%:*}" "${r#*:}"
done
d1=$(repo_digest "$repo:1")
tg_h_check "registry serves the pushed digest for :1 ($d1)" test "$(tg_n_registry_digest "$repo:1")" = "$d1"
tg_h_check "targets signs tag 1 with the pushed digest" test "$(tg_n_target_digest "$gun" targets 1)" = "$d1"
tg_h_check "targets: length of tag 1 is the manifest's size" \
	test "$(tg_n_fetch_role "$gun" targets | jq '.signed.targets["1"].length')" = "$(manifest_len 1)"
tg_h_expect_output "snapshot lists root and targets" "root targets" \
	role_jq "$gun" snapshot '.signed.meta | keys | join(" ")'
tg_h_expect_ok "timestamp's hash of snapshot matches what is served" meta_matches "$gun" timestamp snapshot
tg_h_expect_ok "snapshot's hash of targets matches what is served" meta_matches "$gun" snapshot targets
tg_h_expect_ok "snapshot's hash of root matches what is served" meta_matches "$gun" snapshot root
tg_h_expect_output "root key is ecdsa-x509, signatures ecdsa" "ecdsa-x509 ecdsa" \
	role_jq "$gun" root '[(.signed.keys[.signed.roles.root.keyids[0]].keytype), .signatures[0].method] | join(" ")'
tg_h_expect_ok "hash-named URL works: snapshot.<sha256-hex>.json" by_hash "$gun" snapshot
tg_h_expect_fail "unknown GUN: 404" "404" tg_n_fetch_role "$TG_REGISTRY/acme/unsigned" root
tg_h_expect_output "unknown GUN: METADATA_NOT_FOUND body" "METADATA_NOT_FOUND" \
	curl -sS --noproxy '*' --cacert "$TG_NOTARY_CA" "$TG_NOTARY_URL/v2/$TG_REGISTRY/acme/unsigned/_trust/tuf/root.json"

# ---------------------------------------------------------------- tag 2: delegation
tg_h_expect_output "plain push $repo:2" "2: digest: sha256:" dk push "$repo:2"
t0=$SECONDS
tg_h_expect_output "delegated sign $repo:2 by alice" "Successfully signed $repo:2" tg_n_trust_sign_delegated "$repo:2" alice
sign_secs=$((SECONDS - t0))
d2=$(repo_digest "$repo:2")
tg_h_check "tags 1 and 2 are different images" test "$d1" != "$d2"
tg_h_check "targets/releases signs tag 2 with its digest ($d2)" test "$(tg_n_target_digest "$gun" targets/releases 2)" = "$d2"
tg_h_check "targets/alice signs tag 2 too" test "$(tg_n_target_digest "$gun" targets/alice 2)" = "$d2"
tg_h_check "top-level targets does not have tag 2" lacks_tag "$gun" targets 2
tg_h_expect_output "targets delegates to targets/alice and targets/releases" "targets/alice targets/releases" \
	role_jq "$gun" targets '[.signed.delegations.roles[].name] | sort | join(" ")'
tg_h_check "targets/releases is in snapshot, hash matching" meta_matches "$gun" snapshot targets/releases
tg_h_check "targets still signs tag 1 with its digest" test "$(tg_n_target_digest "$gun" targets 1)" = "$d1"

# ---------------------------------------------------------------- unsigned tag
tg_h_expect_output "plain push $repo:nosig" "nosig: digest: sha256:" dk push "$repo:nosig"
tg_h_check "registry serves :nosig" test -n "$(tg_n_registry_digest "$repo:nosig")"
tg_h_check "targets does not have tag nosig" lacks_tag "$gun" targets nosig
tg_h_check "targets/releases does not have tag nosig" lacks_tag "$gun" targets/releases nosig
tg_h_expect_fail "tg_n_target_digest fails for an unsigned tag" "" tg_n_target_digest "$gun" targets nosig

# ---------------------------------------------------------------- the CLI and our CA
# The 20.10 CLI skips certificate verification of the Notary server when the
# *registry* is insecure, and 127.0.0.0/8 registries are: proven with a CLI
# config that lacks our CA. For a non-loopback registry name (probe.invalid,
# no DNS here, so counted as secure) the same config fails on the certificate,
# and ours (CA under $DOCKER_CONFIG/tls/127.0.0.1:PORT/) passes TLS.
noca="$TG_WORK/docker-config-noca"
mkdir -p "$noca"
noca_dct() { DOCKER_CONFIG=$noca DOCKER_CONTENT_TRUST=1 DOCKER_CONTENT_TRUST_SERVER=$TG_NOTARY_URL "$@"; }
with_dct() { DOCKER_CONTENT_TRUST=1 DOCKER_CONTENT_TRUST_SERVER=$TG_NOTARY_URL "$@"; }
tg_h_expect_output "CLI without our CA reads trust of a 127.0.0.1 registry: cert NOT verified" \
	"\"SignedTag\": \"1\"" noca_dct dk trust inspect "$repo:1"
tg_h_expect_fail "CLI without our CA, registry probe.invalid: x509 error" \
	"x509: certificate signed by unknown authority" noca_dct dk pull probe.invalid/acme/signed:1
tg_h_expect_fail "CLI with our CA, registry probe.invalid: TLS ok, no trust data" \
	"does not have trust data for probe.invalid/acme/signed" with_dct dk pull probe.invalid/acme/signed:1
tg_h_expect_output "trust pull of :2 resolves to the delegated digest" "$d2" with_dct dk pull "$repo:2"

# ---------------------------------------------------------------- server down / restart
tg_h_check "tg_h_pids includes notary-server (cleanup hook)" in_lines "$TG_N_SERVER" "$(tg_h_pids)"
server_was=$TG_N_SERVER
tg_n_stop_notary_server
tg_h_check "notary-server process gone" none_alive "$server_was"
tg_h_expect_fail "server stopped: health fails (connection refused)" "(7)" health
tg_h_expect_fail "server stopped: trust push fails" "connection refused" tg_n_trust_push "$repo:down"
tg_h_check "... but the image reached the registry first (unsigned tag)" test -n "$(tg_n_registry_digest "$repo:down")"
tg_n_start_notary_server
tg_h_expect_output "server restarted on the same port: health ok" "{}" health
tg_h_expect_fail "memory storage: the GUN is gone after the restart" "404" tg_n_fetch_role "$gun" root
tg_h_expect_output "trust push publishes the GUN again" "Successfully signed $repo:1" tg_n_trust_push "$repo:1"
tg_h_check "targets signs tag 1 again" test "$(tg_n_target_digest "$gun" targets 1)" = "$d1"
tg_n_stop_notary_server
tg_h_expect_fail "server stopped again: health fails" "(7)" health
tg_h_check "signer still running" test -n "$(tg_n_pids)"

# ---------------------------------------------------------------- cleanup hook, in children
# Each child starts Notary (no dockerd), records its processes and work dir,
# then ends: normally (EXIT trap) or by SIGTERM during a check.
# (bash -c is run directly, not from a function: a background function would
# be a subshell whose death leaves the child running.)
# shellcheck disable=SC2016  # expanded by the child
child_src='
	. "$1/lib.sh"; . "$1/notary.sh"
	tg_h_init
	tg_n_make_pki && tg_n_start_notary || exit 9
	{ echo "$TG_WORK"; tg_n_pids; } >"$2.tmp" && mv "$2.tmp" "$2"
	[ "$3" = hang ] && tg_h_expect_ok "child hangs" sleep 33.9
	exit 0'
bash -c "$child_src" _ "$dir" "$TG_WORK/child1" exit >"$TG_WORK/child1.out" 2>&1
child_rc=$?
c1=()
[ -f "$TG_WORK/child1" ] && mapfile -t c1 <"$TG_WORK/child1"
tg_h_check "exit child: ran, started signer+server (status $child_rc)" test "$child_rc" = 0 -a "${#c1[@]}" = 3
tg_h_check "exit child: its notary processes are gone" none_alive "${c1[@]:1}"
tg_h_check "exit child: its work dir removed" test -n "${c1[0]:-}" -a ! -e "${c1[0]:-/nonexistent}"

bash -c "$child_src" _ "$dir" "$TG_WORK/child2" hang >"$TG_WORK/child2.out" 2>&1 &
cpid=$!
tg_h_wait_until 20 test -s "$TG_WORK/child2"
sleep 0.5
t0=$SECONDS
kill -TERM "$cpid"
wait "$cpid"
child_rc=$?
c2=()
[ -f "$TG_WORK/child2" ] && mapfile -t c2 <"$TG_WORK/child2"
tg_h_check "SIGTERM child: status 143 (was $child_rc), ended within 8 s" test "$child_rc" = 143 -a $((SECONDS - t0)) -le 8
tg_h_check "SIGTERM child: started signer+server" test "${#c2[@]}" = 3
tg_h_check "SIGTERM child: its notary processes are gone" none_alive "${c2[@]:1}"
tg_h_check "SIGTERM child: its check's process killed" sh -c '! pgrep -fx "sleep 33.9"'
[ -n "${c2[0]:-}" ] && [ "${c2[0]}" != "$TG_WORK" ] && case ${c2[0]} in /tmp/tg.*) rm -rf "${c2[0]}" ;; esac

# ---------------------------------------------------------------- final cleanup
mapfile -t procs < <(tg_h_pids)
notary_procs=$(tg_n_pids)
work=$TG_WORK
t0=$SECONDS
tg_h_cleanup  # directly: stops the signer still running, through the hook
cleanup_status=$?
cleanup_secs=$((SECONDS - t0))
tg_h_check "cleanup succeeds (${cleanup_secs}s)" test "$cleanup_status" = 0
tg_h_check "signer was still running before cleanup" test -n "$notary_procs"
tg_h_check "no process of ours left (${#procs[@]} recorded)" none_alive "${procs[@]}"
# shellcheck disable=SC2016
tg_h_check "no notary process mentions the work dir" \
	sh -c '! pgrep -a "^notary-(server|signer)\$" | grep -F "$1/"' _ "$work"
tg_h_check "work dir removed" test ! -e "$work"
echo "# selftest_notary: $((SECONDS - t_start))s in all; notary up ${start_secs}s, first trust push ${push_secs}s, delegated sign ${sign_secs}s, cleanup ${cleanup_secs}s"
tg_h_summary
