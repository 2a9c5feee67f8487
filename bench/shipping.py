"""The checkout with live courier rates for 3 households, next to today's zone table.

One scratch SQLite database with the demo catalogue, a cart with one product from each of
3 households in different kabupaten, served by two gunicorn apps in the same run: one with
Biteship configured on tests/biteship_server (in this process, loopback, answering each
rate request after ``BENCH_SHIPPING_LATENCY`` seconds, 0.15 by default, as a network would),
one without (the zone table). What is timed is "Hitung ongkir": the POST of the checkout
form to Samarinda and the page with each household's couriers and prices.

- ``zone``: the zone table (no outside call), today's checkout, the reference;
- ``live_first``: live rates, a destination postal code not asked before (3 rate requests,
  in parallel: about one latency, where one after another would be three);
- ``live_cached``: the same request again, answered from the in-process cache.
"""

from __future__ import annotations

import os
import time

from bench.checkout import DETAILS, _hidden
from bench.common import SECRET_KEY, gunicorn, log, median, percentile, scratch, scratch_app
from bench.payments import Client

RUNS = int(os.environ.get("BENCH_SHIPPING_RUNS", "12"))
LATENCY = float(os.environ.get("BENCH_SHIPPING_LATENCY", "0.15"))
KINDS = ("zone", "live_first", "live_cached")
SAMARINDA = "64.72"


def _destinations() -> list[tuple[str, str]]:
    """(kecamatan, postal code) pairs of Samarinda, each a rate request not asked before."""
    from marketplace.catalog import places

    return [
        (district.code, code)
        for district in places.children(SAMARINDA)
        for code in places.postal_codes(district.code)
    ]


def _products(app) -> list[tuple[int, str]]:
    """One product in stock from each of 3 households in different kabupaten/kota."""
    from sqlalchemy import select, update

    from marketplace.catalog.models import Product, Seller
    from marketplace.db import db

    found: dict[int, tuple[int, str]] = {}
    with app.app_context():
        rows = db.session.execute(
            select(Product.id, Product.slug, Seller.region_id)
            .join(Product.seller)
            .where(Product.status == "published", Product.is_made_to_order.is_(False))
            .order_by(Product.id)
        ).all()
        for product_id, slug, region_id in rows:
            found.setdefault(region_id, (product_id, slug))
        chosen = list(found.values())[:3]
        db.session.execute(
            update(Product).where(Product.id.in_([p for p, _ in chosen])).values(stock=100000)
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    if len(chosen) < 3:
        raise RuntimeError("the demo catalogue has fewer than 3 kabupaten with products")
    return chosen


def _cart(base: str, products: list[tuple[int, str]]) -> tuple[Client, dict]:
    client = Client(base)
    for product_id, slug in products:
        client.request(f"/produk/{slug}")
        client.request("/keranjang/tambah", {"product_id": product_id, "quantity": 1})
    _, _, html = client.request("/checkout")
    form = {**DETAILS, "province": "64", "city": SAMARINDA, "action": "recalculate"}
    form["csrf_token"] = _hidden(html, "csrf_token")
    form["checkout_key"] = _hidden(html, "checkout_key")
    return client, form


def _time(client: Client, form: dict, shown: str, count: int) -> float:
    started = time.perf_counter()
    status, _, html = client.request("/checkout", form)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200 or html.count(shown) < count:
        raise RuntimeError(f"Hitung ongkir answered {status} without {count} × {shown!r}")
    return elapsed


def run() -> tuple[dict, dict]:
    from tests.biteship_server import running_biteship_server

    folder = scratch() / "shipping"
    database_url = f"sqlite:///{folder / 'shipping.db'}"
    log("shipping: scratch database with the demo catalogue")
    products = _products(scratch_app(database_url, "shipping"))
    destinations = _destinations()
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    env = {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(folder),
        "MEDIA_ROOT": str(folder / "media"),
        "SECRET_KEY": SECRET_KEY,
        "MARKETPLACE_PAGE_CACHE": "false",
    }
    with running_biteship_server(latency=LATENCY) as biteship:
        live_env = {**env, "BITESHIP_API_KEY": biteship.api_key, "BITESHIP_API_BASE": biteship.url}
        with (
            gunicorn("wsgi:app", env, workers=1) as zone_base,
            gunicorn("wsgi:app", live_env, workers=1) as live_base,
        ):
            zone, zone_form = _cart(zone_base, products)
            live, live_form = _cart(live_base, products)
            log(f"shipping: {RUNS} runs of {', '.join(KINDS)}, interleaved")
            for run_number in range(RUNS + 1):  # the first is a warm-up
                district, postal_code = destinations[run_number % len(destinations)]
                where = {"district": district, "postal_code": postal_code}
                figures = {
                    "zone": _time(zone, {**zone_form, **where}, "data-shipping", 3),
                    "live_first": _time(live, {**live_form, **where}, 'name="rate-', 3),
                    "live_cached": _time(live, {**live_form, **where}, 'name="rate-', 3),
                }
                if run_number:
                    for kind, value in figures.items():
                        timings[kind].append(value)
            calls = len(biteship.rate_requests)
    result: dict = {"households": 3, "rate_latency_ms": round(LATENCY * 1000)}
    for kind, values in timings.items():
        ordered = sorted(values)
        result[kind] = {
            "median_ms": round(median(ordered), 1),
            "p90_ms": round(percentile(ordered, 0.9), 1),
        }
    result["sequential_floor_ms"] = round(3 * LATENCY * 1000)
    note = {"runs": RUNS, "rate_requests": calls, "destinations": len(destinations)}
    return result, note
