# oci.sh: pushing content to a registry as signing tools do (distribution
# API v2 with curl): blobs by monolithic upload, manifests by tag or digest.
# Sourced by tests that need signatures or artifacts beside an image.
# Needs $base ("http://127.0.0.1:PORT").

# oci_sha FILE: "sha256:<hex>" of the file
oci_sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# oci_push_blob REPO FILE: POST an upload, then PUT it with its digest
oci_push_blob() {
  local loc sep
  loc=$(curl -sS -X POST -D - -o /dev/null "$base/v2/$1/blobs/uploads/" |
        awk -F': ' 'tolower($1) == "location" {print $2}' | tr -d '\r')
  case $loc in http*) ;; *) loc="$base$loc" ;; esac
  sep='?'; case $loc in *\?*) sep='&' ;; esac
  curl -sSf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$2" \
    "$loc${sep}digest=$(oci_sha "$2")" -o /dev/null
}

# oci_push_manifest REPO FILE MEDIA_TYPE REF
oci_push_manifest() {
  curl -sSf -X PUT -H "Content-Type: $3" --data-binary "@$2" "$base/v2/$1/manifests/$4" -o /dev/null
}

# oci_attach_bundle REPO DIGEST BUNDLE_FILE WORKDIR: cosign 3's layout - the
# Sigstore bundle as the layer of an artifact manifest whose subject is the
# image, listed in the referrers fallback index tagged sha256-<hex>
# (Debian's docker-registry has no referrers API).
oci_attach_bundle() {
  local repo=$1 digest=$2 bundle=$3 w=$4 image_size
  local type=application/vnd.dev.sigstore.bundle.v0.3+json
  printf '{}' >"$w/empty.json"
  oci_push_blob "$repo" "$w/empty.json" && oci_push_blob "$repo" "$bundle" || return 1
  image_size=$(curl -sS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "$base/v2/$repo/manifests/$digest" | wc -c)
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"%s","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"%s","digest":"%s","size":%d}],"subject":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"%s","size":%d}}' \
    "$type" "$(oci_sha "$w/empty.json")" "$type" "$(oci_sha "$bundle")" "$(stat -c %s "$bundle")" \
    "$digest" "$image_size" >"$w/art.json"
  oci_push_manifest "$repo" "$w/art.json" application/vnd.oci.image.manifest.v1+json \
    "$(oci_sha "$w/art.json")" || return 1
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"artifactType":"%s"}]}' \
    "$(oci_sha "$w/art.json")" "$(stat -c %s "$w/art.json")" "$type" >"$w/index.json"
  oci_push_manifest "$repo" "$w/index.json" application/vnd.oci.image.index.v1+json \
    "sha256-${digest#sha256:}"
}
