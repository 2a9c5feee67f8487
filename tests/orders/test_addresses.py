"""Addresses from the official region list, with and without a script; guest checkout by
WhatsApp number; the signed-in buyer's address book."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from marketplace.catalog import places
from marketplace.db import db
from marketplace.jobs import run_pending_jobs
from marketplace.money.payments import open_payment, record_intent
from marketplace.orders.labels import address_line
from marketplace.orders.models import Order, SavedAddress
from tests import factories

TARAKAN = {"province": "65", "city": "65.71", "district": "65.71.01", "postal_code": "77111"}


def orders_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def options_of(html: str, field: str) -> dict[str, str]:
    """{value: label} of a select's options, as the buyer is offered them."""
    found = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert found, field
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', found[1]))


@pytest.fixture
def in_cart(client):
    product = factories.make_product(
        seller=factories.make_seller(region_slug="tarakan", shop_name="Amplang Bu Uji"),
        stock=5,
        price=35000,
    )
    db.session.commit()
    client.post("/keranjang/tambah", data={"product_id": product.id, "quantity": "1"})
    return product


def test_the_list_holds_every_province_and_kabupaten_and_all_of_kaltara_and_kaltim():
    assert len(places.children()) == 38
    assert sum(len(places.children(p.code)) for p in places.children()) == 514
    kaltara = {p.code: p.name for p in places.children("65")}
    assert kaltara == {
        "65.01": "Kabupaten Bulungan",
        "65.02": "Kabupaten Malinau",
        "65.03": "Kabupaten Nunukan",
        "65.04": "Kabupaten Tana Tidung",
        "65.71": "Kota Tarakan",
    }
    assert len(places.children("64")) == 10
    assert sum(len(places.children(code)) for code in kaltara) == 55
    assert [p.name for p in places.children("65.71")] == [
        "Tarakan Barat",
        "Tarakan Tengah",
        "Tarakan Timur",
        "Tarakan Utara",
    ]
    assert places.postal_codes("65.71.01") == ("77111", "77112")
    # the household regions of the catalogue carry the same codes
    assert places.bps_code("65.71") == "6571"


def test_the_lists_as_json_for_the_script(client):
    provinces = client.get("/wilayah/").get_json()["places"]
    assert len(provinces) == 38 and {"code": "65", "name": "Kalimantan Utara"} in provinces
    assert len(client.get("/wilayah/65").get_json()["places"]) == 5
    assert client.get("/wilayah/65.71.01").get_json()["postal_codes"] == ["77111", "77112"]
    for hostile in ("99", "65.99", "6571", "<script>", "65.71.01.1001", "%00", "1" * 5000):
        assert client.get(f"/wilayah/{hostile}").status_code == 404


def test_without_a_script_each_list_opens_after_the_one_above_it(client, in_cart):
    page = client.get("/checkout").get_data(as_text=True)
    assert options_of(page, "province")["65"] == "Kalimantan Utara"
    assert options_of(page, "city")["65.71"] == "Kota Tarakan"
    assert list(options_of(page, "district")) == [""]  # no kabupaten/kota chosen yet
    sent = {
        "action": "recalculate",
        "delivery": "ship",
        "province": "64",
        "street": "Jl. Merdeka 1",
    }
    page = client.post("/checkout", data=sent).get_data(as_text=True)
    cities = options_of(page, "city")
    assert cities["64.72"] == "Kota Samarinda" and "65.71" not in cities
    page = client.post("/checkout", data={**sent, "city": "64.72"}).get_data(as_text=True)
    assert "Sungai Kunjang" in options_of(page, "district").values()
    assert "Jl. Merdeka 1" in page  # what was typed stays


def test_each_address_field_is_labelled_on_both_pages(client, login_as, in_cart):
    pages = {"/checkout": client.get("/checkout").get_data(as_text=True)}
    login_as("buyer")
    pages["/akun/alamat"] = client.get("/akun/alamat").get_data(as_text=True)
    for path, page in pages.items():
        for name, label in (("city", "Kabupaten/kota"), ("postal_code", "Kode pos")):
            assert f'<label for="{name}">{label}</label>' in page, (path, name)
            assert f'id="{name}"' in page


def test_a_kecamatan_of_another_kabupaten_is_refused_with_what_was_typed(client, in_cart):
    typed = vars(factories.checkout_details(district="64.72.01"))  # a kecamatan of Samarinda
    response = client.post("/checkout", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kecamatan ini tidak ada di Kota Tarakan. Pilih dari daftar." in html
    assert "Jl. Yos Sudarso No. 5" in html and 'value="Rina Pembeli"' in html
    assert orders_count() == 0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"province": "65' OR '1'='1"}, "Pilih provinsi dari daftar."),
        ({"province": "Kalimantan Utara"}, "Pilih provinsi dari daftar."),
        ({"city": "<script>alert(1)</script>"}, "tidak ada di provinsi yang dipilih"),
        ({"city": "64.72"}, "tidak ada di provinsi yang dipilih"),
        ({"district": "65.71.01;DROP TABLE orders"}, "Kecamatan ini tidak ada di Kota Tarakan"),
        ({"district": "9" * 10_000}, "Kecamatan ini tidak ada di Kota Tarakan"),
        ({"postal_code": "７７１１１"}, "Kode pos terdiri dari 5 angka."),
        ({"postal_code": "77115"}, "Kode pos 77115 tidak dipakai di Kecamatan Tarakan Barat"),
        ({"whatsapp": "+1 202 555 0100"}, "Nomor HP Indonesia tidak valid"),
        ({"email": "bukan-email"}, "Alamat e-mail tidak valid."),
    ],
)
def test_hostile_or_wrong_address_is_a_clear_refusal(client, in_cart, override, message):
    typed = {**vars(factories.checkout_details()), **override}
    typed.pop("pickup_seller_ids")
    response = client.post("/checkout", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and "Jl. Yos Sudarso No. 5" in html
    assert orders_count() == 0


def test_a_guest_checks_out_with_a_whatsapp_number_only(client, in_cart, inbox, payment_gateway):
    typed = vars(factories.checkout_details(email=""))
    response = client.post("/checkout", data=typed)
    assert response.status_code == 303
    order = db.session.scalars(select(Order)).one()
    assert (order.contact_email, order.contact_whatsapp) == ("", "+6281234567890")
    assert (order.province, order.city, order.district) == (
        "Kalimantan Utara",
        "Kota Tarakan",
        "Tarakan Barat",
    )
    # the private link is how the buyer follows the order
    assert client.get(f"/pesanan/{order.access_token}").status_code == 200
    pay = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rincian pembayaran" in pay
    # the guest can keep the private link in their own WhatsApp
    assert (
        f"https://wa.me/6281234567890?text=http%3A//127.0.0.1%3A5000/pesanan/{order.access_token}"
        in pay
    )
    payment = open_payment(order.id, payment_gateway)
    record_intent(
        payment_gateway.complete(
            payment.intent_id, amount=payment.amount, order_id=order.id, succeed=True
        )
    )
    db.session.commit()
    run_pending_jobs()
    # no mail to nobody; the household still hears, with the buyer's WhatsApp
    assert all(message["To"] for message in inbox.messages)
    [new_order] = [m for m in inbox.messages if "Pesanan baru" in m["Subject"]]
    assert "https://wa.me/6281234567890" in new_order.get_payload(decode=True).decode()


def test_the_address_book(client, login_as, in_cart):
    buyer = login_as("buyer")
    saved = {
        "label": "Rumah",
        "name": "Rina Pembeli",
        "whatsapp": "0812 3456 7890",
        **TARAKAN,
        "street": "Jl. Yos Sudarso No. 5",
        "idempotency_token": factories.form_token(),
    }
    wrong = client.post("/akun/alamat", data={**saved, "district": "65.01.05"})
    assert wrong.status_code == 400
    assert "Kecamatan ini tidak ada di Kota Tarakan" in wrong.get_data(as_text=True)
    assert client.post("/akun/alamat", data=saved).status_code == 303
    # sent again (a retry after the connection dropped): still one address
    assert client.post("/akun/alamat", data=saved).status_code == 303
    [address] = db.session.scalars(select(SavedAddress)).all()
    assert (address.user_id, address.whatsapp, address.district) == (
        buyer.id,
        "+6281234567890",
        "65.71.01",
    )
    book = client.get("/akun/alamat").get_data(as_text=True)
    assert "Jl. Yos Sudarso No. 5, Tarakan Barat, Kota Tarakan, 77111" in book
    # the page's form for the next address carries a token of its own
    [token] = re.findall(r'name="idempotency_token" type="hidden" value="([^"]+)"', book)
    assert token != saved["idempotency_token"]

    # the first saved address is where the checkout starts
    client.post("/keranjang/tambah", data={"product_id": in_cart.id, "quantity": "1"})
    start = client.get("/checkout").get_data(as_text=True)
    assert '<option selected value="65.71.01">' in start and "Jl. Yos Sudarso No. 5" in start
    # chosen at checkout, it fills the form
    page = client.post("/checkout", data={"action": "address", "address": address.id})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Jl. Yos Sudarso No. 5" in html
    assert '<option selected value="65.71.01">' in html

    moved = {**saved, "label": "Kantor", "city": "65.01", "district": "65.01.05"}
    moved["postal_code"] = "77212"
    assert client.post(f"/akun/alamat/{address.id}", data=moved).status_code == 303
    db.session.refresh(address)
    assert (address.label, address.city) == ("Kantor", "65.01")

    other = factories.make_user(email="lain@contoh.id")
    theirs = SavedAddress(
        user_id=other.id,
        label="X",
        name="X",
        whatsapp="+6281234567890",
        province="65",
        city="65.71",
        district="65.71.01",
        street="Jl",
        postal_code="77111",
    )
    db.session.add(theirs)
    db.session.commit()
    assert client.get(f"/akun/alamat/{theirs.id}").status_code == 404
    assert client.post(f"/akun/alamat/{theirs.id}/hapus").status_code == 404
    assert client.post(f"/akun/alamat/{address.id}/hapus").status_code == 303
    assert db.session.scalars(select(SavedAddress.id)).all() == [theirs.id]


def test_a_signed_in_buyer_starts_from_the_accounts_own_contact(client, login_as, in_cart):
    login_as(
        user=factories.make_user(
            name="Rina Pembeli", email="rina@contoh.id", phone="+6281234500001"
        )
    )
    client.post("/keranjang/tambah", data={"product_id": in_cart.id, "quantity": "1"})
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="Rina Pembeli"' in page
    assert 'value="rina@contoh.id"' in page
    assert 'value="+6281234500001"' in page


def test_the_checkout_reads_the_address_book_as_rows_that_agree_with_its_objects(
    client, login_as, in_cart
):
    from marketplace.orders import addresses

    buyer = login_as("buyer")
    other = factories.make_user(email="lain@contoh.id")
    for user, label, street in (
        (buyer, "Rumah", "Jl. <b>Satu</b> & Dua"),
        (other, "X", "Jl. Orang Lain"),
        (buyer, "Kantor", "Jl. Kantor"),
    ):
        db.session.add(
            SavedAddress(
                user_id=user.id,
                label=label,
                name=f"Penerima {label}",
                whatsapp="+6281234567890",
                street=street,
                **TARAKAN,
            )
        )
    db.session.commit()
    fields = ("id", "label", "name", "whatsapp", "province", "city", "district", "street")
    objects = addresses.list_addresses(buyer.id)
    rows = addresses.address_rows(buyer.id)
    assert [tuple(getattr(row, name) for name in (*fields, "postal_code")) for row in rows] == [
        tuple(getattr(address, name) for name in (*fields, "postal_code")) for address in objects
    ]
    assert [row.label for row in rows] == ["Rumah", "Kantor"]
    client.post("/keranjang/tambah", data={"product_id": in_cart.id, "quantity": "1"})
    html = client.get("/checkout").get_data(as_text=True)
    first = rows[0].id
    assert f'id="address-{first}" value="{first}" checked>' in html
    assert "Jl. &lt;b&gt;Satu&lt;/b&gt; &amp; Dua</textarea>" in html  # the first fills the form
    assert "Jl. Orang Lain" not in html and "Penerima Kantor" in html


@pytest.mark.parametrize(
    ("parts", "line"),
    [
        (
            ("Jl. Yos Sudarso No. 5", "Tarakan Barat", "Kota Tarakan", "Kalimantan Utara", "77111"),
            "Jl. Yos Sudarso No. 5, Tarakan Barat, Kota Tarakan, Kalimantan Utara 77111",
        ),
        # a government order's delivery place: no kecamatan, city or postal code of its own
        (
            ("Hotel Luminor, Tanjung Selor", "", "", "Kalimantan Utara", ""),
            "Hotel Luminor, Tanjung Selor, Kalimantan Utara",
        ),
        (("Jl. Mulawarman 1", "", "Kota Tarakan", "", ""), "Jl. Mulawarman 1, Kota Tarakan"),
    ],
)
def test_an_address_is_written_in_one_line_without_its_empty_parts(parts, line):
    names = ("street", "district", "city", "province", "postal_code")
    assert address_line(SimpleNamespace(**dict(zip(names, parts, strict=True)))) == line
