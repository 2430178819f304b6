#!/usr/bin/env bash
# Sigstore keyless signatures, verified offline against a trusted root the
# test makes: tg-sigstore-forge creates a CA (root + intermediate, as
# Fulcio), a transparency log (as Rekor: signed entry timestamps, a Merkle
# tree, inclusion proofs, signed checkpoints), Fulcio-style certificates
# and bundles, good ones and ones broken in one way each.
# 1. `trustgate sigstore verify-bundle` (the conformance CLI): every good
#    bundle verifies; every bad one is refused with its own reason.
# 2. Through a real dockerd and docker-registry: an image signed keylessly
#    (a DSSE bundle attached as cosign 3 does) pulls and runs; unsigned, a
#    certificate from another CA, another identity, a CA not valid at the
#    logged time: each denied with its own message.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

tg_h_init
w=$TG_WORK
tg=$TG_BIN
forge=$(cd "$(dirname "$TG_BIN")/.." && pwd)/tests/tg-sigstore-forge
id_app="https://github.com/example/app/.github/workflows/release.yml@refs/heads/main"
gha="https://token.actions.githubusercontent.com"

# --- 1. the verifier on the forged material
tg_h_expect_ok "forge a CA, a log and bundles" "$forge" "$w/f"
f=$w/f
keyless() { # keyless BUNDLE SUBJECT [IDENTITY ISSUER ROOT]
  "$tg" sigstore verify-bundle --bundle "$f/$1" --certificate-identity "${3:-$id_app}" \
    --certificate-oidc-issuer "${4:-$gha}" --trusted-root "$f/${5:-trusted_root.json}" "$2"
}
art=$f/artifact.txt
tg_h_expect_output "a keyless bundle (URI identity, hashedrekord, SET + inclusion proof) verifies" \
  "is signed by $id_app (issuer $gha), logged at index 6" keyless good.bundle.json "$art"
tg_h_expect_ok "the same given as a digest" keyless good.bundle.json "sha256:$(sha256sum "$art" | cut -d' ' -f1)"
tg_h_expect_output "an email identity (5-leaf tree)" "signed by signer@example.com" \
  keyless good-email.bundle.json "$art" signer@example.com https://accounts.example.com
tg_h_expect_ok "a v0.1 bundle (certificate chain, SET only)" keyless good-v01.bundle.json "$art"
tg_h_expect_ok "a one-leaf tree (empty audit path)" keyless good-single.bundle.json "$art"

tg_h_expect_fail "another artifact is refused" "the bundle signs sha256:" \
  keyless good.bundle.json "sha256:$(printf '%064d' 0)"
tg_h_expect_fail "another identity is refused" "an identity the trust root does not accept" \
  keyless good.bundle.json "$art" "https://github.com/example/other/.github/workflows/release.yml@refs/heads/main"
tg_h_expect_fail "another OIDC issuer is refused" "an identity the trust root does not accept" \
  keyless good.bundle.json "$art" "$id_app" https://accounts.google.com
tg_h_expect_fail "a certificate expired at the logged time is refused" \
  "Z): certificate has expired" keyless bad-expired.bundle.json "$art"
tg_h_expect_fail "a certificate from an untrusted CA (same names) is refused" \
  "unable to get local issuer certificate" keyless bad-untrusted-ca.bundle.json "$art"
tg_h_expect_fail "a self-signed certificate is refused" "self-signed certificate" \
  keyless bad-self-signed.bundle.json "$art"
tg_h_expect_fail "a certificate not for code signing is refused" "not for code signing" \
  keyless bad-no-eku.bundle.json "$art"
tg_h_expect_fail "a signature over other bytes is refused" \
  "signature does not verify with its certificate" keyless bad-signature.bundle.json "$art"
tg_h_expect_fail "a log entry for another signature is refused" "records another signature" \
  keyless bad-other-signature.bundle.json "$art"
tg_h_expect_fail "a bad inclusion proof is refused" "inclusion proof does not lead to the tree's root hash" \
  keyless bad-inclusion-proof.bundle.json "$art"
tg_h_expect_fail "a proof for another tree head is refused" "inclusion proof does not lead" \
  keyless bad-root-hash.bundle.json "$art"
tg_h_expect_fail "a checkpoint another key signed is refused" \
  "checkpoint is not signed by the transparency log" keyless bad-checkpoint-sig.bundle.json "$art"
tg_h_expect_fail "a signed entry timestamp another key made is refused" \
  "signed entry timestamp does not verify" keyless bad-set.bundle.json "$art"
tg_h_expect_fail "a bundle without a log entry is refused" "has no transparency-log entry" \
  keyless bad-no-tlog.bundle.json "$art"
tg_h_expect_fail "a CA not valid at the logged time is refused" \
  "no certificate authority of the trusted root was valid at the time of signing" \
  keyless good.bundle.json "$art" "$id_app" "$gha" trusted_root_ca_expired.json
tg_h_expect_fail "an entry in a log the root does not name is refused" \
  "a transparency log the trust root does not know" \
  keyless good.bundle.json "$art" "$id_app" "$gha" trusted_root_no_log.json
# signed timestamps (RFC 3161) and Rekor v2 entries (no integrated time:
# the time of signing comes from the timestamp authority alone)
tg_h_expect_output "a v1 entry with a signed timestamp too verifies" "logged at index 6" \
  keyless good-tsa.bundle.json "$art"
tg_h_expect_ok "a Rekor v2 entry (Ed25519 checkpoint) with a signed timestamp verifies" \
  keyless good-v2.bundle.json "$art"
tg_h_expect_ok "a timestamp without the authority's certificate (taken from the root)" \
  keyless good-tsa-nocert.bundle.json "$art"
tg_h_expect_fail "a v2 entry without a timestamp proves no time" "the time of signing is not proven" \
  keyless bad-v2-no-timestamp.bundle.json "$art"
tg_h_expect_fail "a timestamp over other bytes is refused" "a signed timestamp does not verify" \
  keyless bad-tsa-other-signature.bundle.json "$art"
tg_h_expect_fail "a timestamp from an authority the root does not hold is refused" \
  "a signed timestamp does not verify" keyless bad-tsa-untrusted.bundle.json "$art"
tg_h_expect_fail "so is one from another leaf of the trusted authority's own CA" \
  "a signed timestamp does not verify" keyless bad-tsa-sibling.bundle.json "$art"
tg_h_expect_fail "a certificate expired at the timestamp's time is refused" \
  "Z): certificate has expired" keyless bad-tsa-expired-cert.bundle.json "$art"
tg_h_expect_fail "a v2 checkpoint another key signed is refused" \
  "checkpoint is not signed by the transparency log" keyless bad-v2-checkpoint-sig.bundle.json "$art"
tg_h_expect_fail "a v2 entry recording another certificate is refused" "records another signer" \
  keyless bad-v2-other-signer.bundle.json "$art"
tg_h_expect_fail "a timestamp authority not yet valid at the stated time is refused" \
  "no timestamp authority of the trusted root was valid" \
  keyless good-v2.bundle.json "$art" "$id_app" "$gha" trusted_root_tsa_late.json
# certificate transparency: the trusted root names a CT log, so the
# certificate must carry an SCT (RFC 6962) that log signed
tg_h_expect_fail "an SCT from a CT log the root does not name is refused" \
  "no certificate-transparency timestamp (SCT) of the signing certificate verifies" \
  keyless bad-sct-other-key.bundle.json "$art"
tg_h_expect_fail "an SCT over another certificate is refused" \
  "no certificate-transparency timestamp (SCT) of the signing certificate verifies" \
  keyless bad-sct-tampered.bundle.json "$art"
tg_h_expect_fail "a certificate without an SCT is refused" \
  "carries no certificate-transparency timestamp (SCT)" keyless bad-no-sct.bundle.json "$art"
tg_h_expect_ok "under a root without CT logs, no SCT is needed" \
  keyless bad-no-sct.bundle.json "$art" "$id_app" "$gha" trusted_root_no_ct.json
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout -out "$w/k.pub"
tg_h_expect_fail "a keyless bundle does not pass as key-based" "signed with a certificate (keyless)" \
  "$tg" sigstore verify-bundle --bundle "$f/good.bundle.json" --key "$w/k.pub" "$art"
printf '{"mediaType": "x"}' >"$w/bad-root.json"
tg_h_expect_fail "a file that is not a trusted root is refused" "is not a Sigstore trusted root" \
  keyless good.bundle.json "$art" "$id_app" "$gha" ../bad-root.json

# tests/run-all.sh runs part 1 again with the ASan + UBSan build
if [ "${TG_KEYLESS_CLI_ONLY:-0}" = 1 ]; then tg_h_summary; exit; fi

# --- 2. through dockerd: keyless trust roots in the policy
tg_h_make_busybox_tar "$w/bb.tar"
tg_h_start_registry
R=$TG_REGISTRY
base="http://$R"
source "$here/oci.sh"
policy=$w/policy.json
write_policy() { # write_policy IDENTITY TRUSTED_ROOT
  cat >"$policy" <<JSON
{
  "rules": [
    {"match": "*", "require": "publisher"},
    {"match": "$R/acme/*", "require": "signed", "trust_roots": ["ci"]}
  ],
  "trust_roots": {"ci": {"type": "sigstore", "trusted_root": "$2",
                         "identities": [{"subject": "$1", "issuer": "$gha"}]}},
  "operations": {"import": "allow"},
  "cache": {"tag_ttl_seconds": 1, "verdict_ttl_seconds": 1, "negative_ttl_seconds": 1}
}
JSON
}
write_policy "$id_app" "$f/trusted_root.json"
tg_h_start_trustgate "$policy" --state-dir "$w/state"
tg_h_start_dockerd
dk() { /usr/bin/docker -H "unix://$TG_DOCKER_SOCK" "$@"; }
pull_denied() { ! dk pull "$1" >/dev/null 2>&1; }
digest_of() { # the digest the registry serves for REPO:TAG
  curl -sSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "$base/v2/$1/manifests/$2" | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}' |
    tr -d '\r'
}
publish() { # publish NAME: a distinct image pushed as $R/acme/NAME:1
  dk import --change "LABEL v=$1" "$w/bb.tar" "$R/acme/$1:1" >/dev/null &&
    dk push "$R/acme/$1:1" >/dev/null && dk rmi "$R/acme/$1:1" >/dev/null
}
sign_keyless() { # sign_keyless NAME FORGE_DIR [BUNDLE]: a keyless DSSE bundle for the image
  local d
  d=$(digest_of "acme/$1" 1)
  "$forge" "$2" --image-digest "$d" >/dev/null &&
    oci_attach_bundle "acme/$1" "$d" "$2/${3:-good-dsse.bundle.json}" "$w"
}
for name in signed unsigned otherca v2 expired; do tg_h_expect_ok "publish acme/$name" publish "$name"; done
# acme/signed: signed through the test CA and log of the trusted root; the
# forge makes the bundle's CA and log afresh, so the policy's root is its
tg_h_expect_ok "sign acme/signed keylessly" sign_keyless signed "$w/fs"
write_policy "$id_app" "$w/fs/trusted_root.json"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
# acme/expired: the same CA and log as acme/signed (the forge's key
# material is per run: its certificate's CA is copied from that run)
tg_h_expect_ok "sign acme/expired with a certificate expired when it was logged" \
  sign_keyless expired "$w/fe" bad-expired-dsse.bundle.json
tg_h_expect_ok "sign acme/otherca keylessly through another CA and log" sign_keyless otherca "$w/fo"
# acme/v2: logged in the Rekor v2 log, its time from the timestamp authority
# (the forge run for it makes a CA and logs of its own: its root is copied in)
tg_h_expect_ok "sign acme/v2 keylessly (Rekor v2 entry, signed timestamp)" \
  sign_keyless v2 "$w/fv2" good-v2-dsse.bundle.json

tg_h_expect_ok "a keylessly signed image pulls" tg_h_wait_until 5 dk pull "$R/acme/signed:1"
tg_h_expect_output "and runs" "keyless ok" dk run --rm --network none "$R/acme/signed:1" /bin/echo "keyless ok"
tg_h_expect_output "trustgate check names the identity" \
  "signed by $id_app (issuer $gha)" "$TG_BIN" check --policy "$policy" --state-dir "$w/state2" "$R/acme/signed:1"
write_policy "$id_app" "$w/fv2/trusted_root.json"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_expect_ok "under that root, the Rekor v2 + timestamp signed image pulls" \
  tg_h_wait_until 5 dk pull "$R/acme/v2:1"
tg_h_expect_output "and runs" "v2 ok" dk run --rm --network none "$R/acme/v2:1" /bin/echo "v2 ok"
write_policy "$id_app" "$w/fs/trusted_root.json"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_wait_until 5 pull_denied "$R/acme/v2:1"
tg_h_expect_fail "under the first root (other CA, logs and timestamp authority) it is denied" \
  "a signed timestamp does not verify" dk pull "$R/acme/v2:1"
tg_h_expect_output "trustgate check still names the identity" "signed by $id_app (issuer $gha)" \
  "$TG_BIN" check --policy "$policy" --state-dir "$w/state2" "$R/acme/signed:1"
# a trusted root that does not load: refused by `policy validate`, and on
# reload the last good policy stays
printf '{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": [{"publicKey": {"rawBytes": "AAAA"}}]}' >"$w/broken_root.json"
cp "$policy" "$w/good-policy.json"
write_policy "$id_app" "$w/broken_root.json"
tg_h_expect_fail "policy validate refuses a trusted root whose keys do not parse" \
  "trust root \"ci\": $w/broken_root.json: the public key of transparency log 1 is not" \
  "$TG_BIN" policy validate "$policy"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_expect_ok "on reload, trustgate keeps the last good policy and says why" \
  tg_h_wait_until 5 grep -q "keeping the last good policy: trust root \"ci\": $w/broken_root.json" \
  "$TG_WORK/trustgate.log"
tg_h_expect_ok "the keylessly signed image still pulls" dk pull "$R/acme/signed:1"
cp "$w/good-policy.json" "$policy"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_expect_fail "an unsigned image is denied" "has no cosign signature in $R/acme/unsigned" \
  dk pull "$R/acme/unsigned:1"
write_policy "$id_app" "$w/fe/trusted_root.json"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_wait_until 5 pull_denied "$R/acme/expired:1"
tg_h_expect_fail "an image whose certificate had expired when it was logged is denied" \
  "Z): certificate has expired" dk pull "$R/acme/expired:1"
write_policy "$id_app" "$w/fs/trusted_root.json"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
# a classic signature manifest (tag sha256-<hex>.sig, as cosign 2 wrote):
# keyless roots read bundles only; one beside a bundle does not hide it
push_classic_tag() { # push_classic_tag NAME: a classic .sig manifest with no signed layer
  local d
  d=$(digest_of "acme/$1" 1)
  printf '{}' >"$w/empty.json"
  oci_push_blob "acme/$1" "$w/empty.json" &&
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[]}' \
      "$(oci_sha "$w/empty.json")" >"$w/classic.json" &&
    oci_push_manifest "acme/$1" "$w/classic.json" application/vnd.oci.image.manifest.v1+json \
      "sha256-${d#sha256:}.sig"
}
tg_h_expect_ok "push a classic .sig manifest for acme/unsigned" push_classic_tag unsigned
tg_h_expect_ok "and for acme/signed" push_classic_tag signed
sleep 1 # the verdicts' TTL
tg_h_expect_fail "an image with only a classic signature is denied, saying keyless roots read bundles" \
  "has only a classic cosign signature" dk pull "$R/acme/unsigned:1"
tg_h_expect_ok "a classic tag beside a keyless bundle does not hide the bundle" \
  tg_h_wait_until 5 dk pull "$R/acme/signed:1"
tg_h_expect_fail "an image signed through a CA and log the trusted root does not hold is denied" \
  "logged in a transparency log the trust root does not know" dk pull "$R/acme/otherca:1"
write_policy "https://github.com/example/other/.github/workflows/release.yml@refs/heads/main" \
  "$w/fs/trusted_root.json"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_wait_until 5 pull_denied "$R/acme/signed:1"
tg_h_expect_fail "with another identity required, the image is denied" \
  "an identity the trust root does not accept" dk pull "$R/acme/signed:1"
write_policy "$id_app" "$w/fs/trusted_root_ca_expired.json"
kill -HUP "${TG_H_TRUSTGATE%%:*}"
tg_h_wait_until 5 pull_denied "$R/acme/signed:1"
tg_h_expect_fail "with a root whose CA was not valid at the logged time, denied" \
  "no certificate authority of the trusted root was valid at the time of signing" dk pull "$R/acme/signed:1"
tg_h_expect_fail "nor may the pulled image run" "no certificate authority" \
  dk run --rm --network none "$R/acme/signed:1" /bin/true
tg_h_expect_ok "dockerd still answers" dk version

tg_h_summary
