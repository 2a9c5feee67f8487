"""A person's data, as UU 27/2022 expects: downloaded whole, forgotten at closing except what
finance must keep, and a buyer's contact shown to a household only while it needs it."""

from __future__ import annotations

import io
import json
import zipfile

from marketplace.accounts.models import Role, User
from marketplace.catalog.models import Product
from marketplace.db import db
from marketplace.mail import OutgoingMail, send_mail
from marketplace.orders.models import Order, SavedAddress
from marketplace.reviews.models import Review
from tests import factories
from tests.factories import PASSWORD


def buyer_with_history():
    """A buyer with a delivered, reviewed order and a mail sent to them."""
    buyer = factories.make_user(name="Rina Pembeli", email="rina@contoh.id", phone="+6281234567890")
    review = factories.make_review(rating=4, body="Madunya harum sekali.", user=buyer)
    send_mail("rina@contoh.id", "Pesanan sampai", "Terima kasih sudah berbelanja.")
    db.session.add(
        SavedAddress(
            user_id=buyer.id,
            label="Rumah",
            name="Rina Pembeli",
            whatsapp="+6281234567890",
            province="65",
            city="65.71",
            district="65.71.01",
            street="Jl. Mulawarman No. 7",
            postal_code="77111",
        )
    )
    db.session.flush()
    return buyer, review


def archive_of(response) -> dict[str, object]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {
            name: archive.read(name).decode()
            if name.endswith(".txt")
            else json.loads(archive.read(name))
            for name in archive.namelist()
        }


def test_a_person_downloads_everything_the_site_holds_about_them(client, login_as):
    buyer, review = buyer_with_history()
    login_as(user=buyer)

    page = client.get("/akun/data").get_data(as_text=True)
    assert "Unduh data saya" in page and "Tutup akun saya" in page
    files = archive_of(client.get("/akun/data/unduh"))

    assert set(files) == {
        "BACA-SAYA.txt",
        "akun.json",
        "pesan.json",
        "pesanan.json",
        "ulasan.json",
        "pengajuan_toko.json",
        "alamat.json",
    }
    [account] = files["akun.json"]
    assert (account["nama"], account["email"], account["nomor_hp"]) == (
        "Rina Pembeli",
        "rina@contoh.id",
        "+6281234567890",
    )
    [order] = files["pesanan.json"]
    assert order["nomor"] == db.session.get(Order, review.order_id).number
    assert order["alamat"]["jalan"] == "Jl. Yos Sudarso No. 5"
    assert order["bagian"][0]["barang"][0]["jumlah"] == 1
    assert [r["ulasan"] for r in files["ulasan.json"]] == ["Madunya harum sekali."]
    assert "Pesanan sampai" in [m["judul"] for m in files["pesan.json"]]
    assert [a["jalan"] for a in files["alamat.json"]] == ["Jl. Mulawarman No. 7"]


def test_the_data_pages_are_for_the_signed_in_person_only(client):
    for path in ("/akun/data", "/akun/data/unduh"):
        response = client.get(path)
        assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]
    assert client.post("/akun/tutup", data={"password": PASSWORD}).status_code == 302


def test_closing_forgets_the_person_and_keeps_what_finance_needs(client, login_as):
    buyer, review = buyer_with_history()
    product = db.session.get(Product, review.product_id)
    order_id, total = review.order_id, db.session.get(Order, review.order_id).total_amount
    login_as(user=buyer)

    response = client.post("/akun/tutup", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 302
    assert "Akun Anda sudah ditutup" in client.get("/").get_data(as_text=True)

    db.session.expire_all()
    closed = db.session.get(User, buyer.id)
    assert (closed.name, closed.phone, closed.is_active, closed.roles) == (
        "Akun ditutup",
        None,
        False,
        set(),
    )
    assert closed.email.endswith("@akun.invalid")
    order = db.session.get(Order, order_id)
    assert (order.buyer_id, order.contact_name, order.contact_email, order.street) == (
        None,
        "Akun ditutup",
        "",
        "",
    )
    assert (order.total_amount, order.city) == (total, "Kota Tarakan")
    kept = db.session.get(Review, review.id)
    assert (kept.author_name, kept.body, kept.rating) == ("Akun ditutup", "", 4)
    assert (product.rating_sum, product.rating_count) == (4, 1)
    assert db.session.query(OutgoingMail).filter_by(to="rina@contoh.id").count() == 0
    assert db.session.query(SavedAddress).filter_by(user_id=buyer.id).count() == 0

    refused = client.post(
        "/akun/masuk", data={"login": "rina@contoh.id", "password": PASSWORD}
    ).get_data(as_text=True)
    assert "kata sandi salah" in refused


def test_closing_needs_the_password_and_keeps_the_account_on_a_wrong_one(client, login_as):
    buyer, _review = buyer_with_history()
    login_as(user=buyer)
    response = client.post("/akun/tutup", data={"password": "bukan ini", "understood": "y"})
    assert response.status_code == 400
    assert "Kata sandi salah" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, buyer.id).name == "Rina Pembeli"

    unticked = client.post("/akun/tutup", data={"password": PASSWORD})
    assert unticked.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, buyer.id).is_active


def test_an_open_order_or_a_shop_makes_closing_wait(client, login_as):
    buyer = factories.make_user()
    order = factories.make_paid_order((factories.make_product(stock=3), 1), user=buyer)
    login_as(user=buyer)
    page = client.get("/akun/data").get_data(as_text=True)
    assert f"Pesanan {order.number} masih berjalan" in page and "Tutup akun saya" not in page
    response = client.post("/akun/tutup", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, buyer.id).is_active

    seller = factories.make_seller()
    login_as(user=seller.user)
    assert "ditutup bersama admin" in client.get("/akun/data").get_data(as_text=True)
    assert seller.user.has_role(Role.SELLER)


def test_a_household_sees_the_buyers_contact_until_thirty_days_after_delivery(
    client, login_as, clock
):
    order = factories.make_delivered_order((factories.make_product(stock=3), 1))
    part = order.parts[0]
    login_as(user=part.seller.user)

    shown = client.get(f"/penjual/pesanan/{part.id}").get_data(as_text=True)
    assert "Jl. Yos Sudarso No. 5" in shown and "wa.me/6281234567890" in shown
    assert "disembunyikan mulai" in shown

    clock.move(days=31)
    hidden = client.get(f"/penjual/pesanan/{part.id}").get_data(as_text=True)
    assert "Jl. Yos Sudarso" not in hidden and "wa.me/" not in hidden
    assert "sudah disembunyikan" in hidden and "Tarakan" in hidden
