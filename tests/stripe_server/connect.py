"""Connect: accounts, account links, transfers and their reversals.

Separate charges and transfers only (no destination charges, no ``Stripe-Account``
header). A new Express account can receive nothing until onboarded; test controls:

- ``POST /_test/accounts/<id>/onboard``: onboarding finished (``details_submitted``,
  ``charges_enabled``, ``payouts_enabled``, ``capabilities.transfers=active``) and
  ``account.updated`` delivered. With ``redirect=<url>`` it answers 303 there (the
  account link's page uses it).
- ``POST /_test/accounts/<id>/restrict``: Stripe needs more information; transfers to
  the account are refused from now on (``account.updated``).
- ``POST /_test/balance/topup`` with ``amount`` and ``currency``: money on the platform's
  available balance that no charge brought.
"""

from __future__ import annotations

import html
import time
from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from tests.stripe_server import payments
from tests.stripe_server.balance import available, record_transaction
from tests.stripe_server.core import (
    Params,
    StripeError,
    created_filter,
    new_id,
    page,
    route,
    to_int,
)

COUNTRY_CURRENCY = {"ID": "idr", "US": "usd", "SG": "sgd", "MY": "myr"}
TRANSFER_PARAMS = (
    "amount",
    "currency",
    "destination",
    "transfer_group",
    "source_transaction",
    "metadata",
    "description",
)


def _requirements(account: dict[str, Any]) -> dict[str, Any]:
    due = [] if account["details_submitted"] else ["external_account", "individual.id_number"]
    return {
        "currently_due": due,
        "eventually_due": due,
        "past_due": [],
        "disabled_reason": "requirements.past_due" if due else None,
    }


@route(
    "POST",
    "/v1/accounts",
    accepts=("type", "country", "capabilities", "business_type", "email", "metadata"),
)
def create_account(server, params: Params, **_):
    kind = params.choice("type", ("express", "standard", "custom"), "express")
    country = str(params.get("country") or "ID").upper()
    if country not in COUNTRY_CURRENCY:
        raise StripeError(f"Country '{country}' is unknown.", param="country")
    params.get("capabilities")
    params.get("business_type")
    account = {
        "id": new_id("acct"),
        "object": "account",
        "business_type": params.get("business_type"),
        "capabilities": {"transfers": "inactive"},
        "charges_enabled": False,
        "country": country,
        "created": int(time.time()),
        "default_currency": COUNTRY_CURRENCY[country],
        "details_submitted": False,
        "email": params.get("email"),
        "metadata": params.metadata(),
        "payouts_enabled": False,
        "type": kind,
    }
    account["requirements"] = _requirements(account)
    return server.state.add("account", account)


@route("GET", "/v1/accounts/<account_id>")
def retrieve_account(server, params: Params, account_id: str, **_):
    return server.state.get("account", account_id)


@route("POST", "/v1/accounts/<account_id>", accepts=("metadata", "email", "business_type"))
def update_account(server, params: Params, account_id: str, **_):
    state = server.state
    account = state.get("account", account_id)
    previous = {"metadata": dict(account["metadata"])}
    account["metadata"] = params.metadata(base=account["metadata"])
    if params.get("email") is not None:
        previous["email"] = account["email"]
        account["email"] = params.get("email")
    if params.get("business_type") is not None:
        account["business_type"] = params.get("business_type")
    state.emit("account.updated", account, previous)
    return account


@route("GET", "/v1/accounts")
def list_accounts(server, params: Params, **_):
    return page(list(server.state.table("account").values()), params, "/v1/accounts")


def _set_enabled(server, account_id: str, enabled: bool) -> dict[str, Any]:
    state = server.state
    account = state.get("account", account_id)
    previous = {
        "charges_enabled": account["charges_enabled"],
        "payouts_enabled": account["payouts_enabled"],
        "capabilities": dict(account["capabilities"]),
    }
    account.update(
        details_submitted=account["details_submitted"] or enabled,
        charges_enabled=enabled,
        payouts_enabled=enabled,
        capabilities={"transfers": "active" if enabled else "inactive"},
    )
    account["requirements"] = _requirements(account)
    if not enabled:
        account["requirements"].update(
            currently_due=["individual.verification.document"],
            disabled_reason="requirements.past_due",
        )
    state.emit("account.updated", account, previous)
    return account


@route("POST", "/_test/accounts/<account_id>/onboard")
def onboard(server, params: Params, account_id: str, request, **_):
    account = _set_enabled(server, account_id, True)
    if back := request.values.get("redirect"):
        return redirect(back, 303)
    return account


@route("POST", "/_test/accounts/<account_id>/restrict")
def restrict(server, params: Params, account_id: str, **_):
    return _set_enabled(server, account_id, False)


@route("POST", "/v1/account_links", accepts=("account", "type", "refresh_url", "return_url"))
def create_account_link(server, params: Params, request, **_):
    account = server.state.get("account", params.required("account"), param="account")
    params.choice("type", ("account_onboarding", "account_update"), "account_onboarding")
    refresh, back = params.required("refresh_url"), params.required("return_url")
    link_id = new_id("acctlink")
    server.state.add("account_link", {"id": link_id, "account": account["id"], "return_url": back})
    now = int(time.time())
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + 300,
        "url": f"{request.host_url.rstrip('/')}/_test/onboarding/{link_id}",
        "_refresh_url": refresh,
    }


@route("GET", "/_test/onboarding/<link_id>")
def onboarding_page(server, params: Params, link_id: str, **_):
    link = server.state.get("account_link", link_id)
    body = (
        '<!doctype html><html lang="id"><meta charset="utf-8"><title>Stripe Express (uji)</title>'
        f"<h1>Stripe Express onboarding (server uji)</h1><p>{link['account']}</p>"
        f'<form method="post" action="/_test/accounts/{link["account"]}/onboard">'
        f'<input type="hidden" name="redirect" value="{html.escape(link["return_url"])}">'
        "<button>Submit</button></form></html>"
    )
    return Response(body, 200, content_type="text/html; charset=utf-8")


@route("POST", "/_test/balance/topup")
def topup(server, params: Params, request, **_):
    amount = to_int(request.values.get("amount", ""), "amount", 1)
    currency = request.values.get("currency", "idr")
    return record_transaction(
        server.state, type="topup", amount=amount, currency=currency, source=None
    )


# --- transfers -------------------------------------------------------------------------------


@route("POST", "/v1/transfers", accepts=TRANSFER_PARAMS)
def create_transfer(server, params: Params, **_):
    state = server.state
    amount = params.integer("amount", required=True, minimum=1)
    currency = payments.currency(params)
    destination = state.get("account", params.required("destination"), param="destination")
    if destination["capabilities"].get("transfers") != "active":
        raise StripeError(
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param="destination",
        )
    group = params.get("transfer_group")
    source_id = params.get("source_transaction")
    if source_id:
        charge = state.get("charge", source_id, param="source_transaction")
        if charge["currency"] != currency:
            raise StripeError(
                "The currency of source_transaction's balance transaction "
                f"({charge['currency']}) must be the same as the transfer currency ({currency})",
                param="currency",
            )
        already = sum(
            t["amount"]
            for t in state.table("transfer").values()
            if t["source_transaction"] == source_id
        )
        if already + amount > charge["amount"]:
            raise StripeError(
                f"Insufficient funds in source_transaction {source_id}: the transfers from "
                f"it would total {already + amount}, more than its amount {charge['amount']}.",
                code="balance_insufficient",
                param="amount",
            )
        intent = state.table("payment_intent").get(charge["payment_intent"] or "", {})
        group = group or intent.get("transfer_group") or f"group_{charge['payment_intent']}"
    elif available(state, currency) < amount:
        raise StripeError(
            "You have insufficient available funds in your Stripe account. Try adding funds "
            "directly to your available balance by creating Charges using the "
            "4000000000000077 test card.",
            code="balance_insufficient",
        )
    transfer_id = new_id("tr")
    txn = record_transaction(
        state, type="transfer", amount=-amount, currency=currency, source=transfer_id
    )
    transfer = state.add(
        "transfer",
        {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": txn["id"],
            "created": int(time.time()),
            "currency": currency,
            "description": params.get("description"),
            "destination": destination["id"],
            "destination_payment": new_id("py"),
            "livemode": False,
            "metadata": params.metadata(),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": source_id,
            "source_type": "card",
            "transfer_group": group,
        },
    )
    state.emit("transfer.created", transfer)
    return transfer


@route("GET", "/v1/transfers/<transfer_id>")
def retrieve_transfer(server, params: Params, transfer_id: str, **_):
    return server.state.get("transfer", transfer_id)


@route("POST", "/v1/transfers/<transfer_id>", accepts=("metadata", "description"))
def update_transfer(server, params: Params, transfer_id: str, **_):
    transfer = server.state.get("transfer", transfer_id)
    transfer["metadata"] = params.metadata(base=transfer["metadata"])
    if params.get("description") is not None:
        transfer["description"] = params.get("description")
    server.state.emit("transfer.updated", transfer)
    return transfer


@route("GET", "/v1/transfers")
def list_transfers(server, params: Params, **_):
    transfers = list(server.state.table("transfer").values())
    for name in ("destination", "transfer_group"):
        if value := params.get(name):
            transfers = [t for t in transfers if t[name] == value]
    return page(created_filter(transfers, params), params, "/v1/transfers")


@route(
    "POST",
    "/v1/transfers/<transfer_id>/reversals",
    accepts=("amount", "refund_application_fee", "metadata"),
)
def create_reversal(server, params: Params, transfer_id: str, **_):
    state = server.state
    transfer = state.get("transfer", transfer_id)
    left = transfer["amount"] - transfer["amount_reversed"]
    if left == 0:
        raise StripeError(f"Transfer {transfer_id} has already been fully reversed.")
    amount = params.integer("amount", minimum=1)
    amount = left if amount is None else amount
    if amount > left:
        raise StripeError(
            f"You have attempted to reverse {amount} but the transfer has only {left} left "
            "to reverse.",
            code="amount_too_large",
            param="amount",
        )
    params.boolean("refund_application_fee")
    reversal_id = new_id("trr")
    txn = record_transaction(
        state,
        type="transfer_refund",
        amount=amount,
        currency=transfer["currency"],
        source=reversal_id,
    )
    reversal = state.add(
        "transfer_reversal",
        {
            "id": reversal_id,
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": txn["id"],
            "created": int(time.time()),
            "currency": transfer["currency"],
            "destination_payment_refund": new_id("pyr"),
            "metadata": params.metadata(),
            "transfer": transfer_id,
        },
    )
    previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
    transfer["reversals"]["data"].insert(0, {k: v for k, v in reversal.items() if k != "_seq"})
    state.emit("transfer.reversed", transfer, previous)
    return reversal


@route("GET", "/v1/transfers/<transfer_id>/reversals")
def list_reversals(server, params: Params, transfer_id: str, **_):
    server.state.get("transfer", transfer_id)
    reversals = [
        r for r in server.state.table("transfer_reversal").values() if r["transfer"] == transfer_id
    ]
    return page(reversals, params, f"/v1/transfers/{transfer_id}/reversals")


@route("GET", "/v1/transfers/<transfer_id>/reversals/<reversal_id>")
def retrieve_reversal(server, params: Params, transfer_id: str, reversal_id: str, **_):
    reversal = server.state.get("transfer_reversal", reversal_id)
    if reversal["transfer"] != transfer_id:
        raise StripeError(f"No such transfer reversal: '{reversal_id}'", status=404)
    return reversal
