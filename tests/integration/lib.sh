# shellcheck shell=bash
# Integration-test harness for trustgate: sourced by tests/integration/*.sh.
#
# A test builds a private, throw-away Docker world on loopback: its own dockerd
# (own data/exec root, containerd namespace and API socket), a docker-registry,
# and trustgate on a per-run plugin socket, then drives it with the Debian
# docker CLI and checks results with the small assertion layer below. Nothing
# outside the run is touched: every process is tracked by PID *and* start time
# (so a recycled PID is never signalled), ports are picked free on 127.0.0.1,
# and tg_h_cleanup (run from the EXIT/INT/TERM trap) stops what was started,
# unmounts what dockerd left under the work dir and removes it.
#
# Typical test:
#   . "$(dirname "$0")/lib.sh"
#   tg_h_init
#   tg_h_start_registry
#   tg_h_start_trustgate policy.json
#   tg_h_start_dockerd
#   tg_h_expect_fail "unsigned run denied" "authorization denied" dk run --rm IMG true
#   tg_h_summary
#
# Safe under `set -u`. Under `set -e` too: each public function starts with
# `local -; set +e`, which turns errexit off inside it only (its probes, kills
# and waits fail routinely) and restores the caller's options on return. Check
# functions return non-zero when the check fails, so a `set -e` script stops at
# its first failed check (the EXIT trap still prints the counts and cleans up).
#
# Environment read:  TG_BIN (trustgate binary), TG_DOCKER_CLI (default
# /usr/bin/docker: /usr/local/bin/docker is a different 28.x CLI), TG_NO_AUTHZ=1
# (dockerd without the plugin), TG_KEEP=1 (keep the work dir), TG_H_TIMEOUT
# (seconds per check, default 120), TG_BUSYBOX (default /bin/busybox).
# Exported by tg_h_init: TG_WORK, TG_NS, TG_PLUGIN_NAME, TG_PLUGIN_SOCK,
# TG_DOCKER_SOCK, TG_REGISTRY_PORT, DOCKER_CONFIG; by tg_h_start_registry:
# TG_REGISTRY (host:port).

TG_H_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${TG_BIN:=$(cd "$TG_H_LIB_DIR/../.." && pwd)/build/plugin/trustgate}"
: "${TG_DOCKER_CLI:=/usr/bin/docker}"
: "${TG_BUSYBOX:=/bin/busybox}"
export TG_BIN TG_DOCKER_CLI

TG_H_PASSED=0
TG_H_FAILED=0
TG_H_NCHECKS=0
TG_H_SUMMARY_DONE=0
# Processes we started, each "pid:starttime" (starttime = field 22 of
# /proc/PID/stat), so that a PID reused by someone else is never signalled.
TG_H_DOCKERD=""
TG_H_CONTAINERD=""   # dockerd's children, recorded so they are found even if dockerd dies first
TG_H_TRUSTGATE=""
TG_H_REGISTRY=""
TG_H_TG_ARGS=()      # arguments of the last tg_h_start_trustgate, for tg_h_restart_trustgate
_TG_H_PORTS=""       # ports handed out in this run, never handed out twice
_TG_H_CHECK_PGID=""  # process groups of the check in flight (killed if a signal interrupts it)
_TG_H_WATCH_PGID=""
_TG_H_CLEANED=0
# The work dir this shell created. Cleanup acts on it, never on a TG_WORK
# merely inherited from the environment (a test run by another test).
_TG_H_WORK=""

_tg_h_say() { printf 'harness: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- processes

# _tg_h_stat PID: sets _TG_H_STATE, _TG_H_PPID and _TG_H_START from /proc/PID/stat.
_tg_h_stat() {
	local s rest
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	rest=${s##*) }  # drop "pid (comm) ": comm may hold spaces and parentheses
	# shellcheck disable=SC2086
	set -- $rest    # $1 = state (field 3), $2 = ppid, $20 = starttime (field 22)
	_TG_H_STATE=$1 _TG_H_PPID=$2 _TG_H_START=${20}
}

# _tg_h_entry PID: prints "pid:starttime" for a live process.
_tg_h_entry() { _tg_h_stat "$1" && printf '%s:%s\n' "$1" "$_TG_H_START"; }

# _tg_h_alive ENTRY: true while that very process (not a reused PID) runs.
# Zombies count as gone: they have exited and only wait to be reaped.
_tg_h_alive() {
	[ -n "$1" ] || return 1
	_tg_h_stat "${1%%:*}" || return 1
	[ "$_TG_H_STATE" != Z ] && [ "$_TG_H_START" = "${1#*:}" ]
}

# _tg_h_tree ENTRY...: prints the live given entries and all their descendants
# (dockerd -> containerd; a shim -> its container's processes).
_tg_h_tree() {
	local -A kids=()
	local f s pid rest e roots=("$@")
	for f in /proc/[0-9]*/stat; do
		{ read -r s <"$f"; } 2>/dev/null || continue
		pid=${s%% *}
		rest=${s##*) }
		# shellcheck disable=SC2086
		set -- $rest
		kids[$2]+=" $pid:${20}"
	done
	local queue=() seen=" "
	for e in "${roots[@]}"; do _tg_h_alive "$e" && queue+=("$e"); done
	while [ ${#queue[@]} -gt 0 ]; do
		e=${queue[0]}
		queue=("${queue[@]:1}")
		case $seen in *" $e "*) continue ;; esac
		seen+="$e "
		printf '%s\n' "$e"
		# shellcheck disable=SC2206
		[ -n "${kids[${e%%:*}]:-}" ] && queue+=(${kids[${e%%:*}]})
	done
}

# _tg_h_shims: prints "pid:starttime" of the containerd shims our containerd
# started. A shim daemonizes (its parent becomes PID 1), so it is not in the
# dockerd tree; it is recognised by its -address, the socket of our containerd,
# which lives in our work dir and exists nowhere else. Shims stop when their
# container stops, but outlive a dockerd that was SIGKILLed.
_tg_h_shims() {
	[ -n "${TG_WORK:-}" ] || return 0
	local addr="$TG_WORK/exec/containerd/containerd.sock" f pid i argv
	for f in /proc/[0-9]*/cmdline; do
		{ mapfile -d '' -t argv <"$f"; } 2>/dev/null || continue
		case ${argv[0]:-} in *containerd-shim*) ;; *) continue ;; esac
		for ((i = 1; i < ${#argv[@]} - 1; i++)); do
			if [ "${argv[i]}" = -address ] && [ "${argv[i + 1]}" = "$addr" ]; then
				pid=${f#/proc/}
				_tg_h_entry "${pid%/cmdline}"
				break
			fi
		done
	done
}

# _tg_h_wait_gone SECONDS ENTRY...: polls until none of the entries runs.
_tg_h_wait_gone() {
	local deadline=$((SECONDS + $1)) e busy
	shift
	while :; do
		busy=0
		for e in "$@"; do _tg_h_alive "$e" && { busy=1; break; }; done
		[ $busy = 0 ] && return 0
		[ $SECONDS -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# _tg_h_stop_procs SIGNAL GRACE MAIN [COMPANION...]: sends SIGNAL to MAIN only
# (dockerd stops its own containerd and containers), waits up to GRACE seconds
# for MAIN, the companions and all their descendants, then SIGKILLs what is left
# (at once if MAIN was already gone).
_tg_h_stop_procs() {
	local sig=$1 grace=$2 main=$3 e left=()
	shift 2
	local procs
	mapfile -t procs < <(_tg_h_tree "$@")
	[ ${#procs[@]} -gt 0 ] || return 0
	# With MAIN already dead (a test killed it) the rest are orphans: no grace.
	local why="orphaned"
	if _tg_h_alive "$main"; then
		kill -s "$sig" "${main%%:*}" 2>/dev/null
		why="still running after ${grace}s"
	else
		grace=0
	fi
	if ! _tg_h_wait_gone "$grace" "${procs[@]}"; then
		mapfile -t procs < <(_tg_h_tree "${procs[@]}")
		for e in "${procs[@]}"; do
			_tg_h_say "$why, SIGKILL: $e $(tr '\0' ' ' <"/proc/${e%%:*}/cmdline" 2>/dev/null | cut -c1-100)"
			kill -KILL "${e%%:*}" 2>/dev/null
		done
		_tg_h_wait_gone 5 "${procs[@]}" || {
			for e in "${procs[@]}"; do _tg_h_alive "$e" && left+=("$e"); done
			_tg_h_say "could not stop: ${left[*]}"
		}
	fi
	[ ${#left[@]} = 0 ]
}

# _tg_h_spawn OUT ERR CMD...: starts CMD in the background, in its own process
# group (job control on just for this fork) so a terminal ^C reaches the test,
# not the daemons, and cleanup stops them in order. Sets _TG_H_SPAWNED.
_tg_h_spawn() {
	local out=$1 err=$2 had_m=0
	shift 2
	case $- in *m*) had_m=1 ;; esac
	set -m
	"$@" </dev/null >>"$out" 2>>"$err" &
	local pid=$!
	[ $had_m = 1 ] || set +m
	# Out of the job table: no "Killed" notices when a test kills a daemon on
	# purpose (bash still reaps it; its status is not needed).
	disown "$pid"
	# The starttime is readable as soon as the fork exists.
	_TG_H_SPAWNED=$(_tg_h_entry "$pid") || _TG_H_SPAWNED="$pid:gone"
}

# _tg_h_direct NAME: fails inside a check. A check runs its command in a
# subshell, so what a start/stop function records there would be lost to the
# script (and to cleanup): such functions must be called directly.
_tg_h_direct() {
	[ -z "${_TG_H_IN_CHECK:-}" ] && return 0
	_tg_h_say "$1 must be called directly, not as the command of a check (test its status instead)"
	return 1
}

# tg_h_pids: prints "pid:starttime" of every process this run started that still runs.
tg_h_pids() {
	local -; set +e
	# shellcheck disable=SC2086,SC2046
	_tg_h_tree $TG_H_DOCKERD $TG_H_CONTAINERD $(_tg_h_shims) $TG_H_TRUSTGATE $TG_H_REGISTRY
}

# tg_h_wait_until SECONDS CMD...: retries CMD every 0.2 s until it succeeds (0) or time is up (1).
tg_h_wait_until() {
	local -; set +e
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# tg_h_log_tail FILE [LINES]: the end of a log, indented, for failure messages.
tg_h_log_tail() {
	local -; set +e
	[ -f "$1" ] || { echo "    ($1 does not exist)"; return 0; }
	echo "    --- last ${2:-20} lines of $1"
	tail -n "${2:-20}" "$1" | sed 's/^/    /'
}

# ------------------------------------------------------------- set-up / tear-down

# tg_h_free_port VAR: stores a free 127.0.0.1 TCP port in VAR. Ports come from
# below the kernel's ephemeral range (32768+) so outgoing connections cannot
# take them; a port is never handed out twice in one run.
tg_h_free_port() {
	local -; set +e
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		case " $_TG_H_PORTS " in *" $p "*) continue ;; esac
		if command -v ss >/dev/null 2>&1; then
			[ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] || continue
		elif (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			continue
		fi
		_TG_H_PORTS+=" $p"
		printf -v "$1" '%s' "$p"
		return 0
	done
	_tg_h_say "no free port found"
	return 1
}

# tg_h_init: fresh work dir and per-run names; installs the cleanup trap.
tg_h_init() {
	local -; set +e
	_tg_h_direct tg_h_init || return 1
	if [ "$(id -u)" != 0 ]; then _tg_h_say "must run as root (dockerd)"; return 1; fi
	if [ -n "$_TG_H_WORK" ] && [ "$_TG_H_CLEANED" = 0 ]; then
		_tg_h_say "tg_h_init called twice (work dir $_TG_H_WORK)"
		return 1
	fi
	TG_WORK=$(mktemp -d /tmp/tg.XXXXXXXX) || return 1
	_TG_H_WORK=$TG_WORK
	_TG_H_CLEANED=0
	local id
	id=$(printf '%s' "${TG_WORK##*/tg.}" | tr "[:upper:]" "[:lower:]")
	# Unique per run so that parallel runs never share a plugin, containerd
	# namespace or socket (containerd namespaces allow [a-z0-9._-]).
	TG_NS="tgtest-$$-$id"
	TG_PLUGIN_NAME="tgtest-$$-$id"
	TG_PLUGIN_SOCK="/run/docker/plugins/$TG_PLUGIN_NAME.sock"
	TG_DOCKER_SOCK="$TG_WORK/docker.sock"
	tg_h_free_port TG_REGISTRY_PORT || return 1
	# Own CLI config: no credentials, trust keys or contexts leak in from the host.
	DOCKER_CONFIG="$TG_WORK/docker-config"
	mkdir -p "$DOCKER_CONFIG" /run/docker/plugins
	export TG_WORK TG_NS TG_PLUGIN_NAME TG_PLUGIN_SOCK TG_DOCKER_SOCK TG_REGISTRY_PORT DOCKER_CONFIG
	trap '_tg_h_on_exit' EXIT
	trap '_tg_h_on_signal 129' HUP
	trap '_tg_h_on_signal 130' INT
	trap '_tg_h_on_signal 143' TERM
	_tg_h_say "work dir $TG_WORK, plugin $TG_PLUGIN_NAME"
}

_tg_h_on_exit() {
	local rc=$?  # first: the script's exit status
	local -; set +e
	if [ "$TG_H_NCHECKS" -gt 0 ] && [ "$TG_H_SUMMARY_DONE" = 0 ]; then
		_tg_h_say "script ended (status $rc) before tg_h_summary"
		tg_h_summary || rc=1
	fi
	tg_h_cleanup "$rc"
	exit "$rc"
}

_tg_h_on_signal() {
	local -; set +e
	_tg_h_say "interrupted"
	tg_h_cleanup "$1"
	trap - EXIT
	exit "$1"
}

# _tg_h_unmount_all: unmounts everything mounted at or below TG_WORK, deepest
# first. dockerd bind-mounts its data root onto itself and leaves it (and netns
# or shm mounts of containers) behind whenever it does not shut down cleanly.
_tg_h_unmount_all() {
	local dir mp
	dir=$(realpath -m "$TG_WORK")
	for _ in 1 2 3 4 5; do
		local mps=()
		# Field 5 is the mount point, with space, tab, newline, backslash octal-escaped.
		while read -r _ _ _ _ mp _; do
			case $mp in *\\*) mp=$(printf '%b' "$mp") ;; esac
			case $mp in "$dir" | "$dir"/*) mps+=("$mp") ;; esac
		done </proc/self/mountinfo
		[ ${#mps[@]} -gt 0 ] || return 0
		# Reverse order: a mount inside another sorts after its parent, so it goes first.
		mapfile -t mps < <(printf '%s\n' "${mps[@]}" | sort -r)
		for mp in "${mps[@]}"; do
			umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || _tg_h_say "cannot unmount $mp"
		done
	done
	_tg_h_say "mounts remain under $dir"
	return 1
}

# _tg_h_kill_containers: SIGKILLs the processes of our containers (the
# descendants of our shims). dockerd would give each running container its stop
# timeout (10 s by default; --shutdown-timeout only raises it) on shutdown, and
# at cleanup their fate does not matter.
_tg_h_kill_containers() {
	local shim e
	for shim in $(_tg_h_shims); do
		for e in $(_tg_h_tree "$shim"); do
			[ "$e" != "$shim" ] && kill -KILL "${e%%:*}" 2>/dev/null
		done
	done
	return 0
}

# tg_h_cleanup [STATUS]: stops everything this run started, newest layer first
# (dockerd, then trustgate, then the registry), unmounts, removes the plugin
# socket and the work dir (kept if TG_KEEP=1, STATUS != 0 or a check failed).
# Idempotent; bounded (about 45 s at worst); signals are ignored while it runs
# so a second ^C cannot leave it half done.
tg_h_cleanup() {
	local -; set +e
	_tg_h_direct tg_h_cleanup || return 1
	local status=${1:-0}
	[ -n "$_TG_H_WORK" ] || return 0
	TG_WORK=$_TG_H_WORK
	trap '' HUP INT TERM
	local pg
	# A check interrupted by a signal: kill its process groups (disowned first:
	# its status no longer matters and bash would print "Killed" notices).
	for pg in "$_TG_H_CHECK_PGID" "$_TG_H_WATCH_PGID"; do
		[ -n "$pg" ] || continue
		disown "$pg" 2>/dev/null
		kill -KILL -- "-$pg" 2>/dev/null
	done
	_TG_H_CHECK_PGID="" _TG_H_WATCH_PGID=""
	_tg_h_kill_containers
	tg_h_stop_dockerd
	tg_h_stop_trustgate TERM
	tg_h_stop_registry
	local ok=1
	if [ -d "$TG_WORK" ]; then _tg_h_unmount_all || ok=0; fi
	[ -S "$TG_PLUGIN_SOCK" ] && rm -f "$TG_PLUGIN_SOCK"
	if [ -n "$(tg_h_pids)" ]; then ok=0; fi
	if [ -d "$TG_WORK" ]; then
		if [ "${TG_KEEP:-0}" = 1 ] || [ "$status" != 0 ] || [ "$TG_H_FAILED" -gt 0 ] || [ $ok = 0 ]; then
			[ "$_TG_H_CLEANED" = 1 ] || _tg_h_say "kept $TG_WORK (logs: dockerd.log trustgate.log registry.log)"
		else
			rm -rf "$TG_WORK" || ok=0
		fi
	fi
	_TG_H_CLEANED=1
	trap '_tg_h_on_signal 129' HUP
	trap '_tg_h_on_signal 130' INT
	trap '_tg_h_on_signal 143' TERM
	[ $ok = 1 ]
}

# ------------------------------------------------------------------ busybox image

# tg_h_make_busybox_tar OUT: a root filesystem tar for `docker import`: the
# static /bin/busybox, applet symlinks, and /etc/passwd + /etc/group with root
# and nobody (for --user tests).
tg_h_make_busybox_tar() {
	local -; set +e
	local out=$1 stage a
	# A dynamic busybox (package "busybox") would not run in an empty image.
	if ldd "$TG_BUSYBOX" >/dev/null 2>&1; then
		_tg_h_say "$TG_BUSYBOX is dynamically linked: install busybox-static"
		return 1
	fi
	stage=$(mktemp -d "${TG_WORK:-/tmp}/bbroot.XXXXXX") || return 1
	mkdir -p "$stage/bin" "$stage/etc" "$stage/tmp"
	chmod 1777 "$stage/tmp"
	cp "$TG_BUSYBOX" "$stage/bin/busybox"
	for a in sh echo cat true false sleep ls id env ps printf test touch mkdir rm \
		whoami hostname wget nc grep sed head tail wc; do
		ln -s busybox "$stage/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$stage/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
	tar --numeric-owner --owner=0 --group=0 -C "$stage" -cf "$out" bin etc tmp
	local rc=$?
	rm -rf "$stage"
	return $rc
}

# ------------------------------------------------------------------ registry

_tg_h_registry_up() { curl -sf --noproxy '*' --max-time 2 -o /dev/null "http://$TG_REGISTRY/v2/"; }

# tg_h_start_registry: docker-registry with filesystem storage under TG_WORK on
# 127.0.0.1:TG_REGISTRY_PORT; exports TG_REGISTRY=127.0.0.1:PORT. A port taken
# between choice and bind makes the registry exit: then another port is tried.
tg_h_start_registry() {
	local -; set +e
	_tg_h_direct tg_h_start_registry || return 1
	local try
	for try in 1 2 3; do
		[ $try = 1 ] || tg_h_free_port TG_REGISTRY_PORT || return 1
		export TG_REGISTRY_PORT TG_REGISTRY="127.0.0.1:$TG_REGISTRY_PORT"
		cat >"$TG_WORK/registry.yml" <<-EOF
			version: 0.1
			log:
			  level: info
			storage:
			  filesystem:
			    rootdirectory: $TG_WORK/registry-data
			  delete:
			    enabled: true
			http:
			  addr: $TG_REGISTRY
		EOF
		_tg_h_spawn "$TG_WORK/registry.log" "$TG_WORK/registry.log" docker-registry serve "$TG_WORK/registry.yml"
		TG_H_REGISTRY=$_TG_H_SPAWNED
		local deadline=$((SECONDS + 10))
		while _tg_h_alive "$TG_H_REGISTRY" && [ $SECONDS -lt $deadline ]; do
			_tg_h_registry_up && return 0
			sleep 0.1
		done
		_tg_h_say "registry on $TG_REGISTRY did not come up"
		tg_h_log_tail "$TG_WORK/registry.log" >&2
		tg_h_stop_registry
	done
	return 1
}

tg_h_stop_registry() {
	local -; set +e
	_tg_h_direct tg_h_stop_registry || return 1
	[ -n "$TG_H_REGISTRY" ] || return 0
	_tg_h_stop_procs TERM 5 "$TG_H_REGISTRY"
	TG_H_REGISTRY=""
}

# ------------------------------------------------------------------ trustgate

# Connected = ready: curl exit 7 means nothing accepted the connection. The
# probe is Plugin.Activate, which dockerd itself sends and which changes nothing.
_tg_h_plugin_up() {
	curl -s --max-time 2 -o /dev/null --unix-socket "$TG_PLUGIN_SOCK" \
		-X POST --data-binary '' http://plugin/Plugin.Activate
	[ $? != 7 ]
}

# tg_h_start_trustgate POLICY_FILE [EXTRA_ARGS...]: trustgate serve on
# TG_PLUGIN_SOCK, audit log (stderr) appended to $TG_WORK/trustgate.log, stdout
# to trustgate.stdout; returns once the socket accepts connections (5 s at most).
tg_h_start_trustgate() {
	local -; set +e
	_tg_h_direct tg_h_start_trustgate || return 1
	if _tg_h_alive "$TG_H_TRUSTGATE"; then _tg_h_say "trustgate already running"; return 1; fi
	if [ ! -x "$TG_BIN" ]; then _tg_h_say "TG_BIN=$TG_BIN is not executable (build first)"; return 1; fi
	TG_H_TG_ARGS=("$@")
	local policy=$1
	shift
	# A stale socket left by a killed instance: remove it, so that "connectable"
	# below can only mean the new process listens.
	[ -S "$TG_PLUGIN_SOCK" ] && rm -f "$TG_PLUGIN_SOCK"
	# trustgate asks the sandboxed dockerd about local images unless told otherwise.
	local docker_arg=(--docker-socket "$TG_DOCKER_SOCK")
	case " $* " in *" --docker-socket "*) docker_arg=() ;; esac
	_tg_h_spawn "$TG_WORK/trustgate.stdout" "$TG_WORK/trustgate.log" \
		"$TG_BIN" serve --socket "$TG_PLUGIN_SOCK" --policy "$policy" --plugin-name "$TG_PLUGIN_NAME" \
		"${docker_arg[@]}" "$@"
	TG_H_TRUSTGATE=$_TG_H_SPAWNED
	local deadline=$((SECONDS + 5))
	while _tg_h_alive "$TG_H_TRUSTGATE"; do
		[ -S "$TG_PLUGIN_SOCK" ] && _tg_h_plugin_up && return 0
		[ $SECONDS -ge $deadline ] && break
		sleep 0.05
	done
	_tg_h_say "trustgate did not start listening on $TG_PLUGIN_SOCK"
	tg_h_log_tail "$TG_WORK/trustgate.log" >&2
	tg_h_stop_trustgate KILL
	return 1
}

# tg_h_stop_trustgate [SIGNAL]: sends SIGNAL (default TERM) and waits for the
# exit (SIGKILL after 10 s). The socket file is left as trustgate leaves it, so
# a test can see what dockerd does with a stale socket; cleanup removes it.
tg_h_stop_trustgate() {
	local -; set +e
	_tg_h_direct tg_h_stop_trustgate || return 1
	[ -n "$TG_H_TRUSTGATE" ] || return 0
	_tg_h_stop_procs "${1:-TERM}" 10 "$TG_H_TRUSTGATE"
	TG_H_TRUSTGATE=""
}

# tg_h_restart_trustgate [POLICY_FILE [EXTRA_ARGS...]]: stop (TERM) and start
# again, with the previous arguments unless new ones are given.
tg_h_restart_trustgate() {
	local -; set +e
	_tg_h_direct tg_h_restart_trustgate || return 1
	[ $# -gt 0 ] && TG_H_TG_ARGS=("$@")
	local args=("${TG_H_TG_ARGS[@]}")
	[ ${#args[@]} -gt 0 ] || { _tg_h_say "restart: trustgate was never started"; return 1; }
	tg_h_stop_trustgate TERM
	tg_h_start_trustgate "${args[@]}"
}

# ------------------------------------------------------------------ dockerd

# dk ARGS...: the Debian docker CLI against this run's daemon.
dk() { "$TG_DOCKER_CLI" -H "unix://$TG_DOCKER_SOCK" "$@"; }

_tg_h_dockerd_up() { timeout 5 "$TG_DOCKER_CLI" -H "unix://$TG_DOCKER_SOCK" version >/dev/null 2>&1; }

# tg_h_start_dockerd [EXTRA_DOCKERD_ARGS...]: a private dockerd (vfs, no
# networking set-up, own containerd namespace) with --authorization-plugin
# unless TG_NO_AUTHZ=1, log in $TG_WORK/dockerd.log; waits (30 s at most) until
# `docker version` works. Its config file is $TG_WORK/daemon.json (written as {}
# unless the test wrote one first), so the host's /etc/docker/daemon.json does
# not apply. The plugin must already listen: dockerd refuses to start without it.
tg_h_start_dockerd() {
	local -; set +e
	_tg_h_direct tg_h_start_dockerd || return 1
	if _tg_h_alive "$TG_H_DOCKERD"; then _tg_h_say "dockerd already running"; return 1; fi
	[ -f "$TG_WORK/daemon.json" ] || echo '{}' >"$TG_WORK/daemon.json"
	local args=(--config-file "$TG_WORK/daemon.json"
		--data-root "$TG_WORK/data" --exec-root "$TG_WORK/exec"
		--pidfile "$TG_WORK/dockerd.pid" -H "unix://$TG_DOCKER_SOCK"
		--iptables=false --ip-forward=false --bridge=none --storage-driver=vfs
		--containerd-namespace "$TG_NS" --containerd-plugins-namespace "${TG_NS}p")
	[ "${TG_NO_AUTHZ:-0}" = 1 ] || args+=("--authorization-plugin=$TG_PLUGIN_NAME")
	_tg_h_spawn "$TG_WORK/dockerd.log" "$TG_WORK/dockerd.log" dockerd "${args[@]}" "$@"
	TG_H_DOCKERD=$_TG_H_SPAWNED
	local deadline=$((SECONDS + 30))
	while _tg_h_alive "$TG_H_DOCKERD"; do
		if [ -S "$TG_DOCKER_SOCK" ] && _tg_h_dockerd_up; then
			# Remember containerd: if dockerd is SIGKILLed it survives as an orphan.
			TG_H_CONTAINERD=$(_tg_h_tree "$TG_H_DOCKERD" | grep -v "^$TG_H_DOCKERD\$" | tr '\n' ' ')
			return 0
		fi
		[ $SECONDS -ge $deadline ] && break
		sleep 0.2
	done
	_tg_h_say "dockerd did not come up"
	if [ "${TG_NO_AUTHZ:-0}" != 1 ] && [ ! -S "$TG_PLUGIN_SOCK" ]; then
		_tg_h_say "no plugin at $TG_PLUGIN_SOCK: dockerd waits ~16 s for it, then exits (start trustgate first)"
	fi
	tg_h_log_tail "$TG_WORK/dockerd.log" 30 >&2
	tg_h_stop_dockerd
	return 1
}

# tg_h_stop_dockerd: TERM, wait for dockerd, its containerd, shims and
# containers (25 s), then SIGKILL them.
tg_h_stop_dockerd() {
	local -; set +e
	_tg_h_direct tg_h_stop_dockerd || return 1
	local shims
	shims=$(_tg_h_shims)
	[ -n "$TG_H_DOCKERD$TG_H_CONTAINERD$shims" ] || return 0
	# shellcheck disable=SC2086
	_tg_h_stop_procs TERM 25 "$TG_H_DOCKERD" $TG_H_CONTAINERD $shims
	TG_H_DOCKERD="" TG_H_CONTAINERD=""
}

# tg_h_curl_docker METHOD PATH [CURL_ARGS...]: raw HTTP on the daemon socket,
# for bypass tests. Prints the body, then the HTTP status alone on the last line
# (000 if no answer). PATH is sent as is (--path-as-is: no ../ or // folding);
# use CURL_ARGS such as -H 'Content-Type: application/json' -d @file, or
# --request-target for absolute-form URIs. Returns curl's exit status.
tg_h_curl_docker() {
	local -; set +e
	local method=$1 path=$2 body code rc
	shift 2
	body=$(mktemp "${TG_WORK:-/tmp}/curl.XXXXXX") || return 1
	local mflag=(-X "$method")
	[ "$method" = HEAD ] && mflag=(--head)  # -X HEAD would wait for a body that never comes
	code=$(curl -sS --noproxy '*' --path-as-is --max-time "${TG_H_TIMEOUT:-120}" \
		--unix-socket "$TG_DOCKER_SOCK" "${mflag[@]}" -o "$body" -w '%{http_code}' \
		"$@" "http://localhost$path")
	rc=$?
	cat "$body"
	[ -s "$body" ] && [ "$(tail -c 1 "$body" | od -An -c | tr -d ' ')" != '\n' ] && echo
	echo "${code:-000}"
	rm -f "$body"
	return $rc
}

# ------------------------------------------------------------------ checks
# Each check prints one line, "ok N - name" or "not ok N - name: why" (plus
# the command's output, indented, on failure), and counts. Commands may be
# shell functions (dk, tg_h_curl_docker, the test's own); they run in a
# subshell in their own process group, killed after TG_H_TIMEOUT seconds.

# _tg_h_run_bounded OUTFILE CMD...: runs CMD with stdout+stderr to OUTFILE.
# Sets _TG_H_RC and _TG_H_TIMED_OUT (1 if killed by the time limit).
_tg_h_run_bounded() {
	local out=$1 limit=${TG_H_TIMEOUT:-120} had_m=0 mark
	shift
	mark="$out.timedout"
	case $- in *m*) had_m=1 ;; esac
	set -m  # own process groups: the watchdog can kill the command's whole tree
	# The caller's stdin is passed on (`tg_h_expect_ok x dk load <f`), except a
	# terminal: read from a background process group it would stop the command.
	( [ -t 0 ] && exec </dev/null
	  _TG_H_IN_CHECK=1
	  "$@") <&0 >"$out" 2>&1 &
	_TG_H_CHECK_PGID=$!
	(sleep "$limit"; : >"$mark"; kill -TERM -- "-$_TG_H_CHECK_PGID" 2>/dev/null
	 sleep 5; kill -KILL -- "-$_TG_H_CHECK_PGID" 2>/dev/null) >/dev/null 2>&1 &
	_TG_H_WATCH_PGID=$!
	[ $had_m = 1 ] || set +m
	wait "$_TG_H_CHECK_PGID"
	_TG_H_RC=$?
	kill -KILL -- "-$_TG_H_WATCH_PGID" 2>/dev/null
	wait "$_TG_H_WATCH_PGID" 2>/dev/null
	_TG_H_TIMED_OUT=0
	if [ -e "$mark" ]; then
		_TG_H_TIMED_OUT=1
		kill -KILL -- "-$_TG_H_CHECK_PGID" 2>/dev/null
		rm -f "$mark"
	fi
	_TG_H_CHECK_PGID="" _TG_H_WATCH_PGID=""
}

# _tg_h_check KIND NAME SUBSTRING CMD...: the engine behind the public checks.
#   KIND ok: exit 0; fail: exit != 0 and output has SUBSTRING; output: exit 0
#   and output has SUBSTRING. SUBSTRING may span lines.
_tg_h_check() {
	local -; set +e
	local kind=$1 name=$2 want=$3 out t0 why="" elapsed
	shift 3
	TG_H_NCHECKS=$((TG_H_NCHECKS + 1))
	if [ -n "${TG_WORK:-}" ] && [ -d "$TG_WORK" ]; then
		out=$(mktemp "$TG_WORK/check.XXXXXX")
	else
		out=$(mktemp /tmp/tg-check.XXXXXX)
	fi
	t0=${EPOCHREALTIME/[,.]/}
	_tg_h_run_bounded "$out" "$@"
	elapsed=$(( (${EPOCHREALTIME/[,.]/} - t0) / 100000 ))  # tenths of a second
	local output
	output=$(cat "$out")
	rm -f "$out"
	if [ "$_TG_H_TIMED_OUT" = 1 ]; then
		why="timed out after ${TG_H_TIMEOUT:-120}s"
	else
		case $kind in
		ok) [ "$_TG_H_RC" = 0 ] || why="exit status $_TG_H_RC" ;;
		fail)
			if [ "$_TG_H_RC" = 0 ]; then why="succeeded, expected a failure"
			elif [[ $output != *"$want"* ]]; then why="exit status $_TG_H_RC but output lacks \"$want\""; fi ;;
		output)
			if [ "$_TG_H_RC" != 0 ]; then why="exit status $_TG_H_RC"
			elif [[ $output != *"$want"* ]]; then why="output lacks \"$want\""; fi ;;
		esac
	fi
	local when=""
	[ "$elapsed" -ge 10 ] && when=" ($((elapsed / 10)).$((elapsed % 10))s)"
	if [ -z "$why" ]; then
		TG_H_PASSED=$((TG_H_PASSED + 1))
		printf 'ok %d - %s%s\n' "$TG_H_NCHECKS" "$name" "$when"
		return 0
	fi
	TG_H_FAILED=$((TG_H_FAILED + 1))
	printf 'not ok %d - %s: %s%s\n' "$TG_H_NCHECKS" "$name" "$why" "$when"
	printf '#   command: %s\n' "$*"
	if [ -n "$output" ]; then
		printf '%s\n' "$output" | tail -n 40 | sed 's/^/#   | /'
	else
		echo '#   (no output)'
	fi
	return 1
}

# tg_h_expect_ok NAME CMD...: CMD must exit 0.
tg_h_expect_ok() { local n=$1; shift; _tg_h_check ok "$n" "" "$@"; }
# tg_h_expect_fail NAME SUBSTRING CMD...: CMD must exit non-zero AND print SUBSTRING (stdout or stderr).
tg_h_expect_fail() { local n=$1 s=$2; shift 2; _tg_h_check fail "$n" "$s" "$@"; }
# tg_h_expect_output NAME SUBSTRING CMD...: CMD must exit 0 AND print SUBSTRING.
tg_h_expect_output() { local n=$1 s=$2; shift 2; _tg_h_check output "$n" "$s" "$@"; }
# tg_h_check NAME CMD...: CMD is a condition (test, grep -q, a function...); it must succeed.
tg_h_check() { local n=$1; shift; _tg_h_check ok "$n" "" "$@"; }

# tg_h_summary: prints "N passed, N failed" alone on a line; non-zero if any failed.
tg_h_summary() {
	TG_H_SUMMARY_DONE=1
	printf '%d passed, %d failed\n' "$TG_H_PASSED" "$TG_H_FAILED"
	[ "$TG_H_FAILED" = 0 ]
}
