"""Checkout Sessions (``/v1/checkout/sessions``) and the hosted page the buyer pays on.

Only ``mode=payment`` with ``line_items[][price_data]`` (no Prices, no customers).
The hosted page and its buttons live under ``/_test/checkout/<id>``, outside ``/v1``:

- ``POST /_test/checkout/<id>/pay``: the buyer pays by card; the PaymentIntent, charge
  and balance transaction are made, the session is ``complete``/``paid``, and
  ``checkout.session.completed`` (with ``charge.succeeded``, ``payment_intent.succeeded``)
  is delivered. With ``async=1`` the payment is a delayed method (a bank transfer): the
  session is ``complete``/``unpaid`` until ``…/async_succeed`` or ``…/async_fail``.
- ``POST /_test/checkout/<id>/decline``: the card is declined; the session stays open.

Each answers the session as JSON, or with ``redirect=1`` (the hosted page's buttons)
a 303 to ``success_url`` (``{CHECKOUT_SESSION_ID}`` filled in) or back to the page.
"""

from __future__ import annotations

import html
import time
from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from tests.stripe_server import payments
from tests.stripe_server.core import (
    Params,
    State,
    StripeError,
    created_filter,
    new_id,
    page,
    route,
    to_int,
)

MIN_LIFETIME, MAX_LIFETIME, DEFAULT_LIFETIME = 30 * 60, 24 * 3600, 24 * 3600
SESSION_PARAMS = (
    "mode",
    "currency",
    "line_items",
    "expires_at",
    "payment_intent_data",
    "payment_method_types",
    "locale",
    "submit_type",
    "cancel_url",
    "client_reference_id",
    "customer_email",
    "metadata",
    "success_url",
)


def _line_items(params: Params, session_currency: str | None) -> tuple[list[dict], str]:
    items = params.required("line_items")
    if not isinstance(items, list) or not items:
        raise StripeError("Invalid array", param="line_items")
    lines, currency = [], session_currency
    for index, item in enumerate(items):
        name = f"line_items[{index}]"
        if not isinstance(item, dict) or "price_data" not in item:
            raise StripeError(
                "You must specify either `price` or `price_data` in each line item.",
                code="parameter_missing",
                param=f"{name}[price_data]",
            )
        data = item["price_data"]
        unit_amount = to_int(data.get("unit_amount"), f"{name}[price_data][unit_amount]", 0)
        quantity = to_int(item.get("quantity", ""), f"{name}[quantity]", 1)
        product = data.get("product_data") or {}
        if not isinstance(product, dict) or not product.get("name"):
            raise StripeError(
                "Missing required param: line_items[0][price_data][product_data][name].",
                code="parameter_missing",
                param=f"{name}[price_data][product_data][name]",
            )
        line_currency = str(data.get("currency", "")).lower()
        if line_currency not in payments.CURRENCIES:
            raise StripeError(
                f"Invalid currency: {line_currency}.", param=f"{name}[price_data][currency]"
            )
        if currency and line_currency != currency:
            raise StripeError(
                "All line items must have the same currency.",
                param=f"{name}[price_data][currency]",
            )
        currency = line_currency
        lines.append(
            {
                "id": new_id("li"),
                "object": "item",
                "amount_subtotal": unit_amount * quantity,
                "amount_total": unit_amount * quantity,
                "currency": line_currency,
                "description": product["name"],
                "quantity": quantity,
                "price": {
                    "id": new_id("price"),
                    "object": "price",
                    "currency": line_currency,
                    "product": new_id("prod"),
                    "type": "one_time",
                    "unit_amount": unit_amount,
                },
            }
        )
    return lines, currency


@route("POST", "/v1/checkout/sessions", accepts=SESSION_PARAMS)
def create_session(server, params: Params, request, **_):
    mode = params.choice("mode", ("payment", "setup", "subscription"))
    if mode is None:
        raise StripeError("Missing required param: mode.", code="parameter_missing", param="mode")
    if mode != "payment":
        raise StripeError(f"This test server only knows mode=payment, not {mode}.", param="mode")
    session_currency = payments.currency(params, required=False)
    lines, currency = _line_items(params, session_currency)
    total = sum(line["amount_total"] for line in lines)
    if total < 1:
        raise StripeError("The Checkout Session's total amount must be positive.")
    now = int(time.time())
    expires_at = params.integer("expires_at") or now + DEFAULT_LIFETIME
    if not now + MIN_LIFETIME <= expires_at <= now + MAX_LIFETIME:
        raise StripeError(
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
            "Checkout Session creation.",
            param="expires_at",
        )
    intent_data = params.get("payment_intent_data") or {}
    if not isinstance(intent_data, dict):
        raise StripeError("Invalid object", param="payment_intent_data")
    unknown = set(intent_data) - {"metadata", "description", "transfer_group", "receipt_email"}
    if unknown:
        raise StripeError(
            f"Received unknown parameter: payment_intent_data[{sorted(unknown)[0]}]",
            code="parameter_unknown",
            param=f"payment_intent_data[{sorted(unknown)[0]}]",
        )
    params.get("payment_method_types")
    params.get("locale")
    params.get("submit_type")
    session_id = new_id("cs_test")
    return server.state.add(
        "checkout.session",
        {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "customer_email": params.get("customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": params.metadata(),
            "mode": mode,
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.required("success_url"),
            "url": f"{request.host_url.rstrip('/')}/_test/checkout/{session_id}",
            "_lines": lines,
            "_intent_data": intent_data,
        },
    )


def _session(state: State, session_id: str) -> dict[str, Any]:
    session = state.get("checkout.session", session_id)
    if session["status"] == "open" and session["expires_at"] <= time.time():
        _expire(state, session)
    return session


def _expire(state: State, session: dict[str, Any]) -> None:
    session.update(status="expired", url=None)
    state.emit("checkout.session.expired", session)


@route("GET", "/v1/checkout/sessions/<session_id>")
def retrieve_session(server, params: Params, session_id: str, **_):
    return _session(server.state, session_id)


@route("GET", "/v1/checkout/sessions/<session_id>/line_items")
def list_line_items(server, params: Params, session_id: str, **_):
    lines = _session(server.state, session_id)["_lines"]
    listed = page(
        [{**line, "created": 0, "_seq": -i} for i, line in enumerate(lines)],
        params,
        f"/v1/checkout/sessions/{session_id}/line_items",
    )
    return listed


@route("POST", "/v1/checkout/sessions/<session_id>/expire", accepts=())
def expire_session(server, params: Params, session_id: str, **_):
    session = _session(server.state, session_id)
    if session["status"] != "open":
        raise StripeError(
            'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            f"Session has a status of {session['status']}.",
            param="session",
        )
    _expire(server.state, session)
    return session


@route("GET", "/v1/checkout/sessions")
def list_sessions(server, params: Params, **_):
    sessions = [_session(server.state, s) for s in list(server.state.table("checkout.session"))]
    for name in ("payment_intent", "status", "customer_email"):
        if value := params.get(name):
            sessions = [s for s in sessions if s[name] == value]
    return page(created_filter(sessions, params), params, "/v1/checkout/sessions")


# --- the buyer, on the hosted page (test only) -----------------------------------------------


def _open_intent(state: State, session: dict[str, Any]) -> dict[str, Any]:
    if session["payment_intent"]:
        return state.get("payment_intent", session["payment_intent"])
    data = session["_intent_data"]
    intent = payments.new_intent(
        state,
        amount=session["amount_total"],
        currency=session["currency"],
        metadata=dict(data.get("metadata") or {}),
        extra={
            "description": data.get("description"),
            "transfer_group": data.get("transfer_group"),
        },
    )
    session["payment_intent"] = intent["id"]
    return intent


def _payable(state: State, session_id: str) -> dict[str, Any]:
    session = _session(state, session_id)
    if session["status"] != "open":
        raise StripeError(f"This Checkout Session is {session['status']}.", status=409)
    return session


def _answer(request, session: dict[str, Any], paid: bool):
    if request.values.get("redirect") != "1":
        return session
    if paid:
        return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]), 303)
    return redirect(f"/_test/checkout/{session['id']}?declined=1", 303)


@route("POST", "/_test/checkout/<session_id>/pay")
def pay(server, params: Params, session_id: str, request, **_):
    state = server.state
    session = _payable(state, session_id)
    intent = _open_intent(state, session)
    session["status"] = "complete"
    if request.values.get("async") == "1":
        intent["status"] = "processing"
        state.emit("checkout.session.completed", session)
    else:
        payments.succeed(state, intent)
        session["payment_status"] = "paid"
        state.emit("checkout.session.completed", session)
    session["url"] = None
    return _answer(request, session, paid=True)


def _settle(server, session_id: str, succeeded: bool):
    state = server.state
    session = _session(state, session_id)
    intent = state.get("payment_intent", session["payment_intent"] or "")
    if intent["status"] != "processing":
        raise StripeError("This payment is not waiting to settle.", status=409)
    if succeeded:
        payments.succeed(state, intent)
        session["payment_status"] = "paid"
        state.emit("checkout.session.async_payment_succeeded", session)
    else:
        payments.fail(state, intent)
        state.emit("checkout.session.async_payment_failed", session)
    return session


@route("POST", "/_test/checkout/<session_id>/async_succeed")
def async_succeed(server, params: Params, session_id: str, **_):
    return _settle(server, session_id, True)


@route("POST", "/_test/checkout/<session_id>/async_fail")
def async_fail(server, params: Params, session_id: str, **_):
    return _settle(server, session_id, False)


@route("POST", "/_test/checkout/<session_id>/decline")
def decline(server, params: Params, session_id: str, request, **_):
    state = server.state
    session = _payable(state, session_id)
    payments.fail(state, _open_intent(state, session))
    return _answer(request, session, paid=False)


PAGE = """<!doctype html><html lang="id"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stripe Checkout (server uji)</title>
<h1>Stripe Checkout (server uji)</h1>{declined}
<table>{rows}</table>
<p>Total: <strong id="total">{total}</strong> {currency}</p>
<form method="post" action="/_test/checkout/{id}/pay">
<input type="hidden" name="redirect" value="1">
<button>Pay</button></form>
<form method="post" action="/_test/checkout/{id}/decline">
<input type="hidden" name="redirect" value="1">
<button>Decline</button></form>
{cancel}
</html>"""


@route("GET", "/_test/checkout/<session_id>")
def hosted_page(server, params: Params, session_id: str, request, **_):
    session = _session(server.state, session_id)
    if session["status"] != "open":
        return Response(f"This session is {session['status']}.", 410, content_type="text/plain")
    rows = "".join(
        f"<tr><td>{html.escape(line['description'])}</td><td>{line['quantity']}</td>"
        f"<td>{line['amount_total']}</td></tr>"
        for line in session["_lines"]
    )
    cancel = session["cancel_url"]
    body = PAGE.format(
        id=session_id,
        rows=rows,
        total=session["amount_total"],
        currency=session["currency"].upper(),
        declined="<p role=alert>Your card was declined.</p>"
        if request.args.get("declined")
        else "",
        cancel=f'<p><a href="{html.escape(cancel)}">Cancel</a></p>' if cancel else "",
    )
    return Response(body, 200, content_type="text/html; charset=utf-8")
