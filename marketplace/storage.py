"""Photo storage behind one small interface: a local folder, or S3 through boto3.

Keys are content hashes, so a stored file never changes and may be cached
for a year by browsers and proxies. ``S3_BUCKET`` switches to S3 (any
S3-compatible service with ``S3_ENDPOINT_URL``); ``MEDIA_URL`` makes pages
link to a public bucket or CDN directly instead of through ``/media/``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from flask import Response, abort, current_app, request, send_file, url_for

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"


class LocalStorage:
    """Files under ``MEDIA_ROOT``, served by the app at ``/media/<key>``."""

    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key leaves the media folder")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def check(self) -> None:
        """Raise unless photos can be written here."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(str(self.root))

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def all_keys(self) -> Iterator[str]:
        """Every stored key, in name order (a half-written file's temporary name excluded)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("tmp"):
                yield path.relative_to(self.root).as_posix()

    def path(self, key: str) -> Path:
        return self._path(key)

    def send(self, key: str) -> Response:
        try:
            path = self._path(key)
            found = path.is_file()
        except (ValueError, OSError):  # outside the folder, or a name too long to exist
            found = False
        if not found:
            abort(404)
        response = send_file(path, max_age=YEAR, conditional=True)
        response.headers["Cache-Control"] = IMMUTABLE
        return response

    def url(self, key: str) -> str:
        return _media_url(key)


class S3Storage:
    """Objects in one S3 bucket; every web process and machine sees the same photos."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
    ):
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region)

    def _key(self, key: str) -> str:
        return self.prefix + key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE,
        )

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def check(self) -> None:
        """Raise unless the bucket answers."""
        self.client.head_bucket(Bucket=self.bucket)

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def all_keys(self) -> Iterator[str]:
        """Every key under the prefix, in name order (S3 lists them so)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]

    def send(self, key: str) -> Response:
        """Pass an object through the app (for private buckets without ``MEDIA_URL``).

        A browser that holds the object already sends its tag back (``If-None-Match``):
        the tag goes on to S3, which compares it and answers "not modified" without the
        object, and the browser gets 304 with no body. S3 takes one tag, the strong one a
        browser returns; with several, or a weak one, the object is sent whole.
        """
        from botocore.exceptions import ClientError

        held = request.if_none_match
        condition = {"IfNoneMatch": held.to_header()} if len(held) == 1 else {}
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._key(key), **condition)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "304":
                response = Response(status=304)
                response.headers["Cache-Control"] = IMMUTABLE
                response.set_etag(next(iter(held)))
                return response
            if code in ("404", "NoSuchKey", "NotFound"):
                abort(404)
            raise
        response = Response(
            obj["Body"].iter_chunks(64 * 1024),
            mimetype=obj.get("ContentType", "application/octet-stream"),
            direct_passthrough=True,
        )
        response.headers["Content-Length"] = str(obj["ContentLength"])
        response.headers["Cache-Control"] = IMMUTABLE
        response.set_etag(obj.get("ETag", "").strip('"') or key)
        return response

    def url(self, key: str) -> str:
        return (
            _media_url(self._key(key)) if current_app.config.get("MEDIA_URL") else _media_url(key)
        )


def _media_url(key: str) -> str:
    base = current_app.config.get("MEDIA_URL")
    if base:
        return f"{base.rstrip('/')}/{key}"
    return url_for("site.media", key=key)


def get_storage() -> LocalStorage | S3Storage:
    """The storage this app is configured with."""
    return current_app.extensions["storage"]


def init_storage(app) -> None:
    if bucket := app.config.get("S3_BUCKET"):
        app.extensions["storage"] = S3Storage(
            bucket,
            prefix=app.config.get("S3_PREFIX", ""),
            endpoint_url=app.config.get("S3_ENDPOINT_URL"),
            region=app.config["S3_REGION"],
        )
    else:
        app.extensions["storage"] = LocalStorage(app.config["MEDIA_ROOT"])
