#!/usr/bin/env bash
# Sigstore cosign signatures (key-based, cosign's classic "sha256-<hex>.sig"
# layout) enforced by trustgate through a real dockerd and docker-registry.
# The signatures are made here with openssl and pushed with curl exactly as
# cosign lays them out: a simple-signing payload as a layer of the .sig
# manifest, its signature in the layer annotation. A signed image pulls and
# runs; unsigned, signed by another key, signed for another digest, or a
# payload changed after signing: each is denied with its own message.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

tg_h_init
tg_h_make_busybox_tar "$TG_WORK/bb.tar"
tg_h_start_registry
R=$TG_REGISTRY
base="http://$R"
w=$TG_WORK
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$w/cosign.key" 2>/dev/null
openssl pkey -in "$w/cosign.key" -pubout -out "$w/cosign.pub"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$w/other.key" 2>/dev/null
policy=$w/policy.json
cat >"$policy" <<JSON
{
  "rules": [
    {"match": "*", "require": "publisher"},
    {"match": "$R/acme/*", "require": "signed", "trust_roots": ["acme-cosign"]}
  ],
  "trust_roots": {"acme-cosign": {"type": "sigstore", "public_keys": ["$w/cosign.pub"]}},
  "operations": {"import": "allow"},
  "cache": {"tag_ttl_seconds": 1, "verdict_ttl_seconds": 1, "negative_ttl_seconds": 1}
}
JSON
tg_h_start_trustgate "$policy" --state-dir "$w/state"
tg_h_start_dockerd
denied="authorization denied by plugin $TG_PLUGIN_NAME"

source "$here/oci.sh"
sha() { oci_sha "$1"; }
push_blob() { oci_push_blob "$@"; } # REPO FILE
digest_of() { # the digest the registry serves for REPO:TAG
  curl -sSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "$base/v2/$1/manifests/$2" | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}' |
    tr -d '\r'
}
payload_for() { # payload_for REPO DIGEST: cosign's simple-signing payload
  printf '{"critical":{"identity":{"docker-reference":"%s/%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
    "$R" "$1" "$2"
}
# sign REPO DIGEST PAYLOAD_FILE KEY [PUSHED_PAYLOAD_FILE]: the .sig manifest
sign() {
  local repo=$1 digest=$2 payload=$3 key=$4 pushed=${5:-$3} sig
  sig=$(openssl dgst -sha256 -sign "$key" "$payload" | base64 -w0)
  printf '{}' >"$w/config.json"
  push_blob "$repo" "$w/config.json" && push_blob "$repo" "$pushed" || return 1
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"%s","size":%d,"annotations":{"dev.cosignproject.cosign/signature":"%s"}}]}' \
    "$(sha "$w/config.json")" "$(sha "$pushed")" "$(stat -c %s "$pushed")" "$sig" >"$w/sig.json"
  curl -sSf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$w/sig.json" "$base/v2/$repo/manifests/sha256-${digest#sha256:}.sig" -o /dev/null
}
publish() { # publish NAME LABEL: a distinct image pushed as $R/acme/NAME:1
  dk import --change "LABEL v=$2" "$w/bb.tar" "$R/acme/$1:1" >/dev/null &&
    dk push "$R/acme/$1:1" >/dev/null && dk rmi "$R/acme/$1:1" >/dev/null
}

# attach_bundle REPO DIGEST SUBJECT_HEX: cosign 3's layout - a Sigstore
# bundle (DSSE, in-toto statement naming SUBJECT_HEX, signed with the
# trusted key over the DSSE encoding) as the layer of an artifact manifest
# whose subject is the image, listed in the fallback index sha256-<hex>
# (Debian's docker-registry has no referrers API).
attach_bundle() { # attach_bundle REPO DIGEST SUBJECT_HEX [PREDICATE_TYPE]
  local repo=$1 digest=$2 hex=$3 ptype=application/vnd.in-toto+json st sig
  local predicate=${4:-https://sigstore.dev/cosign/sign/v1}
  st=$(printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"%s","digest":{"sha256":"%s"}}],"predicateType":"%s","predicate":{}}' "$repo" "$hex" "$predicate")
  printf '%s' "$st" >"$w/st.json"
  printf 'DSSEv1 %d %s %d %s' "${#ptype}" "$ptype" "${#st}" "$st" >"$w/pae.bin"
  sig=$(openssl dgst -sha256 -sign "$w/cosign.key" "$w/pae.bin" | base64 -w0)
  printf '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"acme"}},"dsseEnvelope":{"payload":"%s","payloadType":"%s","signatures":[{"sig":"%s"}]}}' \
    "$(base64 -w0 "$w/st.json")" "$ptype" "$sig" >"$w/bundle.json"
  oci_attach_bundle "$repo" "$digest" "$w/bundle.json" "$w"
}

for name in signed unsigned otherkey otherdigest tampered bundled bundledother attested; do
  tg_h_expect_ok "publish acme/$name" publish "$name" "$name"
done
d_signed=$(digest_of acme/signed 1)
payload_for acme/signed "$d_signed" >"$w/p-signed.json"
tg_h_expect_ok "cosign-sign acme/signed with the trusted key" \
  sign acme/signed "$d_signed" "$w/p-signed.json" "$w/cosign.key"
d=$(digest_of acme/otherkey 1)
payload_for acme/otherkey "$d" >"$w/p-otherkey.json"
tg_h_expect_ok "sign acme/otherkey with another key" sign acme/otherkey "$d" "$w/p-otherkey.json" "$w/other.key"
d=$(digest_of acme/otherdigest 1)
payload_for acme/otherdigest "$d_signed" >"$w/p-otherdigest.json"
tg_h_expect_ok "sign acme/otherdigest with a payload naming another digest" \
  sign acme/otherdigest "$d" "$w/p-otherdigest.json" "$w/cosign.key"
d_tampered=$(digest_of acme/tampered 1)
payload_for acme/tampered "$d_tampered" >"$w/p-tampered.json"
sed 's/"optional":null/"optional":{"x":1}/' "$w/p-tampered.json" >"$w/p-tampered-changed.json"
tg_h_expect_ok "sign acme/tampered, then push a changed payload" \
  sign acme/tampered "$d_tampered" "$w/p-tampered.json" "$w/cosign.key" "$w/p-tampered-changed.json"

d_bundled=$(digest_of acme/bundled 1)
tg_h_expect_ok "attach a Sigstore bundle to acme/bundled (cosign 3 layout)" \
  attach_bundle acme/bundled "$d_bundled" "${d_bundled#sha256:}"
d=$(digest_of acme/bundledother 1)
tg_h_expect_ok "attach to acme/bundledother a bundle whose statement names another digest" \
  attach_bundle acme/bundledother "$d" "${d_signed#sha256:}"

d_att=$(digest_of acme/attested 1)
tg_h_expect_ok "attach to acme/attested an SLSA provenance attestation (not a signature) by the key" \
  attach_bundle acme/attested "$d_att" "${d_att#sha256:}" https://slsa.dev/provenance/v1

tg_h_expect_ok "pull of the cosign-signed image" dk pull "$R/acme/signed:1"
tg_h_expect_output "it runs (create and start decided on its signed repo digest)" "cosign ok" \
  dk run --rm --network none "$R/acme/signed:1" /bin/echo "cosign ok"
tg_h_check "the audit log names the key that verified" \
  grep -q "is signed with cosign key cosign.pub" "$w/trustgate.log"
tg_h_expect_fail "an unsigned image is denied" \
  "$denied: pull of image $R/acme/unsigned:1 is not allowed: sha256:" dk pull "$R/acme/unsigned:1"
tg_h_expect_fail "and the message says there is no cosign signature and how to sign" \
  "has no cosign signature in $R/acme/unsigned" dk pull "$R/acme/unsigned:1"
tg_h_expect_fail "a signature by another key is denied" \
  "the signature does not verify with the trust root's public key" dk pull "$R/acme/otherkey:1"
tg_h_expect_fail "a signature whose payload names another digest is denied" \
  "the signature is for $d_signed, not for" dk pull "$R/acme/otherdigest:1"
tg_h_expect_fail "a payload changed after signing is denied" \
  "the signature does not verify" dk pull "$R/acme/tampered:1"
tg_h_expect_ok "pull of the image signed with a Sigstore bundle (found through its referrers)" \
  dk pull "$R/acme/bundled:1"
tg_h_expect_output "it runs" "bundle ok" dk run --rm --network none "$R/acme/bundled:1" /bin/echo "bundle ok"
tg_h_expect_fail "a bundle whose statement names another digest is denied" \
  "the signed statement does not name $d" dk pull "$R/acme/bundledother:1"
tg_h_expect_fail "another attestation by the same key is not a signature" \
  "is not an image signature (predicateType https://slsa.dev/provenance/v1" dk pull "$R/acme/attested:1"
tg_h_expect_fail "an unsigned image imported under the signed name cannot run" \
  "was not pulled from a registry" bash -c "
    /usr/bin/docker -H unix://$TG_DOCKER_SOCK import '$w/bb.tar' $R/acme/signed:local >/dev/null &&
    /usr/bin/docker -H unix://$TG_DOCKER_SOCK run --rm --network none $R/acme/signed:local /bin/true"
tg_h_expect_output "trustgate check shows the cosign verdict" "signer role cosign.pub" \
  "$TG_BIN" check --policy "$policy" --state-dir "$w/state" "$R/acme/signed:1"
# --- a transparency-log entry required ("rekor_public_key"): the signed
# entry timestamp is checked offline against the log's key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$w/rekor.key" 2>/dev/null
openssl pkey -in "$w/rekor.key" -pubout -out "$w/rekor.pub"
# sign_logged REPO DIGEST SET_KEY: a classic signature with its Rekor entry
sign_logged() {
  local repo=$1 digest=$2 setkey=$3 sig hex body canon set entry logid
  payload_for "$repo" "$digest" >"$w/p-logged.json"
  sig=$(openssl dgst -sha256 -sign "$w/cosign.key" "$w/p-logged.json" | base64 -w0)
  hex=$(sha256sum "$w/p-logged.json" | cut -d' ' -f1)
  body=$(printf '{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"%s"}},"signature":{"content":"%s","publicKey":{"content":"%s"}}}}' \
    "$hex" "$sig" "$(base64 -w0 "$w/cosign.pub")" | base64 -w0)
  # the log's id is the sha256 of its public key (DER)
  logid=$(openssl pkey -pubin -in "$w/rekor.pub" -outform DER | sha256sum | cut -d' ' -f1)
  canon=$(printf '{"body":"%s","integratedTime":1700000000,"logID":"%s","logIndex":7}' "$body" "$logid")
  set=$(printf '%s' "$canon" | openssl dgst -sha256 -sign "$setkey" | base64 -w0)
  entry=$(printf '{\\"SignedEntryTimestamp\\":\\"%s\\",\\"Payload\\":{\\"body\\":\\"%s\\",\\"integratedTime\\":1700000000,\\"logIndex\\":7,\\"logID\\":\\"%s\\"}}' \
    "$set" "$body" "$logid")
  printf '{}' >"$w/config.json"
  push_blob "$repo" "$w/config.json" && push_blob "$repo" "$w/p-logged.json" || return 1
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"%s","size":%d,"annotations":{"dev.cosignproject.cosign/signature":"%s","dev.sigstore.cosign/bundle":"%s"}}]}' \
    "$(sha "$w/config.json")" "$(sha "$w/p-logged.json")" "$(stat -c %s "$w/p-logged.json")" "$sig" "$entry" >"$w/sig.json"
  curl -sSf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$w/sig.json" "$base/v2/$repo/manifests/sha256-${digest#sha256:}.sig" -o /dev/null
}
for name in logged badset; do tg_h_expect_ok "publish acme/$name" publish "$name" "$name"; done
tg_h_expect_ok "sign acme/logged with a Rekor entry signed by the log's key" \
  sign_logged acme/logged "$(digest_of acme/logged 1)" "$w/rekor.key"
tg_h_expect_ok "sign acme/badset with an entry whose timestamp another key signed" \
  sign_logged acme/badset "$(digest_of acme/badset 1)" "$w/other.key"
sed -i "s|\"public_keys\": \\[\"$w/cosign.pub\"\\]|\"public_keys\": [\"$w/cosign.pub\"], \"rekor_public_key\": \"$w/rekor.pub\"|" "$policy"
tg_h_check "the policy now names the Rekor key" grep -q rekor_public_key "$policy"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_expect_ok "a signature with a valid log entry pulls" tg_h_wait_until 5 dk pull "$R/acme/logged:1"
tg_h_expect_fail "a signature without one is denied now" \
  "has no transparency-log entry, which this trust root requires" dk pull "$R/acme/signed:1"
tg_h_expect_fail "an entry whose signed timestamp the log's key did not make is denied" \
  "signed entry timestamp does not verify with the transparency log's key" dk pull "$R/acme/badset:1"
tg_h_expect_fail "a bundle without a log entry is denied, saying so" \
  "the bundle has no transparency-log entry, which this trust root requires" dk pull "$R/acme/bundled:1"
tg_h_expect_fail "an image with no signature at all is still reported as not signed" \
  "has no cosign signature in $R/acme/unsigned" dk pull "$R/acme/unsigned:1"
tg_h_expect_ok "dockerd still answers" dk version

tg_h_summary
