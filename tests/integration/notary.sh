# shellcheck shell=bash
# Notary v1 (Docker Content Trust) for the integration tests: a real
# notary-signer + notary-server on loopback, and signing with the docker CLI.
# Source it AFTER lib.sh (it reuses lib.sh's process tracking, ports, logs and
# cleanup), before or after tg_h_init:
#
#   . "$dir/lib.sh"; . "$dir/notary.sh"
#   tg_h_init; tg_h_start_registry; tg_h_start_dockerd
#   tg_n_make_pki            # own CA, exports TG_NOTARY_CA
#   tg_n_start_notary        # signer + server, exports TG_NOTARY_URL
#   tg_n_trust_push "$TG_REGISTRY/acme/signed:1"            # signed in targets
#   tg_n_trust_sign_delegated "$TG_REGISTRY/acme/signed:2" alice
#                                                           # signed in targets/releases
#   tg_n_fetch_role "$TG_REGISTRY/acme/signed" targets      # raw JSON on stdout
#   tg_n_target_digest "$TG_REGISTRY/acme/signed" targets 1 # sha256:<hex>
#   tg_n_stop_notary_server  # Notary "down" for deny tests
#
# What is started (Debian package `notary`, 0.7.0, built without sqlite):
#   notary-signer  gRPC on 127.0.0.1:TG_NOTARY_SIGNER_PORT, TLS, client certs
#                  required (client_ca_file = our CA); memory key store.
#   notary-server  HTTPS on 127.0.0.1:TG_NOTARY_PORT, no auth, memory TUF
#                  store, timestamp/snapshot keys on the signer
#                  (trust_service.type remote, over mutual TLS).
# Files under $TG_WORK/notary/: ca.{crt,key}, server.{crt,key} (notary-server's
# HTTPS cert), signer.{crt,key} (notary-signer's gRPC cert), client.{crt,key}
# (notary-server's client cert towards the signer), signer.json, server.json,
# keys/ (delegation public keys). Logs: $TG_WORK/notary-signer.log,
# $TG_WORK/notary-server.log (JSON lines: notary 0.7.0 ignores -logf).
#
# MEMORY STORAGE: all TUF data lives in notary-server's memory, the
# server-managed timestamp/snapshot private keys in notary-signer's. Restarting
# the server (tg_n_stop_notary_server + tg_n_start_notary_server) forgets every
# GUN: all metadata answers 404 afterwards. The docker CLI keeps its own copy of
# each GUN's metadata and keys in $DOCKER_CONFIG/trust/; seen here: a
# `tg_n_trust_push` to a GUN the restarted server no longer has publishes it
# again and succeeds (in some runs "Finished initializing", in others warnings
# "using cached timestamp"), and the new targets has the tag.
# tg_n_forget_gun GUN drops the CLI's cached metadata of a GUN for a test that
# wants a clean slate. There is no signer-only restart (tg_n_stop_notary stops
# both).
#
# How the docker CLI (20.10) trusts our CA: for a trust server URL
# https://HOST:PORT it reads $DOCKER_CONFIG/tls/HOST:PORT/*.crt as extra roots
# (docker/cli cli/trust/trust.go certificateDirectory + registry's
# ReadCertsDirectory); tg_n_start_notary installs ca.crt there. BUT the CLI
# sets InsecureSkipVerify = !index.Secure, with the *registry's* index, and
# 127.0.0.0/8 registries are insecure by default: for images on
# 127.0.0.1:PORT the CLI does not verify the Notary server's certificate at
# all (selftest_notary.sh proves both halves). Code under test must not copy it.
#
# Cleanup: lib.sh has no hook, so this file wraps two lib.sh functions without
# editing lib.sh: tg_h_cleanup first runs tg_n_cleanup (stops notary-server,
# then notary-signer) and then lib.sh's own cleanup, so every path that cleans
# (the EXIT trap, HUP/INT/TERM, an explicit tg_h_cleanup) stops Notary before
# the work dir goes; tg_h_pids also lists the Notary processes, so lib.sh's
# "nothing left running" check covers them. The originals stay callable as
# _tg_n_lib_tg_h_cleanup and _tg_n_lib_tg_h_pids.
#
# Environment read: DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE,
# DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE (defaults below if unset),
# TG_NOTARY_WAIT (seconds to wait for Notary to come up, default 20).
# Exported: TG_NOTARY_DIR, TG_NOTARY_CA (tg_n_make_pki); TG_NOTARY_URL,
# TG_NOTARY_PORT, TG_NOTARY_SIGNER_PORT (tg_n_start_notary).
# Needs: notary, openssl, curl, jq (Debian packages notary, openssl, curl, jq).

if ! declare -F _tg_h_spawn >/dev/null; then
	echo "notary.sh: source lib.sh first" >&2
	return 1
fi

: "${DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE:=tgtest-root-passphrase}"
: "${DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE:=tgtest-repository-passphrase}"
export DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE

TG_N_SIGNER=""   # "pid:starttime" of notary-signer, as lib.sh tracks processes
TG_N_SERVER=""   # "pid:starttime" of notary-server

_tg_n_say() { printf 'notary: %s\n' "$*" >&2; }

# ------------------------------------------------------------------ cleanup hook

# tg_n_cleanup: stops notary-server, then notary-signer. Idempotent. Called by
# the wrapped tg_h_cleanup; may also be called directly.
tg_n_cleanup() {
	local -; set +e
	tg_n_stop_notary
}

# Wrap lib.sh's tg_h_cleanup and tg_h_pids once (sourcing twice must not wrap
# the wrapper): copy each original under a new name, then redefine.
if ! declare -F _tg_n_lib_tg_h_cleanup >/dev/null; then
	eval "_tg_n_lib_$(declare -f tg_h_cleanup)"
	eval "_tg_n_lib_$(declare -f tg_h_pids)"
	tg_h_cleanup() {
		local -; set +e
		_tg_h_direct tg_h_cleanup || return 1
		# Signals wait until Notary is stopped (lib.sh's cleanup does the same
		# for its part and re-installs its handlers when done).
		local saved
		saved=$(trap -p HUP INT TERM)
		trap '' HUP INT TERM
		tg_n_cleanup
		trap - HUP INT TERM
		eval "$saved"
		_tg_n_lib_tg_h_cleanup "$@"
	}
	tg_h_pids() {
		local -; set +e
		_tg_n_lib_tg_h_pids
		# shellcheck disable=SC2086
		_tg_h_tree $TG_N_SERVER $TG_N_SIGNER
		return 0
	}
fi

# ------------------------------------------------------------------ PKI

# _tg_n_leaf NAME CN EXTS: an EC P-256 key and a cert signed by our CA, with
# the given X.509v3 extension lines (SAN, extendedKeyUsage).
_tg_n_leaf() {
	local d=$TG_NOTARY_DIR name=$1 cn=$2 exts=$3
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$cn" 2>/dev/null || return 1
	printf '%s\n' "$exts" >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
		-days 30 -sha256 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null || return 1
	rm -f "$d/$name.csr" "$d/$name.ext"
	chmod 600 "$d/$name.key"
}

# tg_n_make_pki: a per-run CA and the three leaf certs under $TG_WORK/notary/;
# exports TG_NOTARY_DIR and TG_NOTARY_CA (the CA cert: give it to curl
# --cacert, or to trustgate as the Notary server's root).
tg_n_make_pki() {
	local -; set +e
	_tg_h_direct tg_n_make_pki || return 1
	if [ -z "${TG_WORK:-}" ] || [ ! -d "$TG_WORK" ]; then _tg_n_say "call tg_h_init first"; return 1; fi
	TG_NOTARY_DIR="$TG_WORK/notary"
	mkdir -p "$TG_NOTARY_DIR/keys" || return 1
	local d=$TG_NOTARY_DIR
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days 30 -sha256 -subj "/CN=trustgate test notary CA $$" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		2>/dev/null || { _tg_n_say "openssl: CA failed"; return 1; }
	chmod 600 "$d/ca.key"
	_tg_n_leaf server notary-server "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature" || { _tg_n_say "openssl: server cert failed"; return 1; }
	_tg_n_leaf signer notary-signer "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature" || { _tg_n_say "openssl: signer cert failed"; return 1; }
	_tg_n_leaf client notary-server-client "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature" || { _tg_n_say "openssl: client cert failed"; return 1; }
	TG_NOTARY_CA="$d/ca.crt"
	export TG_NOTARY_DIR TG_NOTARY_CA
}

# ------------------------------------------------------------------ signer / server

_tg_n_tcp_up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_tg_n_server_up() {
	curl -sf --noproxy '*' --max-time 2 --cacert "$TG_NOTARY_CA" -o /dev/null \
		"https://127.0.0.1:$TG_NOTARY_PORT/_notary_server/health"
}

# _tg_n_start_signer: notary-signer on a free port (3 tries), up when it accepts TCP.
_tg_n_start_signer() {
	local try deadline
	for try in 1 2 3; do
		tg_h_free_port TG_NOTARY_SIGNER_PORT || return 1
		cat >"$TG_NOTARY_DIR/signer.json" <<-EOF
			{
			  "server": {
			    "grpc_addr": "127.0.0.1:$TG_NOTARY_SIGNER_PORT",
			    "tls_cert_file": "$TG_NOTARY_DIR/signer.crt",
			    "tls_key_file": "$TG_NOTARY_DIR/signer.key",
			    "client_ca_file": "$TG_NOTARY_DIR/ca.crt"
			  },
			  "logging": {"level": "info"},
			  "storage": {"backend": "memory"}
			}
		EOF
		# NOTARY_SIGNER_DEFAULT_ALIAS and the alias' passphrase variable are read
		# only by the SQL/RethinkDB key stores (cmd/notary-signer/config.go); the
		# memory store ignores them, so none is set.
		_tg_h_spawn "$TG_WORK/notary-signer.log" "$TG_WORK/notary-signer.log" \
			notary-signer -config "$TG_NOTARY_DIR/signer.json"
		TG_N_SIGNER=$_TG_H_SPAWNED
		deadline=$((SECONDS + ${TG_NOTARY_WAIT:-20}))
		while _tg_h_alive "$TG_N_SIGNER" && [ $SECONDS -lt $deadline ]; do
			_tg_n_tcp_up "$TG_NOTARY_SIGNER_PORT" && { export TG_NOTARY_SIGNER_PORT; return 0; }
			sleep 0.1
		done
		_tg_n_say "notary-signer on 127.0.0.1:$TG_NOTARY_SIGNER_PORT did not come up (try $try)"
		tg_h_log_tail "$TG_WORK/notary-signer.log" >&2
		_tg_h_stop_procs TERM 5 "$TG_N_SIGNER"
		TG_N_SIGNER=""
	done
	return 1
}

# _tg_n_spawn_server: notary-server on TG_NOTARY_PORT; waits for the health URL.
_tg_n_spawn_server() {
	cat >"$TG_NOTARY_DIR/server.json" <<-EOF
		{
		  "server": {
		    "http_addr": "127.0.0.1:$TG_NOTARY_PORT",
		    "tls_cert_file": "$TG_NOTARY_DIR/server.crt",
		    "tls_key_file": "$TG_NOTARY_DIR/server.key"
		  },
		  "trust_service": {
		    "type": "remote",
		    "hostname": "127.0.0.1",
		    "port": "$TG_NOTARY_SIGNER_PORT",
		    "key_algorithm": "ecdsa",
		    "tls_ca_file": "$TG_NOTARY_DIR/ca.crt",
		    "tls_client_cert": "$TG_NOTARY_DIR/client.crt",
		    "tls_client_key": "$TG_NOTARY_DIR/client.key"
		  },
		  "logging": {"level": "info"},
		  "storage": {"backend": "memory"}
		}
	EOF
	_tg_h_spawn "$TG_WORK/notary-server.log" "$TG_WORK/notary-server.log" \
		notary-server -config "$TG_NOTARY_DIR/server.json"
	TG_N_SERVER=$_TG_H_SPAWNED
	local deadline=$((SECONDS + ${TG_NOTARY_WAIT:-20}))
	while _tg_h_alive "$TG_N_SERVER" && [ $SECONDS -lt $deadline ]; do
		_tg_n_server_up && return 0
		sleep 0.1
	done
	_tg_n_say "notary-server on 127.0.0.1:$TG_NOTARY_PORT did not come up"
	tg_h_log_tail "$TG_WORK/notary-server.log" >&2
	_tg_h_stop_procs TERM 5 "$TG_N_SERVER"
	TG_N_SERVER=""
	return 1
}

# tg_n_start_notary: notary-signer, then notary-server, on free 127.0.0.1
# ports; returns once https://127.0.0.1:PORT/_notary_server/health answers 200
# with our CA (TG_NOTARY_WAIT seconds at most per daemon). Exports
# TG_NOTARY_URL=https://127.0.0.1:PORT, TG_NOTARY_PORT, TG_NOTARY_SIGNER_PORT,
# and puts the CA where the docker CLI looks for it
# ($DOCKER_CONFIG/tls/127.0.0.1:PORT/ca.crt).
tg_n_start_notary() {
	local -; set +e
	_tg_h_direct tg_n_start_notary || return 1
	[ -f "${TG_NOTARY_CA:-}" ] || { _tg_n_say "call tg_n_make_pki first"; return 1; }
	if _tg_h_alive "$TG_N_SIGNER" || _tg_h_alive "$TG_N_SERVER"; then
		_tg_n_say "notary already running"; return 1
	fi
	command -v notary-server >/dev/null || { _tg_n_say "notary-server missing: apt-get install notary"; return 1; }
	_tg_n_start_signer || return 1
	local try
	for try in 1 2 3; do
		tg_h_free_port TG_NOTARY_PORT || break
		export TG_NOTARY_PORT TG_NOTARY_URL="https://127.0.0.1:$TG_NOTARY_PORT"
		if _tg_n_spawn_server; then
			mkdir -p "$DOCKER_CONFIG/tls/127.0.0.1:$TG_NOTARY_PORT"
			cp "$TG_NOTARY_CA" "$DOCKER_CONFIG/tls/127.0.0.1:$TG_NOTARY_PORT/ca.crt"
			return 0
		fi
	done
	tg_n_stop_notary
	return 1
}

# tg_n_stop_notary_server [SIGNAL]: stops notary-server only (default TERM;
# SIGKILL after 5 s). The signer keeps running. Its health URL then refuses
# connections: what a "Notary is down" test needs.
tg_n_stop_notary_server() {
	local -; set +e
	_tg_h_direct tg_n_stop_notary_server || return 1
	[ -n "$TG_N_SERVER" ] || return 0
	_tg_h_stop_procs "${1:-TERM}" 5 "$TG_N_SERVER"
	TG_N_SERVER=""
}

# tg_n_start_notary_server: starts notary-server again on the same port and
# signer (after tg_n_stop_notary_server). Memory storage: the new server has no
# trust data at all (every GUN answers 404); see the header.
tg_n_start_notary_server() {
	local -; set +e
	_tg_h_direct tg_n_start_notary_server || return 1
	[ -n "${TG_NOTARY_PORT:-}" ] || { _tg_n_say "tg_n_start_notary was never called"; return 1; }
	if _tg_h_alive "$TG_N_SERVER"; then _tg_n_say "notary-server already running"; return 1; fi
	_tg_h_alive "$TG_N_SIGNER" || { _tg_n_say "notary-signer is not running"; return 1; }
	_tg_n_spawn_server
}

# tg_n_stop_notary: stops notary-server, then notary-signer. Idempotent.
tg_n_stop_notary() {
	local -; set +e
	_tg_h_direct tg_n_stop_notary || return 1
	tg_n_stop_notary_server
	[ -n "$TG_N_SIGNER" ] || return 0
	_tg_h_stop_procs TERM 5 "$TG_N_SIGNER"
	TG_N_SIGNER=""
}

# tg_n_pids: "pid:starttime" of the Notary processes of this run still running.
tg_n_pids() {
	local -; set +e
	# shellcheck disable=SC2086
	_tg_h_tree $TG_N_SERVER $TG_N_SIGNER
	return 0
}

# ------------------------------------------------------------------ signing

# tg_n_gun IMAGE: the GUN (Notary's "globally unique name") of IMAGE, as the
# docker CLI names it: the normalized repository without tag or digest
# (127.0.0.1:5000/acme/x:1 -> 127.0.0.1:5000/acme/x; alpine ->
# docker.io/library/alpine).
tg_n_gun() {
	local ref=${1%%@*} first
	case ${ref##*/} in *:*) ref=${ref%:*} ;; esac
	first=${ref%%/*}
	if [ "$first" = "$ref" ]; then
		ref="docker.io/library/$ref"
	else
		case $first in
		*.* | *:* | localhost) ;;
		*) ref="docker.io/$ref" ;;
		esac
	fi
	printf '%s\n' "$ref"
}

# _tg_n_dct CMD...: CMD with the trust environment for our Notary.
_tg_n_dct() {
	DOCKER_CONTENT_TRUST=1 DOCKER_CONTENT_TRUST_SERVER="$TG_NOTARY_URL" "$@"
}

# tg_n_trust_push IMAGE: `docker push` with content trust on, against our
# Notary: pushes to the registry, then signs the tag in `targets` with the
# repository key (the first push of a GUN also creates its root and targets
# keys under $DOCKER_CONFIG/trust and initialises the GUN on the server).
# Passphrases from DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE /
# DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE. Usable as a check's command.
# With notary-server down it fails ("connection refused") only AFTER the image
# reached the registry: the tag is then in the registry, unsigned.
tg_n_trust_push() {
	[ -n "${TG_NOTARY_URL:-}" ] || { _tg_n_say "tg_n_start_notary first"; return 1; }
	_tg_n_dct dk push "$1"
}

# tg_n_trust_sign_delegated IMAGE SIGNER: signs IMAGE's tag through the
# delegation SIGNER: generates SIGNER's key (once per run; private key into
# $DOCKER_CONFIG/trust/private, public key $TG_NOTARY_DIR/keys/SIGNER.pub),
# `docker trust signer add` (once per GUN: adds the key to targets/releases
# and targets/SIGNER, creating the GUN if it has no trust data yet), then
# `docker trust sign IMAGE`, which pushes the local image and adds the tag to
# every delegation the CLI holds a key for (targets/releases and
# targets/SIGNER), not to targets. Usable as a check's command.
tg_n_trust_sign_delegated() {
	local image=$1 signer=$2 gun
	[ -n "${TG_NOTARY_URL:-}" ] || { _tg_n_say "tg_n_start_notary first"; return 1; }
	gun=$(tg_n_gun "$image")
	local pub="$TG_NOTARY_DIR/keys/$signer.pub"
	if [ ! -f "$pub" ]; then
		_tg_n_dct dk trust key generate "$signer" --dir "$TG_NOTARY_DIR/keys" || return 1
	fi
	if ! tg_n_fetch_role "$gun" "targets/$signer" >/dev/null 2>&1; then
		_tg_n_dct dk trust signer add --key "$pub" "$signer" "$gun" || return 1
	fi
	_tg_n_dct dk trust sign "$image"
}

# tg_n_forget_gun GUN: drops the CLI's cached metadata of GUN (its keys stay in
# $DOCKER_CONFIG/trust/private).
tg_n_forget_gun() {
	rm -rf "$DOCKER_CONFIG/trust/tuf/$1"
}

# tg_n_fetch_role GUN ROLE [CURL_ARGS...]: the role's JSON as notary-server
# serves it, GET $TG_NOTARY_URL/v2/GUN/_trust/tuf/ROLE.json with our CA, no
# credentials. ROLE: root, targets, snapshot, timestamp, targets/releases...
# Fails (curl status 22) on an HTTP error such as 404 for unknown GUN or role.
tg_n_fetch_role() {
	curl -sSf --noproxy '*' --max-time 10 --cacert "$TG_NOTARY_CA" "${@:3}" \
		"$TG_NOTARY_URL/v2/$1/_trust/tuf/$2.json"
}

# tg_n_target_digest GUN ROLE TAG: prints sha256:<hex> of TAG as signed in
# ROLE (from its "hashes.sha256", base64 in TUF); fails if TAG is not there.
tg_n_target_digest() {
	local b64
	b64=$(tg_n_fetch_role "$1" "$2" | jq -er --arg t "$3" '.signed.targets[$t].hashes.sha256') || return 1
	printf 'sha256:%s\n' "$(printf '%s' "$b64" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
}

# tg_n_registry_digest IMAGE: the Docker-Content-Digest the registry serves
# for IMAGE (host:port/name:tag, plain HTTP registry).
tg_n_registry_digest() {
	local ref=$1 host name tag
	host=${ref%%/*} name=${ref#*/}
	tag=${name##*:} name=${name%:*}
	curl -sSf --noproxy '*' --max-time 10 -o /dev/null -D - \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		--head "http://$host/v2/$name/manifests/$tag" |
		tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p'
}
