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
