"""The platform's balance (``/v1/balance``) and its balance transactions.

Simplifications: Stripe takes no fee here (``fee=0``, ``net=amount``) and every
transaction is available at once, so a charge can be transferred on straight away.
"""

from __future__ import annotations

import time
from typing import Any

from tests.stripe_server.core import Params, State, StripeError, created_filter, new_id, page, route

TYPES = (
    "adjustment",
    "charge",
    "payment",
    "payout",
    "refund",
    "refund_failure",
    "transfer",
    "transfer_cancel",
    "transfer_refund",
    "topup",
)


def record_transaction(
    state: State,
    *,
    type: str,
    amount: int,
    currency: str,
    source: str | None,
    description: str | None = None,
) -> dict[str, Any]:
    now = int(time.time())
    return state.add(
        "balance_transaction",
        {
            "id": new_id("txn"),
            "object": "balance_transaction",
            "amount": amount,
            "available_on": now,
            "created": now,
            "currency": currency,
            "description": description,
            "fee": 0,
            "fee_details": [],
            "net": amount,
            "reporting_category": type,
            "source": source,
            "status": "available",
            "type": type,
        },
    )


def available(state: State, currency: str) -> int:
    return sum(
        t["net"] for t in state.table("balance_transaction").values() if t["currency"] == currency
    )


@route("GET", "/v1/balance")
def retrieve_balance(server, params: Params, **_):
    state = server.state
    currencies = sorted(
        {t["currency"] for t in state.table("balance_transaction").values()} | {"idr"}
    )
    return {
        "object": "balance",
        "available": [
            {
                "amount": available(state, c),
                "currency": c,
                "source_types": {"card": available(state, c)},
            }
            for c in currencies
        ],
        "pending": [{"amount": 0, "currency": c, "source_types": {"card": 0}} for c in currencies],
        "livemode": False,
    }


@route("GET", "/v1/balance_transactions/<txn_id>")
def retrieve_transaction(server, params: Params, txn_id: str, **_):
    return server.state.get("balance_transaction", txn_id)


@route("GET", "/v1/balance_transactions")
def list_transactions(server, params: Params, **_):
    transactions = list(server.state.table("balance_transaction").values())
    if kind := params.get("type"):
        if kind not in TYPES:
            raise StripeError(f"Invalid type: {kind}", param="type")
        transactions = [t for t in transactions if t["type"] == kind]
    for name in ("source", "currency"):
        if value := params.get(name):
            transactions = [t for t in transactions if t[name] == value]
    transactions = created_filter(transactions, params)
    return page(transactions, params, "/v1/balance_transactions")
