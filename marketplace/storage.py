"""Photo storage behind one small interface: a local folder by default.

Keys are content hashes, so a stored file never changes and may be cached
for a year by browsers and proxies.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app, url_for


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

    def path(self, key: str) -> Path:
        return self._path(key)

    def url(self, key: str) -> str:
        base = current_app.config.get("MEDIA_URL")
        if base:
            return f"{base.rstrip('/')}/{key}"
        return url_for("site.media", key=key)


def get_storage() -> LocalStorage:
    """The storage this app is configured with."""
    return current_app.extensions["storage"]


def init_storage(app) -> None:
    app.extensions["storage"] = LocalStorage(app.config["MEDIA_ROOT"])
