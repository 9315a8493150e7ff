#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts. The app keeps its files private (uid
# 10001, mode 0600: see the Dockerfile and STORAGE_ROOT in README) and hands them to nginx with
# X-Accel-Redirect, so nginx's workers run as that same user (compose: `user writers;`), with
# the storage volume mounted read-only.
set -eu
getent passwd writers >/dev/null || useradd --system --uid 10001 --user-group \
    --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin writers
