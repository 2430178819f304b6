#!/usr/bin/env bash
# The trustgate command line, without a daemon: check explains decisions
# with exit 0/1/2, policy validate reports line and column, serve refuses
# bad start-up input clearly and starts fast.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
TG=$TG_BIN
work=$(mktemp -d /tmp/tg-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
policy=$here/../../contrib/policy.example.json

exit_is() { # exit_is WANT cmd...: the command exits with status WANT
  local want=$1; shift
  "$@"; local got=$?
  [[ $got -eq $want ]] || { echo "exit status $got, want $want"; return 1; }
}

tg_h_expect_output "--help describes the commands" "check [--policy FILE] [--state-dir DIR] [--local [--docker-socket PATH]] IMAGE" "$TG" --help
tg_h_expect_output "--version prints the version" "trustgate 0." "$TG" --version
tg_h_check "an unknown command is a usage error (exit 2)" exit_is 2 "$TG" frobnicate

tg_h_expect_output "check explains an allowed official image" "decision:   ALLOW" \
  "$TG" check --policy "$policy" alpine:3.19
tg_h_expect_output "check shows the normalized name" "normalized: docker.io/library/alpine:latest" \
  "$TG" check --policy "$policy" alpine
tg_h_expect_output "check names the rule" "rule:       #1 \"*\" (require publisher)" \
  "$TG" check --policy "$policy" alpine
tg_h_check "check exits 0 for an allowed image" exit_is 0 "$TG" check --policy "$policy" bitnami/redis
tg_h_check "check exits 1 for a denied image" exit_is 1 "$TG" check --policy "$policy" evil/miner
tg_h_expect_output "check explains a deny and how to fix it" \
  "no rule trusts publisher \"evil\". To allow it, add \"docker.io/evil\" to \"verified_publishers\"" \
  bash -c "'$TG' check --policy '$policy' evil/miner; true"
tg_h_expect_output "check explains a deny rule with its reason" "(use registry.acme.io/team/ubuntu" \
  bash -c "'$TG' check --policy '$policy' ubuntu; true"
tg_h_check "check exits 2 for an invalid image name" exit_is 2 "$TG" check --policy "$policy" "Evil/Miner"
tg_h_expect_output "check says why a name is invalid" "must be lowercase" \
  bash -c "'$TG' check --policy '$policy' Evil/Miner 2>&1; true"
tg_h_check "check exits 2 for a broken policy" exit_is 2 "$TG" check --policy /nonexistent.json alpine

tg_h_expect_output "policy validate accepts the example" "valid (4 rules, mode enforce)" \
  "$TG" policy validate "$policy"
printf '{\n  "rules": [\n    {"match": "*", "require": "publisher"},\n    {"match": "docker.io/x/*", "require": "alow"}\n  ]\n}\n' >"$work/bad.json"
tg_h_check "policy validate exits 1 for an invalid policy" exit_is 1 "$TG" policy validate "$work/bad.json"
tg_h_expect_output "policy validate gives line and column" \
  "$work/bad.json:4:43: \"require\" must be one of" bash -c "'$TG' policy validate '$work/bad.json' 2>&1; true"
printf '{"rules": [,]}' >"$work/syntax.json"
tg_h_expect_output "policy validate reports syntax errors with position" "$work/syntax.json:1:12:" \
  bash -c "'$TG' policy validate '$work/syntax.json' 2>&1; true"

tg_h_check "serve with a missing policy file fails" exit_is 1 \
  "$TG" serve --socket "$work/s.sock" --policy "$work/missing.json"
tg_h_expect_output "serve with a broken policy says where" "bad.json:4:43" \
  bash -c "'$TG' serve --socket '$work/s.sock' --policy '$work/bad.json' 2>&1; true"
tg_h_expect_output "serve rejects a bad option value" "bad value \"abc\" for --timeout" \
  bash -c "'$TG' serve --socket '$work/s.sock' --timeout abc 2>&1; true"
touch "$work/not-a-socket"
tg_h_expect_output "serve refuses to replace a file that is not a socket" "is not a socket" \
  bash -c "'$TG' serve --socket '$work/not-a-socket' --policy '$policy' 2>&1; true"

# Start-up to a listening socket (dockerd waits on it): measured, not asserted here.
start=$(date +%s%N)
"$TG" serve --socket "$work/fast.sock" --policy "$policy" 2>"$work/serve.log" &
pid=$!
until [[ -S $work/fast.sock ]] || ! kill -0 $pid 2>/dev/null; do sleep 0.005; done
echo "# start-up to listening socket: $(( ($(date +%s%N) - start) / 1000000 )) ms"
tg_h_check "serve listens" test -S "$work/fast.sock"
kill -TERM $pid; wait $pid; status=$?
tg_h_check "serve exits 0 on SIGTERM" test $status -eq 0
tg_h_check "serve removes its socket on exit" test ! -e "$work/fast.sock"
tg_h_expect_output "serve logs where it listens" "serving plugin \"trustgate\" on $work/fast.sock" \
  cat "$work/serve.log"

tg_h_summary
