"""Two web processes behind one load balancer share everything a visitor needs.

Two gunicorn instances on two loopback ports, one database (the suite's), one
S3 bucket (moto's server), one Redis; a worker process for the jobs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import boto3
import pytest
from aiosmtpd.controller import Controller
from moto.server import ThreadedMotoServer
from sqlalchemy import create_engine, text

from tests.cleanup import purge_accounts_at, purge_orders_of
from tests.conftest import Inbox, database_url
from tests.servers import ROOT, HttpVisitor, free_port, gunicorn, redis_server

AWS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "ap-southeast-3",
}


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="ap-southeast-3",
    )


@pytest.fixture
def shared(tmp_path):
    """The shared services, and the environment both instances are started with.

    Each of them is this test's own (the database apart, whose rows are this test's):
    the inbox holds only the mails this test's jobs sent.
    """
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3.start()
    host, port = s3.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its buckets for the whole process: a new bucket for each test.
    bucket = f"pasar-multi-{uuid.uuid4().hex[:8]}"
    s3_client(endpoint).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-3"}
    )
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with redis_server() as redis:
        env = {
            **AWS,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis,
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": endpoint,
            "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "SECRET_KEY": "shared-by-every-instance",
            "INSTANCE_PATH": str(tmp_path),
        }
        yield env, inbox
    smtp.stop()
    s3.stop()
    purge_accounts_at("multi.contoh.id")


def run_worker(env: dict) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env={**os.environ, **env, "FLASK_APP": "wsgi:app"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_two_instances_share_sessions_limits_jobs_and_survive_one_stopping(shared):
    env, inbox = shared
    with gunicorn(env) as first, gunicorn(env) as second:
        visitor = HttpVisitor()
        # Signed up through the first instance...
        status, _html, _ = visitor.submit(
            f"{first}/akun/daftar",
            {
                "name": "Ibu Multi",
                "email": "ibu@multi.contoh.id",
                "phone": "",
                "password": "dua server satu pasar",
            },
        )
        assert status == 302
        # ...and signed in on the second: the session is a signed cookie, not process memory.
        status, html, _ = visitor.get(f"{second}/")
        assert status == 200 and "Keluar" in html

        # The welcome mail was queued by the first instance and sent by a worker process.
        assert inbox.messages == []
        run_worker(env)
        assert [m["To"] for m in inbox.messages] == ["ibu@multi.contoh.id"]

        # Sign-in attempts against one account count across both instances (Redis).
        attacker = HttpVisitor()
        statuses = []
        for attempt in range(7):
            base = (first, second)[attempt % 2]
            status, _html, _ = attacker.submit(
                f"{base}/akun/masuk",
                {"login": "ibu@multi.contoh.id", "password": f"salah-{attempt}"},
            )
            statuses.append(status)
        assert statuses[:5] == [400] * 5 and statuses[5:] == [429, 429]

    # Both stopped; a new instance carries on with the same visitor's cookie: nothing lost.
    with gunicorn(env) as third:
        status, html, _ = visitor.get(f"{third}/")
        assert status == 200 and "Keluar" in html


def test_a_photo_stored_by_one_instance_is_served_by_the_other(shared):
    env, _inbox = shared
    key = "photos/multi/320.webp"
    # What an upload through one instance leaves in the bucket...
    s3_client(env["S3_ENDPOINT_URL"]).put_object(
        Bucket=env["S3_BUCKET"], Key=key, Body=b"RIFF0000WEBPVP8 ", ContentType="image/webp"
    )
    # ...every instance serves.
    with gunicorn(env) as first, gunicorn(env) as second:
        for base in (first, second):
            status, _body, headers = HttpVisitor().get(f"{base}/media/{key}")
            assert status == 200 and headers["Content-Type"] == "image/webp"


def test_a_cart_made_through_one_instance_is_paid_through_the_other(shared):
    import re

    env, _inbox = shared
    engine = create_engine(database_url())
    with engine.begin() as connection:
        slug, product_id, stock = connection.execute(
            text(
                "SELECT slug, id, stock FROM products WHERE status = 'published' "
                "AND stock > 3 AND NOT is_made_to_order ORDER BY id LIMIT 1"
            )
        ).one()
    try:
        with gunicorn(env) as first, gunicorn(env) as second:
            buyer = HttpVisitor()
            status, _html, _ = buyer.submit(
                f"{first}/produk/{slug}",
                {"product_id": str(product_id), "quantity": "2"},
                action=f"{first}/keranjang/tambah",
            )
            assert status == 302
            status, html, _ = buyer.get(f"{second}/keranjang")
            assert status == 200 and "Lanjut ke pembayaran" in html
            status, _html, headers = buyer.submit(
                f"{second}/checkout",
                {
                    "checkout_key": "",
                    "name": "Ibu Multi",
                    "email": "pembeli@multi.contoh.id",
                    "whatsapp": "0812 3456 7890",
                    "delivery": "ship",
                    "province": "65",  # Kalimantan Utara
                    "city": "65.71",  # Kota Tarakan
                    "district": "65.71.01",  # Tarakan Barat
                    "street": "Jl. Yos Sudarso No. 5",
                    "postal_code": "77111",
                },
            )
            assert status == 303, _html[:300]
            pay_path = re.sub(r"^https?://[^/]+", "", headers["Location"])
            status, _html, _ = buyer.get(f"{first}{pay_path}")
            assert status == 200
            status, _html, _ = buyer.submit(
                f"{first}{pay_path}", {"outcome": "succeed"}, action=f"{second}{pay_path}/uji"
            )
            assert status == 303
            order_path = pay_path.removesuffix("/bayar")
            status, html, _ = buyer.get(f"{first}{order_path}")
            assert status == 200 and "Dibayar" in html
    finally:
        purge_orders_of("pembeli@multi.contoh.id")
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE products SET stock = :stock WHERE id = :id"),
                {"stock": stock, "id": product_id},
            )
            connection.execute(text("UPDATE catalog_state SET version = version + 1"))
        engine.dispose()


def test_a_stripe_checkout_is_paid_over_http_whichever_instance_hears_first(shared, stripe_server):
    """Stripe (the test server) over real HTTP: the session, its page, the signed webhook."""
    import re

    from tests.stripe_server import WEBHOOK_SECRET

    env, _inbox = shared
    env = {
        **env,
        "STRIPE_SECRET_KEY": stripe_server.secret_key,
        "STRIPE_API_BASE": stripe_server.url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }
    engine = create_engine(database_url())
    with engine.begin() as connection:
        slug, product_id, stock = connection.execute(
            text(
                "SELECT slug, id, stock FROM products WHERE status = 'published' "
                "AND stock > 3 AND NOT is_made_to_order ORDER BY id LIMIT 1"
            )
        ).one()
    try:
        with gunicorn(env) as first, gunicorn(env) as second:
            webhooks = stripe_server.add_webhook_endpoint(f"{first}/stripe/webhook")
            buyer = HttpVisitor()
            buyer.submit(
                f"{first}/produk/{slug}",
                {"product_id": str(product_id), "quantity": "1"},
                action=f"{first}/keranjang/tambah",
            )
            status, _html, headers = buyer.submit(
                f"{second}/checkout",
                {
                    "checkout_key": "",
                    "name": "Ibu Stripe",
                    "email": "stripe@multi.contoh.id",
                    "whatsapp": "0812 3456 7890",
                    "delivery": "ship",
                    "province": "65",  # Kalimantan Utara
                    "city": "65.71",  # Kota Tarakan
                    "district": "65.71.01",  # Tarakan Barat
                    "street": "Jl. Yos Sudarso No. 5",
                    "postal_code": "77111",
                },
            )
            assert status == 303
            pay_path = re.sub(r"^https?://[^/]+", "", headers["Location"])
            # The payment page sends the buyer on to Stripe Checkout.
            status, _html, headers = buyer.get(f"{second}{pay_path}")
            assert status == 303 and headers["Location"].startswith(f"{stripe_server.url}/")
            checkout = headers["Location"]
            status, html, _ = buyer.get(checkout)
            assert status == 200 and "Pay" in html
            # Paying delivers checkout.session.completed to the first instance, signed.
            status, _html, headers = buyer.request(f"{checkout}/pay", {"redirect": "1"})
            assert status == 303
            assert ("checkout.session.completed", 200) in webhooks.sent
            assert all(code == 200 for _type, code in webhooks.sent)
            # Back on the success page of the second instance: already paid, nothing moves.
            back = headers["Location"]
            assert back.startswith(f"{second}{pay_path}/selesai?session_id=cs_test_")
            status, _html, headers = buyer.get(back)
            assert status == 303
            order_path = pay_path.removesuffix("/bayar")
            status, html, _ = buyer.get(f"{first}{order_path}")
            assert status == 200 and "Dibayar" in html
    finally:
        purge_orders_of("stripe@multi.contoh.id")
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE products SET stock = :stock WHERE id = :id"),
                {"stock": stock, "id": product_id},
            )
            connection.execute(text("UPDATE catalog_state SET version = version + 1"))
        engine.dispose()


def gzip_page(url: str, cookie: str = "") -> tuple[str, dict]:
    """A page as a phone asks for it (gzip), without a cookie jar unless one is given."""
    import gzip
    import urllib.request

    headers = {"Accept-Encoding": "gzip", **({"Cookie": cookie} if cookie else {})}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        assert response.status == 200 and response.headers["Content-Encoding"] == "gzip"
        return gzip.decompress(response.read()).decode(), dict(response.headers)


def lane_answers(base: str) -> float:
    import re

    _status, text, _ = HttpVisitor().get(f"{base}/metrics")
    found = re.findall(r'marketplace_cached_pages_total\{[^}]*status="200"\} ([0-9.e+]+)', text)
    return sum(map(float, found))


def shown_within(url: str, text: str, seconds: float) -> bool:
    """Whether visits to ``url`` show ``text`` by ``seconds`` from now (visiting until then)."""
    deadline = time.monotonic() + seconds
    while True:
        html, _headers = gzip_page(url)
        if text in html:
            return True
        if time.monotonic() > deadline:
            return False


def test_a_price_change_reaches_the_cached_pages_of_every_instance(shared):
    """Each instance answers repeated visits from its lane; a change committed anywhere shows
    on either within the version's bound (PAGE_CACHE_PUSH_BOUND_SECONDS, 1 s: PostgreSQL
    pushes it; on SQLite each hit reads it, so at once)."""
    env, _inbox = shared
    engine = create_engine(database_url())
    with engine.begin() as connection:
        slug, product_id, price = connection.execute(
            text(
                "SELECT slug, id, price_amount FROM products WHERE status = 'published' "
                "ORDER BY id LIMIT 1"
            )
        ).one()
    new_price = price + 1000
    shown = f"Rp{new_price:,}".replace(",", ".")
    try:
        with gunicorn(env) as first, gunicorn(env) as second:
            for base in (first, second, first, second):
                html, _headers = gzip_page(f"{base}/produk/{slug}")
                assert shown not in html
            assert lane_answers(first) >= 1 and lane_answers(second) >= 1
            # Every visitor gets the same page from either instance, and no cookie.
            html, headers = gzip_page(f"{first}/produk/{slug}")
            again, again_headers = gzip_page(f"{second}/produk/{slug}")
            assert again == html and "csrf_token" not in html
            assert "Set-Cookie" not in headers and "Set-Cookie" not in again_headers

            with engine.begin() as connection:  # what a household's edit commits
                connection.execute(
                    text("UPDATE products SET price_amount = :price WHERE id = :id"),
                    {"price": new_price, "id": product_id},
                )
                connection.execute(text("UPDATE catalog_state SET version = version + 1"))
            for base in (second, first, second, first):
                assert shown_within(f"{base}/produk/{slug}", shown, seconds=1.0)
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE products SET price_amount = :price WHERE id = :id"),
                {"price": price, "id": product_id},
            )
            connection.execute(text("UPDATE catalog_state SET version = version + 1"))
        engine.dispose()
