"""The one payment seam: a gateway interface, a local test twin, and the choice between them.

With ``STRIPE_SECRET_KEY`` set, :class:`~marketplace.payments.stripe_gateway.StripeGateway`
talks to Stripe (or to ``STRIPE_API_BASE``): the buyer pays on a Stripe Checkout page;
without it, :class:`TestGateway` takes "Mode uji" payments on the app's own page, with
no network. Both report a payment as an :class:`Intent` and through signed events.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from typing import Protocol

import stripe
from flask import current_app


class GatewayError(Exception):
    """The gateway refused or could not be reached; nothing for the buyer to fix."""


class BadSignature(Exception):
    """A webhook whose signature, timestamp or body does not check out."""


@dataclass(frozen=True)
class Line:
    """One line the buyer sees on the gateway's payment page; whole rupiah."""

    name: str
    unit_amount: int
    quantity: int = 1


@dataclass(frozen=True)
class Intent:
    """What the app needs to know about a payment at the gateway; amounts in whole rupiah.

    ``id`` is the gateway's id of the payment attempt (a Stripe Checkout Session
    ``cs_…``, or a test payment). ``status`` is ``succeeded``; ``processing`` (paid
    by a method that settles later); ``open`` (not paid yet); or, for an attempt that
    can no longer be paid, ``failed``, ``canceled`` (expired) or
    ``requires_payment_method`` (declined).
    """

    id: str
    status: str
    amount: int
    order_id: int | None
    client_secret: str = ""
    currency: str = "idr"
    #: the gateway's page where the buyer pays, while it can be paid ("" for our own page)
    redirect_url: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def over(self) -> bool:
        """The attempt can no longer be paid (expired, failed or declined)."""
        return self.status in ("failed", "canceled", "requires_payment_method")


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    status: str
    #: the key the refund was asked with, which names our refund row
    idempotency_key: str


@dataclass(frozen=True)
class GatewayEvent:
    id: str
    type: str
    #: the id of the object the event is about (a PaymentIntent)
    object_id: str


class PaymentGateway(Protocol):
    name: str
    #: the buyer pays on the gateway's own page (``Intent.redirect_url``)
    hosted: bool

    def create_intent(
        self,
        *,
        amount: int,
        order_id: int,
        email: str,
        idempotency_key: str,
        lines: tuple[Line, ...] = (),
        success_url: str = "",
        cancel_url: str = "",
    ) -> Intent: ...

    def retrieve_intent(self, intent_id: str) -> Intent: ...

    def expire_intent(self, intent_id: str, *, idempotency_key: str) -> Intent | None:
        """Close a payment page that may still be open, so it can no longer be paid.

        Returns the closed attempt, or None when there is nothing to close; raises
        :class:`GatewayError` when the gateway refuses (e.g. it was paid meanwhile).
        """
        ...

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> str: ...

    def retrieve_refund(self, refund_id: str) -> GatewayRefund: ...

    def parse_event(self, payload: bytes, signature: str) -> GatewayEvent: ...


def parse_signed_event(payload: bytes, signature: str, secret: str) -> GatewayEvent:
    """Verify a Stripe-signed webhook body (raw bytes) and read the event from it."""
    if not secret:
        # With no secret anyone could sign: refuse everything rather than accept anything.
        raise BadSignature("no webhook secret is configured")
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
    """Local "Mode uji" payments: no money, no network, and no state a process must share.

    The buyer completes or declines a payment on the app's own page; that page signs
    an event carrying the payment, exactly as Stripe would send it, and hands it to
    the webhook handler. Whichever process verifies the event learns the payment from
    it (the signature is our own), so any number of web processes can serve it.
    """

    name = "test"
    hosted = False
    #: not a pytest test class, whatever its name
    __test__ = False

    def __init__(self, webhook_secret: str):
        self.webhook_secret = webhook_secret
        self.intents: dict[str, Intent] = {}
        self.refunds: dict[str, str] = {}
        self._lock = threading.Lock()

    def create_intent(
        self,
        *,
        amount: int,
        order_id: int,
        email: str,
        idempotency_key: str,
        lines: tuple[Line, ...] = (),
        success_url: str = "",
        cancel_url: str = "",
    ) -> Intent:
        # Repeats are stopped by the unique idempotency key of the payment row.
        intent_id = f"pi_test_{secrets.token_hex(8)}"
        intent = Intent(
            id=intent_id,
            status="requires_payment_method",
            amount=amount,
            order_id=order_id,
            client_secret=f"{intent_id}_secret_{secrets.token_hex(8)}",
        )
        self.intents[intent_id] = intent
        return intent

    def retrieve_intent(self, intent_id: str) -> Intent:
        try:
            return self.intents[intent_id]
        except KeyError as error:
            raise GatewayError(f"no such test payment {intent_id}") from error

    def expire_intent(self, intent_id: str, *, idempotency_key: str) -> Intent | None:
        """Nothing to close: a "Mode uji" payment page refuses an order that expired."""
        return None

    def complete(self, intent_id: str, *, amount: int, order_id: int, succeed: bool) -> Intent:
        """The buyer pressed "Bayar (uji)" (or "Tolak (uji)")."""
        status = "succeeded" if succeed else "requires_payment_method"
        intent = Intent(id=intent_id, status=status, amount=amount, order_id=order_id)
        self.intents[intent_id] = intent
        return intent

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> str:
        with self._lock:
            if idempotency_key not in self.refunds:
                self.refunds[idempotency_key] = f"re_test_{secrets.token_hex(8)}"
            return self.refunds[idempotency_key]

    def retrieve_refund(self, refund_id: str) -> GatewayRefund:
        for key, known in self.refunds.items():
            if known == refund_id:
                return GatewayRefund(id=refund_id, status="succeeded", idempotency_key=key)
        raise GatewayError(f"no such test refund {refund_id}")

    def parse_event(self, payload: bytes, signature: str) -> GatewayEvent:
        event = parse_signed_event(payload, signature, self.webhook_secret)
        obj = (json.loads(payload).get("data") or {}).get("object") or {}
        if obj.get("object") == "payment_intent" and "status" in obj:
            metadata = obj.get("metadata") or {}
            self.intents[event.object_id] = Intent(
                id=event.object_id,
                status=str(obj["status"]),
                amount=int(obj["amount"]),
                order_id=int(metadata["order_id"]) if "order_id" in metadata else None,
            )
        return event

    def signed_event(self, event_type: str, intent: Intent) -> tuple[bytes, str]:
        """A webhook body and its Stripe-Signature header, as Stripe would send them."""
        body = json.dumps(
            {
                "id": f"evt_test_{secrets.token_hex(8)}",
                "object": "event",
                "type": event_type,
                "data": {
                    "object": {
                        "id": intent.id,
                        "object": "payment_intent",
                        "status": intent.status,
                        "amount": intent.amount,
                        "metadata": {"order_id": str(intent.order_id)},
                    }
                },
            }
        )
        header = stripe.WebhookSignature.generate_signature_header(body, self.webhook_secret)
        return body.encode(), header


def get_gateway() -> PaymentGateway:
    return current_app.extensions["payment_gateway"]
