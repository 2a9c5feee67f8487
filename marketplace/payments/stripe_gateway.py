"""Stripe behind the gateway interface: the only module that imports the Stripe API.

The buyer pays on a Stripe Checkout Session (``mode=payment``, IDR), one line per
product sold and one per household's shipping. The order id travels in the session's
metadata, its ``client_reference_id`` and its PaymentIntent's metadata.

Amounts cross here and only here. Stripe counts IDR in hundredths (it is not one of
its zero-decimal currencies), so Rp150.000 travels as ``unit_amount=15000000``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import stripe

from marketplace.payments.gateway import (
    BadEvent,
    GatewayCharge,
    GatewayError,
    GatewayEvent,
    GatewayRefund,
    Intent,
    Line,
    Period,
    order_id_in,
    parse_signed_event,
    read_event,
)

CURRENCY = "idr"
#: Stripe's minor units per rupiah for IDR
MINOR_UNITS = 100
#: Stripe wants a session to live at least 30 minutes. The expiry is rounded to a
#: 10-minute step (plus a margin for clocks and the network), so that a retry with the
#: same idempotency key a little later still sends the same parameters.
EXPIRY_STEP, EXPIRY_STEPS, EXPIRY_MARGIN = 600, 4, 300
#: A Checkout Session is paid within its life (a day at most): how far before a charge
#: its session is looked for.
SESSION_LIFE = dt.timedelta(days=1)

log = logging.getLogger(__name__)


def to_stripe_amount(rupiah: int) -> int:
    if not isinstance(rupiah, int) or isinstance(rupiah, bool) or rupiah <= 0:
        raise ValueError("a payment is a positive whole number of rupiah")
    return rupiah * MINOR_UNITS


def from_stripe_amount(amount: int) -> int:
    rupiah, rest = divmod(int(amount), MINOR_UNITS)
    if rest:
        raise GatewayError(f"IDR amount {amount} is not whole rupiah")
    return rupiah


def session_expiry(now: float) -> int:
    """Between 35 and 45 minutes from ``now``, the same all through a 10-minute step."""
    return (int(now) // EXPIRY_STEP + EXPIRY_STEPS) * EXPIRY_STEP + EXPIRY_MARGIN


def _order_id(metadata: dict) -> int | None:
    """The order a session names; None when it names none, or nothing that can be one."""
    try:
        return order_id_in(metadata or {})
    except ValueError:
        return None


def _session_status(obj: dict) -> str:
    """A Checkout Session's state in the gateway interface's words (see ``Intent``)."""
    if obj["status"] == "expired":
        return "canceled"
    if obj["status"] == "open":
        return "open"
    if obj["payment_status"] in ("paid", "no_payment_required"):
        return "succeeded"
    # Complete but unpaid: a delayed method (a bank transfer) that settles or fails later.
    intent = obj.get("payment_intent")
    if isinstance(intent, dict) and intent.get("status") in ("requires_payment_method", "canceled"):
        return "failed"
    return "processing"


def _session(stripe_object) -> Intent:
    # stripe-python objects are not dicts: read a plain copy.
    obj = stripe_object.to_dict()
    return Intent(
        id=obj["id"],
        status=_session_status(obj),
        amount=from_stripe_amount(obj["amount_total"]),
        order_id=_order_id(obj.get("metadata")),
        currency=str(obj.get("currency") or ""),
        redirect_url=(obj.get("url") or "") if obj["status"] == "open" else "",
    )


def _moment(unix: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(unix), dt.UTC)


def _created(period: Period) -> dict[str, int]:
    """Stripe's ``created`` filter for ``[since, until)``."""
    return {"gte": int(period.since.timestamp()), "lt": int(period.until.timestamp())}


def _created_at(obj: dict) -> tuple[int, str]:
    return (obj.get("created") or 0, obj.get("id") or "")


def _id_of(value: Any) -> str:
    """An expandable field's id, whether it came expanded or not."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _payment_ids(intent_field: Any, sessions: dict[str, str]) -> tuple[str, ...]:
    """A charge's or refund's payment as we may know it: its PaymentIntent, its session."""
    intent = _id_of(intent_field)
    return tuple(ref for ref in (intent, sessions.get(intent, "")) if ref)


def _refund(obj: dict, sessions: dict[str, str]) -> GatewayRefund:
    return GatewayRefund(
        id=obj["id"],
        status=str(obj.get("status") or ""),
        idempotency_key=str((obj.get("metadata") or {}).get("refund_key") or ""),
        amount=from_stripe_amount(obj["amount"]),
        payment_ids=_payment_ids(obj.get("payment_intent"), sessions),
        created=_moment(obj["created"]),
    )


def _payment_intent(stripe_object) -> Intent:
    """Payments opened before Checkout Sessions were PaymentIntents paid with Stripe.js."""
    obj = stripe_object.to_dict()
    return Intent(
        id=obj["id"],
        status=obj["status"],
        amount=from_stripe_amount(obj["amount"]),
        order_id=_order_id(obj.get("metadata")),
        currency=str(obj.get("currency") or ""),
    )


class StripeGateway:
    name = "stripe"
    hosted = True

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str | None = None):
        # Retries reuse the idempotency key we pass, so a retried create makes no second session.
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else {},
            max_network_retries=2,
        )
        self.webhook_secret = webhook_secret

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
        """A Checkout Session; its own expiry (``session_expiry``), any ``method``: a card."""
        if sum(line.unit_amount * line.quantity for line in lines) != amount:
            raise GatewayError(f"order {order_id}: the lines do not add up to {amount}")
        metadata = {"order_id": str(order_id)}
        params = {
            "mode": "payment",
            "currency": CURRENCY,
            "line_items": [
                {
                    "quantity": line.quantity,
                    "price_data": {
                        "currency": CURRENCY,
                        "unit_amount": to_stripe_amount(line.unit_amount),
                        "product_data": {"name": line.name[:250]},
                    },
                }
                for line in lines
            ],
            "metadata": metadata,
            "client_reference_id": str(order_id),
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "expires_at": session_expiry(time.time()),
            "locale": "id",
        }
        if email:
            params["customer_email"] = email
        try:
            obj = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return _session(obj)

    def retrieve_intent(self, intent_id: str) -> Intent:
        try:
            if intent_id.startswith("pi_"):
                return _payment_intent(self.client.v1.payment_intents.retrieve(intent_id))
            return _session(
                self.client.v1.checkout.sessions.retrieve(
                    intent_id, params={"expand": ["payment_intent"]}
                )
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        except (KeyError, TypeError, ValueError) as error:
            # An answer without the fields a payment has: nothing to trust.
            raise GatewayError(f"{intent_id}: unexpected answer ({error!r})") from error

    def expire_intent(self, intent_id: str, *, idempotency_key: str) -> Intent | None:
        """Expire an open Checkout Session (``checkout.Session.expire``)."""
        if intent_id.startswith("pi_"):
            return None  # paid with Stripe.js on our page, which refuses an expired order
        try:
            obj = self.client.v1.checkout.sessions.expire(
                intent_id, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return _session(obj)

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> str:
        try:
            payment_intent = intent_id
            if not intent_id.startswith("pi_"):
                session = self.client.v1.checkout.sessions.retrieve(intent_id)
                payment_intent = session.payment_intent
                if not payment_intent:
                    raise GatewayError(f"{intent_id} was not paid")
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent,
                    "amount": to_stripe_amount(amount),
                    # The webhook finds our refund by it if this answer gets lost.
                    "metadata": {"refund_key": idempotency_key},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return refund.id

    def retrieve_refund(self, refund_id: str) -> GatewayRefund:
        try:
            refund = self.client.v1.refunds.retrieve(refund_id).to_dict()
            sessions = self._session_of(_id_of(refund.get("payment_intent")))
            return _refund(refund, sessions)
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        except (KeyError, TypeError, ValueError) as error:
            raise GatewayError(f"{refund_id}: unexpected answer ({error!r})") from error

    def _all(self, resource, params: dict) -> list[dict]:
        """Every page of a list (``has_more``/``starting_after``), as plain dicts."""
        page = resource.list(params={**params, "limit": 100})
        return [obj.to_dict() for obj in page.auto_paging_iter()]

    def _session_of(self, intent: str) -> dict[str, str]:
        """The Checkout Session that made a PaymentIntent (our payment is named by it)."""
        if not intent:
            return {}
        found = self.client.v1.checkout.sessions.list(params={"payment_intent": intent, "limit": 1})
        return {intent: found.data[0].id} if found.data else {}

    def _sessions(self, period: Period) -> dict[str, str]:
        """The Checkout Sessions that may have made a charge of ``period``: PI id → session."""
        found = self._all(
            self.client.v1.checkout.sessions,
            {"created": _created(period.widened(SESSION_LIFE, dt.timedelta(0)))},
        )
        return {_id_of(s.get("payment_intent")): s["id"] for s in found if s.get("payment_intent")}

    def list_charges(self, period: Period) -> list[GatewayCharge]:
        try:
            charges = self._all(self.client.v1.charges, {"created": _created(period)})
            sessions = self._sessions(period)
            return [
                GatewayCharge(
                    id=obj["id"],
                    amount=from_stripe_amount(obj["amount"]),
                    payment_ids=_payment_ids(obj.get("payment_intent"), sessions),
                    created=_moment(obj["created"]),
                    refunded_amount=from_stripe_amount(obj.get("amount_refunded") or 0),
                )
                for obj in charges
                if obj.get("status") == "succeeded"
            ]
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        except (KeyError, TypeError, ValueError) as error:
            raise GatewayError(f"charges: unexpected answer ({error!r})") from error

    def list_refunds(
        self, period: Period | None = None, *, charge: str = ""
    ) -> list[GatewayRefund]:
        params: dict[str, Any] = {}
        if period is not None:
            params["created"] = _created(period)
        if charge:
            params["charge"] = charge
        try:
            refunds = self._all(self.client.v1.refunds, params)
            # A refund may come long after its payment: its session is looked up by intent.
            sessions: dict[str, str] = {}
            for intent in {_id_of(obj.get("payment_intent")) for obj in refunds}:
                sessions.update(self._session_of(intent))
            return [_refund(obj, sessions) for obj in refunds]
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        except (KeyError, TypeError, ValueError) as error:
            raise GatewayError(f"refunds: unexpected answer ({error!r})") from error

    def parse_event(self, payload: bytes, signature: str) -> GatewayEvent:
        return parse_signed_event(payload, signature, self.webhook_secret)

    def list_events(self, since: dt.datetime, types: tuple[str, ...]) -> list[GatewayEvent]:
        """Stripe's events of ``types`` created since ``since`` (it keeps 30 days), oldest
        first; one not shaped as ``read_event`` expects is left out, as the webhook would."""
        try:
            found = self._all(self.client.v1.events, {"created": {"gte": int(since.timestamp())}})
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        events = []
        for obj in sorted((obj for obj in found if obj.get("type") in types), key=_created_at):
            try:
                events.append(read_event(obj))
            except BadEvent as error:  # as the webhook would refuse it
                log.warning("event %s left out: %s", obj.get("id"), error)
        return events
