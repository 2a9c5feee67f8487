"""The one payment seam: a gateway interface, a local test twin, and the choice between them.

With ``STRIPE_SECRET_KEY`` set, :class:`~marketplace.payments.stripe_gateway.StripeGateway`
talks to Stripe (or to ``STRIPE_API_BASE``); without it, :class:`TestGateway` takes
"Mode uji" payments locally, with no network.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import stripe
from flask import Flask, current_app


class GatewayError(Exception):
    """The gateway refused or could not be reached; nothing for the buyer to fix."""


class BadSignature(Exception):
    """A webhook whose signature, timestamp or body does not check out."""


@dataclass(frozen=True)
class Intent:
    """What the app needs to know about a payment at the gateway; amounts in whole rupiah."""

    id: str
    status: str
    amount: int
    order_id: int | None
    client_secret: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class GatewayEvent:
    id: str
    type: str
    #: the id of the object the event is about (a PaymentIntent)
    object_id: str


class PaymentGateway(Protocol):
    name: str

    def create_intent(
        self, *, amount: int, order_id: int, email: str, idempotency_key: str
    ) -> Intent: ...

    def retrieve_intent(self, intent_id: str) -> Intent: ...

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> str: ...

    def parse_event(self, payload: bytes, signature: str) -> GatewayEvent: ...


def parse_signed_event(payload: bytes, signature: str, secret: str) -> GatewayEvent:
    """Verify a Stripe-signed webhook body (raw bytes) and read the event from it."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise BadSignature(str(error)) from error
    body = event.to_dict()
    obj = (body.get("data") or {}).get("object") or {}
    if not body.get("id") or not body.get("type") or not isinstance(obj, dict):
        raise BadSignature("not an event")
    return GatewayEvent(id=str(body["id"]), type=str(body["type"]), object_id=str(obj.get("id")))


class TestGateway:
    """Local "Mode uji" payments: intents live in this process, events are signed locally.

    It keeps no money and talks to nobody; the buyer completes or declines a payment
    on the app's own page, which goes through the same code as a webhook.
    """

    name = "test"
    _lock = threading.Lock()
    _counter = itertools.count(1)

    def __init__(self, webhook_secret: str):
        self.webhook_secret = webhook_secret
        self.intents: dict[str, Intent] = {}
        self.refunds: dict[str, str] = {}
        self.created_keys: dict[str, str] = {}

    def create_intent(
        self, *, amount: int, order_id: int, email: str, idempotency_key: str
    ) -> Intent:
        with self._lock:
            if idempotency_key in self.created_keys:
                return self.intents[self.created_keys[idempotency_key]]
            intent_id = f"pi_test_{secrets.token_hex(8)}"
            intent = Intent(
                id=intent_id,
                status="requires_payment_method",
                amount=amount,
                order_id=order_id,
                client_secret=f"{intent_id}_secret_{secrets.token_hex(8)}",
            )
            self.intents[intent_id] = intent
            self.created_keys[idempotency_key] = intent_id
            return intent

    def retrieve_intent(self, intent_id: str) -> Intent:
        try:
            return self.intents[intent_id]
        except KeyError as error:
            raise GatewayError(f"no such test payment {intent_id}") from error

    def complete(self, intent_id: str, *, succeed: bool = True) -> Intent:
        """The buyer pressed "Bayar (uji)" (or "Tolak"): settle the test payment."""
        intent = self.retrieve_intent(intent_id)
        if intent.status in ("succeeded", "canceled"):
            return intent
        status = "succeeded" if succeed else "requires_payment_method"
        settled = Intent(intent.id, status, intent.amount, intent.order_id, intent.client_secret)
        self.intents[intent_id] = settled
        return settled

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> str:
        with self._lock:
            if idempotency_key not in self.refunds:
                self.refunds[idempotency_key] = f"re_test_{next(self._counter)}"
            return self.refunds[idempotency_key]

    def parse_event(self, payload: bytes, signature: str) -> GatewayEvent:
        return parse_signed_event(payload, signature, self.webhook_secret)

    def signed_event(self, event_type: str, intent_id: str) -> tuple[bytes, str]:
        """A webhook body and its Stripe-Signature header, as Stripe would send them."""
        intent = self.retrieve_intent(intent_id)
        body = json.dumps(
            {
                "id": f"evt_test_{secrets.token_hex(8)}",
                "object": "event",
                "type": event_type,
                "data": {"object": {"id": intent.id, "object": "payment_intent"}},
            }
        )
        header = stripe.WebhookSignature.generate_signature_header(body, self.webhook_secret)
        return body.encode(), header


def init_payments(app: Flask) -> None:
    """Choose the gateway from the settings, once per app."""
    gateway: Any
    if app.config.get("STRIPE_SECRET_KEY"):
        from marketplace.payments.stripe_gateway import StripeGateway

        gateway = StripeGateway(
            secret_key=app.config["STRIPE_SECRET_KEY"],
            webhook_secret=app.config.get("STRIPE_WEBHOOK_SECRET", ""),
            api_base=app.config.get("STRIPE_API_BASE") or None,
        )
    else:
        gateway = TestGateway(webhook_secret=app.config.get("TEST_WEBHOOK_SECRET") or "whsec_uji")
    app.extensions["payment_gateway"] = gateway


def get_gateway() -> PaymentGateway:
    return current_app.extensions["payment_gateway"]
