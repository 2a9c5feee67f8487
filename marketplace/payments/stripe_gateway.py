"""Stripe behind the gateway interface: the only module that imports the Stripe API.

Amounts cross here and only here. Stripe counts IDR in hundredths (it is not one of
its zero-decimal currencies), so Rp150.000 travels as ``amount=15000000``.
"""

from __future__ import annotations

import stripe

from marketplace.payments.gateway import GatewayError, GatewayEvent, Intent, parse_signed_event

CURRENCY = "idr"
#: Stripe's minor units per rupiah for IDR
MINOR_UNITS = 100


def to_stripe_amount(rupiah: int) -> int:
    if not isinstance(rupiah, int) or isinstance(rupiah, bool) or rupiah <= 0:
        raise ValueError("a payment is a positive whole number of rupiah")
    return rupiah * MINOR_UNITS


def from_stripe_amount(amount: int) -> int:
    rupiah, rest = divmod(int(amount), MINOR_UNITS)
    if rest:
        raise GatewayError(f"IDR amount {amount} is not whole rupiah")
    return rupiah


def _intent(stripe_object) -> Intent:
    # stripe-python objects are not dicts: read a plain copy.
    obj = stripe_object.to_dict()
    metadata = obj.get("metadata") or {}
    order_id = metadata.get("order_id")
    return Intent(
        id=obj["id"],
        status=obj["status"],
        amount=from_stripe_amount(obj["amount"]),
        order_id=int(order_id) if order_id and str(order_id).isdigit() else None,
        client_secret=obj.get("client_secret") or "",
        currency=str(obj.get("currency") or ""),
    )


class StripeGateway:
    name = "stripe"

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str | None = None):
        # Retries reuse the idempotency key we pass, so a retried create makes no second intent.
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else {},
            max_network_retries=2,
        )
        self.webhook_secret = webhook_secret

    def create_intent(
        self, *, amount: int, order_id: int, email: str, idempotency_key: str
    ) -> Intent:
        try:
            obj = self.client.v1.payment_intents.create(
                params={
                    "amount": to_stripe_amount(amount),
                    "currency": CURRENCY,
                    "metadata": {"order_id": str(order_id)},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return _intent(obj)

    def retrieve_intent(self, intent_id: str) -> Intent:
        try:
            return _intent(self.client.v1.payment_intents.retrieve(intent_id))
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error

    def refund(self, intent_id: str, *, amount: int, idempotency_key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": to_stripe_amount(amount)},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error
        return refund.id

    def parse_event(self, payload: bytes, signature: str) -> GatewayEvent:
        return parse_signed_event(payload, signature, self.webhook_secret)
