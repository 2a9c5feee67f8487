"""The one payment seam: a gateway interface, a local test twin, and the choice between them.

With ``STRIPE_SECRET_KEY`` set, :class:`~marketplace.payments.stripe_gateway.StripeGateway`
talks to Stripe (or to ``STRIPE_API_BASE``): the buyer pays on a Stripe Checkout page;
without it, :class:`TestGateway` takes "Mode uji" payments on the app's own page, with
no network. Both report a payment as an :class:`Intent` and through signed events.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import stripe
from flask import current_app

from marketplace.numbers import is_ascii_digits
from marketplace.rupiah import sent_rupiah


class GatewayError(Exception):
    """The gateway refused or could not be reached; nothing for the buyer to fix."""


def gateway_amount(value: object) -> int:
    """An amount a provider sends (``rupiah.sent_rupiah``); GatewayError for anything else."""
    try:
        return sent_rupiah(value)
    except ValueError as error:
        raise GatewayError(f"{value!r} is not an amount of whole rupiah") from error


class BadSignature(Exception):
    """A webhook whose signature or timestamp does not check out."""


class BadEvent(Exception):
    """A correctly signed webhook whose body is not an event to trust: not JSON, a field
    missing or of the wrong type, a status no gateway sends, an order id that cannot be one."""


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
    #: what our own page shows to pay it (a QR string, a virtual account number, a
    #: deeplink), as the gateway answered when it was opened; empty otherwise
    instructions: dict = field(default_factory=dict, compare=False)
    #: whole rupiah the gateway keeps of a succeeded payment (0 when it says nothing)
    fee: int = 0

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
    #: ``succeeded``, ``pending``, ``requires_action``, ``failed`` or ``canceled``
    status: str
    #: the key the refund was asked with, which names our refund row ("" for a refund
    #: made outside the app, in the gateway's dashboard)
    idempotency_key: str
    #: whole rupiah
    amount: int = 0
    #: the gateway's ids of the payment it gives back (a PaymentIntent, its Checkout Session)
    payment_ids: tuple[str, ...] = ()
    created: dt.datetime | None = None
    #: whose dashboard a refund made outside the app was made in
    made_at: str = "Stripe"

    @property
    def given_back(self) -> bool:
        """The money left (or is leaving) the platform: not failed, not cancelled."""
        return self.status in ("succeeded", "pending", "requires_action")


@dataclass(frozen=True)
class GatewayCharge:
    """Money the gateway took from a buyer (a Stripe charge), whole rupiah."""

    id: str
    amount: int
    #: the gateway's ids of the payment it belongs to (a PaymentIntent, its Checkout Session)
    payment_ids: tuple[str, ...]
    created: dt.datetime
    refunded_amount: int = 0


@dataclass(frozen=True)
class Period:
    """``[since, until)`` in UTC: what a reconciliation compares."""

    since: dt.datetime
    until: dt.datetime

    def widened(self, before: dt.timedelta, after: dt.timedelta) -> Period:
        return Period(self.since - before, self.until + after)

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.since <= moment < self.until


@dataclass(frozen=True)
class GatewayEvent:
    id: str
    type: str
    #: the id of the object the event is about (a Checkout Session, PaymentIntent, refund)
    object_id: str
    #: the order its object's metadata names, if any (checked, not yet looked up)
    order_id: int | None = None
    #: the object itself, checked as far as ``EVENT_OBJECTS`` says
    data: dict = field(default_factory=dict, compare=False)


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
        method: str = "",
        expires_at: dt.datetime | None = None,
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

    def list_charges(self, period: Period) -> list[GatewayCharge]:
        """The succeeded charges made within ``period``."""
        ...

    def list_refunds(
        self, period: Period | None = None, *, charge: str = ""
    ) -> list[GatewayRefund]:
        """The refunds made within ``period``, or every refund of one ``charge``."""
        ...

    def parse_event(self, payload: bytes, signature: str) -> GatewayEvent: ...

    def list_events(self, since: dt.datetime, types: tuple[str, ...]) -> list[GatewayEvent]:
        """The gateway's events of ``types`` since ``since``, oldest first (a replay)."""
        ...


# --- what a signed event must hold before anything reads it ---------------------------------

#: Order ids are 32-bit in the database: a larger one names no order (and must never
#: reach a query, where SQLite would overflow).
MAX_ORDER_ID = 2**31 - 1
#: Amounts in the gateway's minor units: far above any payment, within a 64-bit column.
MAX_AMOUNT = 10**15


def _text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255


def _text_or_none(value: object) -> bool:
    return value is None or _text(value)


def _amount(value: object) -> bool:
    # bool is an int in Python; JSON's true is no amount.
    return type(value) is int and 0 <= value <= MAX_AMOUNT


def _one_of(*allowed: str) -> Callable[[object], bool]:
    return lambda value: value in allowed


def _metadata(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(key, str) and isinstance(text, str) for key, text in value.items()
    )


def _object_or_id(value: object) -> bool:
    """An expandable field: an id, the object itself, or nothing."""
    return value is None or _text(value) or (isinstance(value, dict) and _text(value.get("id")))


#: For each kind of object the handled events are about (the event type up to its last
#: dot), the fields the site reads and what each must be. Other kinds are read no further
#: than the envelope (id, type, an object with an id) and are ignored.
EVENT_OBJECTS: dict[str, dict[str, Callable[[object], bool]]] = {
    "checkout.session": {
        "id": _text,
        "status": _one_of("open", "complete", "expired"),
        "payment_status": _one_of("paid", "unpaid", "no_payment_required"),
        "amount_total": _amount,
        "currency": _text,
        "metadata": _metadata,
        "payment_intent": _object_or_id,
    },
    "payment_intent": {
        "id": _text,
        "status": _one_of(
            "requires_payment_method",
            "requires_confirmation",
            "requires_action",
            "processing",
            "requires_capture",
            "canceled",
            "succeeded",
        ),
        "amount": _amount,
        "metadata": _metadata,
    },
    "account": {  # Stripe Connect: whether a household's account can be paid
        "id": _text,
        "payouts_enabled": lambda value: isinstance(value, bool),
    },
    "refund": {
        "id": _text,
        "amount": _amount,
        "status": _text_or_none,
        "metadata": _metadata,
        "payment_intent": _object_or_id,
    },
    "charge": {  # ``charge.refunded``: a refund, maybe made in the gateway's dashboard
        "id": _text,
        "amount": _amount,
        "amount_refunded": _amount,
        "metadata": _metadata,
        "payment_intent": _object_or_id,
    },
}


def order_id_in(metadata: dict) -> int | None:
    """The order id a payment's metadata names, or None; ValueError when it cannot be one.

    ASCII digits only (``str.isdigit`` takes "²"), within the column's range.
    """
    text = metadata.get("order_id")
    if text is None:
        return None
    if not isinstance(text, str) or not is_ascii_digits(text) or len(text) > 10:
        raise ValueError(f"order_id {text!r} is not an order id")
    order_id = int(text)
    if not 1 <= order_id <= MAX_ORDER_ID:
        raise ValueError(f"order_id {text} is out of range")
    return order_id


def read_event(body: object) -> GatewayEvent:
    """The event in a verified webhook body; :class:`BadEvent` when it is not one to trust."""
    if not isinstance(body, dict):
        raise BadEvent("the body is not a JSON object")
    event_id, event_type = body.get("id"), body.get("type")
    if not _text(event_id) or not _text(event_type):
        raise BadEvent("the event has no id or type")
    obj = body.get("data", {}).get("object") if isinstance(body.get("data"), dict) else None
    if not isinstance(obj, dict) or not _text(obj.get("id")):
        raise BadEvent(f"{event_id}: data.object is not an object with an id")
    kind = event_type.rpartition(".")[0]
    order_id = None
    if fields := EVENT_OBJECTS.get(kind):
        if obj.get("object") != kind:
            raise BadEvent(f"{event_id}: a {event_type} event about a {obj.get('object')!r}")
        for name, fits in fields.items():
            if name not in obj:
                raise BadEvent(f"{event_id}: {kind}.{name} is missing")
            if not fits(obj[name]):
                raise BadEvent(f"{event_id}: {kind}.{name} is {obj[name]!r}")
        try:
            order_id = order_id_in(obj.get("metadata", {}))
        except ValueError as error:
            raise BadEvent(f"{event_id}: {error}") from error
    return GatewayEvent(
        id=event_id, type=event_type, object_id=obj["id"], order_id=order_id, data=obj
    )


def parse_signed_event(payload: bytes, signature: str, secret: str) -> GatewayEvent:
    """Verify a Stripe-signed webhook body (raw bytes) and read the event from it.

    :class:`BadSignature` when the signature does not check out; :class:`BadEvent` when it
    does but the body is not an event to trust (see :func:`read_event`).
    """
    if not secret:
        # With no secret anyone could sign: refuse everything rather than accept anything.
        raise BadSignature("no webhook secret is configured")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadSignature("the body is not UTF-8") from error
    try:
        stripe.WebhookSignature.verify_header(
            text, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except stripe.SignatureVerificationError as error:
        raise BadSignature(str(error)) from error
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as error:  # not JSON, a number or nesting too deep
        raise BadEvent(f"the body is not JSON: {error}") from error
    return read_event(body)


#: Where "Mode uji" payments and refunds of earlier processes are recorded (the money
#: layer's rows): (charges, refunds).
_TEST_RECORDS: list[
    tuple[Callable[[], Iterable[GatewayCharge]], Callable[[], Iterable[GatewayRefund]]]
] = []


def record_test_payments_with(
    charges: Callable[[], Iterable[GatewayCharge]],
    refunds: Callable[[], Iterable[GatewayRefund]],
) -> None:
    """Let the test twin list the payments and refunds that the money layer recorded."""
    _TEST_RECORDS.append((charges, refunds))


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
        method: str = "",
        expires_at: dt.datetime | None = None,
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

    def list_charges(self, period: Period) -> list[GatewayCharge]:
        """What the records say was paid: a "Mode uji" payment lives nowhere else."""
        return [
            charge
            for charges, _refunds in _TEST_RECORDS
            for charge in charges()
            if charge.created in period
        ]

    def list_refunds(
        self, period: Period | None = None, *, charge: str = ""
    ) -> list[GatewayRefund]:
        return [
            refund
            for _charges, refunds in _TEST_RECORDS
            for refund in refunds()
            if (period is None or (refund.created is not None and refund.created in period))
            and (not charge or charge in refund.payment_ids)
        ]

    def parse_event(self, payload: bytes, signature: str) -> GatewayEvent:
        event = parse_signed_event(payload, signature, self.webhook_secret)
        if event.data.get("object") == "payment_intent":
            # Checked by ``read_event``: a known status, a whole amount, a possible order id.
            self.intents[event.object_id] = Intent(
                id=event.object_id,
                status=event.data["status"],
                amount=event.data["amount"],
                order_id=event.order_id,
            )
        return event

    def list_events(self, since: dt.datetime, types: tuple[str, ...]) -> list[GatewayEvent]:
        """None: "Mode uji" events are handled in the request that signs them."""
        return []

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
                        "metadata": (
                            {} if intent.order_id is None else {"order_id": str(intent.order_id)}
                        ),
                    }
                },
            }
        )
        header = stripe.WebhookSignature.generate_signature_header(body, self.webhook_secret)
        return body.encode(), header


def get_gateway() -> PaymentGateway:
    """The card gateway (Stripe), or "Mode uji" when none is configured."""
    return current_app.extensions["payment_gateway"]


def gateway_named(name: str) -> PaymentGateway | None:
    """The gateway a payment was made with (``Payment.gateway``), if it is configured."""
    default = get_gateway()
    if default.name == name:
        return default
    return current_app.extensions.get("payment_gateways", {}).get(name)
