#!/usr/bin/env bash
# `trustgate sigstore verify-bundle` (the verify half of the Sigstore client
# conformance CLI) on bundles made here: an in-toto statement in a DSSE
# envelope, signed with openssl over the DSSE pre-authentication encoding
# (computed here in the shell, apart from trustgate's C), with ECDSA, RSA
# and Ed25519 keys. Each way of not verifying exits 1 with its reason.
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

tg_h_init
w=$TG_WORK
tg=$TG_BIN
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$w/ec.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$w/other.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$w/rsa.key" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$w/ed.key" 2>/dev/null
for k in ec other rsa ed; do openssl pkey -in "$w/$k.key" -pubout -out "$w/$k.pub"; done

printf 'the artifact' >"$w/artifact.txt"
artifact=$(sha256sum "$w/artifact.txt" | cut -d' ' -f1)
image="a9e892271fe32c878f0f87530483a8713c44225dab6ca93e80ba274126791f84"
statement() { # statement HEX
  printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"%s"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}' "$1"
}
sign_file() { # sign_file KEY FILE -> base64 signature
  case $1 in
    *ed.key) openssl pkeyutl -sign -inkey "$1" -rawin -in "$2" | base64 -w0 ;;
    *) openssl dgst -sha256 -sign "$1" "$2" | base64 -w0 ;;
  esac
}
# bundle OUT KEY STATEMENT_FILE [PAYLOAD_TYPE] [SIGN_WHAT: pae|bare] [SIGNED_FILE]
bundle() {
  local out=$1 key=$2 st=$3 ptype=${4:-application/vnd.in-toto+json} what=${5:-pae}
  local signed=${6:-$3} len
  len=$(stat -c %s "$signed")
  if [ "$what" = pae ]; then
    printf 'DSSEv1 %d %s %d ' "${#ptype}" "$ptype" "$len" >"$out.msg"
    cat "$signed" >>"$out.msg"
  else
    cp "$signed" "$out.msg"
  fi
  printf '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"k"},"tlogEntries":[]},"dsseEnvelope":{"payload":"%s","payloadType":"%s","signatures":[{"sig":"%s","keyid":""}]}}' \
    "$(base64 -w0 "$st")" "$ptype" "$(sign_file "$key" "$out.msg")" >"$out"
}
verify() { "$tg" sigstore verify-bundle --bundle "$1" --key "$2" "$3"; }

statement "$image" >"$w/st-image.json"
statement "$artifact" >"$w/st-artifact.json"
statement "0000000000000000000000000000000000000000000000000000000000000000" >"$w/st-other.json"
bundle "$w/ec.bundle" "$w/ec.key" "$w/st-image.json"
tg_h_expect_output "an ECDSA P-256 bundle for the image digest verifies" "verified: sha256:$image" \
  verify "$w/ec.bundle" "$w/ec.pub" "sha256:$image"
bundle "$w/art.bundle" "$w/ec.key" "$w/st-artifact.json"
tg_h_expect_output "a bundle for a file verifies against the file" "verified: sha256:$artifact" \
  verify "$w/art.bundle" "$w/ec.pub" "$w/artifact.txt"
bundle "$w/rsa.bundle" "$w/rsa.key" "$w/st-image.json"
tg_h_expect_ok "an RSA bundle verifies" verify "$w/rsa.bundle" "$w/rsa.pub" "sha256:$image"
bundle "$w/ed.bundle" "$w/ed.key" "$w/st-image.json"
tg_h_expect_ok "an Ed25519 bundle verifies" verify "$w/ed.bundle" "$w/ed.pub" "sha256:$image"

tg_h_expect_fail "another key does not verify it" "no signature in the bundle verifies" \
  verify "$w/ec.bundle" "$w/other.pub" "sha256:$image"
tg_h_expect_fail "nor is it a signature of another digest" \
  "does not name sha256:0000000000000000000000000000000000000000000000000000000000000000" \
  verify "$w/ec.bundle" "$w/ec.pub" "sha256:0000000000000000000000000000000000000000000000000000000000000000"
bundle "$w/other.bundle" "$w/ec.key" "$w/st-other.json"
tg_h_expect_fail "a statement about another subject does not verify the image" \
  "does not name sha256:$image" verify "$w/other.bundle" "$w/ec.pub" "sha256:$image"
bundle "$w/bare.bundle" "$w/ec.key" "$w/st-image.json" application/vnd.in-toto+json bare
tg_h_expect_fail "a signature over the bare payload (not the DSSE encoding) is refused" \
  "no signature in the bundle verifies" verify "$w/bare.bundle" "$w/ec.pub" "sha256:$image"
sed 's/predicate":{}/predicate":{"x":1}/' "$w/st-image.json" >"$w/st-changed.json"
bundle "$w/tampered.bundle" "$w/ec.key" "$w/st-changed.json" application/vnd.in-toto+json pae "$w/st-image.json"
tg_h_expect_fail "a statement changed after signing is refused" \
  "no signature in the bundle verifies" verify "$w/tampered.bundle" "$w/ec.pub" "sha256:$image"
bundle "$w/type.bundle" "$w/ec.key" "$w/st-image.json" text/plain
tg_h_expect_fail "a payload that is not an in-toto statement is refused" \
  "not an in-toto statement" verify "$w/type.bundle" "$w/ec.pub" "sha256:$image"
tg_h_expect_fail "keyless verification of a key-signed bundle without a trusted root fails" \
  "keyless verification needs --trusted-root" "$tg" sigstore verify-bundle --bundle "$w/ec.bundle" \
  --certificate-identity me@example.com --certificate-oidc-issuer https://issuer.example "sha256:$image"
tg_h_check "bad usage exits 2" bash -c "'$tg' sigstore verify-bundle --key '$w/ec.pub' x; test \$? = 2"

tg_h_summary
