"""The choice of payment gateway: Stripe when its key is set, else the local test twin."""

from __future__ import annotations

from typing import Any

from flask import Flask

from marketplace.payments.gateway import TestGateway
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
