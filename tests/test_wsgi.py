"""``wsgi:app`` under gunicorn, configured only by the environment."""

from __future__ import annotations

import json
import urllib.request

from tests.conftest import database_url
from tests.servers import gunicorn


def test_wsgi_app_serves_under_gunicorn(app, tmp_path):
    env = {
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": app.config["MEDIA_ROOT"],
        "INSTANCE_PATH": str(tmp_path),
    }
    with gunicorn(env, workers=2) as base:
        with urllib.request.urlopen(f"{base}/readyz", timeout=30) as response:
            assert json.load(response) == {"status": "ok", "database": "ok", "storage": "ok"}
        with urllib.request.urlopen(f"{base}/search?q=madu", timeout=30) as response:
            html = response.read().decode()
        assert "Madu Kelulut Asli" in html and '<html lang="id">' in html
