"""When the database goes away: 503 with a message, then recovery without a restart.

When Redis goes away: pages, sign-in limits and mail carry on without it."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from marketplace import create_app
from marketplace.db import db
from tests.cleanup import purge_accounts_at, purge_orders_of
from tests.conftest import app_settings, csrf_token_from, database_url
from tests.servers import (
    FreezableProxy,
    HttpVisitor,
    free_port,
    gunicorn,
    redis_server,
    redis_server_process,
)


def test_pages_answer_503_when_the_database_is_down(monkeypatch):
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    app = create_app(
        app_settings(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    for path in ("/", "/produk", "/produk/amplang-ikan-tenggiri", "/search?q=madu"):
        response = app.test_client().get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert "Layanan sedang tidak tersedia" in response.get_data(as_text=True)


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


needs_postgresql = pytest.mark.skipif(
    not database_url().startswith("postgresql"),
    reason="needs PostgreSQL: server-side connection kills do not exist for SQLite",
)


@needs_postgresql
def test_recovers_by_itself_after_its_connections_are_killed(app, tmp_path):
    env = {
        "DATABASE_URL": database_url() + "?application_name=served-under-test",
        "INSTANCE_PATH": str(tmp_path),
        "MEDIA_ROOT": app.config["MEDIA_ROOT"],
    }
    admin = create_engine(database_url(), isolation_level="AUTOCOMMIT")
    with gunicorn(env, workers=1) as base:
        # Warm the worker's pool (readiness asks the database), then kill the server's
        # connections under its feet.
        assert get(f"{base}/readyz") == 200
        with admin.connect() as connection:
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'served-under-test'"
                )
            ).scalar()
        assert killed >= 1
        # pool_pre_ping notices the dead connection and opens a new one: no error at all.
        assert [get(f"{base}/produk") for _ in range(3)] == [200, 200, 200]
    admin.dispose()


BUYERS = 4
ROUNDS = 5
DOMAIN = "tahan.contoh.id"
DETAILS = {
    "checkout_key": "",
    "name": "Ibu Tahan",
    "whatsapp": "0812 3456 7890",
    "delivery": "ship",
    "province": "65",  # Kalimantan Utara
    "city": "65.71",  # Kota Tarakan
    "district": "65.71.01",  # Tarakan Barat
    "street": "Jl. Yos Sudarso No. 5",
    "postal_code": "77111",
}
#: What a buyer may be answered while the database's connections are being killed.
EXPECTED = {200, 302, 303, 503}
KILL_AFTER = (10, 30, 50)  # answered requests after which the served app's backends die


class Traffic:
    """Buyers' answers as they come; the killer waits for the next count to be reached."""

    def __init__(self):
        self.answers: list[tuple[str, int]] = []
        self.changed = threading.Condition()
        self.done = False

    def record(self, what: str, status: int) -> int:
        with self.changed:
            self.answers.append((what, status))
            self.changed.notify_all()
        return status

    def wait_for(self, count: int) -> bool:
        with self.changed:
            self.changed.wait_for(lambda: self.done or len(self.answers) >= count)
            return len(self.answers) >= count


def buy(base: str, slug: str, product_id: int, email: str, traffic: Traffic) -> None:
    """One order, paid in Mode uji; a step answered 503 ends this attempt, as a person gives up."""
    visitor = HttpVisitor()
    status, html, _ = visitor.get(f"{base}/produk/{slug}")
    if traffic.record("product", status) != 200:
        return
    data = {"product_id": str(product_id), "quantity": "1"}  # from the page: no token
    status, _html, _ = visitor.request(f"{base}/keranjang/tambah", data)
    if traffic.record("add", status) != 302:
        return
    status, html, _ = visitor.get(f"{base}/checkout")
    if traffic.record("checkout form", status) != 200:
        return
    form = {**DETAILS, "email": email, "csrf_token": csrf_token_from(html)}
    form["checkout_key"] = re.search(r'name="checkout_key"[^>]*value="([^"]*)"', html).group(1)
    status, _html, headers = visitor.request(f"{base}/checkout", form)
    if traffic.record("checkout", status) != 303:
        return
    pay_path = re.sub(r"^https?://[^/]+", "", headers["Location"])
    status, html, _ = visitor.get(f"{base}{pay_path}")
    if traffic.record("pay page", status) != 200:
        return
    paid = {"outcome": "succeed", "csrf_token": csrf_token_from(html)}
    traffic.record("pay", visitor.request(f"{base}{pay_path}/uji", paid)[0])


def half_written_orders(engine) -> list:
    """Orders of this test lacking a part, a part lacking lines, or money not balanced."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                """
                SELECT o.id, o.status, count(DISTINCT p.id) AS parts,
                       count(DISTINCT l.id) AS lines,
                       (SELECT count(*) FROM order_parts bare WHERE bare.order_id = o.id
                          AND NOT EXISTS (SELECT 1 FROM order_lines x WHERE x.part_id = bare.id))
                         AS parts_without_lines,
                       (SELECT count(*) FROM ledger_entries e JOIN order_parts ep
                          ON ep.id = e.order_part_id WHERE ep.order_id = o.id) AS entries,
                       (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e JOIN order_parts ep
                          ON ep.id = e.order_part_id WHERE ep.order_id = o.id) AS balance
                FROM orders o
                LEFT JOIN order_parts p ON p.order_id = o.id
                LEFT JOIN order_lines l ON l.part_id = p.id
                WHERE o.contact_email LIKE :emails
                GROUP BY o.id, o.status
                """
            ),
            {"emails": f"%@{DOMAIN}"},
        ).all()


@needs_postgresql
def test_killed_connections_mid_traffic_give_503_never_500_and_no_half_order(app, tmp_path):
    """Buyers order and pay while every connection of the served app is killed, three times.

    Each answer is a page, a redirect or a 503 (never a 500); afterwards the app serves and
    sells again by itself; every order is whole: parts with lines, and a paid order's ledger
    entries present and summing to zero (an unpaid one has none).
    """
    application = "resilience-under-test"
    env = {
        "DATABASE_URL": database_url() + f"?application_name={application}",
        "INSTANCE_PATH": str(tmp_path),
        "MEDIA_ROOT": app.config["MEDIA_ROOT"],
    }
    engine = create_engine(database_url())
    admin = create_engine(database_url(), isolation_level="AUTOCOMMIT")
    with engine.begin() as connection:
        slug, product_id, stock = connection.execute(
            text(
                "SELECT slug, id, stock FROM products WHERE status = 'published' "
                "AND NOT is_made_to_order AND price_amount >= 50000 ORDER BY id LIMIT 1"
            )
        ).one()
        connection.execute(
            text("UPDATE products SET stock = 1000 WHERE id = :id"), {"id": product_id}
        )
        connection.execute(text("UPDATE catalog_state SET version = version + 1"))
    traffic = Traffic()
    kills: list[int] = []

    def killer() -> None:
        for count in KILL_AFTER:
            if not traffic.wait_for(count):
                return
            with admin.connect() as connection:
                kills.append(
                    connection.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = :name"
                        ),
                        {"name": application},
                    ).scalar()
                )

    emails = [f"pembeli-{n}@{DOMAIN}" for n in range(BUYERS)]
    try:
        with gunicorn(env, workers=2) as base:
            killing = threading.Thread(target=killer)
            killing.start()
            with ThreadPoolExecutor(BUYERS) as pool:
                for _ in range(ROUNDS):
                    list(pool.map(lambda e: buy(base, slug, product_id, e, traffic), emails))
            with traffic.changed:
                traffic.done = True
                traffic.changed.notify_all()
            killing.join()
            during = list(traffic.answers)
            # No more kills: the very next buyers are served and their orders paid.
            traffic.answers.clear()
            buy(base, slug, product_id, emails[0], traffic)
            after = list(traffic.answers)
        assert len(kills) == len(KILL_AFTER) and sum(kills) >= len(KILL_AFTER)
        unexpected = [(what, status) for what, status in during if status not in EXPECTED]
        assert unexpected == []
        assert [status for _, status in after] == [200, 302, 200, 303, 200, 303]
        orders = half_written_orders(engine)
        assert len(orders) >= 2
        for order in orders:
            assert order.parts >= 1 and order.lines >= 1 and order.parts_without_lines == 0
            assert order.balance == 0
            if order.status == "paid":
                assert order.entries > 0
            elif order.status == "awaiting_payment":
                assert order.entries == 0
    finally:
        for email in emails:
            purge_orders_of(email)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE products SET stock = :stock WHERE id = :id"),
                {"stock": stock, "id": product_id},
            )
            connection.execute(text("UPDATE catalog_state SET version = version + 1"))
        engine.dispose()
        admin.dispose()


def test_when_redis_goes_away_pages_limits_and_mail_carry_on(app, tmp_path):
    """Redis holds the page cache, the sign-in limits and the job queue; losing it loses
    the sharing between processes, never a page, a limit or a mail."""
    import gzip
    from contextlib import ExitStack

    from aiosmtpd.controller import Controller

    from tests.conftest import Inbox, served_env

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    redis = ExitStack()
    env = served_env(
        app,
        tmp_path,
        REDIS_URL=redis.enter_context(redis_server()),
        SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
    )
    engine = create_engine(database_url())
    with engine.connect() as connection:
        slug, name = connection.execute(
            text("SELECT slug, name FROM products WHERE status = 'published' ORDER BY id LIMIT 1")
        ).one()

    def product_page(base: str) -> str:
        request = urllib.request.Request(
            f"{base}/produk/{slug}", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            assert response.status == 200
            return gzip.decompress(response.read()).decode()

    try:
        with gunicorn(env) as base:
            assert name in product_page(base) and name in product_page(base)  # kept in Redis
            redis.close()  # Redis stops

            assert name in product_page(base)  # rendered, as on a cache miss
            visitor = HttpVisitor()
            status, html, _ = visitor.submit(
                f"{base}/akun/daftar",
                {
                    "name": "Ibu Tanpa Redis",
                    "email": "ibu@redis.contoh.id",
                    "phone": "",
                    "password": "antrean sedang rehat",
                },
            )
            assert status == 302, html
            # The welcome mail's job could not be queued: it ran in the web process.
            assert [m["To"] for m in inbox.messages] == ["ibu@redis.contoh.id"]

            attacker = HttpVisitor()
            statuses = [
                attacker.submit(
                    f"{base}/akun/masuk",
                    {"login": "ibu@redis.contoh.id", "password": f"salah-{attempt}"},
                )[0]
                for attempt in range(7)
            ]
            # The per-account limit holds in the process's memory meanwhile.
            assert statuses[:5] == [400] * 5 and statuses[5:] == [429, 429]
    finally:
        redis.close()
        smtp.stop()
        purge_accounts_at("redis.contoh.id")
        engine.dispose()


GZIP = {"Accept-Encoding": "gzip"}


@needs_postgresql
def test_a_frozen_database_gives_the_503_page_and_cached_pages_still_answer(app, monkeypatch):
    """PostgreSQL stops answering (a relay between this app and it stops relaying: the
    server looks exactly as if it were stopped with SIGSTOP, without stopping the one
    every worktree shares). A page that must read the database is the 503 page within the
    timeouts; a page already stored keeps being served; once the database answers again
    the app serves everything, by itself."""
    from sqlalchemy.engine import make_url

    target = make_url(database_url())
    proxy = FreezableProxy(target.host or "127.0.0.1", target.port or 5432)
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    frozen = create_app(
        app_settings(
            SQLALCHEMY_DATABASE_URI=url, DATABASE_STATEMENT_TIMEOUT=1, DATABASE_CONNECT_TIMEOUT=2
        )
    )
    with frozen.app_context():
        seen, unseen = db.session.scalars(
            text("SELECT slug FROM products WHERE status = 'published' ORDER BY id LIMIT 2")
        ).all()
        db.session.remove()
    client = frozen.test_client()
    try:
        assert client.get(f"/produk/{seen}", headers=GZIP).status_code == 200  # now stored
        proxy.freeze()
        with ThreadPoolExecutor(1) as pool:
            # A generous bound: without timeouts these would wait as long as the freeze.
            stored = pool.submit(client.get, f"/produk/{seen}", headers=GZIP).result(timeout=30)
            fresh = pool.submit(client.get, f"/produk/{unseen}").result(timeout=30)
            again = pool.submit(client.get, f"/produk/{seen}", headers=GZIP).result(timeout=30)
        assert stored.status_code == 200 and again.status_code == 200
        assert fresh.status_code == 503
        assert "Layanan sedang tidak tersedia" in fresh.get_data(as_text=True)
        proxy.thaw()
        assert client.get(f"/produk/{unseen}").status_code == 200
    finally:
        proxy.close()
        frozen.extensions["cached_pages_lane"].close()
        with frozen.app_context():
            db.engine.dispose()


def test_a_frozen_redis_costs_one_timeout_not_one_per_request(app, monkeypatch, caplog):
    """Redis stops (SIGSTOP) with pages kept in it: the first request waits for it once,
    then the breaker skips it and every page is rendered, without waiting again."""
    import signal
    import time

    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    with redis_server_process() as (url, process):
        served = create_app(app_settings(REDIS_URL=url, REDIS_PAUSE_SECONDS=600))
        client = served.test_client()
        with served.app_context():
            slugs = db.session.scalars(
                text("SELECT slug FROM products WHERE status = 'published' ORDER BY id LIMIT 5")
            ).all()
            db.session.remove()
        paths = [f"/produk/{slug}" for slug in slugs] * 4
        assert client.get(paths[0], headers=GZIP).status_code == 200  # kept in Redis
        process.send_signal(signal.SIGSTOP)
        started = time.monotonic()
        statuses = [client.get(path, headers=GZIP).status_code for path in paths]
        elapsed = time.monotonic() - started
        ready = client.get("/readyz")
        process.send_signal(signal.SIGCONT)
        served.extensions["cached_pages_lane"].close()
        with served.app_context():
            db.engine.dispose()
    assert statuses == [200] * len(paths)
    opened = [r for r in caplog.records if r.getMessage().startswith("Redis failed")]
    assert len(opened) == 1  # one wait for Redis, then it was skipped
    # Each request would otherwise wait twice (read, then keep the page): 20 s at least.
    assert elapsed < len(paths) * 0.5, f"{len(paths)} requests took {elapsed:.1f} s"
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"


def test_the_breaker_tries_again_after_its_pause():
    from marketplace.breaker import Breaker

    now = [0.0]
    breaker = Breaker("Redis", pause=10, clock=lambda: now[0])
    assert breaker.allows()
    breaker.failed(TimeoutError())
    now[0] = 9.9
    assert not breaker.allows()
    now[0] = 10
    assert breaker.allows()  # one more try
    breaker.failed(TimeoutError())
    now[0] = 15
    assert not breaker.allows()  # failed again: another pause
    now[0] = 20
    breaker.succeeded()
    assert breaker.allows()


def test_cached_pages_use_the_last_catalogue_version_only_for_a_while():
    from marketplace.pagecache import KnownVersion

    now = [0.0]
    known = KnownVersion(stale_seconds=300, clock=lambda: now[0])

    def down() -> int:
        raise ConnectionError("database away")

    with pytest.raises(ConnectionError):
        known.read(down)  # nothing read before: the error is the app's 503 page
    assert known.read(lambda: 7) == 7
    now[0] = 100
    assert known.read(down) == 7  # the database fails: the pages stored under 7 answer
    now[0] = 401
    with pytest.raises(ConnectionError):
        known.read(down)  # more than 300 s after the last good read: no longer
