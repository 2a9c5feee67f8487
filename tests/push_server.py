"""A push service of the test's own (the part of RFC 8030 a site talks to).

The test makes a browser's subscription itself: a P-256 key pair and a 16-byte auth
secret (``cryptography``), as a browser does for ``PushManager.subscribe()``. A message
posted to the endpoint is checked as a push service and the browser would:

- ``Authorization: vapid t=<JWT>, k=<public key>`` (RFC 8292): the JWT is ES256, signed by
  the key ``k`` names, ``k`` is the key the subscription was made with (the site's
  applicationServerKey), ``aud`` is the push service's origin, ``exp`` in the future and
  at most 24 hours ahead, ``sub`` a ``mailto:`` or ``https:`` contact; else 401/403;
- ``TTL`` present, ``Content-Encoding: aes128gcm``; else 400;
- the body is decrypted with the subscription's private key and auth secret
  (RFC 8291, ``http_ece``); one that does not decrypt is 400.

What arrives is kept decrypted (``server.received``, parsed JSON). ``gone`` endpoints
answer 410, as a push service does for a subscription the browser dropped.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """One subscription: the keys a browser keeps, and what it hands the site."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}


class PushService(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, application_server_key: str):
        super().__init__(("127.0.0.1", 0), Handler)
        self.application_server_key = application_server_key
        self.browsers: dict[str, Browser] = {}
        self.gone: set[str] = set()
        self.received: list[dict] = []
        self.refused: list[str] = []
        self.lock = threading.Lock()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def new_browser(self) -> Browser:
        name = f"sub{len(self.browsers) + 1}"
        browser = Browser(f"{self.origin}/push/{name}")
        self.browsers[f"/push/{name}"] = browser
        return browser


def check_vapid(header: str, expected_key: str, origin: str) -> str | None:
    """Why a VAPID ``Authorization`` header is refused, or None."""
    if not header.startswith("vapid "):
        return "no vapid scheme"
    fields = dict(part.strip().split("=", 1) for part in header[6:].split(","))
    token, key = fields.get("t", ""), fields.get("k", "")
    if key != expected_key:
        return "k is not the applicationServerKey"
    try:
        head, claims, signature = token.split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
        raw = unb64(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature):
        return "bad signature"
    if json.loads(unb64(head)).get("alg") != "ES256":
        return "alg is not ES256"
    body = json.loads(unb64(claims))
    if body.get("aud") != origin:
        return f"aud {body.get('aud')} is not {origin}"
    if not time.time() < int(body.get("exp", 0)) <= time.time() + 24 * 3600:
        return "exp out of range"
    if not str(body.get("sub", "")).startswith(("mailto:", "https:")):
        return "sub is no contact"
    return None


class Handler(BaseHTTPRequestHandler):
    server: PushService

    def log_message(self, *args):
        pass

    def _status(self, status: int, why: str = "") -> None:
        if why:
            self.server.refused.append(why)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        browser = server.browsers.get(self.path)
        if browser is None or self.path in server.gone:
            return self._status(410, "gone")
        why = check_vapid(
            self.headers.get("Authorization", ""), server.application_server_key, server.origin
        )
        if why:
            return self._status(403, why)
        if self.headers.get("TTL") is None or self.headers.get("Content-Encoding") != "aes128gcm":
            return self._status(400, "TTL or Content-Encoding")
        try:
            plain = http_ece.decrypt(
                body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
            )
        except Exception as error:  # what a browser does with a message it cannot read
            return self._status(400, f"decrypt: {error}")
        with server.lock:
            server.received.append({"endpoint": browser.endpoint, **json.loads(plain)})
        self._status(201)


@contextmanager
def running_push_service(application_server_key: str):
    server = PushService(application_server_key)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
