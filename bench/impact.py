"""The PKK impact report on PostgreSQL with 1,000 households and their products' history.

A scratch database ``bench_impact_<pid>``, migrated, with the demo data, grown in bulk
(executemany, then VACUUM ANALYZE): ``HOUSEHOLDS`` households (an account and a shop each,
opened over the last two years across the kabupaten), ``PRODUCTS_EACH`` products each with
their review history (submitted, sometimes sent back and resubmitted, approved, some
paused later), training sessions with their attendees, packaging help and capital
assistance; then ``ORDER_PARTS`` paid order parts (one order, part and line each, spread
over the last ``ORDER_DAYS`` days; 1 in 20 cancelled, the first ``GOVERNMENT_ORDERS`` made
from quotations of the demo institution), inserted by three ``INSERT … SELECT FROM
generate_series`` statements. The report for the default period (twelve months up to
today, the province) is built by ``report.impact_report`` (the service, in a fresh
session each run) and rendered by ``/pkk/laporan`` through the test client signed in as
the demo reviewer: a few warm-ups, then the median of ``RUNS``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time

from bench.common import counting_statements, log, median, product_row
from bench.common import scratch_app as make_app
from bench.scale import SERVER, _admin, _summary

HOUSEHOLDS = 1_000
PRODUCTS_EACH = 10
TRAININGS = 40
ATTENDEES_EACH = 30
PACKAGING_HELPS = 600
CAPITAL_GIFTS = 300
ORDER_PARTS = 100_000
ORDER_DAYS = 450
GOVERNMENT_ORDERS = 2_000
RUNS = int(os.environ.get("BENCH_IMPACT_RUNS", "9"))
WARMUP = 2
REVIEWER = "pkk@demo.id"


def _next_id(session, model) -> int:
    from sqlalchemy import func, select

    return (session.scalar(select(func.max(model.id))) or 0) + 1


def grow_households(seed: int = 2026) -> dict[str, int]:
    """Add the households, products, status history and assistance; returns the counts."""
    from sqlalchemy import insert, select, text

    from marketplace.accounts.models import User
    from marketplace.catalog.models import Product, ProductStatusChange, Region, Seller
    from marketplace.db import db, now_utc
    from marketplace.pkk.models import (
        CapitalAssistance,
        PackagingHelp,
        TrainingSession,
        training_attendances,
    )

    session = db.session
    rng = random.Random(seed)
    now = now_utc()
    regions = session.execute(select(Region.id, Region.name)).all()
    templates = session.scalars(select(Product).where(Product.is_made_to_order.is_(False))).all()
    categories = {t.category_id: t.category for t in templates}
    user_id, seller_id = _next_id(session, User), _next_id(session, Seller)
    product_id, change_id = _next_id(session, Product), _next_id(session, ProductStatusChange)

    def ago(days: float) -> dt.datetime:
        return now - dt.timedelta(days=days)

    users, sellers, products, changes = [], [], [], []
    households: list[tuple[int, dt.datetime]] = []
    product_owners: list[tuple[int, int]] = []
    for number in range(HOUSEHOLDS):
        opened = ago(rng.uniform(1, 730))
        region_id, region_name = rng.choice(regions)
        uid, sid = user_id + number, seller_id + number
        users.append(
            {
                "id": uid,
                "name": f"Ibu Rumah Tangga {number}",
                "email": f"rumah{number}@bench.invalid",
                "phone": None,
                "password_hash": "!",
                "session_token": f"bench-impact-{number}",
                "locale": None,
                "is_active_account": True,
                "created_at": opened,
            }
        )
        shop = f"Dapur Kaltara {number}"
        sellers.append(
            {
                "id": sid,
                "slug": f"dapur-kaltara-{number}",
                "shop_name": shop,
                "owner_name": f"Ibu Rumah Tangga {number}",
                "story": "",
                "region_id": region_id,
                "village": "Desa Uji",
                "whatsapp": f"+62812{number:07d}",
                "nib": None,
                "user_id": uid,
                "status": "active",
                "since_year": 2015,
                "is_vat_registered": False,
                "created_at": opened,
            }
        )
        households.append((sid, opened))
        for _ in range(PRODUCTS_EACH):
            pid = product_id + len(products)
            template = rng.choice(templates)
            category = categories[template.category_id]
            created = opened + dt.timedelta(days=rng.uniform(0, (now - opened).days or 1))
            # The review history: submitted, maybe sent back and resubmitted, approved.
            moves = [("draft", "pending_review", created + dt.timedelta(hours=2))]
            at = moves[-1][2]
            status = "pending_review"
            if rng.random() < 0.3:
                at += dt.timedelta(days=rng.uniform(0.2, 6))
                moves.append(("pending_review", "changes_requested", at))
                at += dt.timedelta(days=rng.uniform(0.5, 10))
                moves.append(("changes_requested", "pending_review", at))
            if rng.random() < 0.9:
                at += dt.timedelta(days=rng.uniform(0.2, 6))
                if at < now:
                    moves.append(("pending_review", "published", at))
                    status = "published"
                    if rng.random() < 0.1:
                        at += dt.timedelta(days=rng.uniform(1, 60))
                        if at < now:
                            moves.append(("published", "paused", at))
                            status = "paused"
            moves = [m for m in moves if m[2] < now]
            published_at = next((m[2] for m in moves if m[1] == "published"), None)
            name = f"{template.name} {number}-{len(products)}"
            products.append(
                product_row(
                    template,
                    id=pid,
                    slug=f"{template.slug}-rt-{pid}",
                    seller_id=sid,
                    name=name,
                    search_parts=(category.name, category.name_en, shop, region_name),
                    stock=rng.randrange(0, 40),
                    is_made_to_order=False,
                    status=status,
                    published_at=published_at,
                    created_at=created,
                    updated_at=moves[-1][2] if moves else created,
                )
            )
            product_owners.append((pid, sid))
            for from_status, to_status, moved_at in moves:
                changes.append(
                    {
                        "id": change_id + len(changes),
                        "product_id": pid,
                        "from_status": from_status,
                        "to_status": to_status,
                        "actor_id": None,
                        "note": "",
                        "photo_keys": "",
                        "created_at": moved_at,
                    }
                )

    today = now.date()
    training_id = _next_id(session, TrainingSession)
    trainings, attendances = [], []
    for number in range(TRAININGS):
        held = today - dt.timedelta(days=rng.randrange(0, 540))
        trainings.append(
            {
                "id": training_id + number,
                "held_on": held,
                "topic": f"Kemasan dan label P-IRT {number}",
                "place": "Aula PKK",
                "notes": "",
                "recorded_by_id": None,
                "created_at": now,
            }
        )
        for sid, _ in rng.sample(households, ATTENDEES_EACH):
            attendances.append({"training_session_id": training_id + number, "seller_id": sid})
    helps = []
    for pid, sid in rng.sample(product_owners, PACKAGING_HELPS):
        helps.append(
            {
                "product_id": pid,
                "seller_id": sid,
                "given_on": today - dt.timedelta(days=rng.randrange(0, 540)),
                "description": "Label dan kemasan baru",
                "recorded_by_id": None,
                "created_at": now,
            }
        )
    gifts = []
    for sid, _ in rng.sample(households, CAPITAL_GIFTS):
        gifts.append(
            {
                "seller_id": sid,
                "giver": "Disperindagkop UMKM Provinsi Kaltara",
                "given_on": today - dt.timedelta(days=rng.randrange(0, 540)),
                "description": "modal usaha",
                "value_amount": rng.randrange(1, 20) * 500_000,
                "recorded_by_id": None,
                "created_at": now,
            }
        )
    for table, rows in (
        (User.__table__, users),
        (Seller.__table__, sellers),
        (Product.__table__, products),
        (ProductStatusChange.__table__, changes),
        (TrainingSession.__table__, trainings),
        (training_attendances, attendances),
        (PackagingHelp.__table__, helps),
        (CapitalAssistance.__table__, gifts),
    ):
        for start in range(0, len(rows), 5000):
            session.execute(insert(table), rows[start : start + 5000])
    # The ids were given explicitly: move the sequences past them.
    for table in ("users", "sellers", "products", "product_status_changes", "training_sessions"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        )
    session.commit()
    orders = grow_orders(seller_id, product_id)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.execute(text("VACUUM ANALYZE"))
    return {
        **orders,
        "households": len(sellers),
        "products": len(products),
        "status_changes": len(changes),
        "training_attendances": len(attendances),
        "packaging_helps": len(helps),
        "capital_assistances": len(gifts),
    }


#: One row per order to make: its product (the households' products in turn), quantity,
#: payment moment and part status. ``:n`` rows; government orders buy 20 of a product.
_PLAN = """
    SELECT g,
           :first_product + (g % :households) * :each + (g / :households) % :each AS product_id,
           CASE WHEN g <= :government THEN 20 ELSE 1 + g % 3 END AS quantity,
           now() - make_interval(mins => (g * 7919) % (:days * 1440)) AS paid_at,
           CASE WHEN g % 20 = 0 THEN 'cancelled' WHEN g % 7 = 0 THEN 'accepted'
                ELSE 'delivered' END AS part_status
    FROM generate_series(1, :n) AS g
"""


def grow_orders(first_seller: int, first_product: int) -> dict[str, int]:
    """``ORDER_PARTS`` paid orders of the households' products, each statement set-based."""
    from sqlalchemy import func, select, text

    from marketplace.accounts.models import User
    from marketplace.db import db
    from marketplace.institutions.models import Institution, Quote
    from marketplace.orders.models import Order, OrderLine, OrderPart

    session = db.session
    institution = session.scalar(select(Institution.id).order_by(Institution.id).limit(1))
    officer = session.scalar(select(func.min(User.id)))
    ids = {
        "first_order": _next_id(session, Order),
        "first_part": _next_id(session, OrderPart),
        "first_line": _next_id(session, OrderLine),
        "first_quote": _next_id(session, Quote),
    }
    params = {
        **ids,
        "n": ORDER_PARTS,
        "households": HOUSEHOLDS,
        "each": PRODUCTS_EACH,
        "first_product": first_product,
        "government": GOVERNMENT_ORDERS,
        "days": ORDER_DAYS,
        "institution": institution,
        "officer": officer,
    }
    statements = [
        """
        INSERT INTO quotes (id, institution_id, created_by_id, number, status, event_name,
            budget_code, rup_code, box_count, card_text, delivery_date, delivery_time,
            delivery_place, goods_amount, card_amount, shipping_amount, ppn_amount,
            total_amount, pph22_amount, created_at)
        SELECT :first_quote + g - 1, :institution, :officer, 'PNW/BENCH/' || g, 'ordered',
            'Kunjungan kerja', '5.1.02.01.01.0026', '', 20, '', current_date, '', 'Pendopo',
            0, 0, 0, 0, 0, 0, now()
        FROM generate_series(1, :government) AS g
        """,
        """
        INSERT INTO orders (id, access_token, checkout_key, status, contact_name,
            contact_email, contact_whatsapp, delivery, province, city, district, street,
            postal_code, items_amount, shipping_amount, total_amount, created_at, expires_at,
            paid_at, quote_id)
        SELECT :first_order + plan.g - 1, 'bench-' || plan.g, 'bench-' || plan.g, 'paid',
            'Pembeli Uji', 'pembeli@bench.invalid', '+6281200000000', 'ship',
            'Kalimantan Utara', 'Tarakan', '', '', '', p.price_amount * plan.quantity, 15000,
            p.price_amount * plan.quantity + 15000, plan.paid_at - interval '1 hour',
            plan.paid_at + interval '1 hour', plan.paid_at,
            CASE WHEN plan.g <= :government THEN :first_quote + plan.g - 1 END
        FROM (PLAN) AS plan JOIN products p ON p.id = plan.product_id
        """,
        """
        INSERT INTO order_parts (id, order_id, seller_id, shop_name, status, items_amount,
            shipping_amount, weight_grams, courier, tracking_number, commission_rate_bp,
            paid_at)
        SELECT :first_part + plan.g - 1, :first_order + plan.g - 1, p.seller_id, s.shop_name,
            plan.part_status, p.price_amount * plan.quantity, 15000,
            p.weight_grams * plan.quantity, '', '', 500, plan.paid_at
        FROM (PLAN) AS plan JOIN products p ON p.id = plan.product_id
            JOIN sellers s ON s.id = p.seller_id
        """,
        """
        INSERT INTO order_lines (id, part_id, product_id, product_name, unit,
            unit_price_amount, quantity, line_amount)
        SELECT :first_line + plan.g - 1, :first_part + plan.g - 1, p.id, p.name, p.unit,
            p.price_amount, plan.quantity, p.price_amount * plan.quantity
        FROM (PLAN) AS plan JOIN products p ON p.id = plan.product_id
        """,
    ]
    for statement in statements:
        session.execute(text(statement.replace("PLAN", _PLAN)), params)
    for table in ("quotes", "orders", "order_parts", "order_lines"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        )
    session.commit()
    return {"order_parts": ORDER_PARTS, "government_orders": GOVERNMENT_ORDERS}


def _time(action) -> float:
    for _ in range(WARMUP):
        action()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return round(median(timings), 2)


def _explain(engine, statements) -> list[dict]:
    """Each statement of the report with its server-side execution time, slowest first."""
    plans = []
    with engine.connect() as connection:
        for sql, parameters in statements:
            plan = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, parameters
            ).scalar()[0]
            plans.append(
                {
                    "sql": " ".join(sql.split())[:140],
                    "ms": round(plan["Execution Time"], 2),
                    "top": _summary(plan["Plan"]),
                }
            )
    return sorted(plans, key=lambda p: -p["ms"])


def run() -> tuple[dict, dict]:
    from sqlalchemy import select

    from marketplace.accounts.models import User
    from marketplace.catalog.services import today_local
    from marketplace.db import db
    from marketplace.pkk import periods, report

    name = f"bench_impact_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        app = make_app(f"{SERVER}/{name}", "impact")
        started = time.perf_counter()
        with app.app_context():
            counts = grow_households()
            token = db.session.scalar(select(User.session_token).where(User.email == REVIEWER))
            db.session.remove()
        log(f"impact: {counts} loaded in {time.perf_counter() - started:.1f} s")
        # The page's default period: twelve months up to today, the whole province.
        today = today_local()
        start = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
        period = periods.Period(start, today)

        def build():
            with app.app_context():
                built = report.impact_report(period)
                db.session.remove()
            return built

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True

        def page():
            response = client.get("/pkk/laporan")
            if response.status_code != 200:
                raise RuntimeError(f"/pkk/laporan answered {response.status_code}")

        report_ms = _time(build)
        page_ms = _time(page)
        with app.app_context():
            engine = db.engine
        with counting_statements(engine) as statements:
            built = build()
        log(f"impact: report {report_ms} ms, page {page_ms} ms, {len(statements)} statements")
        plans = _explain(engine, statements)
        with app.app_context():
            db.engine.dispose()
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result = {"report_ms": report_ms, "page_ms": page_ms, "statements": len(statements), **counts}
    notes = {
        "database": name,
        "runs": RUNS,
        "period": [period.start.isoformat(), period.end.isoformat()],
        "statements": len(statements),
        "sql_ms": round(sum(plan["ms"] for plan in plans), 2),
        "slowest": plans[:3],
        "figures": {
            "active_households": built.active_households,
            "new_households": built.new_households,
            "products_published": built.products_published,
            "reviews_submitted": built.reviews.submitted,
            "assisted_households": len(built.assisted),
            "revenue_amount": built.revenue_amount,
            "government_share_percent": built.government_share_percent,
        },
    }
    return result, notes
