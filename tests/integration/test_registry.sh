#!/usr/bin/env bash
# trustcache's registry content client (manifests, blobs, referrers) against
# a real docker-registry: content pushed with curl as signing tools push it
# (an image, and a signature artifact that refers to it through the OCI
# fallback tag schema, since Debian's docker-registry has no referrers API),
# then read back through tg-registry-probe. A stand-in registry that serves
# other bytes than a digest names is refused. No dockerd needed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
probe=$(cd "$(dirname "${TG_BIN:?}")/.." && pwd)/tests/tg-registry-probe
[ -x "$probe" ] || { echo "no $probe (build first)" >&2; exit 1; }

tg_h_init
tg_h_start_registry
base="http://$TG_REGISTRY"
repo=acme/app

source "$here/oci.sh"
sha() { oci_sha "$1"; }
size() { stat -c %s "$1"; }
push_blob() { oci_push_blob "$repo" "$1"; }
push_manifest() { oci_push_manifest "$repo" "$1" "$2" "$3"; } # FILE MEDIA_TYPE REF
descriptor() { # descriptor MEDIA_TYPE FILE
  printf '{"mediaType":"%s","digest":"%s","size":%d}' "$1" "$(sha "$2")" "$(size "$2")"
}

w=$TG_WORK
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$w/config.json"
head -c 3000 /dev/urandom >"$w/layer.bin"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
  "$(descriptor application/vnd.oci.image.config.v1+json "$w/config.json")" \
  "$(descriptor application/vnd.oci.image.layer.v1.tar "$w/layer.bin")" >"$w/image.json"
image_digest=$(sha "$w/image.json")
tg_h_expect_ok "push the image's blobs" bash -c "$(declare -f push_blob sha oci_push_blob oci_sha); base=$base repo=$repo;
  push_blob '$w/config.json' && push_blob '$w/layer.bin'"
tg_h_expect_ok "push the image manifest as tag 1" bash -c "$(declare -f push_manifest oci_push_manifest); base=$base repo=$repo;
  push_manifest '$w/image.json' application/vnd.oci.image.manifest.v1+json 1"

tg_h_expect_output "the manifest by tag: its digest is the sha256 of the bytes pushed" \
  "digest=$image_digest bytes=$(size "$w/image.json") media_type=application/vnd.oci.image.manifest.v1+json" \
  "$probe" manifest "$base" "$repo" 1
tg_h_expect_output "the manifest by digest" "digest=$image_digest" \
  "$probe" manifest "$base" "$repo" "$image_digest"
tg_h_expect_output "a blob by digest" "digest=$(sha "$w/layer.bin") bytes=3000" \
  "$probe" blob "$base" "$repo" "$(sha "$w/layer.bin")"
tg_h_expect_fail "a blob larger than the bound is refused" "TG_ETOOBIG" \
  "$probe" blob "$base" "$repo" "$(sha "$w/layer.bin")" 1000
tg_h_expect_fail "a manifest the registry does not have" "error TG_ENOTFOUND" \
  "$probe" manifest "$base" "$repo" "sha256:$(printf '%064d' 0)"
tg_h_expect_fail "a repository name that could change the URL is refused" "TG_EINVAL" \
  "$probe" manifest "$base" "acme/../x" 1
tg_h_expect_output "nothing refers to the image yet" "via=tag n=0" \
  "$probe" referrers "$base" "$repo" "$image_digest"

# A signature artifact (cosign's OCI 1.1 layout: empty config, the bundle as
# its one layer, the image as its subject) and the fallback index a client
# writes under the tag sha256-<hex> where the registry has no referrers API.
printf '{}' >"$w/empty.json"
printf '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","note":"test"}' >"$w/bundle.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":%s,"layers":[%s],"subject":%s}' \
  "$(descriptor application/vnd.oci.empty.v1+json "$w/empty.json")" \
  "$(descriptor application/vnd.dev.sigstore.bundle.v0.3+json "$w/bundle.json")" \
  "$(descriptor application/vnd.oci.image.manifest.v1+json "$w/image.json")" >"$w/sig.json"
sig_digest=$(sha "$w/sig.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}]}' \
  "$sig_digest" "$(size "$w/sig.json")" >"$w/index.json"
tg_h_expect_ok "push the signature artifact and the fallback index" bash -c "$(declare -f push_blob push_manifest sha oci_push_blob oci_push_manifest oci_sha); base=$base repo=$repo;
  push_blob '$w/empty.json' && push_blob '$w/bundle.json' &&
  push_manifest '$w/sig.json' application/vnd.oci.image.manifest.v1+json '$sig_digest' &&
  push_manifest '$w/index.json' application/vnd.oci.image.index.v1+json 'sha256-${image_digest#sha256:}'"
tg_h_expect_output "the referrers come from the fallback tag (no referrers API here)" "via=tag n=1" \
  "$probe" referrers "$base" "$repo" "$image_digest"
tg_h_expect_output "the signature is listed with its digest, artifact type, media type and size" \
  "$sig_digest application/vnd.dev.sigstore.bundle.v0.3+json application/vnd.oci.image.manifest.v1+json $(size "$w/sig.json")" \
  "$probe" referrers "$base" "$repo" "$image_digest"
tg_h_expect_output "the signature manifest can be read back by its digest" "digest=$sig_digest" \
  "$probe" manifest "$base" "$repo" "$sig_digest"

# A stand-in registry that answers every request with the same bytes: asked
# for a blob by another digest, they are refused.
tg_h_free_port fake_port
printf 'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\nConnection: close\r\n\r\nevil!' >"$w/fake.http"
socat "TCP-LISTEN:$fake_port,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:cat $w/fake.http" &
fake=$!
tg_h_wait_until 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$fake_port" 2>/dev/null
tg_h_expect_fail "content that does not match its digest is refused" \
  "it does not match its digest, so it is not what was asked for" \
  "$probe" blob "http://127.0.0.1:$fake_port" "$repo" "$(sha "$w/layer.bin")"
tg_h_expect_fail "a referrers answer that is not an index is refused" "is not an image index" \
  "$probe" referrers "http://127.0.0.1:$fake_port" "$repo" "$image_digest"
kill "$fake" 2>/dev/null
wait "$fake" 2>/dev/null
# ... and one whose index has an entry with a malformed digest: left out.
body='{"manifests":[{"mediaType":"m","digest":"not-a-digest","size":1},{"mediaType":"m","digest":"'"$sig_digest"'","size":2}]}'
printf 'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
  "${#body}" "$body" >"$w/fake.http"
socat "TCP-LISTEN:$fake_port,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:cat $w/fake.http" &
fake=$!
tg_h_wait_until 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$fake_port" 2>/dev/null
tg_h_expect_output "an index entry with a malformed digest is left out" "via=api n=1" \
  "$probe" referrers "http://127.0.0.1:$fake_port" "$repo" "$image_digest"
kill "$fake" 2>/dev/null
wait "$fake" 2>/dev/null

tg_h_summary
