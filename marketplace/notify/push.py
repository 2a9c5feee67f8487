"""Web Push: a message encrypted for one browser (aes128gcm) and signed with VAPID.

``pywebpush`` encrypts the payload with the subscription's keys (RFC 8291) and signs a
VAPID JWT for the push service's origin (RFC 8292) with ``VAPID_PRIVATE_KEY``; the
service worker (``static/sw.js``) shows it. The public key browsers subscribe with is
derived from the private one, so the two can never disagree.
"""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from pywebpush import WebPushException, webpush

#: Seconds a push service keeps a message for a phone that is off.
PUSH_TTL = 24 * 3600


class PushGone(RuntimeError):
    """The push service says the subscription no longer exists (404 or 410)."""


class PushError(RuntimeError):
    """The push service refused the message or could not be reached."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_private_key() -> str:
    """A new VAPID private key: the 32-byte P-256 secret, base64url (``flask notify vapid-key``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _b64(key.private_numbers().private_value.to_bytes(32, "big"))


def _private_key(text: str) -> ec.EllipticCurvePrivateKey:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def public_key() -> str:
    """The applicationServerKey browsers subscribe with: the uncompressed point, base64url."""
    key = _private_key(current_app.config["VAPID_PRIVATE_KEY"]).public_key()
    return _b64(
        key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def send_push(endpoint: str, p256dh: str, auth: str, payload: dict) -> None:
    """Encrypt ``payload`` (JSON) for one subscription and post it to its push service."""
    config = current_app.config
    try:
        response = webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=json.dumps(payload),
            vapid_private_key=config["VAPID_PRIVATE_KEY"],
            vapid_claims={"sub": config["VAPID_SUBJECT"]},
            content_encoding="aes128gcm",
            ttl=PUSH_TTL,
            timeout=20,
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in (404, 410):
            raise PushGone(str(status)) from None
        raise PushError(str(error)[:200]) from None
    except OSError as error:
        raise PushError(str(error)) from None
    if response.status_code >= 300:
        raise PushError(f"{response.status_code}")
