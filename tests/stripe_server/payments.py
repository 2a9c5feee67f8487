"""PaymentIntents, charges and refunds.

``/v1/payment_intents``, ``/v1/charges``, ``/v1/refunds``. Lists of charges and refunds
take ``created[gt|gte|lt|lte]`` as Stripe's do. A refund made through the API without
the app (as Stripe's dashboard makes one) raises ``refund.created`` and
``charge.refunded`` like any other; updating its metadata raises ``refund.updated``.
Test control:

- ``POST /_test/refunds/<id>/fail``: the card network sends the money back (a closed
  card): the refund turns ``failed``, its charge counts it no more, and
  ``refund.failed`` and ``refund.updated`` are delivered.
"""

from __future__ import annotations

import time
from typing import Any

from tests.stripe_server.balance import record_transaction
from tests.stripe_server.core import (
    Params,
    State,
    StripeError,
    created_filter,
    new_id,
    page,
    route,
)

CURRENCIES = ("idr", "usd", "eur", "sgd", "myr")


def currency(params: Params, required: bool = True) -> str:
    value = params.required("currency") if required else params.get("currency")
    if value is not None and value.lower() not in CURRENCIES:
        raise StripeError(
            f"Invalid currency: {value.lower()}.", code="parameter_invalid_string", param="currency"
        )
    return value.lower() if value else value


def new_intent(
    state: State, *, amount: int, currency: str, metadata: dict, extra: dict | None = None
) -> dict[str, Any]:
    intent_id = new_id("pi")
    return state.add(
        "payment_intent",
        {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "client_secret": f"{intent_id}_secret_{new_id('x')[2:]}",
            "created": int(time.time()),
            "currency": currency,
            "description": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "payment_method_types": ["card"],
            "status": "requires_payment_method",
            "transfer_group": None,
            **(extra or {}),
        },
    )


def succeed(state: State, intent: dict[str, Any]) -> dict[str, Any]:
    """The buyer paid: a charge and its balance transaction; ``payment_intent.succeeded``."""
    charge_id = new_id("ch")
    txn = record_transaction(
        state,
        type="charge",
        amount=intent["amount"],
        currency=intent["currency"],
        source=charge_id,
        description=intent.get("description"),
    )
    charge = state.add(
        "charge",
        {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"],
            "amount_refunded": 0,
            "balance_transaction": txn["id"],
            "captured": True,
            "created": int(time.time()),
            "currency": intent["currency"],
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "paid": True,
            "payment_intent": intent["id"],
            "refunded": False,
            "status": "succeeded",
            "transfer_group": intent.get("transfer_group"),
        },
    )
    intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge_id)
    state.emit("charge.succeeded", charge)
    state.emit("payment_intent.succeeded", intent)
    return charge


def fail(state: State, intent: dict[str, Any]) -> None:
    """The card was declined: the intent waits for another payment method."""
    intent["last_payment_error"] = {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "generic_decline",
        "message": "Your card was declined.",
    }
    intent["status"] = "requires_payment_method"
    state.emit("payment_intent.payment_failed", intent)


@route(
    "POST",
    "/v1/payment_intents",
    accepts=("amount", "currency", "metadata", "description", "transfer_group", "receipt_email"),
)
def create_intent(server, params: Params, **_):
    amount = params.integer("amount", required=True, minimum=1)
    return new_intent(
        server.state,
        amount=amount,
        currency=currency(params),
        metadata=params.metadata(),
        extra={
            "description": params.get("description"),
            "transfer_group": params.get("transfer_group"),
            "receipt_email": params.get("receipt_email"),
        },
    )


@route("GET", "/v1/payment_intents/<intent_id>")
def retrieve_intent(server, params: Params, intent_id: str, **_):
    return server.state.get("payment_intent", intent_id)


@route(
    "POST",
    "/v1/payment_intents/<intent_id>",
    accepts=("metadata", "description", "transfer_group", "receipt_email"),
)
def update_intent(server, params: Params, intent_id: str, **_):
    intent = server.state.get("payment_intent", intent_id)
    intent["metadata"] = params.metadata(base=intent["metadata"])
    for name in ("description", "transfer_group", "receipt_email"):
        if params.get(name) is not None:
            intent[name] = params.get(name)
    return intent


@route("GET", "/v1/payment_intents")
def list_intents(server, params: Params, **_):
    return page(list(server.state.table("payment_intent").values()), params, "/v1/payment_intents")


@route("GET", "/v1/charges/<charge_id>")
def retrieve_charge(server, params: Params, charge_id: str, **_):
    return server.state.get("charge", charge_id)


@route("GET", "/v1/charges")
def list_charges(server, params: Params, **_):
    charges = list(server.state.table("charge").values())
    if intent_id := params.get("payment_intent"):
        charges = [c for c in charges if c["payment_intent"] == intent_id]
    return page(created_filter(charges, params), params, "/v1/charges")


@route("POST", "/v1/refunds", accepts=("charge", "payment_intent", "amount", "reason", "metadata"))
def create_refund(server, params: Params, **_):
    state = server.state
    charge_id, intent_id = params.get("charge"), params.get("payment_intent")
    if intent_id:
        intent = state.get("payment_intent", intent_id, param="payment_intent")
        if not intent["latest_charge"]:
            raise StripeError(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        charge = state.get("charge", intent["latest_charge"])
    elif charge_id:
        charge = state.get("charge", charge_id, param="charge")
    else:
        raise StripeError(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            code="parameter_missing",
        )
    left = charge["amount"] - charge["amount_refunded"]
    if left == 0:
        raise StripeError(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    amount = params.integer("amount", minimum=1)
    if amount is None:
        amount = left
    if amount > left:
        raise StripeError(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
            code="amount_too_large",
            param="amount",
        )
    reason = params.choice("reason", ("duplicate", "fraudulent", "requested_by_customer"))
    refund_id = new_id("re")
    txn = record_transaction(
        state, type="refund", amount=-amount, currency=charge["currency"], source=refund_id
    )
    refund = state.add(
        "refund",
        {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": txn["id"],
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": charge["currency"],
            "metadata": params.metadata(),
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "succeeded",
        },
    )
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    state.emit("refund.created", refund)
    state.emit("charge.refunded", charge, previous)
    return refund


@route("GET", "/v1/refunds/<refund_id>")
def retrieve_refund(server, params: Params, refund_id: str, **_):
    return server.state.get("refund", refund_id)


@route("GET", "/v1/refunds")
def list_refunds(server, params: Params, **_):
    refunds = list(server.state.table("refund").values())
    for name in ("payment_intent", "charge"):
        if value := params.get(name):
            refunds = [r for r in refunds if r[name] == value]
    return page(created_filter(refunds, params), params, "/v1/refunds")


@route("POST", "/v1/refunds/<refund_id>", accepts=("metadata",))
def update_refund(server, params: Params, refund_id: str, **_):
    refund = server.state.get("refund", refund_id)
    previous = {"metadata": dict(refund["metadata"])}
    refund["metadata"] = params.metadata(base=refund["metadata"])
    server.state.emit("refund.updated", refund, previous)
    return refund


@route("POST", "/_test/refunds/<refund_id>/fail")
def fail_refund(server, params: Params, refund_id: str, **_):
    state = server.state
    refund = state.get("refund", refund_id)
    if refund["status"] != "succeeded":
        raise StripeError(f"Refund {refund_id} is {refund['status']}.")
    charge = state.get("charge", refund["charge"])
    txn = record_transaction(
        state,
        type="refund_failure",
        amount=refund["amount"],
        currency=refund["currency"],
        source=refund_id,
    )
    refund.update(
        status="failed",
        failure_reason="expired_or_canceled_card",
        failure_balance_transaction=txn["id"],
    )
    charge["amount_refunded"] -= refund["amount"]
    charge["refunded"] = False
    state.emit("refund.failed", refund, {"status": "succeeded"})
    state.emit("refund.updated", refund, {"status": "succeeded"})
    return refund
