"""Listing from a phone, as a household seller meets it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from marketplace.catalog.models import PhotoUpload, Product, ProductStatus
from marketplace.db import db
from tests import factories


def _files(*items):
    """Multipart file tuples for the ``photos`` field."""
    return [(io.BytesIO(data), name) for data, name in items]


@pytest.fixture
def seller(login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    return seller


def _products_of(seller):
    return list(db.session.scalars(select(Product).where(Product.seller_id == seller.id)))


def _uploads_count():
    return db.session.scalar(select(func.count(PhotoUpload.id)))


def test_create_a_craft_listing_with_camera_photos(client, seller):
    form = factories.listing_form(
        photos=_files(
            (factories.photo_bytes(colour=(10, 20, 30)), "IMG_0001.jpg"),
            (factories.photo_bytes(colour=(200, 20, 30)), "IMG_0002.jpg"),
        )
    )
    response = client.post("/penjual/produk/baru", data=form)
    assert response.status_code == 302
    [product] = _products_of(seller)
    assert product.status == ProductStatus.DRAFT.value
    assert (product.kind, product.price_amount, product.stock) == ("craft", 150000, 5)
    assert product.pirt_number is None and len(product.photos) == 2
    assert _uploads_count() == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tas Anyaman Rotan Kecil" in page and "Draf" in page and "Ajukan ke PKK" in page


def test_the_create_form_offers_the_gallery_and_the_camera(client, seller):
    html = client.get("/penjual/produk/baru").get_data(as_text=True)
    # Without `capture` a phone offers both; with it, many open only the camera.
    assert 'accept="image/*"' in html and "capture" not in html
    assert "multiple" in html and 'name="idempotency_token"' in html
    assert 'enctype="multipart/form-data"' in html
    # The browser shrinks photos first where it can (tests/e2e); an external script, for the CSP.
    assert 'data-shrink="1280"' in html and "/static/photo-shrink.js?v=" in html
    assert "<script>" not in html


def test_food_needs_its_licence_and_reads_it_as_printed(client, seller):
    response = client.post("/penjual/produk/baru", data=factories.food_form())
    assert response.status_code == 302
    [product] = _products_of(seller)
    assert product.kind == "food" and product.price_amount == 35000
    assert product.pirt_number == "2026571010123-29"
    assert product.licence_valid_until.isoformat() == "2029-12-31"
    assert product.shelf_life_days == 90 and product.halal_number == "ID65711000012345"


def test_made_to_order_keeps_capacity_and_lead_time(client, seller):
    form = factories.listing_form(
        sale_mode="order", stock="", daily_capacity="6", lead_time_days="10"
    )
    assert client.post("/penjual/produk/baru", data=form).status_code == 302
    [product] = _products_of(seller)
    assert product.is_made_to_order and (product.daily_capacity, product.lead_time_days) == (6, 10)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price": "0"}, "Harga harus lebih dari Rp0"),
        ({"price": "-5000"}, "Tulis harga dalam rupiah"),
        ({"price": "35.000,50"}, "Tulis harga dalam rupiah"),
        ({"price": "tiga puluh"}, "Tulis harga dalam rupiah"),
        ({"price": "100.000.001"}, "Harga paling tinggi Rp100.000.000"),
        ({"price": ""}, "Wajib diisi"),
        ({"name": ""}, "Wajib diisi"),
        ({"category_id": "0"}, "Pilih kategori"),
        ({"category_id": "abc"}, "Pilih kategori"),
        ({"stock": "lima"}, "angka bulat"),
        ({"weight_grams": "0"}, "Berat kirim"),
        ({"sale_mode": "order", "daily_capacity": ""}, "bisa dibuat sehari"),
    ],
)
def test_bad_input_comes_back_with_everything_typed(client, seller, overrides, message):
    form = factories.listing_form(**overrides)
    response = client.post("/penjual/produk/baru", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'value="Dianyam tangan' in html or "Dianyam tangan oleh ibu-ibu Malinau." in html
    if overrides.get("price"):
        assert f'value="{overrides["price"]}"' in html
    assert _products_of(seller) == []


@pytest.mark.parametrize(
    ("pirt", "message"),
    [
        ("202657101012329", None),
        ("20265710101-29", "15 angka"),
        ("2026571010123456-29", None),
        ("2026571010123456789012-29", "15 angka"),
        ("7026571010123-29", "jenis kemasan"),
        ("2026411010123-29", "Kalimantan Utara"),
        ("2026571010123-19", "sudah berakhir"),
        ("P-IRT abc", "hanya berisi angka"),
        ("", "wajib punya nomor P-IRT"),
    ],
)
def test_pirt_numbers_are_checked(client, seller, pirt, message):
    response = client.post("/penjual/produk/baru", data=factories.food_form(pirt_number=pirt))
    if message is None:
        assert response.status_code == 302
    else:
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


def test_food_with_a_bpom_md_licence_instead_of_p_irt(client, seller):
    form = factories.food_form(
        name="Kepiting Soka Beku", pirt_number="", bpom_number="bpom ri md 2345 6789 0123"
    )
    assert client.post("/penjual/produk/baru", data=form).status_code == 302
    [product] = _products_of(seller)
    assert product.bpom_number == "BPOM RI MD 234567890123"
    # the number carries no end date, and none is made up
    assert product.pirt_number is None and product.licence_valid_until is None
    edit = client.get(f"/penjual/produk/{product.id}").get_data(as_text=True)
    assert 'value="BPOM RI MD 234567890123"' in edit


@pytest.mark.parametrize(
    ("pirt", "bpom", "message"),
    [
        ("", "BPOM RI MD 12345678901", "12 angka"),
        ("", "BPOM RI MD 1234567890123", "12 angka"),
        ("", "ML 123456789012", "contoh: BPOM RI MD"),
        ("", "", "wajib punya nomor P-IRT atau nomor BPOM MD"),
        ("P-IRT No. 2026571010123-29", "BPOM RI MD 123456789012", "Isi salah satu saja"),
    ],
)
def test_bpom_md_numbers_are_checked(client, seller, pirt, bpom, message):
    form = factories.food_form(pirt_number=pirt, bpom_number=bpom)
    response = client.post("/penjual/produk/baru", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    if bpom:
        assert f'value="{bpom}"' in html
    assert _products_of(seller) == []


def test_failed_form_keeps_the_photos_already_uploaded(client, seller):
    form = factories.listing_form(price="", photos=_files((factories.photo_bytes(), "kemasan.jpg")))
    response = client.post("/penjual/produk/baru", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    [upload] = db.session.scalars(select(PhotoUpload).where(PhotoUpload.seller_id == seller.id))
    assert f'name="upload_ids" value="{upload.id}"' in html
    assert "sudah terkirim" in html
    # The seller fixes the price and sends again: no photo this time, the kept one is used.
    form = factories.listing_form(
        price="150.000",
        upload_ids=[str(upload.id)],
        idempotency_token=form["idempotency_token"],
    )
    assert client.post("/penjual/produk/baru", data=form).status_code == 302
    [product] = _products_of(seller)
    assert [p.key for p in product.photos] == [upload.key]
    assert _uploads_count() == 0


def test_another_sellers_uploads_cannot_be_borrowed(client, seller):
    other = factories.make_seller()
    stolen = PhotoUpload(seller_id=other.id, key="a" * 64, width=10, height=10, variant_widths="10")
    db.session.add(stolen)
    db.session.commit()
    form = factories.listing_form(upload_ids=[str(stolen.id)])
    assert client.post("/penjual/produk/baru", data=form).status_code == 302
    [product] = _products_of(seller)
    assert product.photos == []


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.4 a price list", "daftar.pdf"),
        (b"<html><script>alert(1)</script></html>", "foto.jpg"),
        (b"", "kosong.jpg"),
        (b"PK\x03\x04 zip", "arsip.zip"),
        (factories.photo_bytes()[:1500], "terpotong.jpg"),
    ],
    ids=["pdf", "html-renamed", "empty", "zip", "truncated"],
)
def test_a_file_that_is_not_a_photo_is_refused_with_its_reason(client, seller, data, name):
    form = factories.listing_form(photos=_files((data, name)))
    response = client.post("/penjual/produk/baru", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert name in html
    assert _uploads_count() == 0 and _products_of(seller) == []
    assert 'value="Tas Anyaman Rotan Kecil"' in html


@pytest.mark.parametrize("count", [9, 30])
def test_too_many_photos_at_once_are_refused(client, seller, count):
    photos = _files(*[(factories.photo_bytes(40, 30), f"{n}.jpg") for n in range(count)])
    response = client.post("/penjual/produk/baru", data=factories.listing_form(photos=photos))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Paling banyak 8 foto" in html
    assert _uploads_count() == 0 and _products_of(seller) == []
    assert 'value="Tas Anyaman Rotan Kecil"' in html and 'value="150.000"' in html
    # the page's script refuses them before sending, where it runs
    assert 'data-max-files="8"' in html


def test_a_request_over_the_size_limit_says_what_to_do(client, seller):
    # 30 photos straight from a phone's gallery: far over the 16 MB a request may carry
    body = b"--batas\r\n" + b"\x00" * (17 * 1024 * 1024)
    response = client.post(
        "/penjual/produk/baru", data=body, content_type="multipart/form-data; boundary=batas"
    )
    assert response.status_code == 413
    assert "kirim lebih sedikit foto" in response.get_data(as_text=True)
    assert _uploads_count() == 0


def test_an_iphone_heic_photo_is_listed(client, seller):
    from tests.catalog.test_photos import _iphone_heic

    photos = _files((_iphone_heic(600, 800), "IMG_0042.HEIC"))
    response = client.post("/penjual/produk/baru", data=factories.listing_form(photos=photos))
    assert response.status_code == 302
    [product] = _products_of(seller)
    [photo] = product.photos
    assert (photo.width, photo.height) == (600, 800)


def test_a_repeated_submit_creates_one_product(client, seller):
    form = factories.listing_form(idempotency_token="sama-sekali-sama")
    first = client.post("/penjual/produk/baru", data=dict(form))
    again = client.post("/penjual/produk/baru", data=dict(form))
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert len(_products_of(seller)) == 1


def test_status_never_comes_from_the_form(client, seller):
    form = factories.listing_form(status="published", published_at="2026-01-01", seller_id="1")
    client.post("/penjual/produk/baru", data=form)
    [product] = _products_of(seller)
    assert product.status == "draft" and product.published_at is None
    response = client.post(
        f"/penjual/produk/{product.id}", data=factories.listing_form(status="published")
    )
    assert response.status_code == 302
    db.session.refresh(product)
    assert product.status == "draft"


def test_edit_changes_the_details_and_adds_photos(client, seller):
    product = factories.make_product(seller=seller, status=ProductStatus.DRAFT)
    page = client.get(f"/penjual/produk/{product.id}").get_data(as_text=True)
    assert f'value="{product.name}"' in page
    form = factories.listing_form(
        name="Seraung Dayak Besar",
        price="Rp 275.000",
        photos=_files((factories.photo_bytes(), "baru.jpg")),
    )
    assert client.post(f"/penjual/produk/{product.id}", data=form).status_code == 302
    db.session.refresh(product)
    assert product.name == "Seraung Dayak Besar" and product.price_amount == 275000
    assert len(product.photos) == 2 and "seraung" in product.search_text


def test_reorder_photos_and_pick_the_cover(client, seller):
    product = factories.make_product(seller=seller, status=ProductStatus.DRAFT)
    product.photos.append(
        factories.ProductPhoto(key="b" * 64, width=400, height=400, variant_widths="320,400")
    )
    product.photos.append(
        factories.ProductPhoto(key="c" * 64, width=400, height=400, variant_widths="320,400")
    )
    db.session.flush()
    for position, photo in enumerate(product.photos):
        photo.position = position
    db.session.commit()
    first, second, third = (p.id for p in product.photos)
    base = f"/penjual/produk/{product.id}/foto"
    assert client.post(f"{base}/{third}/sampul").status_code == 302
    client.post(f"{base}/{first}/turun")
    db.session.expire_all()
    assert [p.id for p in product.photos] == [third, second, first]
    assert product.cover.id == third
    client.post(f"{base}/{second}/hapus")
    db.session.expire_all()
    assert [p.id for p in product.photos] == [third, first]


def test_submit_pause_resume_out_of_stock_and_duplicate(client, seller):
    product = factories.make_product(seller=seller, status=ProductStatus.DRAFT, stock=4)
    url = f"/penjual/produk/{product.id}"
    client.post(f"{url}/ajukan")
    db.session.refresh(product)
    assert product.status == "pending_review" and product.submitted_at is not None
    # Only the PKK publishes: pausing what is in review is refused with a message.
    response = client.post(f"{url}/jeda", follow_redirects=True)
    assert "tidak diizinkan" in response.get_data(as_text=True)
    product.status = ProductStatus.PUBLISHED.value
    db.session.commit()
    client.post(f"{url}/jeda")
    db.session.refresh(product)
    assert product.status == "paused"
    assert client.get(f"/produk/{product.slug}").status_code == 404
    client.post(f"{url}/lanjutkan")
    db.session.refresh(product)
    assert product.status == "published"
    client.post(f"{url}/stok-habis")
    db.session.refresh(product)
    assert product.stock == 0
    assert "Stok habis" in client.get(f"/produk/{product.slug}").get_data(as_text=True)
    response = client.post(f"{url}/salin")
    copies = [p for p in _products_of(seller) if p.id != product.id]
    assert len(copies) == 1 and copies[0].status == "draft"
    assert copies[0].name.endswith("(salinan)") and len(copies[0].photos) == 1
    assert response.headers["Location"].endswith(f"/penjual/produk/{copies[0].id}")
    moves = [
        (c.from_status, c.to_status) for c in sorted(product.status_changes, key=lambda c: c.id)
    ]
    assert moves == [
        ("draft", "pending_review"),
        ("published", "paused"),
        ("paused", "published"),
    ]


def test_submitting_without_a_photo_is_refused(client, seller):
    product = factories.make_product(seller=seller, status=ProductStatus.DRAFT)
    product.photos.clear()
    db.session.commit()
    page = client.post(f"/penjual/produk/{product.id}/ajukan", follow_redirects=True)
    assert "minimal satu foto" in page.get_data(as_text=True)
    db.session.refresh(product)
    assert product.status == "draft"


def test_dashboard_lists_my_products_with_their_status(client, seller):
    factories.make_product(seller=seller, name="Madu Kelulut Uji", status=ProductStatus.DRAFT)
    factories.make_product(seller=seller, name="Batik Uji", stock=2)
    factories.make_product(name="Bukan Punya Saya")
    html = client.get("/penjual").get_data(as_text=True)
    assert "Madu Kelulut Uji" in html and "Draf" in html
    assert "Batik Uji" in html and "Tampil" in html and "Stok tinggal 2" in html
    assert "Bukan Punya Saya" not in html


def _seller_urls(product_id: int, photo_id: int) -> list[tuple[str, str]]:
    base = f"/penjual/produk/{product_id}"
    return [
        ("get", base),
        ("post", base),
        *[("post", f"{base}/{action}") for action in ("ajukan", "jeda", "lanjutkan")],
        *[("post", f"{base}/{action}") for action in ("stok-habis", "salin")],
        *[("post", f"{base}/foto/{photo_id}/{a}") for a in ("sampul", "naik", "turun", "hapus")],
    ]


def test_another_sellers_product_does_not_exist_for_me(client, seller):
    theirs = factories.make_product()
    db.session.commit()
    photo_id = theirs.photos[0].id
    for method, url in _seller_urls(theirs.id, photo_id):
        response = getattr(client, method)(url, data=factories.listing_form())
        assert response.status_code == 404, (method, url)
    db.session.refresh(theirs)
    assert theirs.status == "published" and theirs.name.startswith("Produk Uji")


@pytest.mark.parametrize("role", ["buyer", "reviewer", "officer"])
def test_only_sellers_reach_the_seller_pages(client, login_as, role):
    product = factories.make_product()
    login_as(role)
    urls = [("get", "/penjual"), ("get", "/penjual/produk/baru"), ("post", "/penjual/produk/baru")]
    for method, url in urls + _seller_urls(product.id, product.photos[0].id):
        assert getattr(client, method)(url).status_code == 403, (method, url)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/penjual/produk/baru")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


def test_seller_actions_need_the_csrf_token(client, seller, csrf):
    product = factories.make_product(seller=seller, status=ProductStatus.DRAFT)
    db.session.commit()
    assert client.post(f"/penjual/produk/{product.id}/ajukan").status_code == 400
    db.session.refresh(product)
    assert product.status == "draft"


def test_dashboard_warns_about_ending_and_ended_licences(client, seller):
    today = dt.date.today()
    factories.make_product(
        seller=seller,
        name="Dodol Hampir Habis Izin",
        category_slug="manisan",
        licence_valid_until=today + dt.timedelta(days=60),
    )
    ended = factories.make_product(
        seller=seller, name="Terasi Izin Lewat", category_slug="beras-bumbu"
    )
    ended.licence_valid_until = today - dt.timedelta(days=1)
    factories.make_product(seller=seller, name="Kopi Aman", category_slug="madu-kopi")
    html = client.get("/penjual").get_data(as_text=True)
    assert html.count("Perpanjang SPP-IRT sebelum itu") == 1
    assert "Tersembunyi: izin P-IRT sudah berakhir" in html
    assert "Perpanjang SPP-IRT, lalu isi nomor P-IRT yang baru" in html
    assert client.get(f"/produk/{ended.slug}").status_code == 404


def test_a_seller_without_a_shop_is_pointed_to_the_application(client, login_as):
    login_as("seller")
    html = client.get("/penjual").get_data(as_text=True)
    assert "belum punya toko" in html and 'href="/buka-toko"' in html
    assert client.get("/penjual/produk/baru").status_code == 404


def test_dashboard_queries_do_not_grow_with_the_listings(client, seller, count_queries):
    factories.make_product(seller=seller, status=ProductStatus.DRAFT)
    # one awaiting changes already: its request is read only when the page shows one
    factories.make_product(seller=seller, status=ProductStatus.CHANGES_REQUESTED)
    db.session.commit()
    with count_queries() as before:
        assert client.get("/penjual").status_code == 200
    for n in range(15):
        status = ProductStatus.CHANGES_REQUESTED if n % 2 else ProductStatus.PUBLISHED
        factories.make_product(seller=seller, name=f"Produk Tambahan {n}", status=status)
    db.session.commit()
    with count_queries() as after:
        assert client.get("/penjual").status_code == 200
    assert len(after) == len(before) <= 8, after


def test_the_seller_pages_speak_english_too(client, seller):
    client.post("/bahasa", data={"locale": "en"})
    factories.make_product(seller=seller, status=ProductStatus.DRAFT)
    assert "My products" in client.get("/penjual").get_data(as_text=True)
    response = client.post("/penjual/produk/baru", data=factories.listing_form(price="35.000,50"))
    html = response.get_data(as_text=True)
    assert "Write the price in whole rupiah" in html and "Product name" in html


def test_a_seller_pages_words_follow_each_visitors_language(client, seller):
    """The words written once per process and language (labels, hints, statuses, actions)
    are those of each request's language, in whichever order the languages come."""
    product = factories.make_product(seller=seller, status=ProductStatus.DRAFT)
    for locale, words in (
        ("en", ("Product name", "In stock, ready to ship", "Draft", "Submit to the PKK")),
        ("id", ("Nama produk", "Ada stok siap kirim", "Draf", "Ajukan ke PKK")),
        ("en", ("Product name", "In stock, ready to ship", "Draft", "Submit to the PKK")),
    ):
        client.post("/bahasa", data={"locale": locale})
        page = client.get(f"/penjual/produk/{product.id}").get_data(as_text=True)
        assert all(word in page for word in words), (locale, words)
        dashboard = client.get("/penjual").get_data(as_text=True)
        next_step = {
            "en": "Add the packaging photos, then submit to the PKK.",
            "id": "Lengkapi foto kemasan, lalu ajukan ke PKK.",
        }[locale]
        assert next_step in dashboard and words[2] in dashboard


def test_the_edit_page_shows_a_request_for_changes_options_and_promotion(client, seller):
    """The edit form is read as plain rows (``sellers.edit_page``): it shows everything the
    product has, as the page written from the saved product does."""
    from marketplace.catalog.models import PhotoComment, ProductPhoto, Promotion

    product = factories.make_product(seller=seller, status=ProductStatus.DRAFT)
    back = ProductPhoto(key="b" * 64, width=400, height=400, variant_widths="320,400")
    product.photos.append(back)
    factories.make_options(product, ("Pedas", 30000, 4), ("Manis", 32000, 5))
    db.session.add(
        Promotion(
            product=product,
            kind="amount",
            value=5000,
            starts_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
            ends_at=dt.datetime(2090, 1, 1, tzinfo=dt.UTC),
        )
    )
    at = dt.datetime(2026, 3, 2, 4, tzinfo=dt.UTC)
    factories.make_status_change(product, "draft", "pending_review", at)
    change = factories.make_status_change(product, "pending_review", "changes_requested", at)
    change.note = "Kemasan rapi, tinggal dua hal."
    change.photo_comments = [
        PhotoComment(photo_key="b" * 64, note="Label perlu nomor P-IRT."),
        PhotoComment(photo_key="f" * 64, note="Foto lama buram."),
    ]
    product.status = ProductStatus.CHANGES_REQUESTED.value
    db.session.commit()

    page = " ".join(client.get(f"/penjual/produk/{product.id}").get_data(as_text=True).split())
    assert "Catatan PKK:</strong> <p>Kemasan rapi, tinggal dua hal.</p>" in page
    assert "Foto yang sudah diganti: Foto lama buram." in page
    assert "Catatan PKK untuk foto ini:</strong> Label perlu nomor P-IRT." in page
    assert "2 pilihan" in page and "Sedang promo: Rp25.000" in page
    assert "Foto 2: <q>Label perlu nomor P-IRT.</q>" in page
    assert "Foto yang sudah diganti: <q>Foto lama buram.</q>" in page
    history = page[page.index("Riwayat") :]
    assert history.count("<li>") == 2
    assert history.index("Perlu perbaikan") < history.index("Draf → Ditinjau PKK")

    # a refused save writes the same page from the loaded product (the form aside)
    refused = client.post(f"/penjual/produk/{product.id}", data=factories.listing_form(name=""))
    assert refused.status_code == 400
    refused_page = " ".join(refused.get_data(as_text=True).split())
    assert refused_page[: refused_page.index("<form")] == page[: page.index("<form")]
    assert refused_page[refused_page.index("Riwayat") :] == history
