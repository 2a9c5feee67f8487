"""The shipping aggregator's HTTP API (Biteship), knowing nothing of orders or households.

Biteship (biteship.com/docs/api): ``POST /v1/rates/couriers`` prices a parcel between two
postal codes for the couriers named (``pricing``: ``courier_code``, ``courier_name``,
``courier_service_code``, ``courier_service_name``, ``price`` in rupiah,
``shipment_duration_range`` such as ``"2 - 3"``); ``POST /v1/orders`` books it
(``courier_company``, ``courier_type``) and answers the courier's ``waybill_id``;
``GET /v1/orders/{id}`` (Retrieve an Order) reads it back: ``status``, ``price``,
``courier.waybill_id`` and ``courier.history`` (``status``, ``note``, ``updated_at``);
``POST /v1/orders/{id}/cancel`` cancels it with a reason. The API key goes as it is in the
``Authorization`` header.

Webhooks come from the URL set in Biteship's dashboard. Biteship's webhook page
(biteship.com/id/docs/api/webhook/overview) shows the bodies of ``order.status``,
``order.price`` and ``order.waybill_id`` and says nothing of a signature; the dashboard lets
the URL carry a header of one's own choosing. So :func:`webhook_authentic` checks that header,
and the body is never trusted: the order named in it is read back with Retrieve an Order.

Only the standard library speaks HTTP here: a few small JSON calls need no client library.
"""

from __future__ import annotations

import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from marketplace.numbers import is_ascii_digits
from marketplace.rupiah import sent_rupiah

DEFAULT_API_BASE = "https://api.biteship.com"
#: the couriers asked for by default (Biteship's courier codes)
DEFAULT_COURIERS = "jne,jnt,pos,sicepat"
TIMEOUT_SECONDS = 8


class AggregatorError(Exception):
    """The aggregator could not be reached or refused the request."""


@dataclass(frozen=True)
class CourierRate:
    courier_code: str
    courier_name: str
    service_code: str
    service_name: str
    price: int
    #: the longest of ``shipment_duration_range`` ("2 - 3" → 3), in days
    etd_days: int


@dataclass(frozen=True)
class Booking:
    #: Biteship's order id (what the webhooks name as ``order_id``)
    order_id: str
    waybill_id: str
    status: str


@dataclass(frozen=True)
class TrackingStep:
    status: str
    note: str
    updated_at: str


@dataclass(frozen=True)
class RetrievedOrder:
    """An order as Biteship has it now (Retrieve an Order)."""

    order_id: str
    status: str
    waybill_id: str
    #: what Biteship charges for it now, in rupiah (changes with the weight the courier found)
    price: int
    history: tuple[TrackingStep, ...]


def _steps(history: Any) -> tuple[TrackingStep, ...]:
    return tuple(
        TrackingStep(
            status=str(step.get("status") or ""),
            note=str(step.get("note") or ""),
            updated_at=str(step.get("updated_at") or ""),
        )
        for step in (history if isinstance(history, list) else [])
        if isinstance(step, dict)
    )


def _rupiah(value: Any) -> int:
    """A price Biteship sends; 0 (no price) when it is not an amount of whole rupiah."""
    try:
        return sent_rupiah(value)
    except ValueError:
        return 0


def _etd_days(pricing: dict[str, Any]) -> int:
    text = str(pricing.get("shipment_duration_range") or pricing.get("duration") or "")
    numbers = [int(part) for part in text.replace("-", " ").split() if is_ascii_digits(part)]
    days = max(numbers) if numbers else 0
    if str(pricing.get("shipment_duration_unit", "days")).startswith("hour"):
        return 1 if days else 0
    return days


class BiteshipClient:
    def __init__(self, api_key: str, api_base: str = "", *, timeout: float = TIMEOUT_SECONDS):
        self.api_key = api_key
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        if not self.api_base.startswith(("https://", "http://")):
            raise ValueError("BITESHIP_API_BASE must be an http(s) URL")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict | None = None) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
            self.api_base + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": self.api_key, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as error:
            try:
                answer = json.load(error)
            except ValueError:
                answer = {}
            if error.code == 400 and answer.get("success") is False:
                return answer  # a refusal the caller reads (no courier for this route)
            raise AggregatorError(f"{error.code} {answer.get('error', '')}") from error
        except (OSError, ValueError, RecursionError) as error:
            raise AggregatorError(str(error)) from error

    def rates(
        self,
        origin_postal_code: str,
        destination_postal_code: str,
        items: list[dict[str, Any]],
        couriers: str = DEFAULT_COURIERS,
    ) -> list[CourierRate]:
        """The couriers' prices for the parcel; [] when none reaches the destination."""
        answer = self._call(
            "POST",
            "/v1/rates/couriers",
            {
                "origin_postal_code": int(origin_postal_code),
                "destination_postal_code": int(destination_postal_code),
                "couriers": couriers,
                "items": items,
            },
        )
        if not answer.get("success"):
            return []
        return [
            CourierRate(
                courier_code=str(pricing["courier_code"]),
                courier_name=str(pricing.get("courier_name") or pricing["courier_code"]),
                service_code=str(pricing["courier_service_code"]),
                service_name=str(pricing.get("courier_service_name") or ""),
                price=int(pricing["price"]),
                etd_days=_etd_days(pricing),
            )
            for pricing in answer.get("pricing", [])
        ]

    def create_order(self, payload: dict[str, Any]) -> Booking:
        """Book the pickup or drop-off; ``payload`` as Biteship's ``POST /v1/orders``."""
        answer = self._call("POST", "/v1/orders", payload)
        if not answer.get("success"):
            raise AggregatorError(str(answer.get("error") or answer.get("message") or ""))
        courier = answer.get("courier") or {}
        return Booking(
            order_id=str(answer["id"]),
            waybill_id=str(courier.get("waybill_id") or ""),
            status=str(answer.get("status") or ""),
        )

    def tracking(self, tracking_id: str) -> list[TrackingStep]:
        answer = self._call("GET", f"/v1/trackings/{_path_id(tracking_id)}")
        return list(_steps(answer.get("history")))

    def retrieve_order(self, order_id: str) -> RetrievedOrder | None:
        """The order as Biteship has it now; None when Biteship knows no such order."""
        try:
            answer = self._call("GET", f"/v1/orders/{_path_id(order_id)}")
        except AggregatorError as error:
            if str(error).startswith("404"):
                return None
            raise
        if not answer.get("success") or not answer.get("id"):
            return None
        courier = answer.get("courier") if isinstance(answer.get("courier"), dict) else {}
        return RetrievedOrder(
            order_id=str(answer["id"]),
            status=str(answer.get("status") or ""),
            waybill_id=str(courier.get("waybill_id") or ""),
            price=_rupiah(answer.get("price")),
            history=_steps(courier.get("history")),
        )

    def cancel_order(self, order_id: str, reason: str) -> str:
        """Cancel a booked order with a reason; the status Biteship answers (``cancelled``)."""
        answer = self._call(
            "POST",
            f"/v1/orders/{_path_id(order_id)}/cancel",
            {"cancellation_reason_code": "others", "cancellation_reason": reason[:200]},
        )
        if not answer.get("success"):
            raise AggregatorError(str(answer.get("error") or answer.get("message") or ""))
        return str(answer.get("status") or "cancelled")


def _path_id(value: str) -> str:
    """An id as a path segment: Biteship's ids are letters, digits, ``-`` and ``_``."""
    if not value or not all(c.isascii() and (c.isalnum() or c in "-_") for c in value):
        raise AggregatorError(f"not an order id: {value[:40]!r}")
    return value


def webhook_authentic(headers: Any, header_name: str, secret: str) -> bool:
    """Whether a webhook carries the secret header configured with its URL in Biteship's
    dashboard (compared in constant time); never when no secret is configured."""
    if not secret or not header_name:
        return False
    return hmac.compare_digest(str(headers.get(header_name, "")).encode(), secret.encode())
