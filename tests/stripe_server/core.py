"""The server's plumbing: state, ids, forms, errors, idempotency, lists, events, webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

#: (method, path, handler): every module adds its routes here with :func:`route`
ROUTES: list[tuple[str, str, Callable[..., Any]]] = []

API_VERSION = "2026-10-28.endive"


def route(method: str, path: str):
    def register(handler):
        ROUTES.append((method, path, handler))
        return handler

    return register


class StripeError(Exception):
    """An error answered as Stripe does: ``{"error": {type, code, message, param}}``."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ):
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "type": type, **extra}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(
        f"No such {kind}: '{object_id}'", status=404, code="resource_missing", param=param
    )


def new_id(prefix: str) -> str:
    """Stripe-like ids: ``cs_test_a1B2…``, ``pi_3Q…``."""
    return f"{prefix}_{secrets.token_urlsafe(18).replace('-', 'x').replace('_', 'y')}"


# --- form decoding ---------------------------------------------------------------------------

_KEY = re.compile(r"[^\[\]]+|\[\]")


def decode_form(pairs) -> dict[str, Any]:
    """``line_items[0][price_data][unit_amount]=1`` pairs → nested dicts and lists of strings."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _KEY.findall(key)
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "[]":  # ``expand[]=a&expand[]=b``
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node):
    if not isinstance(node, dict):
        return node
    node = {key: _listify(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


# --- reading parameters ----------------------------------------------------------------------


class Params:
    """The decoded parameters of one request; every read is remembered to refuse the rest."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.read: set[str] = {"expand"}

    def get(self, name: str, default: Any = None) -> Any:
        self.read.add(name)
        return self.data.get(name, default)

    def required(self, name: str) -> Any:
        value = self.get(name)
        if value in (None, ""):
            raise StripeError(
                f"Missing required param: {name}.", code="parameter_missing", param=name
            )
        return value

    def integer(self, name: str, *, required: bool = False, minimum: int | None = None):
        value = self.required(name) if required else self.get(name)
        if value in (None, ""):
            return None
        return to_int(value, name, minimum)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if value not in ("true", "false"):
            raise StripeError(f"Invalid boolean: {value}", param=name)
        return value == "true"

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None):
        value = self.get(name, default)
        if value is not None and value not in choices:
            raise StripeError(
                f"Invalid {name}: must be one of {', '.join(choices)}",
                code="parameter_invalid_string",
                param=name,
            )
        return value

    def metadata(self, name: str = "metadata", base: dict | None = None) -> dict[str, str]:
        value = self.get(name) or {}
        return merge_metadata(base or {}, value, name)

    def refuse_unknown(self) -> None:
        for name in self.data:
            if name not in self.read:
                raise StripeError(
                    f"Received unknown parameter: {name}",
                    code="parameter_unknown",
                    param=name,
                )


def to_int(value: Any, name: str, minimum: int | None = None) -> int:
    if isinstance(value, int) or (isinstance(value, str) and re.fullmatch(r"-?\d+", value)):
        number = int(value)
    else:
        raise StripeError(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
    if minimum is not None and number < minimum:
        raise StripeError(
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=name,
        )
    return number


def merge_metadata(base: dict, update: Any, name: str = "metadata") -> dict[str, str]:
    if update == "":  # ``metadata=`` clears it
        return {}
    if not isinstance(update, dict):
        raise StripeError("Invalid object", param=name)
    merged = dict(base)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    if len(merged) > 50:
        raise StripeError("Metadata can have at most 50 keys.", param=name)
    return merged


# --- state -----------------------------------------------------------------------------------


@dataclass
class WebhookEndpoint:
    """Where events go. With no ``url`` (or while ``paused``) deliveries wait in ``pending``.

    Each delivery is ``(body, headers)``: the exact bytes and the ``Stripe-Signature``
    header Stripe would send, ready for ``client.post(path, data=body, headers=headers)``.
    """

    id: str
    url: str | None
    secret: str
    events: tuple[str, ...] = ("*",)
    paused: bool = False
    pending: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    #: every delivery sent over HTTP: (event type, response status or 0 if unreachable)
    sent: list[tuple[str, int]] = field(default_factory=list)

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events

    def take(self, event_type: str | None = None) -> list[tuple[bytes, dict[str, str]]]:
        """The waiting deliveries (of one type, if given), removed from the queue."""
        taken = [d for d in self.pending if event_type is None or event_type_of(d) == event_type]
        self.pending = [d for d in self.pending if d not in taken]
        return taken

    def flush(self) -> None:
        """Send the waiting deliveries to ``url``, oldest first."""
        self.paused = False
        waiting, self.pending = self.pending, []
        for body, headers in waiting:
            self._send(body, headers)

    def _send(self, body: bytes, headers: dict[str, str]) -> None:
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        self.sent.append((json.loads(body)["type"], status))


def event_type_of(delivery: tuple[bytes, dict[str, str]]) -> str:
    return json.loads(delivery[0])["type"]


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: ``t=<unix>,v1=<HMAC-SHA256 of "t.payload">``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class State:
    """Everything the server knows, in memory; one lock serialises every request."""

    def __init__(self):
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.idempotency: dict[str, tuple[str, int, bytes]] = {}
        self.endpoints: list[WebhookEndpoint] = []
        #: events raised during the current request, delivered once the lock is released
        self.outbox: list[dict[str, Any]] = []
        #: creation order, to list objects made within the same second newest first
        self.seq = 0

    def table(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.objects.setdefault(kind, {})

    def add(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.seq += 1
        obj["_seq"] = self.seq
        self.table(kind)[obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: str, label: str | None = None, param: str = "id"):
        try:
            return self.table(kind)[object_id]
        except KeyError:
            raise missing(label or kind, object_id, param) from None

    def emit(self, event_type: str, obj: dict[str, Any], previous: dict | None = None) -> dict:
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
            "pending_webhooks": sum(1 for e in self.endpoints if e.wants(event_type)),
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if previous:
            event["data"]["previous_attributes"] = previous
        self.add("event", event)
        self.outbox.append(event)
        return event

    def deliver_outbox(self) -> None:
        """Sign and send (or queue) the events raised; called with the lock released."""
        with self.lock:
            events, self.outbox = self.outbox, []
            endpoints = list(self.endpoints)
        for event in events:
            body = json.dumps(event, indent=2).encode()
            for endpoint in endpoints:
                if not endpoint.wants(event["type"]):
                    continue
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": sign(body, endpoint.secret),
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                }
                if endpoint.url is None or endpoint.paused:
                    endpoint.pending.append((body, headers))
                else:
                    endpoint._send(body, headers)


def page(objects: list[dict[str, Any]], params: Params, url: str) -> dict[str, Any]:
    """A Stripe list, newest first, with ``limit``/``starting_after``/``ending_before``."""
    limit = params.integer("limit") or 10
    if not 1 <= limit <= 100:
        raise StripeError("Invalid limit: must be between 1 and 100", param="limit")
    ordered = sorted(objects, key=lambda o: (o.get("created", 0), o["_seq"]), reverse=True)
    after, before = params.get("starting_after"), params.get("ending_before")
    ids = [o["id"] for o in ordered]
    if after:
        if after not in ids:
            raise missing("object", after, "starting_after")
        rest = ordered[ids.index(after) + 1 :]
        data, has_more = rest[:limit], len(rest) > limit
    elif before:
        if before not in ids:
            raise missing("object", before, "ending_before")
        rest = ordered[: ids.index(before)]
        data, has_more = rest[-limit:], len(rest) > limit
    else:
        data, has_more = ordered[:limit], len(ordered) > limit
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def created_filter(objects: list[dict], params: Params) -> list[dict]:
    created = params.get("created")
    if isinstance(created, dict):
        for op, test in (
            ("gt", int.__gt__),
            ("gte", int.__ge__),
            ("lt", int.__lt__),
            ("lte", int.__le__),
        ):
            if op in created:
                bound = to_int(created[op], f"created[{op}]")
                objects = [o for o in objects if test(o["created"], bound)]
    elif created is not None:
        objects = [o for o in objects if o["created"] == to_int(created, "created")]
    return objects


# --- the WSGI application --------------------------------------------------------------------


class App:
    """Dispatch: auth on ``/v1``, decode the form, replay idempotent POSTs, answer JSON."""

    def __init__(self, server):
        self.server = server
        self.state: State = server.state
        self.urls = Map(
            [Rule(path, methods=[method], endpoint=handler) for method, path, handler in ROUTES]
        )

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        finally:
            self.state.deliver_outbox()
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.urls.bind_to_environ(request.environ)
        try:
            handler, args = adapter.match()
        except NotFound:
            return error_response(
                StripeError(
                    f"Unrecognized request URL ({request.method}: {request.path}).", status=404
                )
            )
        except MethodNotAllowed:
            return error_response(StripeError("Method not allowed.", status=405))
        except HTTPException as redirect:  # e.g. a trailing slash
            return redirect.get_response(request.environ)
        api = request.path.startswith("/v1/")
        if api and not self.authorised(request):
            return error_response(
                StripeError(
                    "Invalid API Key provided. Provide your secret key as a Bearer token: "
                    "'Authorization: Bearer sk_test_...'.",
                    status=401,
                    code=None,
                )
            )
        pairs = list((request.form if request.method == "POST" else request.args).items(multi=True))
        params = Params(decode_form(pairs))
        key = request.headers.get("Idempotency-Key") if api and request.method == "POST" else None
        fingerprint = json.dumps([request.method, request.path, params.data], sort_keys=True)
        with self.state.lock:
            if key and key in self.state.idempotency:
                first, status, body = self.state.idempotency[key]
                if first != fingerprint:
                    return error_response(
                        StripeError(
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                            type="idempotency_error",
                        )
                    )
                return Response(
                    body,
                    status,
                    content_type="application/json",
                    headers={"Idempotent-Replayed": "true", "Idempotency-Key": key},
                )
            try:
                result = handler(self.server, params, request=request, **args)
                if isinstance(result, Response):
                    return result
                if api:
                    params.refuse_unknown()
            except StripeError as error:
                self.state.outbox.clear()  # a refused request raises no events
                response = error_response(error)
                # Stripe keeps the result of a request that ran (a card declined), not
                # one refused before it started (a bad parameter).
                if key and error.status == 402:
                    self.state.idempotency[key] = (fingerprint, error.status, response.get_data())
                return response
            body = json.dumps(expand(self.state, strip(result), params.data.get("expand"))).encode()
            if key:
                self.state.idempotency[key] = (fingerprint, 200, body)
            headers = {"Request-Id": new_id("req")}
            if key:
                headers["Idempotency-Key"] = key
            return Response(body, 200, content_type="application/json", headers=headers)

    def authorised(self, request: Request) -> bool:
        auth = request.authorization
        if auth is None:
            return False
        if auth.type == "bearer":
            token = auth.token
        elif auth.type == "basic":
            token = auth.username
        else:
            return False
        return token == self.server.secret_key


def strip(obj):
    """Copy an object without the server's private fields (named ``_…``)."""
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


#: which object an id names, for ``expand[]``
PREFIXES = {
    "pi": "payment_intent",
    "ch": "charge",
    "re": "refund",
    "txn": "balance_transaction",
    "cs": "checkout.session",
    "acct": "account",
    "tr": "transfer",
    "trr": "transfer_reversal",
    "evt": "event",
}


def expand(state: State, obj: dict, paths) -> dict:
    """Replace ids by their objects for ``expand[]=latest_charge`` (dotted paths too)."""
    if not paths:
        return obj
    for path in paths if isinstance(paths, list) else [paths]:
        _expand(state, obj, path.split("."))
    return obj


def _expand(state: State, node, parts: list[str]) -> None:
    if not isinstance(node, dict):
        return
    if node.get("object") == "list" and parts[0] == "data":
        for item in node["data"]:
            _expand(state, item, parts[1:])
        return
    head, rest = parts[0], parts[1:]
    value = node.get(head)
    if isinstance(value, str):
        kind = PREFIXES.get(value.split("_")[0])
        if kind and value in state.table(kind):
            node[head] = value = strip(json.loads(json.dumps(state.table(kind)[value])))
    if rest:
        _expand(state, value, rest)


def error_response(error: StripeError) -> Response:
    return Response(
        json.dumps({"error": error.body}), error.status, content_type="application/json"
    )
