"""From "Bayar" to what the buyer pays with: a QRIS code, a virtual account number, a card page.

The app runs under gunicorn (2 sync workers, loopback) on a scratch SQLite database with
the demo catalogue, with Midtrans configured on tests/midtrans_server and Stripe on
tests/stripe_server (both in this process, threads, loopback: what is timed is the app and
the client libraries, not the providers' networks). Each run places a fresh order over
HTTP (cart, checkout: not timed), then times one method from the press of "Bayar" (the
POST of the choice) to the page that shows what to pay with:

- ``qris``: the POST (the app charges Midtrans with ``midtransclient``) and the page
  with the QR drawn as inline SVG (segno);
- ``va``: the same for BCA's virtual account, to the page showing its number;
- ``card``: the POST (the app opens a Stripe Checkout Session with ``stripe``) and the
  Checkout page at the Stripe test server it redirects to: today's card path, the
  reference in the same run.
"""

from __future__ import annotations

import http.cookiejar
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from bench.checkout import DETAILS, _hidden, _NoRedirect
from bench.common import SECRET_KEY, gunicorn, log, median, percentile, scratch, scratch_app

RUNS = int(os.environ.get("BENCH_PAYMENTS_RUNS", "20"))
METHODS = ("qris", "va", "card")
#: the choice posted for each timed method, and what the page must then show
CHOICE = {"qris": "qris", "va": "bca", "card": "card"}
SHOWN = {"qris": "<svg", "va": 'class="va-number"', "card": "Stripe Checkout (server uji)"}


class Client:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        # As a browser's forms say where they come from (the product page's has no token).
        self.opener.addheaders.append(("Origin", base))

    def request(self, url: str, data: dict | None = None) -> tuple[int, str, str]:
        """Status, Location and body of one request (redirects not followed)."""
        if url.startswith("/"):
            url = self.base + url
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=120) as response:
                return response.status, "", response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()


def _place_order(base: str, product_id: int, slug: str) -> tuple[Client, str, str]:
    """A buyer with one unit in a placed order; the payment page's path and its token."""
    client = Client(base)
    client.request(f"/produk/{slug}")
    client.request("/keranjang/tambah", {"product_id": product_id, "quantity": 1})
    _, _, html = client.request("/checkout")
    form = {
        **DETAILS,
        "csrf_token": _hidden(html, "csrf_token"),
        "checkout_key": _hidden(html, "checkout_key"),
    }
    status, location, _ = client.request("/checkout", form)
    if status != 303 or "/bayar" not in location:
        raise RuntimeError(f"checkout answered {status} {location}")
    path = urllib.parse.urlparse(location).path
    _, _, html = client.request(path)
    return client, path, _hidden(html, "csrf_token")


def _time_one(base: str, product: tuple[int, str], method: str) -> float:
    client, path, token = _place_order(base, *product)
    started = time.perf_counter()
    status, location, _ = client.request(path, {"method": CHOICE[method], "csrf_token": token})
    if status != 303:
        raise RuntimeError(f"{method}: the choice answered {status}")
    status, _, html = client.request(location)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200 or SHOWN[method] not in html:
        raise RuntimeError(f"{method}: {location} answered {status} without {SHOWN[method]!r}")
    return elapsed


def _product(app) -> tuple[int, str]:
    """A public product in stock, with stock for every run."""
    from sqlalchemy import select, update

    from marketplace.catalog.models import Product
    from marketplace.db import db

    with app.app_context():
        product = db.session.scalars(
            select(Product)
            .where(Product.status == "published", Product.is_made_to_order.is_(False))
            .order_by(Product.price_amount.desc())
            .limit(1)
        ).one()
        db.session.execute(update(Product).where(Product.id == product.id).values(stock=100000))
        db.session.commit()
        found = product.id, product.slug
        db.session.remove()
        db.engine.dispose()
    return found


def run() -> tuple[dict, dict]:
    from tests.midtrans_server import running_midtrans_server
    from tests.stripe_server import WEBHOOK_SECRET, running_stripe_server

    folder = scratch() / "payments"
    database_url = f"sqlite:///{folder / 'payments.db'}"
    log("payments: scratch database with the demo catalogue")
    product = _product(scratch_app(database_url, "payments"))
    timings: dict[str, list[float]] = {method: [] for method in METHODS}
    with running_midtrans_server() as midtrans, running_stripe_server() as stripe_server:
        env = {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(folder),
            "MEDIA_ROOT": str(folder / "media"),
            "SECRET_KEY": SECRET_KEY,
            "MIDTRANS_SERVER_KEY": midtrans.server_key,
            "MIDTRANS_API_BASE": midtrans.url,
            "STRIPE_SECRET_KEY": stripe_server.secret_key,
            "STRIPE_API_BASE": stripe_server.url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "MARKETPLACE_PAGE_CACHE": "false",
        }
        with gunicorn("wsgi:app", env, workers=2) as base:
            for method in METHODS:  # one warm-up each: imports, first connections
                _time_one(base, product, method)
            log(f"payments: {RUNS} runs of {', '.join(METHODS)}, interleaved")
            for _ in range(RUNS):
                for method in METHODS:
                    timings[method].append(_time_one(base, product, method))
    result: dict = {"methods": list(METHODS)}
    for method, values in timings.items():
        ordered = sorted(values)
        result[method] = {
            "median_ms": round(median(ordered), 1),
            "p90_ms": round(percentile(ordered, 0.9), 1),
        }
    note = {
        "runs": RUNS,
        "shown": {"qris": "QR (inline SVG)", "va": "BCA VA number", "card": "Stripe Checkout"},
    }
    return result, note
