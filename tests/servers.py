"""Real servers for tests: the app under gunicorn on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    env: dict[str, str], workers: int = 1, app: str = "wsgi:app", threads: int = 1
) -> Iterator[str]:
    """Serve ``app`` under gunicorn and yield its base URL; stop it afterwards.

    A browser opens spare connections before it needs them; a sync worker that takes
    one waits on it while the page's script waits for a worker (in production nginx
    buffers, deploy/nginx.conf; here nothing does). Servers a browser talks to get
    ``threads`` (gthread workers), which leave an idle connection aside.
    """
    with gunicorn_process(env, workers, app, threads) as server:
        yield server.base


@dataclass
class GunicornServer:
    base: str
    #: the master process
    process: subprocess.Popen
    #: gunicorn's own log (stderr), line by line, after "Listening at"; None once it ended
    log: queue.Queue


@contextmanager
def gunicorn_process(
    env: dict[str, str], workers: int = 1, app: str = "wsgi:app", threads: int = 1
) -> Iterator[GunicornServer]:
    """``gunicorn``, yielding the master process and its log as well.

    gunicorn.conf.py preloads the app before the socket listens, so once gunicorn says
    "Listening at", a connection is queued until a worker takes it: no polling.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        # The project's own settings (JSON access log, timeouts, preload), as in production.
        "--config",
        "gunicorn.conf.py",
        "--workers",
        str(workers),
        *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []),
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stderr=subprocess.PIPE, text=True
    )
    reader = None
    try:
        output = []
        for line in process.stderr:
            output.append(line)
            if "Listening at" in line:
                break
        else:
            raise RuntimeError("gunicorn did not start:\n" + "".join(output))
        # Read the log as it comes, so that a chatty server never blocks on a full pipe.
        log: queue.Queue = queue.Queue()
        reader = threading.Thread(target=_drain, args=(process.stderr, log), daemon=True)
        reader.start()
        yield GunicornServer(f"http://127.0.0.1:{port}", process, log)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if reader is not None:
            reader.join(timeout=30)
        process.stderr.close()


def _drain(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@contextmanager
def redis_server() -> Iterator[str]:
    """A Redis of this test's own on a free loopback port; yields its URL.

    See ``redis_server_process``.
    """
    with redis_server_process() as (url, _process):
        yield url


@contextmanager
def redis_server_process() -> Iterator[tuple[str, subprocess.Popen]]:
    """A Redis of this test's own on a free loopback port; yields its URL and its process
    (which a test may stop with SIGSTOP, to freeze it).

    Every worktree and CI run on a machine shares the Redis on 6379: a job queued
    there by another run's test would be worked (and its mail sent) by this one's
    worker, and its ``FLUSHDB`` would empty this one's queue. Nothing is kept on disk.
    """
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        output = []
        for line in process.stdout:
            output.append(line)
            if "Ready to accept connections" in line:
                break
        else:
            raise RuntimeError("redis-server did not start:\n" + "".join(output))
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


class FreezableProxy:
    """A TCP relay to a server, which can stop relaying: the server then looks frozen.

    Frozen, it still accepts connections and takes what the client sends, as the kernel of
    a stopped server does, but passes nothing on, either way, until thawed. Between the app
    and a PostgreSQL shared by every worktree it freezes "the database" for this app alone.
    """

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.flowing = threading.Event()
        self.flowing.set()
        self.closed = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                if self.closed:
                    return
                continue
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                if self.closed:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self.flowing.set()
        for end in self._sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


class HttpVisitor:
    """A visitor over real HTTP with a cookie jar, who can fill forms like a browser.

    The same visitor may talk to several servers (the cookie jar ignores the port,
    as browsers do for cookies on one host).
    """

    def __init__(self):
        import http.cookiejar

        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, url: str, data: dict | None = None) -> tuple[int, str, dict]:
        """GET ``url``, or POST ``data`` to it as a form on the site's own page would be
        (a browser says where a form comes from: ``Origin``)."""
        import urllib.error
        import urllib.parse

        body = urllib.parse.urlencode(data).encode() if data is not None else None
        parts = urllib.parse.urlsplit(url)
        headers = {"Origin": f"{parts.scheme}://{parts.netloc}"} if body is not None else {}
        try:
            with self.opener.open(
                urllib.request.Request(url, data=body, headers=headers), timeout=30
            ) as response:
                return (
                    response.status,
                    response.read().decode(errors="replace"),
                    dict(response.headers),
                )
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), dict(error.headers)

    def get(self, url: str) -> tuple[int, str, dict]:
        return self.request(url)

    def submit(self, page_url: str, data: dict, action: str | None = None) -> tuple[int, str, dict]:
        """Open a page, take its CSRF token, and post ``data`` to ``action`` (or the page).

        A cached public page has no token (its forms are checked by origin): then none."""
        from tests.conftest import CSRF_RE

        status, html, _headers = self.get(page_url)
        assert status == 200, (page_url, status)
        token = CSRF_RE.search(html)
        return self.request(
            action or page_url, {**data, **({"csrf_token": token.group(1)} if token else {})}
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
