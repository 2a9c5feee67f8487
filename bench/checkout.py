"""Checkout contention: many buyers race for the last units of one product over HTTP.

A scratch PostgreSQL database ``bench_checkout_<pid>`` (127.0.0.1:5432, user postgres),
migrated, with the demo catalogue; one product's stock is set to ``UNITS``. The app runs
under gunicorn (``WORKERS`` sync workers, loopback). Each of ``BUYERS`` buyers is its own
cookie session: it opens the product page, puts one unit in its cart (with the form's
CSRF token) and opens the checkout form; then all of them submit the checkout at once,
each from its own thread. What the database holds afterwards says how many units were
sold; nothing here is asserted, the figures are reported next to their goals.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.common import SECRET_KEY, gunicorn, log, median, percentile, scratch
from bench.common import scratch_app as make_app
from bench.scale import SERVER, _admin

BUYERS = int(os.environ.get("BENCH_CHECKOUT_BUYERS", "200"))
UNITS = int(os.environ.get("BENCH_CHECKOUT_UNITS", "50"))
WORKERS = int(os.environ.get("BENCH_CHECKOUT_WORKERS", "4"))
#: Contact and a Tarakan address that pass the checkout's checks (as tests/factories.py).
DETAILS = {
    "name": "Pembeli Uji",
    "email": "pembeli@contoh.id",
    "whatsapp": "0812 3456 7890",
    "delivery": "ship",
    "province": "65",  # Kalimantan Utara (Kemendagri codes, as the form sends them)
    "city": "65.71",  # Kota Tarakan
    "district": "65.71.01",  # Tarakan Barat
    "street": "Jl. Yos Sudarso No. 5",
    "postal_code": "77111",
}
INPUT = re.compile(r"<input[^>]*>")


def _hidden(html: str, name: str) -> str:
    for tag in INPUT.findall(html):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            if value:
                return value.group(1)
    raise RuntimeError(f"no {name} in the page")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Buyer:
    """One browser: its own cookies, no redirects followed (the status is the answer)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        # As a browser's forms say where they come from (the product page's has no token).
        self.opener.addheaders.append(("Origin", base))
        self.form: dict[str, str] = {}

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            return error.code, error.read().decode(errors="replace")

    def prepare(self, product_path: str, product_id: int) -> None:
        status, html = self.request(product_path)
        if status != 200:
            raise RuntimeError(f"product page answered {status}")
        status, _ = self.request("/keranjang/tambah", {"product_id": product_id, "quantity": 1})
        if status not in (302, 303):
            raise RuntimeError(f"add to cart answered {status}")
        status, html = self.request("/checkout")
        if status != 200:
            raise RuntimeError(f"checkout form answered {status}")
        self.form = {
            **DETAILS,
            "csrf_token": _hidden(html, "csrf_token"),
            "checkout_key": _hidden(html, "checkout_key"),
        }

    def check_out(self) -> tuple[int, float]:
        started = time.perf_counter()
        status, _ = self.request("/checkout", self.form)
        return status, (time.perf_counter() - started) * 1000


def _prepare_database(app) -> tuple[int, str]:
    """The raced product: public, in stock (not made to order), its stock set to UNITS."""
    from sqlalchemy import select, update

    from marketplace.catalog.models import Product
    from marketplace.db import db
    from marketplace.orders.checkout import MIN_ORDER_AMOUNT

    with app.app_context():
        product = db.session.scalars(
            select(Product)
            .where(
                Product.status == "published",
                Product.is_made_to_order.is_(False),
                Product.price_amount >= MIN_ORDER_AMOUNT,
            )
            .order_by(Product.id)
            .limit(1)
        ).one()
        db.session.execute(update(Product).where(Product.id == product.id).values(stock=UNITS))
        db.session.commit()
        found = product.id, product.slug
        db.session.remove()
        db.engine.dispose()
    return found


def _count(app, product_id: int) -> dict:
    from sqlalchemy import func, select

    from marketplace.catalog.models import Product
    from marketplace.db import db
    from marketplace.orders.models import Order, OrderLine

    with app.app_context():
        sold = db.session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
                OrderLine.product_id == product_id
            )
        )
        orders = db.session.scalar(select(func.count(Order.id)))
        stock = db.session.get(Product, product_id).stock
        db.session.remove()
        db.engine.dispose()
    return {"sold": int(sold), "orders": orders, "stock_left": stock}


def run() -> tuple[dict, dict]:
    name = f"bench_checkout_{os.getpid()}"
    url = f"{SERVER}/{name}"
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        app = make_app(url, "checkout")
        product_id, slug = _prepare_database(app)
        instance = scratch() / "checkout"
        env = {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(instance / "media"),
            "SECRET_KEY": SECRET_KEY,
            "FLASK_APP": "wsgi:app",
        }
        with gunicorn("wsgi:app", env, WORKERS) as site:
            buyers = [Buyer(site) for _ in range(BUYERS)]
            started = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda b: b.prepare(f"/produk/{slug}", product_id), buyers))
            log(f"checkout: {BUYERS} carts ready in {time.perf_counter() - started:.1f} s")

            gate = threading.Barrier(BUYERS + 1)
            answers: list[tuple[int, float]] = [(0, 0.0)] * BUYERS

            def race(index: int) -> None:
                gate.wait()
                answers[index] = buyers[index].check_out()

            threads = [threading.Thread(target=race, args=(i,)) for i in range(BUYERS)]
            for thread in threads:
                thread.start()
            gate.wait()
            began = time.perf_counter()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
        counted = _count(app, product_id)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    statuses: dict[str, int] = {}
    for status, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(ms for _, ms in answers)
    sold = counted["sold"]
    oversold = max(0, sold - UNITS) + max(0, -counted["stock_left"])
    result = {
        "buyers": BUYERS,
        "units": UNITS,
        "sold": sold,
        "oversold": oversold,
        "errors_5xx": sum(n for code, n in statuses.items() if code.startswith("5")),
        "checkouts_per_s": round(BUYERS / elapsed, 1),
    }
    log(f"checkout: {result}, answers {statuses}")
    notes = {
        "database": name,
        "workers": WORKERS,
        "statuses": statuses,
        "orders_placed": statuses.get("303", 0),
        "orders_in_db": counted["orders"],
        "stock_left": counted["stock_left"],
        "race_seconds": round(elapsed, 2),
        "p50_ms": round(median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
    }
    return result, notes
