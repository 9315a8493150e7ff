#!/bin/sh
# The compose `objectstore` service (profile `scale`): SeaweedFS's master, volume, filer and S3
# gateway in one process, like scripts/services.py runs it for the tests. Its one S3 identity
# takes S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY from .env, the same keys the app uses; the
# identity file is written to a private temporary directory, never to the data volume. Extra
# arguments go to `weed server` (the tests pass loopback ports).
set -eu
: "${S3_ACCESS_KEY_ID:?set S3_ACCESS_KEY_ID in .env}"
: "${S3_SECRET_ACCESS_KEY:?set S3_SECRET_ACCESS_KEY in .env}"
WEED="${WEED:-weed}"
DATA="${SEAWEEDFS_DATA:-/data}"
umask 077
config="$(mktemp -d)/s3.json"
printf '{"identities": [{"name": "writers", "credentials": [{"accessKey": "%s", "secretKey": "%s"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}\n' \
  "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY" > "$config"
mkdir -p "$DATA"
exec "$WEED" server -dir="$DATA" -s3 -s3.config="$config" -volume.max=0 -master.telemetry=false \
  -master.volumeSizeLimitMB="${SEAWEEDFS_VOLUME_SIZE_MB:-1024}" "$@"
