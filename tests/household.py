"""A household at a real household's scale, for the signed-in pages' statement counts and bench.

``build(size)`` makes the people once through the services (a household with a payout
account and its products, a buyer, an office's officer, a reviewer, an admin, and one of
each kind of order, quote, review and invoice), then ``grow(people, size)`` copies those
rows in bulk with Core inserts (explicit ids, children re-pointed at their new parents) until
the household has ``size.products`` products, ``size.parts`` order parts with their ledger
entries, the office ``size.quotes`` quotes, the admin ``size.payouts`` open payouts and the
buyer ``size.cart_lines`` lines in the cart. Growing again to a larger size adds the rest.

Inside an app context (the test's transaction, or a bench's scratch database).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlalchemy import Table, func, insert, select, text

from marketplace.accounts.models import Role, User
from marketplace.catalog.models import Product, ProductStatus, Seller
from marketplace.db import db
from marketplace.money import ledger_sums
from tests import factories


@dataclasses.dataclass(frozen=True)
class Size:
    products: int
    parts: int
    #: products of the household waiting for the PKK's review (part of ``products``)
    in_review: int
    quotes: int
    payouts: int
    invoices: int
    cart_lines: int


#: A handful of rows: what every page is counted at first.
SMALL = Size(products=4, parts=4, in_review=1, quotes=2, payouts=2, invoices=1, cart_lines=2)
#: Large enough that every list is longer than a page (the test's size: the suite stays fast).
GROWN = Size(
    products=90, parts=160, in_review=60, quotes=60, payouts=60, invoices=60, cart_lines=10
)
#: Issue 23's household: 300 products, 5,000 order parts (about 20,000 ledger entries), an
#: office with 500 quotes, 1,000 open payouts, a buyer with 10 cart lines.
FULL = Size(
    products=300, parts=5000, in_review=60, quotes=500, payouts=1000, invoices=100, cart_lines=10
)


#: the newest parts, half of them paid and waiting for the household; the rest delivered
RECENT_PARTS = 40
#: the messages of the newest parts that the household and the buyer have not read (the
#: header counts up to 99, then says "99+"); each part's message and each order's are kept
UNREAD = 120


@dataclasses.dataclass
class People:
    seller: Seller
    buyer: User
    officer: User
    reviewer: User
    admin: User
    #: one part of each kind the household gets: paid (in the inbox), delivered (reviewed)
    template_orders: list[int]
    quote_id: int
    invoice_order_id: int
    payout_run_id: int


def build(size: Size) -> People:
    """The people and one row of each kind, grown to ``size``."""
    people = _people()
    grow(people, size)
    return people


def _people() -> People:
    from marketplace.money.models import PayoutRun

    seller = factories.make_seller(shop_name="Rumah Amplang Besar")
    factories.make_payout_account(seller)
    food = factories.make_product(seller=seller, stock=10**6, category_slug="camilan")
    craft = factories.make_product(seller=seller, stock=10**6, price=150_000)
    buyer = factories.make_user(roles=[Role.BUYER], name="Pembeli Besar")
    paid = factories.make_paid_order((food, 2), (craft, 1), user=buyer)
    delivered = factories.make_delivered_order((food, 1), user=buyer)
    line = delivered.parts[0].lines[0]
    from marketplace.reviews.services import write_review

    write_review(delivered, line.id, rating=4, body="Renyah, gurih.", buyer_id=buyer.id)
    officer = factories.make_officer()
    quote = factories.make_quote(officer, [food, craft])
    gov_order, _quote, _officer, _invoice = factories.make_invoiced_gov_order(
        officer=officer, products=[food, craft]
    )
    run = PayoutRun(period=dt.date(2026, 1, 1), created_count=0)
    db.session.add(run)
    db.session.flush()
    return People(
        seller=seller,
        buyer=buyer,
        officer=officer,
        reviewer=factories.make_user(roles=[Role.REVIEWER]),
        admin=factories.make_user(roles=[Role.ADMIN]),
        template_orders=[paid.id, delivered.id],
        quote_id=quote.id,
        invoice_order_id=gov_order.id,
        payout_run_id=run.id,
    )


# --- bulk copies -----------------------------------------------------------------------------


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _rows(name: str, **where) -> list[dict]:
    table = _table(name)
    stmt = select(table).order_by(table.c.id)
    for column, values in where.items():
        stmt = stmt.where(table.c[column].in_(values))
    return [dict(row) for row in db.session.execute(stmt).mappings()]


class _Ids:
    """The next free id of each table (explicit ids keep children pointing at parents)."""

    def __init__(self):
        self.next: dict[str, int] = {}

    def take(self, name: str) -> int:
        if name not in self.next:
            self.next[name] = (db.session.scalar(select(func.max(_table(name).c.id))) or 0) + 1
        self.next[name] += 1
        return self.next[name] - 1


def _insert(name: str, rows: list[dict]) -> None:
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(_table(name)), rows[start : start + 2000])


def _copies(name: str, templates: list[dict], ids: _Ids, **values) -> tuple[list, dict]:
    """Copies of ``templates`` with new ids and ``values``: the rows and old id → new id."""
    rows, mapping = [], {}
    for template in templates:
        row = dict(template, **values)
        row["id"] = mapping[template["id"]] = ids.take(name)
        rows.append(row)
    return rows, mapping


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def grow(people: People, size: Size) -> None:
    """Add rows until the household, office, admin and buyer are at ``size``."""
    ids = _Ids()
    _grow_products(people, size, ids)
    _grow_orders(people, size, ids)
    _grow_quotes(people, size, ids)
    _grow_invoices(people, size, ids)
    _grow_payouts(people, size, ids)
    _fill_cart(people, size)
    db.session.flush()
    # The rows above went in by Core, past the ORM: the ledger's running sums are
    # back-filled from the entries, as the migration that made them does.
    ledger_sums.rebuild()
    if db.session.connection().dialect.name == "postgresql":
        for name in ids.next:
            # ``name`` is one of this module's table names, never input.
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {name}))"
                )
            )
    db.session.expire_all()


def _grow_products(people: People, size: Size, ids: _Ids) -> None:
    seller_id = people.seller.id
    have = _count(Product, Product.seller_id == seller_id)
    in_review = _count(
        Product,
        Product.seller_id == seller_id,
        Product.status == ProductStatus.PENDING_REVIEW.value,
    )
    templates = _rows("products", seller_id=[seller_id])[:2]
    photos = {
        photo["product_id"]: photo
        for photo in _rows("product_photos", product_id=[t["id"] for t in templates])
    }
    new_products, new_photos = [], []
    for n in range(have, size.products):
        template = templates[n % 2]
        row = dict(template, id=ids.take("products"), slug=f"{template['slug']}-{n}")
        row["name"] = f"{template['name']} {n}"
        if in_review < size.in_review:
            row["status"], row["published_at"] = ProductStatus.PENDING_REVIEW.value, None
            in_review += 1
        new_products.append(row)
        photo = dict(photos[template["id"]], id=ids.take("product_photos"), product_id=row["id"])
        new_photos.append(photo)
    _insert("products", new_products)
    _insert("product_photos", new_photos)


def _grow_orders(people: People, size: Size, ids: _Ids) -> None:
    from marketplace.orders.models import OrderPart

    have = _count(OrderPart, OrderPart.seller_id == people.seller.id)
    orders = _rows("orders", id=people.template_orders)
    children = {
        name: _rows(name, order_id=people.template_orders)
        for name in ("order_parts", "order_events", "payments", "reviews")
    }
    part_ids = [part["id"] for part in children["order_parts"]]
    lines = _rows("order_lines", part_id=part_ids)
    entries = _rows("ledger_entries", order_part_id=part_ids)
    new: dict[str, list[dict]] = {
        name: []
        for name in (
            "orders",
            "order_parts",
            "order_lines",
            "order_events",
            "payments",
            "ledger_entries",
            "reviews",
            "notifications",
        )
    }
    # a new part's message to the household, a new order's to its buyer
    messages = [
        row
        for row in _rows("notifications", user_id=[people.seller.user_id])
        if row["kind"] == "part.new"
    ][:1] + [
        row
        for row in _rows("notifications", user_id=[o["buyer_id"] for o in orders if o["buyer_id"]])
        if row["kind"] == "order.paid"
    ][:1]
    for n in range(have, size.parts):
        # The newest parts alternate between paid (in the inbox) and delivered (reviewed);
        # the older ones were delivered long ago. 5,000 parts span about two years.
        order = orders[n % len(orders)] if n < RECENT_PARTS else orders[-1]
        earlier = dt.timedelta(minutes=210 * (n + 1))
        new_order = ids.take("orders")
        copy = dict(order, id=new_order, access_token=f"bulk{new_order:060d}")
        copy["checkout_key"] = f"bulk-{new_order}"
        _move_back(copy, earlier, "created_at", "expires_at", "paid_at")
        new["orders"].append(copy)
        mine = [p for p in children["order_parts"] if p["order_id"] == order["id"]]
        rows, parts = _copies("order_parts", mine, ids, order_id=new_order)
        for row in rows:
            _move_back(row, earlier, "paid_at")  # as its order's (``OrderPart.paid_at``)
        new["order_parts"] += rows
        rows, line_ids = _copies(
            "order_lines", [line for line in lines if line["part_id"] in parts], ids
        )
        for row in rows:
            row["part_id"] = parts[row["part_id"]]
        new["order_lines"] += rows
        for name in ("order_events", "payments", "reviews"):
            of_order = [row for row in children[name] if row["order_id"] == order["id"]]
            rows, _mapping = _copies(name, of_order, ids, order_id=new_order)
            for row in rows:
                _move_back(row, earlier, "created_at")
                if name == "order_events":
                    row["part_id"] = parts.get(row["part_id"], row["part_id"])
                elif name == "payments":
                    row["intent_id"] = row["idempotency_key"] = f"bulk-{row['id']}"
                else:
                    row["order_line_id"] = line_ids[row["order_line_id"]]
            new[name] += rows
        rows, _mapping = _copies(
            "ledger_entries", [e for e in entries if e["order_part_id"] in parts], ids
        )
        for row in rows:
            old, part = row["order_part_id"], parts[row["order_part_id"]]
            key = re.sub(rf"\bpart-{old}\b", f"part-{part}", row["event_key"])
            row["event_key"] = key if key != row["event_key"] else f"bulk{part}-{key}"[:80]
            row["order_part_id"] = part
            _move_back(row, earlier, "created_at")
        new["ledger_entries"] += rows
        # The household is told of each part, the buyer of each order (copies of the
        # template orders' own messages): read long ago, but for the newest.
        for template in messages:
            row = dict(template, id=ids.take("notifications"), key=f"{template['key']}-{n}")
            row["created_at"] = copy["created_at"]
            row["read_at"] = None if n < UNREAD else copy["created_at"] + dt.timedelta(hours=1)
            new["notifications"].append(row)
    for name, rows in new.items():
        _insert(name, rows)


def _move_back(row: dict, earlier: dt.timedelta, *names: str) -> None:
    for name in names:
        if row.get(name) is not None:
            row[name] = row[name] - earlier


def _grow_quotes(people: People, size: Size, ids: _Ids) -> None:
    from marketplace.institutions.models import Quote

    template = _rows("quotes", id=[people.quote_id])[0]
    have = _count(Quote, Quote.created_by_id == template["created_by_id"])
    lines = _rows("quote_lines", quote_id=[people.quote_id])
    events = _rows("quote_events", quote_id=[people.quote_id])
    quotes, new_lines, new_events = [], [], []
    for n in range(have, size.quotes):
        quote = dict(template, id=ids.take("quotes"), event_name=f"Kunjungan Tamu {n}")
        quote["created_at"] = template["created_at"] - dt.timedelta(hours=n)
        quotes.append(quote)
        new_lines += _copies("quote_lines", lines, ids, quote_id=quote["id"])[0]
        new_events += _copies("quote_events", events, ids, quote_id=quote["id"])[0]
    _insert("quotes", quotes)
    _insert("quote_lines", new_lines)
    _insert("quote_events", new_events)


def _grow_invoices(people: People, size: Size, ids: _Ids) -> None:
    """Open invoices of the office: copies of its invoiced order with their quote and invoice."""
    from marketplace.institutions.models import GovInvoice

    have = _count(GovInvoice)
    order = _rows("orders", id=[people.invoice_order_id])[0]
    invoice = _rows("gov_invoices", order_id=[order["id"]])[0]
    document = _rows("documents", id=[invoice["document_id"]])[0]
    quote = _rows("quotes", id=[order["quote_id"]])[0]
    lines = _rows("quote_lines", quote_id=[quote["id"]])
    new: dict[str, list[dict]] = {
        name: [] for name in ("quotes", "quote_lines", "orders", "documents", "gov_invoices")
    }
    for n in range(have, size.invoices):
        new_quote = ids.take("quotes")
        new["quotes"].append(dict(quote, id=new_quote, number=f"PNW/B/{new_quote}"))
        new["quote_lines"] += _copies("quote_lines", lines, ids, quote_id=new_quote)[0]
        new_order = ids.take("orders")
        copy = dict(order, id=new_order, access_token=f"bulkgov{new_order:057d}")
        copy.update(checkout_key=f"bulk-gov-{new_order}", quote_id=new_quote)
        new["orders"].append(copy)
        new_document = ids.take("documents")
        new["documents"].append(
            dict(document, id=new_document, order_id=new_order, number=f"INV/B/{new_order}")
        )
        bill = dict(invoice, id=ids.take("gov_invoices"), order_id=new_order)
        bill.update(document_id=new_document)
        bill["issued_at"] = invoice["issued_at"] - dt.timedelta(days=n % 120)
        new["gov_invoices"].append(bill)
    for name, rows in new.items():
        _insert(name, rows)


def _grow_payouts(people: People, size: Size, ids: _Ids) -> None:
    """Open payouts (created, not yet exported) of the household and the demo households."""
    from marketplace.money.models import Payout, PayoutStatus

    have = _count(Payout, Payout.status == PayoutStatus.CREATED.value)
    sellers = list(db.session.scalars(select(Seller.id).order_by(Seller.id)))
    rows = []
    for n in range(have, size.payouts):
        payout_id = ids.take("payouts")
        rows.append(
            {
                "id": payout_id,
                "seller_id": sellers[n % len(sellers)],
                "run_id": people.payout_run_id,
                "period": dt.date(2026, 1, 1) - dt.timedelta(days=n // len(sellers)),
                "idempotency_key": f"bulk-payout-{payout_id}",
                "balance_through_entry_id": 1,
                "amount": 50_000 + n,
                "status": PayoutStatus.CREATED.value,
                "method": "bank",
                "account_version": 1,
                "bank_code": "014",
                "account_number": f"{payout_id:010d}",
                "holder_name": "Ibu Uji",
                "reversed_amount": 0,
                "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            }
        )
    _insert("payouts", rows)


def _fill_cart(people: People, size: Size) -> None:
    """The buyer's cart: the household's products first, then other households'."""
    from marketplace.orders.models import CartItem

    have = {
        item.product_id
        for item in db.session.scalars(select(CartItem).where(CartItem.user_id == people.buyer.id))
    }
    published = select(Product).where(
        Product.status == ProductStatus.PUBLISHED.value, Product.stock > 5
    )
    mine = db.session.scalars(published.where(Product.seller_id == people.seller.id).limit(3))
    others = db.session.scalars(
        published.where(Product.seller_id != people.seller.id).order_by(Product.id).limit(20)
    )
    for product in [*mine, *others]:
        if len(have) >= size.cart_lines:
            break
        if product.id in have or not product.photos:
            continue
        db.session.add(
            CartItem(
                user_id=people.buyer.id,
                product_id=product.id,
                quantity=1,
                seen_price_amount=product.price_now,
            )
        )
        have.add(product.id)
    db.session.flush()


def reached(people: People) -> dict[str, int]:
    """What the data set holds, as the issue counts it."""
    from marketplace.institutions.models import Quote
    from marketplace.money.models import LedgerEntry, Payout, PayoutStatus
    from marketplace.notify.models import Notification
    from marketplace.orders.models import CartItem, OrderPart

    seller_id = people.seller.id
    return {
        "products": _count(Product, Product.seller_id == seller_id),
        "order_parts": _count(OrderPart, OrderPart.seller_id == seller_id),
        "ledger_entries": _count(LedgerEntry, LedgerEntry.seller_id == seller_id),
        "quotes": _count(Quote, Quote.created_by_id == people.officer.id),
        "open_payouts": _count(Payout, Payout.status == PayoutStatus.CREATED.value),
        "cart_lines": _count(CartItem, CartItem.user_id == people.buyer.id),
        "household_messages": _count(Notification, Notification.user_id == people.seller.user_id),
    }


# --- the signed-in pages ---------------------------------------------------------------------

#: page → (role, path); ``{…}`` is filled from the people built.
PAGES = {
    "seller_dashboard": ("seller", "/penjual"),
    "product_form": ("seller", "/penjual/produk/{product}"),
    "inbox": ("seller", "/penjual/pesanan"),
    "part": ("seller", "/penjual/pesanan/{part}"),
    "earnings": ("seller", "/penjual/pendapatan"),
    "earning_parts": ("seller", "/penjual/pendapatan/rincian"),
    "statement": ("seller", "/penjual/pendapatan/laporan/{month}.csv"),
    "reviews": ("seller", "/penjual/ulasan"),
    "cart": ("buyer", "/keranjang"),
    "checkout": ("buyer", "/checkout"),
    "officer_dashboard": ("officer", "/instansi/"),
    "builder": ("officer", "/instansi/bingkisan/baru"),
    "quote": ("officer", "/instansi/penawaran/{quote}"),
    "pkk_queue": ("reviewer", "/pkk/tinjauan"),
    "admin_orders": ("admin", "/admin/pesanan"),
    "admin_payouts": ("admin", "/admin/pencairan"),
    "admin_invoices": ("admin", "/instansi/admin/tagihan"),
}


def paths_of(people: People) -> dict[str, tuple[str, str]]:
    """Each page's role and path for these people."""
    from marketplace.catalog.services import today_local
    from marketplace.orders.models import OrderPart

    seller_id = people.seller.id
    values = {
        "product": db.session.scalar(
            select(Product.id).where(Product.seller_id == seller_id).order_by(Product.id)
        ),
        "part": db.session.scalar(
            select(OrderPart.id).where(OrderPart.seller_id == seller_id).order_by(OrderPart.id)
        ),
        "quote": people.quote_id,
        "month": today_local().strftime("%Y-%m"),
    }
    return {page: (role, path.format(**values)) for page, (role, path) in PAGES.items()}


def user_of(people: People, role: str):
    return {
        "seller": people.seller.user,
        "buyer": people.buyer,
        "officer": people.officer,
        "reviewer": people.reviewer,
        "admin": people.admin,
    }[role]
