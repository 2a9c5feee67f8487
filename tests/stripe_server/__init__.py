"""A small Stripe-compatible HTTP server for the tests, spoken to by the real ``stripe`` library.

It keeps its state in memory, listens on a free loopback port in a thread of the test
process (or, for bench/, in its own process: ``python -m tests.stripe_server``), and
answers as Stripe's API does: form-encoded bodies as stripe-python sends them
(``line_items[0][price_data][unit_amount]=…``), ``Authorization: Bearer <secret key>``
(401 otherwise), ``Idempotency-Key`` (the same key and parameters replay the first
answer with ``Idempotent-Replayed: true``; the same key with other parameters is a 400
``idempotency_error``), Stripe-like ids (``cs_test_…``, ``pi_…``, ``ch_…``, ``re_…``,
``evt_…``, ``acct_…``, ``tr_…``, ``trr_…``, ``txn_…``), errors as
``{"error": {"type", "code", "message", "param"}}`` with Stripe's HTTP status, lists
newest first with ``limit``/``starting_after``/``ending_before``/``has_more``, and
``expand[]`` of ids. Every event is signed for each webhook endpoint exactly as Stripe
signs (``Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">``) and delivered
before the request that raised it is answered, so a test never waits.

Covered (one module each): Checkout Sessions in ``mode=payment`` with ``price_data``
line items, and their hosted page (checkout.py); PaymentIntents, charges and refunds
(payments.py); Connect accounts, account links, transfers and reversals (connect.py);
balance and balance transactions (balance.py); events and webhook endpoints
(events.py). Test-only controls (the buyer paying, onboarding finished, …) live under
``/_test/``, outside ``/v1``; each module's docstring lists its own.

Not covered, on purpose: customers, Prices/Products, subscriptions, Stripe.js, 3-D
Secure, disputes, payouts, fees (``fee=0``), pending funds (everything is available at
once), Connect's regional rules (see shared/reference/stripe-s3-local.md), webhook
retries, live mode. An unknown parameter is refused (400 ``parameter_unknown``), so a
call the server does not understand fails loudly instead of being half-honoured.

Use, in a test: the ``stripe_server`` fixture (tests/conftest.py) gives a running
:class:`StripeServer`, emptied before each test::

    endpoint = stripe_server.add_webhook_endpoint("http://127.0.0.1:8000/stripe/webhook")
    endpoint = stripe_server.add_webhook_endpoint()  # no url: deliveries wait in
    body, headers = endpoint.take("checkout.session.completed")[0]  # endpoint.pending
    stripe_server.pay(session_id)                    # POST /_test/checkout/<id>/pay
"""

from __future__ import annotations

import argparse
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

# Importing the resource modules registers their routes.
import tests.stripe_server.balance  # noqa: F401
import tests.stripe_server.checkout  # noqa: F401
import tests.stripe_server.connect  # noqa: F401
import tests.stripe_server.events  # noqa: F401
import tests.stripe_server.payments  # noqa: F401
from tests.stripe_server.core import App, State, WebhookEndpoint, new_id, sign

SECRET_KEY = "sk_test_stripe_server"
WEBHOOK_SECRET = "whsec_stripe_server"

__all__ = [
    "SECRET_KEY",
    "WEBHOOK_SECRET",
    "StripeServer",
    "WebhookEndpoint",
    "running_stripe_server",
    "sign",
]


class StripeServer:
    """The server: ``start()`` it, use ``url`` as ``stripe.api_base``, ``stop()`` it."""

    def __init__(
        self,
        *,
        secret_key: str = SECRET_KEY,
        webhook_url: str | None = None,
        webhook_secret: str = WEBHOOK_SECRET,
        port: int = 0,
    ):
        self.secret_key = secret_key
        self.state = State()
        self.app = App(self)
        self.port = port
        self.url = ""
        self._initial_endpoint = (webhook_url, webhook_secret) if webhook_url else None
        if self._initial_endpoint:
            self.add_webhook_endpoint(webhook_url, secret=webhook_secret)
        self._http = None

    # --- life -----------------------------------------------------------------------------

    def start(self) -> StripeServer:
        # Port 0: the system picks a free loopback port (never 5000 by chance of config).
        self._http = make_server(
            "127.0.0.1", self.port, self.app, threaded=True, request_handler=_Quiet
        )
        self.port = self._http.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def reset(self) -> None:
        """Forget every object, idempotency key and webhook endpoint."""
        with self.state.lock:
            fresh = State()
            self.state.objects = fresh.objects
            self.state.idempotency = fresh.idempotency
            self.state.endpoints = []
            self.state.outbox = []
        if self._initial_endpoint:
            url, secret = self._initial_endpoint
            self.add_webhook_endpoint(url, secret=secret)

    # --- webhooks -------------------------------------------------------------------------

    def add_webhook_endpoint(
        self,
        url: str | None = None,
        *,
        secret: str = WEBHOOK_SECRET,
        events: tuple[str, ...] = ("*",),
    ) -> WebhookEndpoint:
        """Deliver events to ``url`` (POST, signed with ``secret``).

        With no url, deliveries wait in ``endpoint.pending`` for the test to pass on
        (``endpoint.take(type)``) — for an app driven by Flask's test client.
        """
        endpoint = WebhookEndpoint(id=new_id("we"), url=url, secret=secret, events=events)
        with self.state.lock:
            self.state.endpoints.append(endpoint)
        return endpoint

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Every event raised so far, oldest first."""
        with self.state.lock:
            found = sorted(self.state.table("event").values(), key=lambda e: e["_seq"])
        return [e for e in found if event_type is None or e["type"] == event_type]

    # --- test controls (over HTTP, as a browser or Stripe's dashboard would) ----------------

    def control(self, path: str, **form: Any) -> dict[str, Any]:
        """POST ``/_test/<path>`` and return its JSON answer (an error raises)."""
        body = urllib.parse.urlencode({k: str(v) for k, v in form.items()}).encode()
        request = urllib.request.Request(f"{self.url}/_test/{path}", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"/_test/{path}: {error.code} {error.read().decode()}") from None

    def pay(self, session_id: str, *, delayed: bool = False) -> dict[str, Any]:
        """The buyer pays the Checkout Session (``delayed``: by a method that settles later)."""
        return self.control(f"checkout/{session_id}/pay", **({"async": 1} if delayed else {}))

    def decline(self, session_id: str) -> dict[str, Any]:
        return self.control(f"checkout/{session_id}/decline")

    def settle(self, session_id: str, *, succeeded: bool = True) -> dict[str, Any]:
        """A delayed payment settles (``async_payment_succeeded``) or fails."""
        outcome = "async_succeed" if succeeded else "async_fail"
        return self.control(f"checkout/{session_id}/{outcome}")

    def onboard(self, account_id: str) -> dict[str, Any]:
        return self.control(f"accounts/{account_id}/onboard")

    def restrict(self, account_id: str) -> dict[str, Any]:
        return self.control(f"accounts/{account_id}/restrict")

    def topup(self, amount: int, currency: str = "idr") -> dict[str, Any]:
        return self.control("balance/topup", amount=amount, currency=currency)

    def client(self):
        """A ``stripe.StripeClient`` for this server (no retries)."""
        import stripe

        return stripe.StripeClient(
            self.secret_key, base_addresses={"api": self.url}, max_network_retries=0
        )


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@contextmanager
def running_stripe_server(**options: Any) -> Iterator[StripeServer]:
    """Start a :class:`StripeServer` for the ``with`` block (the one place it is started)."""
    server = StripeServer(**options).start()
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.stripe_server --port 8421 --webhook-url http://…/stripe/webhook``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret-key", default=SECRET_KEY)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret", default=WEBHOOK_SECRET)
    args = parser.parse_args(argv)
    server = StripeServer(
        secret_key=args.secret_key,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        port=args.port,
    ).start()
    print(f"Stripe test server listening on {server.url}", flush=True)
    threading.Event().wait()
