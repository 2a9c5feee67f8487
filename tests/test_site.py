"""The site as a whole: settings, health, headers, compression, error pages."""

from __future__ import annotations

import gzip
import re

import pytest
from flask import Flask

from marketplace import create_app
from marketplace.config import SettingsError, load_settings, normalise_database_url
from marketplace.db import db
from tests.conftest import app_settings

PAGES = [
    "/",
    "/produk",
    "/produk/amplang-ikan-tenggiri",
    "/toko/amplang-bu-siti",
    "/search?q=amplang",
    "/akun/masuk",
    "/akun/daftar",
    "/tidak-ada",
]


def test_embedded_defaults_need_no_settings(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MEDIA_ROOT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'marketplace.db'}"
    assert settings["MEDIA_ROOT"] == str(tmp_path / "media")
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings["SESSION_COOKIE_SECURE"] is False
    # A random key is made once and kept, so restarts keep people signed in.
    assert len(settings["SECRET_KEY"]) > 40
    assert load_settings(tmp_path)["SECRET_KEY"] == settings["SECRET_KEY"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_forms(given, expected):
    assert normalise_database_url(given) == expected


def test_environment_switches_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    settings = load_settings(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://postgres@127.0.0.1/x"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_proxy_hops_trusts_no_forwarded_header_unless_set(tmp_path, monkeypatch):
    monkeypatch.delenv("PROXY_HOPS", raising=False)
    assert load_settings(tmp_path)["PROXY_HOPS"] == 0
    monkeypatch.setenv("PROXY_HOPS", "1")
    assert load_settings(tmp_path)["PROXY_HOPS"] == 1
    monkeypatch.setenv("PROXY_HOPS", "nginx")
    with pytest.raises(SettingsError, match="PROXY_HOPS must be a whole number"):
        load_settings(tmp_path)


def test_health_says_the_process_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_is_200_while_the_database_is_unreachable(monkeypatch):
    """Liveness asks nothing of the database: a probe restarting processes while the
    database is away would restart every one of them, in a loop, for nothing."""
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    app = create_app(
        app_settings(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["database"].startswith("unavailable")


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page_type(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/", "/produk", "/akun/masuk"])
def test_pages_have_no_inline_script(client, path):
    html = client.get(path).get_data(as_text=True)
    # Scripts are files (the search suggestions'), never inline.
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    assert " style=" not in html


def test_pages_are_compressed_when_the_client_accepts_it(client):
    response = client.get("/produk", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.data).decode()
    assert html.count('class="card"') == 24
    assert len(response.data) < len(html) / 3


def test_style_and_script_are_compressed_for_a_client_that_takes_only_gzip(client):
    from pathlib import Path

    css = (Path(client.application.static_folder) / "style.css").read_bytes()
    with client.get("/static/style.css", headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.data) == css
        assert len(response.data) < len(css) / 2
        etag = response.headers["ETag"]
    again = {"Accept-Encoding": "gzip", "If-None-Match": etag}
    with client.get("/static/style.css", headers=again) as response:
        assert response.status_code == 304


def test_static_files_have_versioned_names_and_long_cache(client):
    html = client.get("/").get_data(as_text=True)
    assert "/static/style.css?v=" in html
    href = html.split('href="/static/style.css?v=')[1].split('"')[0]
    with client.get(f"/static/style.css?v={href}") as response:
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]


def test_unknown_page_gets_the_site_404(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Halaman tidak ditemukan" in html and "Pasar Oleh-Oleh Kaltara" in html


def test_server_error_gets_the_site_500():
    app: Flask = create_app(app_settings(TESTING=False, PROPAGATE_EXCEPTIONS=False))

    @app.get("/rusak")
    def broken():
        raise RuntimeError("boom")

    response = app.test_client().get("/rusak")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(client, login_as):
    login_as("buyer")
    response = client.post("/bahasa", data={"locale": "en", "next": "/"})
    cookie = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


@pytest.mark.parametrize(
    ("role", "offered"),
    [("buyer", True), ("reviewer", False), ("officer", False), ("admin", False)],
)
def test_opening_a_shop_is_offered_only_to_whom_could_open_one(client, login_as, role, offered):
    login_as(role)
    header = client.get("/").get_data(as_text=True).split("</header>")[0]
    assert ("Buka toko" in header) is offered


def test_the_site_has_an_icon_and_a_manifest(client):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    page = client.get("/").get_data(as_text=True)
    manifest_url = re.search(r'<link rel="manifest" href="([^"]+)"', page).group(1)
    with client.get(manifest_url) as response:
        manifest = response.get_json(force=True)
    assert manifest["name"] == "Pasar Oleh-Oleh Kaltara" and manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes


def test_kept_fragments_follow_the_mount_point(client):
    """The header and footer pieces kept per process are kept per mount point too: the
    same app behind ``/pasar`` links under ``/pasar``, and at the root, at the root."""
    mounted = client.get("/keranjang", base_url="http://localhost/pasar")
    at_root = client.get("/keranjang")
    mounted_html, root_html = mounted.get_data(as_text=True), at_root.get_data(as_text=True)
    assert 'href="/pasar/static/style.css' in mounted_html
    assert 'class="brand" href="/pasar/"' in mounted_html
    assert 'href="/static/style.css' in root_html and "/pasar/" not in root_html


def test_templates_write_values_as_markupsafe_escapes_them(app):
    """``escape_output`` (what compiled templates write with) answers as ``escape`` does."""
    from markupsafe import Markup, escape

    from marketplace import escape_output

    class Shown:
        def __html__(self):
            return "<b>shown</b>"

    class Number(int):
        def __str__(self):
            return "<7>"

    kept = Markup("<i>kept</i>")
    values = [
        "<a href='x'>&\"</a>",
        "",
        kept,
        Markup(""),
        0,
        -12,
        10**20,
        True,
        None,
        2.5,
        Shown(),
        Number(7),
        Markup.__new__(type("Tagged", (Markup,), {}), "<u>"),
    ]
    for value in values:
        assert escape_output(value) == escape(value), value
        assert type(escape_output(value)) is Markup
    assert escape_output(kept) is kept
    with app.test_request_context():
        page = app.jinja_env.from_string(
            "{{ s }}|{{ m }}|{{ n }}|{% set b %}<p>{{ s }}</p>{% endset %}{{ b }}"
        )
        assert page.root_render_func.__globals__["escape"] is escape_output
        assert page.render(s="<x>", m=kept, n=42) == ("&lt;x&gt;|<i>kept</i>|42|<p>&lt;x&gt;</p>")


def test_the_page_nginx_shows_while_the_app_is_away_is_written_from_the_catalogues(app):
    """static/tidak-tersedia.html is what ``flask site unavailable-page`` writes now: a
    changed translation or template without the file written again fails here."""
    from pathlib import Path

    from marketplace.site import UNAVAILABLE_PAGE, unavailable_page

    with app.app_context():
        written = unavailable_page()
    kept = (Path(app.static_folder) / UNAVAILABLE_PAGE).read_text(encoding="utf-8")
    assert kept == written, "run: flask site unavailable-page"
    assert '<section lang="id">' in kept and '<section lang="en">' in kept
    assert "<script" not in kept and "/static/" not in kept  # nothing the app must serve
