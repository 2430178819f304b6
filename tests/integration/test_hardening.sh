#!/usr/bin/env bash
# Container hardening rules through a real dockerd and the docker CLI: the
# create (and exec) requests `docker run` sends reach trustgate, which
# refuses the classic ways of running a trusted image unsafely, each with a
# message naming the setting and the flag that fixes it, and lets the rest
# run (warnings go to the audit log). Privileged containers cannot start in
# this sandbox: what is tested is the decision on the create request.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

tg_h_init
w=$TG_WORK
tg_h_make_busybox_tar "$w/bb.tar"
policy=$w/policy.json
write_policy() { # write_policy GLOBAL_CONTAINER_JSON
  cat >"$policy.tmp" <<JSON
{
  "rules": [
    {"match": "*", "require": "allow", "local_images": "allow"},
    {"match": "docker.io/monitor/*", "require": "allow", "local_images": "allow",
     "container": {"host_pid": "allow", "host_network": "allow", "protected_paths": [],
                   "comment": "the monitoring agent reads host processes; here it may also write /etc"}}
  ],
  "operations": {"import": "allow", "exec": "allow"},
  "container": $1
}
JSON
  mv "$policy.tmp" "$policy"
}
write_policy '{}'
tg_h_start_trustgate "$policy"
tg_h_start_dockerd
dk() { /usr/bin/docker -H "unix://$TG_DOCKER_SOCK" "$@"; }
run() { dk run --rm --network none "$@"; }
denied="authorization denied by plugin $TG_PLUGIN_NAME: container create of image app/bb:1 is not allowed by the host's container rules"
tg_h_expect_ok "import app/bb:1" dk import "$w/bb.tar" app/bb:1
tg_h_expect_ok "import monitor/agent:1" dk import "$w/bb.tar" monitor/agent:1
mkdir -p "$w/scratch" "$w/rw/sub" "$w/other"
ln -s /etc "$w/etc-link"

# --- the defaults
tg_h_expect_output "a plain run is allowed" "hello" run app/bb:1 echo hello
tg_h_expect_ok "and its root user is a warning in the audit log" \
  grep -q '"warnings":"no --user is given and the image.s user is root (none set)' "$w/trustgate.log"
tg_h_expect_fail "--privileged is denied, naming the fix" \
  "$denied: --privileged gives the container every capability and the host's devices (fix: run without --privileged" \
  run --privileged app/bb:1 true
tg_h_expect_fail "-v /:/host is denied: / holds the Docker socket" \
  "-v /:/host exposes /run/docker.sock, which is never mounted into a container" run -v /:/host app/bb:1 true
tg_h_expect_fail "-v /:/host:ro too: a socket works read-only" "exposes /run/docker.sock" \
  run -v /:/host:ro app/bb:1 true
tg_h_expect_fail "the Docker socket, read-only, is denied" \
  "-v /var/run/docker.sock:/s:ro exposes /run/docker.sock" run -v /var/run/docker.sock:/s:ro app/bb:1 true
tg_h_expect_fail "-v /etc:/x (writable) is denied, with the read-only fix" \
  "-v /etc:/x mounts /etc writable, and /etc is a protected host path (fix: mount it read-only (-v /etc:/x:ro, or --mount type=bind,src=/etc,dst=/x,readonly))" \
  run -v /etc:/x app/bb:1 true
tg_h_expect_output "-v /etc:/x:ro is allowed" "root:x:0:0" run -v /etc:/x:ro app/bb:1 head -1 /x/passwd
tg_h_expect_fail "--mount type=bind of /etc, writable, is denied" \
  "--mount src=/etc,dst=/x mounts /etc writable" run --mount type=bind,src=/etc,dst=/x app/bb:1 true
tg_h_expect_ok "--mount ...,readonly is allowed" run --mount type=bind,src=/etc,dst=/x,readonly app/bb:1 true
tg_h_expect_fail "a symlink to /etc is resolved, and denied" \
  "-v $w/etc-link:/x mounts /etc writable, and /etc is a protected host path" \
  run -v "$w/etc-link:/x" app/bb:1 true
tg_h_expect_fail "a path through a symlink that does not exist yet is resolved too" \
  "mounts /etc/trustgate-test-new writable" run -v "$w/etc-link/trustgate-test-new:/x" app/bb:1 true
tg_h_check "and dockerd did not create it" test ! -e /etc/trustgate-test-new
tg_h_expect_fail "dockerd's own data root is protected" \
  "mounts $w/data writable, and $w/data is a protected host path" run -v "$w/data:/x" app/bb:1 true
tg_h_expect_ok "a writable bind of an ordinary directory is allowed" run -v "$w/scratch:/x" app/bb:1 touch /x/f
tg_h_expect_fail "a local volume whose options bind /etc is a bind, denied" \
  "mounts /etc writable" run --mount type=volume,dst=/x,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc app/bb:1 true
for ns in pid network ipc uts; do
  tg_h_expect_fail "--$ns host is denied" "--$ns host shares the host's namespace" \
    dk run --rm --$ns host app/bb:1 true
done
tg_h_expect_fail "--userns host is denied" "--userns host shares the host's namespace" \
  run --userns host app/bb:1 true
tg_h_expect_fail "--cgroupns host is denied" "--cgroupns host shares the host's namespace" \
  run --cgroupns host app/bb:1 true
tg_h_expect_ok "the monitoring agent's rule allows --pid host for it alone" \
  dk run --rm --network none --pid host monitor/agent:1 true
tg_h_expect_fail "--cap-add NET_ADMIN is denied" "--cap-add NET_ADMIN adds a capability the policy does not allow" \
  run --cap-add NET_ADMIN app/bb:1 true
tg_h_expect_fail "--cap-add cap_sys_admin (another spelling) is denied" "--cap-add SYS_ADMIN" \
  run --cap-add cap_sys_admin app/bb:1 true
tg_h_expect_fail "--device is denied" "--device /dev/null gives the container a host device" \
  run --device /dev/null app/bb:1 true
for opt in seccomp=unconfined apparmor=unconfined no-new-privileges=false label=disable; do
  tg_h_expect_fail "--security-opt $opt is denied" "--security-opt $opt turns a kernel protection off" \
    run --security-opt "$opt" app/bb:1 true
done
tg_h_expect_fail "--security-opt systempaths=unconfined is denied" "HostConfig.MaskedPaths" \
  run --security-opt systempaths=unconfined app/bb:1 true
tg_h_expect_ok "--security-opt no-new-privileges (turning one on) is allowed" \
  run --security-opt no-new-privileges app/bb:1 true
for u in 0 root 0:0; do
  tg_h_expect_ok "--user $u is allowed by default (a warning)" run --user "$u" app/bb:1 true
  tg_h_expect_ok "and warned about" grep -q "\"warnings\":\"--user $u runs as root" "$w/trustgate.log"
done
tg_h_expect_ok "-e DB_PASSWORD=... is allowed, with a warning" run -e DB_PASSWORD=hunter2 app/bb:1 true
tg_h_expect_ok "that names the variable" grep -q 'environment variable DB_PASSWORD holds a literal value' "$w/trustgate.log"
tg_h_expect_fail "several at once are all listed" \
  "--privileged gives the container every capability and the host's devices (fix: run without --privileged (add only the capabilities it needs with --cap-add)); --pid host shares" \
  run --privileged --pid host app/bb:1 true

tg_h_expect_ok "start a container as root (allowed here, with a warning)" \
  dk run -d --name asroot --network none app/bb:1 sleep 300

# --- ways around the rules that the review found, each closed
api() { # api METHOD PATH [JSON]: the raw API, as any client may speak it
  curl -sS --unix-socket "$TG_DOCKER_SOCK" -X "$1" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "http://localhost$2"
}
tg_h_expect_output "settings at the body's top level (no HostConfig) are read as dockerd reads them" \
  "--privileged gives the container every capability" \
  api POST /v1.41/containers/create '{"Image":"app/bb:1","Cmd":["true"],"Privileged":true}'
tg_h_expect_ok "create a plain container to start with the old API" \
  dk create --name oldstart --network none app/bb:1 true
tg_h_expect_output "a start (API 1.23) that carries a HostConfig is refused" \
  "a start that may carry settings in its body (API before 1.24: send Content-Length: 0) is refused" \
  api POST /v1.23/containers/oldstart/start '{"Binds":["/:/host"],"PidMode":"host"}'
head -c 1100000 /dev/zero | tr '\0' ' ' >"$w/pad"
{ printf '{"Binds":["/:/host"],"PidMode":"host"'; cat "$w/pad"; printf '}'; } >"$w/big-start.json"
tg_h_expect_output "so is one whose body is chunked and too big for dockerd to pass on" \
  "a start that may carry settings in its body" \
  curl -sS --unix-socket "$TG_DOCKER_SOCK" -X POST -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary "@$w/big-start.json" \
    http://localhost/v1.23/containers/oldstart/start
tg_h_check "and the container did not run" \
  bash -c "[ \"\$(/usr/bin/docker -H unix://$TG_DOCKER_SOCK inspect -f '{{.State.StartedAt}}' oldstart)\" = 0001-01-01T00:00:00Z ]"
mkdir -p "$w/att/a/b/c" "$w/att/ok"
ln -s "$w/att/a/b/c" "$w/att/l"
tg_h_expect_fail "a bind through a symlink then '..' is cleaned as text first, as dockerd does" \
  "mounts /etc writable" run -v "$w/att/l/../../../../../../../../etc:/x" app/bb:1 true
ln -s "$w/att/ok" "$w/att/sw"
tg_h_expect_ok "create a container whose bind is a symlink to an ordinary directory" \
  dk create --name swapped --network none -v "$w/att/sw:/x" app/bb:1 true
ln -sfn /etc "$w/att/sw"
tg_h_expect_fail "after the symlink is switched to /etc, its start is denied (mounts are checked again)" \
  "container start is not allowed by the host's container rules: --mount src=$w/att/sw,dst=/x mounts /etc writable" \
  dk start swapped
tg_h_expect_fail "a local volume with a relative device and o=bind is a bind of that path" \
  "mounts /etc writable" run --mount 'type=volume,dst=/x,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=../../../../etc' app/bb:1 true
tg_h_expect_ok "a read-only use of a volume that binds /etc is allowed" \
  run --mount 'type=volume,src=etcvol,dst=/x,readonly,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc' app/bb:1 true
tg_h_expect_fail "its writable reuse by name is denied: the volume's options are looked up" \
  "volume etcvol (/etc) mounts /etc writable" run -v etcvol:/x app/bb:1 true
tg_h_expect_fail "a local volume of type proc (the host's /proc, writable) is denied" \
  "mounts a host file system (a local volume of type proc)" \
  run --mount 'type=volume,dst=/x,volume-driver=local,volume-opt=type=proc,volume-opt=device=proc' app/bb:1 true
tg_h_expect_fail "so is an overlay of host directories" "a local volume of type overlay" \
  run --mount "type=volume,dst=/x,volume-driver=local,volume-opt=type=overlay,volume-opt=o=lowerdir=/etc,volume-opt=device=overlay" app/bb:1 true
tg_h_expect_ok "create a volume that binds /etc" \
  dk volume create --opt type=none --opt o=bind --opt device=/etc etcvol2
tg_h_expect_fail "naming it with other options in --mount: its own options decide, as in dockerd" \
  "volume etcvol2 (/etc) mounts /etc writable" \
  run --mount "type=volume,src=etcvol2,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=$w/ok" app/bb:1 true
ln -sfn "$w/att/ok" "$w/att/vsrc"
tg_h_expect_ok "create a container with a bind through a symlink" \
  dk create --name vsrc --network none -v "$w/att/vsrc:/x" app/bb:1 true
tg_h_expect_ok "and one with --volumes-from it" dk create --name vfrom --network none --volumes-from vsrc app/bb:1 true
ln -sfn /etc "$w/att/vsrc"
tg_h_expect_ok "remove the source container" dk rm vsrc
tg_h_expect_fail "the copied mounts are checked at start, the source gone" \
  "container start is not allowed by the host's container rules: --mount src=$w/att/vsrc,dst=/x mounts /etc writable" \
  dk start vfrom
tg_h_expect_ok "a monitoring agent allowed the host's network and PID namespaces and a writable /etc" \
  dk run -d --name agent --network host --pid host -v /etc:/hostetc monitor/agent:1 sleep 300
tg_h_expect_fail "--volumes-from the agent gives its /etc bind: denied for an ordinary image" \
  "--volumes-from agent (/etc) mounts /etc writable" run --volumes-from agent app/bb:1 true
tg_h_expect_fail "--pid container:agent joins the host's PID namespace: denied" \
  "--pid container:agent (that container has the host's) shares the host's namespace" \
  run --pid container:agent app/bb:1 true
tg_h_expect_fail "--network container:agent joins the host's network: denied" \
  "--network container:agent (that container has the host's)" \
  dk run --rm --network container:agent app/bb:1 true
tg_h_expect_fail "/sys, even read-only, is never mounted" "-v /sys:/x:ro exposes /sys" \
  run -v /sys:/x:ro app/bb:1 true
tg_h_expect_fail "nor the dockerd socket trustgate was given, wherever it is" \
  "exposes $TG_DOCKER_SOCK" run -v "$TG_DOCKER_SOCK:/s:ro" app/bb:1 true
tg_h_expect_ok "--user +0 runs as root: a warning" run --user +0 app/bb:1 true
tg_h_expect_ok "and warned about" grep -q '"warnings":"--user +0 runs as root' "$w/trustgate.log"

# --- services (a one-node swarm on loopback): the container spec is judged
tg_h_expect_ok "a one-node swarm on loopback" dk swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:0
tg_h_expect_fail "a service with --privileged-like settings: a writable /etc bind is denied" \
  "service create of image app/bb:1 is not allowed by the host's container rules: --mount src=/etc,dst=/x mounts /etc writable" \
  dk service create --detach --name s1 --mount type=bind,src=/etc,dst=/x app/bb:1 sleep 60
hostnet=$(dk network ls -q --filter driver=host | head -1)
tg_h_expect_output "a service on the host network named by its ID is denied" \
  "--network $hostnet (the host network) shares the host's namespace" \
  api POST /v1.41/services/create "{\"Name\":\"s2\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"app/bb:1\"},\"Networks\":[{\"Target\":\"$hostnet\"}]}}"
tg_h_expect_output "and by the deprecated top-level Networks" "--network host shares the host's namespace" \
  api POST /v1.41/services/create '{"Name":"s3","TaskTemplate":{"ContainerSpec":{"Image":"app/bb:1"}},"Networks":[{"Target":"host"}]}'
tg_h_expect_ok "leave the swarm" dk swarm leave --force

# --- a locked-down host: root, a writable root filesystem and writable
# binds outside one directory are denied; the rule can relax one setting
write_policy "{\"run_as_root\": \"deny\", \"read_only_rootfs\": \"deny\", \"env_secrets\": \"deny\",
  \"writable_bind_paths\": [\"$w/rw/sub\"], \"bind_paths\": [\"$w\", \"/etc\"]}"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_wait_until 5 bash -c "! /usr/bin/docker -H unix://$TG_DOCKER_SOCK run --rm --network none app/bb:1 true 2>/dev/null"
tg_h_expect_fail "a plain run is denied: root, and a writable root filesystem" \
  "no --user is given and the image's user is root (none set) (fix: run as another user: --user 1000 (or set USER in the image)); the container's root filesystem is writable (fix: add --read-only" \
  run app/bb:1 true
tg_h_expect_output "--user nobody --read-only runs" "uid=65534" run --user nobody --read-only app/bb:1 id
tg_h_expect_fail "--user 0 is denied" "--user 0 runs as root" run --user 0 --read-only app/bb:1 true
tg_h_expect_fail "a writable bind outside writable_bind_paths is denied" \
  "-v $w/other:/x mounts host path $w/other writable, outside the policy's writable_bind_paths" \
  run --user nobody --read-only -v "$w/other:/x" app/bb:1 true
tg_h_expect_ok "read-only there is allowed" run --user nobody --read-only -v "$w/other:/x:ro" app/bb:1 true
tg_h_expect_ok "writable under it is allowed" run --user nobody --read-only -v "$w/rw/sub:/x" app/bb:1 true
tg_h_expect_fail "a path outside bind_paths is denied even read-only" \
  "mounts host path /usr, which is not under the policy's bind_paths" \
  run --user nobody --read-only -v /usr:/x:ro app/bb:1 true
tg_h_expect_fail "a literal secret is denied now" "environment variable API_TOKEN holds a literal value" \
  run --user nobody --read-only -e API_TOKEN=abc app/bb:1 true
tg_h_expect_ok "a secret's file name is not a secret" \
  run --user nobody --read-only -e DB_PASSWORD_FILE=/run/secrets/db app/bb:1 true

# --- exec: --privileged, and the user an exec runs as
tg_h_expect_ok "start a container as nobody" dk run -d --name asnobody --network none --user nobody --read-only app/bb:1 sleep 300
tg_h_expect_output "exec in it runs as its user" "uid=65534" dk exec asnobody id
tg_h_expect_fail "exec --privileged is denied" \
  "docker exec is not allowed by the host's container rules: --privileged gives the container every capability" \
  dk exec --privileged asnobody id
tg_h_expect_fail "exec -u 0 is denied (run_as_root deny)" "--user 0 runs as root" dk exec -u 0 asnobody id
tg_h_expect_fail "exec in the root container, without -u, is denied: it runs as the container's user" \
  "no --user is given and the container's user is root (none set)" dk exec asroot id
tg_h_expect_output "exec -u nobody in it is allowed" "uid=65534" dk exec -u nobody asroot id
# --- trustgate check --request: a whole create body, every rule explained
printf '{"Image": "app/bb:1", "HostConfig": {"Privileged": true, "Binds": ["/etc:/x"], "ReadonlyRootfs": true}}' >"$w/req.json"
chk() { "$TG_BIN" check --policy "$policy" --local --docker-socket "$TG_DOCKER_SOCK" --request "$@"; }
tg_h_expect_fail "check --request explains each rule that fires (and exits 1)" \
  "container:  DENY privileged: --privileged gives the container every capability" chk "$w/req.json"
tg_h_expect_fail "including the image's user, asked of dockerd" \
  "container:  DENY run_as_root: no --user is given and the image's user is root (none set)" chk "$w/req.json"
tg_h_expect_fail "and the bind, with its fix" \
  "fix: mount it read-only (-v /etc:/x:ro" chk "$w/req.json"
printf '{"Image": "app/bb:1", "User": "nobody", "HostConfig": {"ReadonlyRootfs": true}}' >"$w/ok.json"
tg_h_expect_output "a request no rule fires on is allowed" "container:  no container rule fires" chk "$w/ok.json"
tg_h_expect_ok "dockerd still answers" dk version

tg_h_summary
