#!/usr/bin/env bash
# Self-test of lib.sh, without trustgate (TG_NO_AUTHZ=1): brings up the
# registry and a private dockerd, moves a busybox image through import, run,
# push, rmi and pull; proves that failing checks are reported as failures (and
# a hung command is cut off), that a `set -e` test and a SIGTERMed test end
# cleanly; restarts dockerd, then SIGKILLs it with a container running, as a
# crash would; cleans up and checks that nothing of the run is left: no
# process, no mount under the work dir, no socket, no dir. About 8 s.
set -u
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
export TG_NO_AUTHZ=1
t_start=$SECONDS

tg_h_init || exit 1
tg_h_check "work dir created" test -d "$TG_WORK"
tg_h_check "registry port is a number" test "$TG_REGISTRY_PORT" -gt 0

tg_h_start_registry || { tg_h_summary; exit 1; }
tg_h_expect_output "registry answers /v2/" "{}" curl -sf --noproxy '*' "http://$TG_REGISTRY/v2/"

tg_h_start_dockerd || { tg_h_summary; exit 1; }
tg_h_expect_output "dk talks to our dockerd" "$TG_WORK/data" dk info --format '{{.DockerRootDir}}'
tg_h_expect_output "dk is the 20.10 CLI" "20.10" dk version --format '{{.Client.Version}}'

img="$TG_REGISTRY/test/bb:1"
tg_h_expect_ok "busybox tar built" tg_h_make_busybox_tar "$TG_WORK/bb.tar"
tg_h_expect_output "docker import" "sha256:" dk import "$TG_WORK/bb.tar" "$img"
tg_h_expect_output "run echo hi" "hi" dk run --rm --network none "$img" /bin/echo hi
tg_h_expect_output "run as nobody" "uid=65534(nobody)" dk run --rm --network none --user nobody "$img" id
tg_h_expect_output "push to registry" "1: digest: sha256:" dk push "$img"
tg_h_expect_ok "rmi" dk rmi "$img"
tg_h_expect_fail "image is gone after rmi" "No such image" dk image inspect "$img"
tg_h_expect_output "pull back from registry" "Downloaded newer image" dk pull "$img"
tg_h_expect_output "run the pulled image" "hi" dk run --rm --network none "$img" /bin/echo hi
tg_h_expect_output "raw API: _ping, status on last line" $'OK\n200' tg_h_curl_docker GET /_ping
tg_h_expect_output "raw API: 404 status" $'\n404' tg_h_curl_docker GET /v1.41/containers/nope/json
tg_h_expect_output "raw API: HEAD" $'\n200' tg_h_curl_docker HEAD /_ping
my_func() { echo "from a function: $1"; return "$2"; }
tg_h_expect_output "a shell function as the command" "from a function: x" my_func x 0
tg_h_expect_fail "a failing function with its message" "from a function: y" my_func y 3
my_sleep_func() { sleep 32.3; }  # odd durations: findable with pgrep -x below

# Checks that must fail, run in a subshell so their counts stay out of ours.
t0=$SECONDS
# shellcheck disable=SC2030,SC2031  # the subshell's counts are meant to be lost
neg=$(
	TG_H_PASSED=0 TG_H_FAILED=0 TG_H_NCHECKS=0
	tg_h_expect_ok "NEG ok-but-exits-1" false
	tg_h_expect_fail "NEG fail-but-exits-0" "x" true
	tg_h_expect_fail "NEG fail-wrong-message" "expected text" sh -c 'echo other text; exit 1'
	tg_h_expect_output "NEG output-missing" "absent" echo present
	tg_h_expect_output "NEG output-but-exits-1" "present" sh -c 'echo present; exit 1'
	tg_h_check "NEG condition false" test 1 = 2
	TG_H_TIMEOUT=1 tg_h_expect_ok "NEG hung command is cut off" sleep 31.7
	TG_H_TIMEOUT=1 tg_h_expect_ok "NEG hung function is cut off" my_sleep_func
	tg_h_summary
	echo "summary-status=$?"
)
neg_secs=$((SECONDS - t0))
printf '%s\n' "$neg" | sed 's/^/  [negative] /'
tg_h_check "negative checks: all 8 failed" grep -qx '0 passed, 8 failed' <<<"$neg"
tg_h_check "negative checks: summary returned non-zero" grep -qx 'summary-status=1' <<<"$neg"
tg_h_check "negative checks: each reported as not ok" test "$(grep -c '^not ok ' <<<"$neg")" = 8
tg_h_check "negative checks: output shown on mismatch" grep -q '#   | other text' <<<"$neg"
tg_h_check "negative checks: timeouts reported" test "$(grep -c 'timed out after 1s' <<<"$neg")" = 2
tg_h_check "negative checks: hung commands cut off quickly (${neg_secs}s)" test "$neg_secs" -lt 8
tg_h_check "negative checks: no sleep left behind" sh -c '! pgrep -fx "sleep (31.7|32.3)"'
# shellcheck disable=SC2031
tg_h_check "our counts untouched by the subshell" test "$TG_H_FAILED" = 0
tg_h_expect_fail "start/stop functions refuse to run inside a check" "must be called directly" tg_h_stop_dockerd
tg_h_expect_output "dockerd still up after that refusal" "$TG_WORK/data" dk info --format '{{.DockerRootDir}}'

# A child test under `set -e` (and with our TG_WORK in its environment): its
# failed check ends it, the trap prints the counts, keeps its own work dir and
# leaves ours alone. Then a child interrupted by SIGTERM during a check.
child_out=$(bash -c '
	set -eu
	. "$1"
	tg_h_init
	tg_h_expect_ok "child passes" true
	tg_h_expect_ok "child fails" false
	echo "not reached"' _ "$TG_H_LIB_DIR/lib.sh" 2>&1)
child_rc=$?
child_work=$(sed -n 's/^harness: work dir \(\/tmp\/tg\.[^,]*\),.*/\1/p' <<<"$child_out")
tg_h_check "set -e child: exit status 1 (was $child_rc)" test "$child_rc" = 1
tg_h_check "set -e child: stopped at the failed check" test "$(grep -c 'not reached' <<<"$child_out")" = 0
tg_h_check "set -e child: counts printed by the trap" grep -qx '1 passed, 1 failed' <<<"$child_out"
tg_h_check "set -e child: own work dir kept and named" grep -qF "kept $child_work " <<<"$child_out"
tg_h_check "set -e child: our work dir untouched" test -d "$TG_WORK/data"
[ -n "$child_work" ] && [ "$child_work" != "$TG_WORK" ] && rm -rf "$child_work"

bash -c '
	. "$1"
	tg_h_init
	echo "$TG_WORK" >"$2"
	tg_h_expect_ok "child hangs" sleep 33.1' _ "$TG_H_LIB_DIR/lib.sh" "$TG_WORK/child2" >"$TG_WORK/child2.out" 2>&1 &
child=$!
tg_h_wait_until 10 test -s "$TG_WORK/child2"
sleep 0.5
t0=$SECONDS
kill -TERM "$child"
wait "$child"
child_rc=$?
child_work=$(cat "$TG_WORK/child2")
tg_h_check "SIGTERM child: exit status 143 (was $child_rc)" test "$child_rc" = 143
tg_h_check "SIGTERM child: cleaned up within 3 s" test $((SECONDS - t0)) -le 3
tg_h_check "SIGTERM child: its check's process killed" sh -c '! pgrep -fx "sleep 33.1"'
tg_h_check "SIGTERM child: work dir kept (interrupted)" test -d "$child_work"
[ -n "$child_work" ] && [ "$child_work" != "$TG_WORK" ] && rm -rf "$child_work"

# A graceful restart of dockerd keeps the images; then a container is left
# running and dockerd is SIGKILLed, as a crash would: cleanup must find the
# orphaned containerd, shim and container, and the mounts dockerd left.
mounted() { grep -qF " $1 " /proc/self/mountinfo; }
tg_h_stop_dockerd
tg_h_check "graceful stop: dockerd unmounted its data root" sh -c "! grep -qF ' $TG_WORK/data ' /proc/self/mountinfo"
tg_h_start_dockerd || { tg_h_summary; exit 1; }
tg_h_expect_output "restarted dockerd still has the image" "$img" dk images --format '{{.Repository}}:{{.Tag}}'
tg_h_expect_ok "detached container left running" dk run -d --network none --name left-running "$img" sleep 1000
mapfile -t procs < <(tg_h_pids)
tg_h_check "recorded dockerd, containerd, registry, shim, container (${#procs[@]})" test "${#procs[@]}" -ge 5
tg_h_check "dockerd's data-root bind mount is there" mounted "$TG_WORK/data"
tg_h_check "the container's netns mount is there" grep -qF " $TG_WORK/exec/netns/" /proc/self/mountinfo
kill -KILL "${TG_H_DOCKERD%%:*}"
tg_h_check "after SIGKILL of dockerd, the shim and container still run" test "$(tg_h_pids | wc -l)" -ge 3
work=$TG_WORK
dsock=$TG_DOCKER_SOCK
psock=$TG_PLUGIN_SOCK
t0=$SECONDS
tg_h_cleanup  # directly: a check would run it in a subshell
cleanup_status=$?
cleanup_secs=$((SECONDS - t0))
tg_h_check "cleanup succeeds (${cleanup_secs}s)" test "$cleanup_status" = 0

none_alive() {
	local e
	for e in "${procs[@]}"; do
		if _tg_h_alive "$e"; then echo "still running: $e"; return 1; fi
	done
}
no_mounts() { ! grep -F " $work" /proc/self/mountinfo; }
no_proc_mentions_work() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		[ "$f" = /proc/self/cmdline ] && continue
		if tr '\0' ' ' <"$f" 2>/dev/null | grep -qF "$work/"; then echo "$f"; return 1; fi
	done
	return 0
}
tg_h_check "no process of ours left" none_alive
tg_h_check "no process mentions the work dir" no_proc_mentions_work
tg_h_check "no mount under the work dir" no_mounts
tg_h_check "docker socket gone" test ! -e "$dsock"
tg_h_check "plugin socket absent" test ! -e "$psock"
tg_h_check "work dir removed" test ! -e "$work"
tg_h_cleanup
tg_h_check "cleanup is idempotent" test $? = 0
echo "# selftest: $((SECONDS - t_start))s in all, cleanup ${cleanup_secs}s"
tg_h_summary
