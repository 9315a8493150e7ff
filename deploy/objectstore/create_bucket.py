"""The compose `objectstore-bucket` one-shot (profile `scale`): wait for the object store, then
make S3_BUCKET if it is missing. Safe to run on every start; exits non-zero with one line saying
why when the store never answers or refuses the keys, so the web (which waits for this service to
complete) does not start against a store it cannot use.

Only boto3 and the S3_* variables the app reads (writers/settings.py), so it runs in the app
image: `python deploy/objectstore/create_bucket.py`.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# Codes that mean the keys or the bucket's owner are wrong: waiting will not help.
REFUSED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"}


def client() -> Any:
    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        region_name=os.environ.get("S3_REGION") or None,
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=10,
            retries={"max_attempts": 1},
        ),
    )


def code_of(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def ensure_bucket(bucket: str, wait_seconds: float) -> str:
    """'exists' or 'created'; raises SystemExit with the reason otherwise."""
    s3 = client()
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            s3.head_bucket(Bucket=bucket)
            return "exists"
        except ClientError as error:
            reason = code_of(error)
            if reason in ("404", "NoSuchBucket", "NotFound"):
                try:
                    s3.create_bucket(Bucket=bucket)
                    return "created"
                except ClientError as create_error:
                    reason = code_of(create_error)
                    if reason in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        return "exists"  # another start made it first
            if reason in REFUSED:
                refused = f"create_bucket: the store refused the keys for {bucket}: {reason}"
                raise SystemExit(refused) from None
        except BotoCoreError as error:
            reason = str(error)
        if time.monotonic() > deadline:
            raise SystemExit(f"create_bucket: no usable store after {wait_seconds:.0f} s: {reason}")
        time.sleep(1)


def main() -> None:
    bucket = os.environ.get("S3_BUCKET", "")
    if not bucket:
        raise SystemExit("create_bucket: set S3_BUCKET (and S3_ENDPOINT_URL, keys) in .env")
    wait_seconds = float(os.environ.get("S3_BUCKET_WAIT_SECONDS", "120"))
    print(f"create_bucket: {bucket} {ensure_bucket(bucket, wait_seconds)}", file=sys.stderr)


if __name__ == "__main__":
    main()
