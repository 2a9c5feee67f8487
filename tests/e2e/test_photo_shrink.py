"""The phone's browser shrinks a camera photo before it is sent (static/photo-shrink.js).

Drives the machine's Chromium against the app under gunicorn, on a database of its own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import FAST_HASH
from tests.servers import ROOT, gunicorn

pytestmark = pytest.mark.e2e

FLASK = str(Path(sys.executable).parent / "flask")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("e2e-instance")
    database = instance / "e2e.db"
    env = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{database}",
        "FLASK_APP": "wsgi:app",
        "MARKETPLACE_DEMO_PHOTO_SIZE": "200",
        # Cheap argon2, as in the other tests: the demo accounts are hashed at load.
        "MARKETPLACE_PASSWORD_HASH_PARAMS": json.dumps(FAST_HASH),
    }
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run(
            [FLASK, *command], cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True
        )
    with gunicorn(env, threads=4) as url:
        yield url, database


def _camera_photo(path: Path) -> int:
    """A 12-megapixel photo with fine detail, as a phone camera writes it (about 6 MB)."""
    detail = Image.effect_noise((4000, 3000), 60).convert("RGB")
    light = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    Image.blend(light, detail, 0.35).save(path, "JPEG", quality=92)
    return path.stat().st_size


def test_a_camera_photo_is_shrunk_in_the_browser_before_upload(server, browser, tmp_path):
    url, database = server
    photo = tmp_path / "IMG_20261129_101500.jpg"
    original_size = _camera_photo(photo)
    assert original_size > 2_000_000
    # The suite's one browser (tests/e2e/conftest.py), in a context of its own.
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{url}/akun/masuk")
        page.fill("#login", "penjual@demo.id")
        page.fill("#password", "demo-pass-2026")
        page.click("main button[type=submit]")
        page.goto(f"{url}/penjual/produk/baru")
        # The "shrinking…" hint is not shown while nothing is being shrunk.
        status = page.locator("#photos ~ [data-shrink-status]")
        assert not status.is_visible()
        page.set_input_files("#photos", str(photo))
        page.wait_for_selector("#photos[data-shrunk]", state="attached")
        page.wait_for_selector("#photos ~ [data-shrink-status]", state="hidden")
        sent = page.evaluate("document.querySelector('#photos').files[0].size")
        assert sent < 400 * 1024
        page.fill("#name", "Amplang Uji Kamera")
        page.select_option("#category_id", label="Anyaman Rotan")
        page.fill("#price", "35.000")
        page.fill("#unit", "buah")
        page.fill("#stock", "3")
        page.fill("#weight_grams", "250")
        page.click(".sticky-submit button")
        page.wait_for_selector("text=Produk disimpan sebagai draf.")
    finally:
        context.close()
    with sqlite3.connect(database) as connection:
        width, height = connection.execute(
            "SELECT pp.width, pp.height FROM product_photos pp JOIN products p "
            "ON p.id = pp.product_id WHERE p.name = 'Amplang Uji Kamera'"
        ).fetchone()
    connection.close()
    # The server got the browser's 1280 px copy, not the 4000 px original.
    assert (width, height) == (1280, 960)


def test_thirty_photos_at_once_are_refused_on_the_phone(server, browser, tmp_path):
    url, _ = server
    photos = []
    for n in range(30):
        path = tmp_path / f"IMG_{n:04d}.jpg"
        Image.new("RGB", (64, 48), (n * 8, 100, 60)).save(path, "JPEG")
        photos.append(str(path))
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{url}/akun/masuk")
        page.fill("#login", "penjual@demo.id")
        page.fill("#password", "demo-pass-2026")
        page.click("main button[type=submit]")
        page.goto(f"{url}/penjual/produk/baru")
        page.fill("#name", "Tas Rotan Banyak Foto")
        page.set_input_files("#photos", photos)
        page.wait_for_selector("[data-too-many]", state="visible")
        assert "Paling banyak 8 foto" in page.inner_text("[data-too-many]")
        # nothing is left to send, and what was typed stays
        assert page.evaluate("document.querySelector('#photos').files.length") == 0
        assert page.input_value("#name") == "Tas Rotan Banyak Foto"
        page.set_input_files("#photos", photos[:2])
        page.wait_for_selector("[data-too-many]", state="hidden")
        assert page.evaluate("document.querySelector('#photos').files.length") == 2
    finally:
        context.close()
