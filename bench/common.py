"""What every benchmark shares: the machine, scratch apps, servers, bulk catalogues, medians."""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

SECRET_KEY = "bench-only-secret"

#: The search query every benchmark uses (matches a few demo shops and products).
SEARCH_QUERY = "amplang"


@cache
def scratch() -> Path:
    """One scratch folder per run (made on first use); every database and media file lives here."""
    return Path(tempfile.mkdtemp(prefix="marketplace-bench-"))


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "kernel": f"{platform.system()} {platform.release()}",
    }


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


# --- servers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def instance_env(instance: Path) -> dict[str, str]:
    """The environment that points the app at one scratch instance folder (SQLite)."""
    return {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'marketplace.db'}",
        "MEDIA_ROOT": str(instance / "media"),
        "SECRET_KEY": SECRET_KEY,
        "FLASK_APP": "wsgi:app",
    }


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Serve ``app`` under gunicorn with the project's gunicorn.conf.py (sync workers, here
    on loopback); yield its URL.

    gunicorn reads ``./gunicorn.conf.py`` whenever it is there, so every server of these
    benchmarks, bare Flask's too, runs with the settings production runs with: the JSON
    access log (to nowhere here), the metrics kept in files, a worker replaced every
    2,000 requests or so. The file is named so that this is said where it happens; the
    flags after it set the workers and the address. ``--preload`` loads the app before the
    socket listens, so once gunicorn says "Listening at", connections queue until a worker
    takes them.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "gunicorn.conf.py",
        "--preload",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    output: list[str] = []
    try:
        for line in process.stderr:
            output.append(line)
            if "Listening at" in line:
                break
        else:
            raise RuntimeError(f"gunicorn {app} did not start:\n" + "".join(output))
        # Keep reading stderr so that a chatty worker never blocks on a full pipe.
        threading.Thread(target=lambda: output.extend(process.stderr), daemon=True).start()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def flask_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )


@cache
def demo_instance() -> Path:
    """A scratch instance set up exactly as ``make run`` does: migrated, demo catalogue loaded."""
    instance = scratch() / "demo"
    instance.mkdir()
    env = instance_env(instance)
    log("demo instance: flask db upgrade, flask demo load (full-size photos)")
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "demo", "load", "--if-empty")
    return instance


def demo_targets(instance: Path) -> dict[str, str]:
    """The paths of the main pages in a demo instance: home, list, product, shop, search."""
    import sqlite3

    with sqlite3.connect(instance / "marketplace.db") as connection:
        product, shop = connection.execute(
            "SELECT products.slug, sellers.slug FROM products JOIN sellers "
            "ON sellers.id = products.seller_id WHERE products.status = 'published' "
            "ORDER BY products.published_at DESC, products.id DESC LIMIT 1"
        ).fetchone()
    return {
        "home": "/",
        "list": "/produk",
        "product": f"/produk/{product}",
        "shop": f"/toko/{shop}",
        "search": f"/search?q={SEARCH_QUERY}",
    }


# --- in-process scratch apps and bulk catalogues ----------------------------------------


def scratch_app(database_url: str, name: str):
    """The marketplace app on ``database_url``, migrated, with the demo catalogue (small photos)."""
    import flask_migrate

    from marketplace import create_app
    from marketplace.db import db
    from marketplace.demo import load_demo
    from marketplace.extensions import limiter

    media = scratch() / name / "media"
    media.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MEDIA_ROOT": str(media),
            "SECRET_KEY": SECRET_KEY,
            "SERVER_NAME": None,
            # These figures are the cost of rendering a page; the cache would hide it.
            "PAGE_CACHE": False,
            # Building a catalogue of 100,000 products is a batch job, as the CLI's are:
            # the web's statement timeout (5 s) is not for it.
            "DATABASE_STATEMENT_TIMEOUT": 600,
        }
    )
    limiter.enabled = False
    with app.app_context():
        flask_migrate.upgrade()
        load_demo(photo_size=400)
        db.session.commit()
        db.session.remove()
    return app


def product_row(template, *, name: str, search_parts: tuple, **values) -> dict:
    """A products row for bulk inserts: ``template``'s fields, overridden by ``values``.

    The search text is built as ``refresh_search_text`` builds it: name, description, unit,
    then ``search_parts`` (category names, shop, region).
    """
    from marketplace.catalog.search import build_search_text

    row = {
        "category_id": template.category_id,
        "description": template.description,
        "price_amount": template.price_amount,
        "is_made_to_order": template.is_made_to_order,
        "weight_grams": template.weight_grams,
        "unit": template.unit,
        "kind": template.kind,
        "pirt_number": template.pirt_number,
        "licence_valid_until": template.licence_valid_until,
        "halal_number": template.halal_number,
        "shelf_life_days": template.shelf_life_days,
        "lead_time_days": template.lead_time_days,
        "name": name,
        "search_text": build_search_text(name, template.description, template.unit, *search_parts),
    }
    row.update(values)
    return row


PRODUCT_COLUMNS = (
    "id",
    "slug",
    "seller_id",
    "category_id",
    "name",
    "description",
    "price_amount",
    "stock",
    "is_made_to_order",
    "weight_grams",
    "unit",
    "kind",
    "pirt_number",
    "licence_valid_until",
    "halal_number",
    "shelf_life_days",
    "lead_time_days",
    "status",
    "search_text",
    "published_at",
    "created_at",
    "updated_at",
)
PHOTO_COLUMNS = ("id", "product_id", "key", "width", "height", "variant_widths", "position")

RESET_SEQUENCES = (
    "SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT max(id) FROM products)), "
    "setval(pg_get_serial_sequence('product_photos', 'id'), (SELECT max(id) FROM product_photos))"
)

#: Of generated products, about 1 in 10 is not public (draft, in review, paused).
NOT_PUBLIC = ("draft", "pending_review", "paused")


def grow_catalogue(total: int, seed: int = 2026) -> int:
    """Add generated products (one photo each) until there are ``total``; returns how many.

    Inside an app context. Each new product copies a demo product (shop, category,
    licence, photo) with its own name, slug, price and date, and ``search_text`` built
    as the app builds it. PostgreSQL gets COPY, SQLite an executemany; both are fast.
    """
    from sqlalchemy import func, insert, select, text

    from marketplace.catalog.models import Category, Product, ProductPhoto, Seller
    from marketplace.db import db, now_utc

    session = db.session
    have = session.scalar(select(func.count(Product.id)))
    if have >= total:
        return 0
    templates = session.execute(
        select(Product, Seller, Category).join(Product.seller).join(Product.category)
    ).all()
    regions = {s.id: s.region.name for s in session.scalars(select(Seller))}
    photos = {p.product_id: p for p in session.scalars(select(ProductPhoto))}
    next_id = session.scalar(select(func.max(Product.id))) + 1
    next_photo = session.scalar(select(func.max(ProductPhoto.id))) + 1
    rng = random.Random(seed + have)
    now = now_utc()
    products, product_photos = [], []
    for number in range(next_id, next_id + total - have):
        template, seller, category = templates[number % len(templates)]
        name = f"{template.name} {rng.choice(('Spesial', 'Asli', 'Super', 'Mini', 'Jumbo'))}"
        published = now - dt.timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
        status = rng.choice(NOT_PUBLIC) if rng.random() < 0.1 else "published"
        products.append(
            product_row(
                template,
                id=number,
                slug=f"{template.slug}-{number}",
                seller_id=seller.id,
                name=name,
                search_parts=(
                    category.name,
                    category.name_en,
                    seller.shop_name,
                    regions[seller.id],
                ),
                price_amount=max(1000, template.price_amount + rng.randrange(-5, 6) * 1000),
                stock=rng.randrange(0, 60),
                status=status,
                published_at=published if status == "published" else None,
                created_at=published,
                updated_at=published,
            )
        )
        photo = photos[template.id]
        product_photos.append(
            {
                "id": next_photo + number - next_id,
                "product_id": number,
                "key": photo.key,
                "width": photo.width,
                "height": photo.height,
                "variant_widths": photo.variant_widths,
                "position": 0,
            }
        )
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        with raw.cursor() as cursor:
            for table, columns, rows in (
                ("products", PRODUCT_COLUMNS, products),
                ("product_photos", PHOTO_COLUMNS, product_photos),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
        # The ids were given explicitly: move the sequences past them.
        session.execute(text(RESET_SEQUENCES))
    else:
        for start in range(0, len(products), 5000):
            session.execute(insert(Product.__table__), products[start : start + 5000])
            session.execute(insert(ProductPhoto.__table__), product_photos[start : start + 5000])
    session.commit()
    if connection.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
            autocommit.execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
        session.commit()
    return len(products)


@contextmanager
def counting_statements(engine) -> Iterator[list[tuple[str, object]]]:
    """Record every SQL statement ``engine`` runs (transaction control left out)."""
    from sqlalchemy import event

    statements: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip().upper()
        if not head.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
