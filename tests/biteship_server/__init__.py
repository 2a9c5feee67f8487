"""A small Biteship server for the tests, spoken to by ``marketplace.shipping_gateway``.

It answers as Biteship's documentation says (biteship.com/docs/api): the API key as it is
in the ``Authorization`` header (401 otherwise); ``POST /v1/rates/couriers`` with
``origin_postal_code``, ``destination_postal_code``, ``couriers`` (comma separated) and
``items`` (``weight`` in grams, ``quantity``) answers ``pricing``, one entry per courier
service (``courier_code``, ``courier_name``, ``courier_service_code``,
``courier_service_name``, ``price`` in rupiah, ``duration``, ``shipment_duration_range``,
``shipment_duration_unit``); a route no courier serves is a 400 with ``success: false``.
``POST /v1/orders`` books (``courier_company``, ``courier_type``) and answers the order
``id``, ``status`` ``confirmed``, its ``price`` and ``courier.waybill_id`` (``null`` while
the courier has not issued one: ``waybill_later``); ``GET /v1/orders/{id}`` (Retrieve an
Order: ``status``, ``price``, ``courier.waybill_id`` and ``courier.history`` of
``status``, ``note``, ``updated_at``) and ``GET /v1/trackings/{id}``;
``POST /v1/orders/{id}/cancel`` (``cancellation_reason_code``, ``cancellation_reason``)
cancels an order not yet picked up, and refuses (400) one picked up or already cancelled.

Webhooks, with the bodies of biteship.com/id/docs/api/webhook/overview (no timestamp, no
signature): :meth:`BiteshipServer.advance` moves an order (``picked``, ``dropping_off``,
``delivered``…) and sends ``order.status``; :meth:`reprice` (the courier weighed the parcel)
sends ``order.price``; :meth:`rewaybill` sends ``order.waybill_id``. Each is POSTed to
``webhook_url`` with the header configured with the URL in the dashboard
(``webhook_header``/``webhook_secret``); with no url the events wait in ``pending`` for the
test to send, repeat or reorder. :meth:`install` is the dashboard's test of a new URL: a
POST with no body. ``down`` makes every API call a 503.

Prices are made up but fixed: a courier service's first kilogram and each further one.
``latency`` seconds are waited before each rates answer, as a real network would.
Not covered: area ids and coordinates, instant couriers, COD, insurance, the list of
cancellation reasons.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

API_KEY = "biteship_test.tests"
WEBHOOK_HEADER = "X-Biteship-Secret"
WEBHOOK_SECRET = "webhook-secret-tests"
#: courier code → (name, [(service code, service name, first kg, each further kg, "a - b")])
SERVICES = {
    "jne": (
        "JNE",
        [("reg", "Reguler", 24_000, 12_000, "2 - 3"), ("yes", "YES", 41_000, 20_000, "1 - 1")],
    ),
    "jnt": ("J&T", [("ez", "EZ", 23_000, 11_000, "2 - 4")]),
    "pos": ("POS Indonesia", [("kilat", "Pos Kilat Khusus", 21_000, 10_000, "3 - 5")]),
    "sicepat": ("SiCepat", [("reg", "Reguler", 22_000, 11_000, "2 - 3")]),
}
WIB = dt.timezone(dt.timedelta(hours=7))
#: the statuses an order may still be cancelled in ("Available to Delete")
CANCELLABLE = ("confirmed", "scheduled", "allocated", "picking_up")


@dataclass
class Order:
    id: str
    waybill_id: str
    courier_company: str
    courier_type: str
    price: int
    status: str = "confirmed"
    history: list[dict[str, str]] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


class BiteshipServer:
    def __init__(self, *, api_key: str = API_KEY, port: int = 0, latency: float = 0.0):
        self.api_key = api_key
        self.port = port
        self.latency = latency
        self.webhook_url = ""
        self.webhook_header = WEBHOOK_HEADER
        self.webhook_secret = WEBHOOK_SECRET
        self.reset()
        self.urls = Map(
            [
                Rule("/v1/rates/couriers", endpoint="rates", methods=["POST"]),
                Rule("/v1/orders", endpoint="create_order", methods=["POST"]),
                Rule("/v1/orders/<order_id>", endpoint="get_order", methods=["GET"]),
                Rule("/v1/orders/<order_id>/cancel", endpoint="cancel_order", methods=["POST"]),
                Rule("/v1/trackings/<order_id>", endpoint="tracking", methods=["GET"]),
            ]
        )

    def reset(self) -> None:
        self.orders: dict[str, Order] = {}
        self.unreachable: set[str] = set()
        self.rate_requests: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.cancel_requests: list[tuple[str, dict[str, Any]]] = []
        self.waybill_later = False
        self.down = False
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- HTTP ------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        adapter = self.urls.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
        except Exception:
            return self._json({"success": False, "error": "Not found"}, 404)(
                environ, start_response
            )
        if self.down:
            response = self._json({"success": False, "error": "Service unavailable"}, 503)
        elif request.headers.get("Authorization", "") != self.api_key:
            response = self._json({"success": False, "error": "Authentication failed"}, 401)
        else:
            response = getattr(self, "_" + endpoint)(request, **args)
        return response(environ, start_response)

    @staticmethod
    def _json(body: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    @staticmethod
    def _weight(items: list[dict[str, Any]]) -> int:
        return sum(int(item.get("weight", 0)) * int(item.get("quantity", 1)) for item in items)

    def _prices(self, couriers: str, weight: int) -> list[dict[str, Any]]:
        kilograms = max(1, math.ceil(weight / 1000))
        pricing = []
        for code in couriers.split(","):
            name, services = SERVICES.get(code.strip(), ("", []))
            for service, service_name, first, further, days in services:
                pricing.append(
                    {
                        "company": code,
                        "courier_code": code,
                        "courier_name": name,
                        "courier_service_code": service,
                        "courier_service_name": service_name,
                        "type": service,
                        "description": f"{name} {service_name}",
                        "duration": f"{days} days",
                        "shipment_duration_range": days,
                        "shipment_duration_unit": "days",
                        "service_type": "standard",
                        "shipping_type": "parcel",
                        "price": first + (kilograms - 1) * further,
                    }
                )
        return pricing

    def _rates(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        with self._lock:
            self.rate_requests.append(body)
        if self.latency:
            time.sleep(self.latency)  # the network a real call crosses
        missing = [
            name
            for name in ("origin_postal_code", "destination_postal_code", "couriers", "items")
            if not body.get(name)
        ]
        if missing:
            return self._json({"success": False, "error": f"{missing[0]} is required"}, 400)
        origin, destination = str(body["origin_postal_code"]), str(body["destination_postal_code"])
        pricing = (
            []
            if {origin, destination} & self.unreachable
            else self._prices(body["couriers"], self._weight(body["items"]))
        )
        if not pricing:
            return self._json(
                {
                    "success": False,
                    "error": "No courier available for this route",
                    "code": 40001001,
                },
                400,
            )
        return self._json(
            {
                "success": True,
                "object": "courier_pricing",
                "message": "Success to retrieve courier pricing",
                "origin": {"postal_code": int(origin)},
                "destination": {"postal_code": int(destination)},
                "pricing": pricing,
            }
        )

    def _create_order(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        for name in (
            "origin_postal_code",
            "destination_postal_code",
            "courier_company",
            "courier_type",
            "destination_contact_name",
            "items",
        ):
            if not body.get(name):
                return self._json({"success": False, "error": f"{name} is required"}, 400)
        prices = [
            p
            for p in self._prices(body["courier_company"], self._weight(body["items"]))
            if p["courier_service_code"] == body["courier_type"]
        ]
        if (
            not prices
            or {str(body["origin_postal_code"]), str(body["destination_postal_code"])}
            & self.unreachable
        ):
            return self._json({"success": False, "error": "Courier not available"}, 400)
        number = next(self._ids)
        order = Order(
            id=f"bs{number:022d}",
            waybill_id="" if self.waybill_later else f"WB{number:010d}",
            courier_company=body["courier_company"],
            courier_type=body["courier_type"],
            price=prices[0]["price"],
            payload=body,
        )
        self._step(order, "confirmed", "Order has been confirmed")
        with self._lock:
            self.orders[order.id] = order
        return self._json(self._order_body(order))

    def _order_body(self, order: Order) -> dict[str, Any]:
        return {
            "success": True,
            "message": "Order successfully created",
            "object": "order",
            "id": order.id,
            "reference_id": order.payload.get("reference_id"),
            "courier": {
                "tracking_id": order.id,
                "waybill_id": order.waybill_id or None,
                "company": order.courier_company,
                "type": order.courier_type,
                "history": list(order.history),
            },
            "price": order.price,
            "status": order.status,
        }

    def _get_order(self, request: Request, order_id: str) -> Response:
        order = self.orders.get(order_id)
        if order is None:
            return self._json({"success": False, "error": "Order not found"}, 404)
        return self._json(self._order_body(order))

    def _cancel_order(self, request: Request, order_id: str) -> Response:
        body = request.get_json(silent=True) or {}
        with self._lock:
            self.cancel_requests.append((order_id, body))
        order = self.orders.get(order_id)
        if order is None:
            return self._json({"success": False, "error": "Order not found"}, 404)
        if not body.get("cancellation_reason_code"):
            return self._json({"success": False, "error": "Reason is required"}, 400)
        if order.status not in CANCELLABLE:
            return self._json(
                {"success": False, "error": f"Order cannot be cancelled: {order.status}"}, 400
            )
        self._step(order, "cancelled", str(body.get("cancellation_reason") or "cancelled"))
        return self._json({**self._order_body(order), "message": "Order successfully cancelled"})

    def _tracking(self, request: Request, order_id: str) -> Response:
        order = self.orders.get(order_id)
        if order is None:
            return self._json({"success": False, "error": "Tracking not found"}, 404)
        return self._json(
            {
                "success": True,
                "object": "tracking",
                "id": order.id,
                "waybill_id": order.waybill_id,
                "courier": {"company": order.courier_company},
                "history": order.history,
                "status": order.status,
            }
        )

    # -- what the courier does (test controls) ----------------------------------------
    @staticmethod
    def _step(order: Order, status: str, note: str) -> None:
        order.status = status
        order.history.append(
            {
                "note": note,
                "updated_at": dt.datetime.now(WIB).isoformat(timespec="seconds"),
                "status": status,
            }
        )

    def advance(self, order_id: str, status: str, note: str = "") -> dict[str, Any]:
        """The courier moves the parcel; Biteship's ``order.status`` event is sent (or kept
        in ``pending`` when no ``webhook_url``) and returned."""
        order = self.orders[order_id]
        self._step(order, status, note or status)
        return self._emit(
            {
                "event": "order.status",
                "courier_tracking_id": order.id,
                "courier_waybill_id": order.waybill_id,
                "courier_company": order.courier_company,
                "courier_type": order.courier_type,
                "courier_link": f"{self.url}/lacak/{order.id}",
                "order_id": order.id,
                "order_price": order.price,
                "status": status,
            }
        )

    def reprice(self, order_id: str, price: int) -> dict[str, Any]:
        """The courier weighed the parcel: the order's price changes (``order.price``)."""
        order = self.orders[order_id]
        order.price = price
        return self._emit(
            {
                "cash_on_delivery_fee": 0,
                "courier_tracking_id": order.id,
                "courier_waybill_id": order.waybill_id,
                "event": "order.price",
                "order_id": order.id,
                "price": price,
                "proof_of_delivery_fee": 0,
                "shippment_fee": price,
                "status": order.status,
            }
        )

    def rewaybill(self, order_id: str, waybill_id: str) -> dict[str, Any]:
        """The courier issued (or changed) the waybill (``order.waybill_id``)."""
        order = self.orders[order_id]
        order.waybill_id = waybill_id
        return self._emit(
            {
                "order_id": order.id,
                "courier_tracking_id": order.id,
                "courier_waybill_id": waybill_id,
                "event": "order.waybill_id",
                "status": order.status,
            }
        )

    def _emit(self, event: dict[str, Any]) -> dict[str, Any]:
        if self.webhook_url:
            self.send(event)
        else:
            self.pending.append(event)
        return event

    def install(self) -> int:
        """The dashboard's test of a new webhook URL: a POST with no body; the app's status."""
        return self.send(None)

    def send(self, event: dict[str, Any] | None, *, secret: str | None = None) -> int:
        """POST one event to ``webhook_url`` as Biteship does; the app's HTTP status."""
        request = urllib.request.Request(
            self.webhook_url,
            data=b"" if event is None else json.dumps(event).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                self.webhook_header: self.webhook_secret if secret is None else secret,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    # -- life ---------------------------------------------------------------------------
    def start(self) -> BiteshipServer:
        self._server = make_server(
            "127.0.0.1", self.port, self, threaded=True, request_handler=_Quiet
        )
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


@contextmanager
def running_biteship_server(**options: Any) -> Iterator[BiteshipServer]:
    server = BiteshipServer(**options).start()
    try:
        yield server
    finally:
        server.stop()
