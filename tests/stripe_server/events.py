"""Events (``/v1/events``) and webhook endpoints (``/v1/webhook_endpoints``)."""

from __future__ import annotations

import secrets
import time

from tests.stripe_server.core import (
    Params,
    StripeError,
    WebhookEndpoint,
    created_filter,
    new_id,
    page,
    route,
)


@route("GET", "/v1/events/<event_id>")
def retrieve_event(server, params: Params, event_id: str, **_):
    return server.state.get("event", event_id)


@route("GET", "/v1/events")
def list_events(server, params: Params, **_):
    events = list(server.state.table("event").values())
    if kind := params.get("type"):
        if kind.endswith(".*"):
            events = [e for e in events if e["type"].startswith(kind[:-1])]
        else:
            events = [e for e in events if e["type"] == kind]
    if kinds := params.get("types"):
        events = [e for e in events if e["type"] in kinds]
    events = created_filter(events, params)
    return page(events, params, "/v1/events")


def endpoint_object(endpoint: WebhookEndpoint, with_secret: bool = False) -> dict:
    obj = {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "enabled_events": list(endpoint.events),
        "status": "disabled" if endpoint.paused else "enabled",
        "url": endpoint.url,
        "livemode": False,
        "created": int(time.time()),
    }
    if with_secret:
        obj["secret"] = endpoint.secret
    return obj


@route("POST", "/v1/webhook_endpoints")
def create_endpoint(server, params: Params, **_):
    url = params.required("url")
    events = params.required("enabled_events")
    if not isinstance(events, list):
        raise StripeError("Invalid array", param="enabled_events")
    endpoint = server.add_webhook_endpoint(
        url, secret=f"whsec_{secrets.token_hex(16)}", events=tuple(events)
    )
    return endpoint_object(endpoint, with_secret=True)


@route("GET", "/v1/webhook_endpoints")
def list_endpoints(server, params: Params, **_):
    listed = [{**endpoint_object(e), "_seq": i} for i, e in enumerate(server.state.endpoints)]
    return page(listed, params, "/v1/webhook_endpoints")


@route("DELETE", "/v1/webhook_endpoints/<endpoint_id>")
def delete_endpoint(server, params: Params, endpoint_id: str, **_):
    state = server.state
    if not any(e.id == endpoint_id for e in state.endpoints):
        raise StripeError(f"No such webhook endpoint: '{endpoint_id}'", status=404)
    state.endpoints = [e for e in state.endpoints if e.id != endpoint_id]
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def new_endpoint_id() -> str:
    return new_id("we")
