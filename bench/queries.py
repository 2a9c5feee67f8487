"""SQL statements per page at 100 and at 20,000 products (they must not grow).

A scratch SQLite database, migrated, with the demo catalogue grown in bulk to
100 and then to 20,000 products. Each page is requested once to warm up, then
once more through the Flask test client while a ``before_cursor_execute``
listener counts the statements (BEGIN/COMMIT and savepoints left out).
"""

from __future__ import annotations

from bench.common import SEARCH_QUERY, counting_statements, grow_catalogue, log, scratch
from bench.common import scratch_app as make_app

SIZES = (100, 20_000)
PAGES = ("home", "list", "product", "shop", "search")


def _paths(app) -> dict[str, str]:
    from sqlalchemy import select

    from marketplace.catalog.models import Product, Seller
    from marketplace.db import db

    with app.app_context():
        # The first demo product and its shop: the shop grows with the catalogue.
        product, shop = db.session.execute(
            select(Product.slug, Seller.slug).join(Product.seller).order_by(Product.id).limit(1)
        ).one()
    return {
        "home": "/",
        "list": "/produk",
        "product": f"/produk/{product}",
        "shop": f"/toko/{shop}",
        "search": f"/search?q={SEARCH_QUERY}",
    }


def count(app, paths: dict[str, str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    from marketplace.db import db

    client = app.test_client()
    counts, statements = {}, {}
    for page, path in paths.items():
        if client.get(path).status_code != 200:
            raise RuntimeError(f"{path} did not answer 200")
        with app.app_context():
            engine = db.engine
        with counting_statements(engine) as recorded:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} did not answer 200")
        counts[page] = len(recorded)
        statements[page] = [" ".join(sql.split())[:110] for sql, _ in recorded]
    return counts, statements


def run() -> tuple[dict, dict]:
    from marketplace.db import db

    app = make_app(f"sqlite:///{scratch() / 'queries.db'}", "queries")
    paths = _paths(app)
    per_size, listings = [], []
    for size in SIZES:
        with app.app_context():
            added = grow_catalogue(size)
            db.session.remove()
        log(f"queries: {size} products (+{added})")
        counts, statements = count(app, paths)
        per_size.append(counts)
        listings.append(statements)
    result = {page: [counts[page] for counts in per_size] for page in PAGES}
    grown = {
        page: listings[-1][page]
        for page in PAGES
        if result[page][0] != result[page][1] or result[page][1] > 8
    }
    return result, {"paths": paths, "statements_at_largest": grown}
