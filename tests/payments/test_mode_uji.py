""" "Mode uji" only on purpose: production refuses to start on it unless chosen, every page
says so while it is on, and its webhook secret is the installation's own."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
import stripe

from marketplace import create_app
from marketplace.config import SettingsError, load_settings
from marketplace.db import db
from marketplace.money.models import Payment, PaymentStatus
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments.gateway import TestGateway
from marketplace.payments.stripe_gateway import StripeGateway
from tests import factories
from tests.conftest import app_settings

ROOT = Path(__file__).resolve().parents[2]
BANNER = "Mode uji: pembayaran tidak sungguhan"


# --- production ------------------------------------------------------------------------------


def test_production_without_stripe_refuses_to_start(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    with pytest.raises(SettingsError, match="MARKETPLACE_TEST_PAYMENTS=1"):
        create_app(app_settings())


@pytest.mark.parametrize("chosen", ["1", "true"])
def test_production_on_test_payments_chosen_on_purpose_starts_and_says_so(
    monkeypatch, db_session, chosen
):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("MARKETPLACE_TEST_PAYMENTS", chosen)
    app = create_app(app_settings())
    assert isinstance(app.extensions["payment_gateway"], TestGateway)
    with app.test_client() as visitor:
        assert BANNER in visitor.get("/akun/masuk").get_data(as_text=True)


@pytest.mark.parametrize("refused", ["0", "false", ""])
def test_test_payments_not_chosen_is_not_a_choice(monkeypatch, refused):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("MARKETPLACE_TEST_PAYMENTS", refused)
    with pytest.raises(SettingsError):
        create_app(app_settings())


def test_production_with_stripe_starts_on_stripe(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    app = create_app(app_settings(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x"))
    assert isinstance(app.extensions["payment_gateway"], StripeGateway)


def test_development_starts_on_test_payments_without_being_asked(monkeypatch):
    monkeypatch.delenv("MARKETPLACE_ENV", raising=False)
    app = create_app(app_settings())
    assert isinstance(app.extensions["payment_gateway"], TestGateway)


def test_the_operator_is_told_why_the_server_does_not_start(tmp_path):
    """What gunicorn does first, importing ``wsgi:app``, with a production environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MARKETPLACE_", "STRIPE_"))
    }
    env.update(MARKETPLACE_ENV="production", INSTANCE_PATH=str(tmp_path), SECRET_KEY="s")
    started = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "SettingsError" in started.stderr and "STRIPE_SECRET_KEY" in started.stderr


# --- the banner ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/produk", "/search?q=madu", "/akun/masuk", "/keranjang", "/tidak-ada"]
)
def test_every_page_says_test_payments_are_on(client, url):
    html = client.get(url).get_data(as_text=True)
    assert BANNER in html


def test_signed_in_pages_and_english_say_so_too(client, login_as):
    login_as("buyer")
    assert BANNER in client.get("/akun/pesanan").get_data(as_text=True)
    client.post("/bahasa", data={"locale": "en"})
    assert "Test mode: payments are not real" in client.get("/").get_data(as_text=True)


def test_a_cached_page_says_so_on_both_paths(app):
    product = factories.make_product(name="Tikar Bertanda Uji")
    db.session.commit()
    url = f"/produk/{product.slug}"
    visitor = app.test_client()
    assert BANNER in visitor.get(url).get_data(as_text=True)  # rendered and stored
    assert BANNER in visitor.get(url).get_data(as_text=True)  # the decorator's hit
    zipped = visitor.get(url, headers={"Accept-Encoding": "gzip"})  # the lane's hit
    assert BANNER in gzip.decompress(zipped.get_data()).decode()


def test_with_stripe_no_page_says_so(app, client):
    app.extensions["payment_gateway"] = StripeGateway(
        secret_key="sk_test_x", webhook_secret="whsec_x"
    )
    for url in ("/", "/akun/masuk", "/tidak-ada"):
        assert BANNER not in client.get(url).get_data(as_text=True)


# --- the webhook secret ----------------------------------------------------------------------


def test_each_installation_makes_its_own_webhook_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    first = load_settings(tmp_path / "one")["TEST_WEBHOOK_SECRET"]
    other = load_settings(tmp_path / "two")["TEST_WEBHOOK_SECRET"]
    assert first.startswith("whsec_") and len(first) > 40 and first != other
    # Kept: every process and restart of one installation signs and checks with it.
    assert load_settings(tmp_path / "one")["TEST_WEBHOOK_SECRET"] == first
    assert (tmp_path / "one" / "test_webhook_secret").stat().st_mode & 0o077 == 0


def test_with_stripe_no_test_secret_is_made(tmp_path, monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    assert load_settings(tmp_path)["TEST_WEBHOOK_SECRET"] == ""
    assert not (tmp_path / "test_webhook_secret").exists()


def test_no_secret_is_written_in_the_code():
    sources = [path.read_text() for path in (ROOT / "marketplace").rglob("*.py")]
    assert not any("whsec_uji" in source for source in sources)


def test_an_event_signed_with_a_guessable_secret_pays_nothing(app, client):
    """The app's own "Mode uji" gateway, as started: an event anyone could sign is refused."""
    gateway = TestGateway(webhook_secret=app.config["TEST_WEBHOOK_SECRET"])
    app.extensions["payment_gateway"] = gateway
    order = factories.make_order((factories.make_product(), 1))
    db.session.commit()
    client.get(f"/pesanan/{order.access_token}/bayar")
    payment = db.session.query(Payment).filter_by(order_id=order.id).one()
    intent = gateway.complete(
        payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True
    )
    body, _ = gateway.signed_event("payment_intent.succeeded", intent)
    for guess in ("whsec_uji", "whsec_", ""):
        forged = stripe.WebhookSignature.generate_signature_header(body.decode(), guess or "x")
        response = client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": forged})
        assert (response.status_code, response.text) == (400, "bad signature")
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_PAYMENT.value
    assert db.session.get(Payment, payment.id).status == PaymentStatus.PENDING.value
    # The installation's own signature is taken.
    signature = stripe.WebhookSignature.generate_signature_header(
        body.decode(), app.config["TEST_WEBHOOK_SECRET"]
    )
    response = client.post("/stripe/webhook", data=body, headers={"Stripe-Signature": signature})
    assert (response.status_code, response.text) == (200, "ok")
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.PAID.value
