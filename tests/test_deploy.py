"""The production front the README gives: nginx (deploy/nginx.conf) before gunicorn.

nginx is Debian's package (``make system-packages`` installs it); gunicorn runs with the
project's gunicorn.conf.py. Idle sockets and slow uploads are held by nginx, never by a
gunicorn worker, so a normal visitor is answered meanwhile; static files and local media
come from disk; the app trusts X-Forwarded-For from nginx alone.

The visitor's requests carry a timeout (``VISITOR_TIMEOUT``): without the front, their
answer never comes while the workers are held. The times taken are recorded as test
properties (``--junitxml``, printed with ``-s``) and measured in ``bench/`` ``faults``,
never asserted tightly.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path

import pytest
from sqlalchemy import select

from deploy.render_nginx import nginx_binary, running_nginx
from marketplace.catalog.models import Product
from marketplace.db import db
from tests.conftest import csrf_token_from, database_url
from tests.servers import ROOT, free_port, gunicorn_process

pytestmark = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx is not installed (make system-packages installs it)"
)

#: Seconds a normal visitor's request may take before the test says it was not answered.
VISITOR_TIMEOUT = 5
IDLE_CONNECTIONS = 1000
SLOW_UPLOADS = 10


def visit(
    port: int,
    path: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict | None = None,
    source: str = "127.0.0.1",
) -> tuple[int, http.client.HTTPMessage, bytes, float]:
    """One request on a fresh connection from ``source``; the status, headers, body and
    the seconds it took."""
    began = time.monotonic()
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=VISITOR_TIMEOUT, source_address=(source, 0)
    )
    with closing(connection):
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, response.headers, data, time.monotonic() - began


def record(request, name: str, seconds: float) -> None:
    request.node.user_properties.append((name, round(seconds, 3)))
    print(f"{request.node.name}: {name} {seconds:.3f}")


@pytest.fixture(scope="module")
def served(app, own_redis, tmp_path_factory) -> Iterator[dict]:
    """The app under gunicorn (gunicorn.conf.py, 2 workers, PROXY_HOPS=1) behind nginx.

    The limits are counted in Redis (a test's own), as in production: shared by the workers.
    """
    folder = tmp_path_factory.mktemp("front")
    env = {
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": app.config["MEDIA_ROOT"],
        "INSTANCE_PATH": str(folder / "instance"),
        "PROXY_HOPS": "1",
        "SIGNIN_LIMIT_PER_ADDRESS": "2 per minute",
        "REDIS_URL": own_redis,
    }
    with ExitStack() as stack:
        server = stack.enter_context(gunicorn_process(env, workers=2))
        media = app.config["MEDIA_ROOT"]
        port = free_port()
        address = server.base.removeprefix("http://")
        stack.enter_context(running_nginx(address, media, folder / "nginx", f"127.0.0.1:{port}"))
        yield {"port": port, "base": server.base, "server": server}


@pytest.fixture
def product(app) -> Product:
    return db.session.scalars(
        select(Product).where(Product.status == "published").order_by(Product.id).limit(1)
    ).one()


def _static_path(port: int) -> str:
    _status, _headers, html, _took = visit(port, "/")
    match = re.search(r'href="(/static/style\.css\?v=[0-9a-f]+)"', html.decode())
    assert match, "the home page links no versioned style sheet"
    return match.group(1)


def _slow_upload(port: int) -> socket.socket:
    """A phone on a bad link: the headers of a 1 MB photo upload, then 1 KB, then nothing."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"POST /penjual/produk/baru HTTP/1.1\r\nHost: pasar.test\r\n"
        b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000\r\n\r\n"
        + b"--x\r\n"
        + b"a" * 1024
    )
    return sock


def test_visitors_are_answered_while_idle_sockets_and_slow_uploads_are_held(
    served, product, request
):
    port = served["port"]
    product_path = f"/produk/{product.slug}"
    static_path = _static_path(port)
    with ExitStack() as held:
        for _ in range(IDLE_CONNECTIONS):
            held.enter_context(closing(socket.create_connection(("127.0.0.1", port))))
        for _ in range(SLOW_UPLOADS):
            held.enter_context(closing(_slow_upload(port)))
        answers = {path: visit(port, path) for path in ("/", product_path, "/healthz")}
        answers["static"] = visit(port, static_path)
    for name, (status, _headers, _body, took) in answers.items():
        record(request, f"seconds {name}", took)
        assert status == 200, name
    assert json.loads(answers["/healthz"][2]) == {"status": "ok"}
    assert product.name in answers[product_path][2].decode()


def test_a_direct_gunicorn_is_what_the_front_protects(served):
    """The same held sockets straight at gunicorn's sync workers: nobody else is answered.
    (This is the defect the front removes; if it ever stops holding, this test says so.)"""
    base = served["base"]
    port = int(base.rsplit(":", 1)[1])
    with ExitStack() as held:
        for _ in range(3):
            held.enter_context(closing(socket.create_connection(("127.0.0.1", port))))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        with closing(connection), pytest.raises(TimeoutError):
            connection.request("GET", "/healthz")
            connection.getresponse().read()


def test_static_files_and_photos_come_from_disk_compressed_only_when_text(served, app):
    port = served["port"]
    static_path = _static_path(port)
    status, headers, body, _took = visit(port, static_path, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(body) == (ROOT / "static/style.css").read_bytes()
    # The app marks what it serves with a request id; nginx's own files have none.
    assert "X-Request-ID" not in headers

    media_root = Path(app.config["MEDIA_ROOT"])
    photo = next(media_root.glob("photos/*/*.webp"))
    key = photo.relative_to(media_root).as_posix()
    status, headers, body, _took = visit(port, f"/media/{key}", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert body == photo.read_bytes()
    assert headers["Content-Type"] == "image/webp"
    assert "Content-Encoding" not in headers
    assert "X-Request-ID" not in headers
    # A photo not on disk is the app's to answer (a private bucket), with its own 404 page.
    status, headers, _body, _took = visit(port, "/media/photos/none/320.webp")
    assert status == 404
    assert "X-Request-ID" in headers


def test_pages_are_gzipped_and_bodies_beyond_the_upload_limit_stop_at_nginx(served):
    port = served["port"]
    status, headers, _body, _took = visit(port, "/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    # 17 MB announced: refused from the headers, before a byte of it is read.
    with closing(socket.create_connection(("127.0.0.1", port), timeout=VISITOR_TIMEOUT)) as sock:
        sock.sendall(
            b"POST /akun/masuk HTTP/1.1\r\nHost: pasar.test\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 17825792\r\n\r\n"
        )
        answer = b""
        while b"</html>" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
    text = answer.decode(errors="replace")
    assert text.startswith("HTTP/1.1 413 ")
    # the app's own page for it, asked without the body, in the visitor's language
    assert "Kiriman terlalu besar (paling banyak 16 MB sekali kirim)." in text


def test_while_gunicorn_does_not_answer_nginx_shows_the_sites_own_page(app, tmp_path):
    """No gunicorn behind nginx (a restart): a 502 with the site's page in Indonesian and
    English, to try again in a minute, never cached; not nginx's "502 Bad Gateway"."""
    port, nobody = free_port(), f"127.0.0.1:{free_port()}"
    with running_nginx(nobody, app.config["MEDIA_ROOT"], tmp_path, f"127.0.0.1:{port}"):
        status, headers, body, _took = visit(port, "/produk")
        posted = visit(port, "/akun/masuk", method="POST", body=b"login=x")
        direct = visit(port, "/tidak-tersedia.html")
    page = body.decode()
    assert status == 502 and headers["Content-Type"].startswith("text/html")
    assert "Pasar Oleh-Oleh Kaltara sedang sibuk" in page and "Bad Gateway" not in page
    assert "Reload this page in a minute." in page
    assert headers["Cache-Control"] == "no-store" and headers["Retry-After"] == "60"
    assert posted[0] == 502 and posted[2] == body  # a form sent meanwhile: the same page
    assert direct[0] == 404  # the page is nginx's answer, not an address of the site


def _failed_sign_in(port: int, source: str, login: str, forwarded_for: str | None = None) -> int:
    """A wrong password from ``source``, with its CSRF token and cookie, as a browser sends it."""
    status, headers, html, _took = visit(port, "/akun/masuk", source=source)
    assert status == 200
    cookie = "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie", []))
    form = f"login={login}&password=salah&csrf_token={csrf_token_from(html.decode())}"
    extra = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    status, _headers, _body, _took = visit(
        port,
        "/akun/masuk",
        method="POST",
        body=form.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            **extra,
        },
        source=source,
    )
    return status


def test_the_limits_per_address_count_the_visitors_address_given_by_nginx_alone(served):
    port = served["port"]
    # Loopback addresses of this test's own; 2 failed sign-ins per minute per address here.
    first, second = "127.0.0.2", "127.0.0.3"
    statuses = [_failed_sign_in(port, first, f"orang{n}@contoh.id") for n in range(3)]
    assert statuses == [400, 400, 429]
    # Another address is another count, even when it claims to be the first.
    assert _failed_sign_in(port, second, "lain@contoh.id", forwarded_for=first) == 400
    # And the first cannot escape its count by claiming to be somebody else.
    assert _failed_sign_in(port, first, "lagi@contoh.id", forwarded_for="10.1.2.3") == 429


def _booted_workers(server, count: int) -> list[int]:
    """Read gunicorn's log until ``count`` more workers say they booted; their pids."""
    pids = []
    for line in iter(lambda: server.log.get(timeout=60), None):
        found = re.search(r"Booting worker with pid: (\d+)", line)
        if found:
            pids.append(int(found.group(1)))
            if len(pids) == count:
                return pids
    raise RuntimeError("gunicorn stopped")


def test_a_killed_worker_is_replaced_from_the_preloaded_app(served, request):
    server = served["server"]
    config = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config", "wsgi:app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"^preload_app\s*=\s*True$", config, re.MULTILINE)

    workers = _booted_workers(server, 2)
    began = time.monotonic()
    os.kill(workers[0], signal.SIGKILL)
    (replacement,) = _booted_workers(server, 1)
    respawned = time.monotonic() - began
    assert replacement not in workers
    # Both workers answer again: each request on a fresh connection, and the second
    # worker is busy for neither.
    answers = [visit(served["port"], "/healthz")[0] for _ in range(4)]
    record(request, "seconds to respawn", respawned)
    record(request, "seconds to answer after the kill", time.monotonic() - began)
    assert answers == [200] * 4
