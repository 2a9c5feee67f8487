"""The choice of payment gateways: Stripe for cards when its key is set, else the local
test twin; Midtrans beside it for QRIS, virtual accounts and e-wallets when its key is set."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from marketplace.config import SettingsError
from marketplace.payments.gateway import TestGateway
from marketplace.payments.iris_gateway import IrisGateway
from marketplace.payments.midtrans_gateway import MidtransGateway
from marketplace.payments.stripe_gateway import StripeGateway


def init_payments(app: Flask) -> None:
    """Choose the gateway from the settings, once per app."""
    gateway: Any
    if app.config.get("STRIPE_SECRET_KEY"):
        gateway = StripeGateway(
            secret_key=app.config["STRIPE_SECRET_KEY"],
            webhook_secret=app.config.get("STRIPE_WEBHOOK_SECRET", ""),
            api_base=app.config.get("STRIPE_API_BASE") or None,
        )
    else:
        # The installation's own secret (config.py); with none, every event is refused.
        gateway = TestGateway(webhook_secret=app.config.get("TEST_WEBHOOK_SECRET", ""))
    app.extensions["payment_gateway"] = gateway
    app.extensions["payment_gateways"] = others = {}
    if app.config.get("MIDTRANS_SERVER_KEY"):
        others["midtrans"] = MidtransGateway(
            server_key=app.config["MIDTRANS_SERVER_KEY"],
            api_base=app.config.get("MIDTRANS_API_BASE") or None,
            production=bool(app.config.get("MIDTRANS_PRODUCTION")),
            methods=tuple(
                key.strip() for key in str(app.config.get("MIDTRANS_METHODS", "")).split(",")
            ),
            fees=_fees(app.config.get("MIDTRANS_FEES")),
        )
    if app.config.get("IRIS_CREATOR_KEY"):
        others["iris"] = IrisGateway(
            creator_key=app.config["IRIS_CREATOR_KEY"],
            approver_key=app.config.get("IRIS_APPROVER_KEY", ""),
            merchant_key=app.config.get("IRIS_MERCHANT_KEY", ""),
            **(
                {"api_base": app.config["IRIS_API_BASE"]} if app.config.get("IRIS_API_BASE") else {}
            ),
        )


def _fees(text: object) -> dict[str, dict[str, int]]:
    if not text:
        return {}
    if isinstance(text, dict):
        return text
    try:
        return json.loads(str(text))
    except ValueError as error:
        raise SettingsError(f"MIDTRANS_FEES is not JSON: {error}") from error
