"""Printed QR labels and table cards: read back from the PDF as a phone camera would."""

from __future__ import annotations

import datetime as dt

import pypdfium2
import pytest
import zxingcpp

from marketplace.accounts.models import Role
from marketplace.catalog.models import ProductStatus
from marketplace.db import db, now_utc
from marketplace.sellers.shares import share_code_of
from tests import factories

SITE = "http://127.0.0.1:5000"


def read_pages(pdf: bytes, dpi: int = 200) -> list[tuple[tuple[float, float], list[str], str]]:
    """Each page's size in mm, the QR codes a reader finds on it, and its text."""
    pages = []
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        width, height = page.get_size()
        picture = page.render(scale=dpi / 72).to_pil()
        codes = [
            found.text
            for found in zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)
        ]
        text = " ".join(page.get_textpage().get_text_range().split())
        pages.append(((round(width / 72 * 25.4), round(height / 72 * 25.4)), codes, text))
    document.close()
    return pages


@pytest.fixture
def household(login_as):
    user = factories.make_user(roles=[Role.SELLER])
    seller = factories.make_seller(user=user, shop_name="Amplang Bu Ani")
    amplang = factories.make_product(
        seller=seller, name="Amplang Tenggiri", price=35_000, category_slug="camilan"
    )
    amplang.packaging_approved_at = now_utc() - dt.timedelta(days=3)
    tas = factories.make_product(seller=seller, name="Tas Rotan", price=150_000)
    draft = factories.make_product(
        seller=seller, name="Kue Draf", status=ProductStatus.DRAFT, category_slug="camilan"
    )
    db.session.flush()
    login_as(user=user)
    return seller, amplang, tas, draft


def test_a_sheet_of_labels_for_one_product_reads_back_to_its_page(client, household):
    seller, amplang, _tas, _draft = household
    response = client.get(f"/penjual/cetak.pdf?layout=label&product={amplang.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    [(size, codes, text)] = read_pages(response.data)
    assert size == (210, 297)
    url = f"{SITE}/produk/{amplang.slug}?ref={share_code_of(seller.id)}"
    assert codes == [url] * 21  # A4 3 x 7, every label read
    assert text.count("Amplang Tenggiri") == 21 and text.count("Rp35.000") == 21
    assert text.count("P-IRT No. 2026571019999-30") == 21
    assert text.count("Kemasan disetujui PKK") == 21


def test_table_cards_for_products_and_the_shop(client, household):
    seller, amplang, tas, _draft = household
    response = client.get(
        f"/penjual/cetak.pdf?layout=card&product={amplang.id}&product={tas.id}&shop=1"
    )
    [(size, codes, text)] = read_pages(response.data)
    code = share_code_of(seller.id)
    assert size == (210, 297)
    # Fewer than a sheet holds: repeated in order to fill the four cards.
    assert sorted(codes) == sorted(
        [
            f"{SITE}/produk/{amplang.slug}?ref={code}",
            f"{SITE}/produk/{tas.slug}?ref={code}",
            f"{SITE}/toko/{seller.slug}?ref={code}",
            f"{SITE}/produk/{amplang.slug}?ref={code}",
        ]
    )
    # A craft has no P-IRT, an unapproved packaging no PKK mark.
    assert text.count("Tas Rotan") == 1 and "Rp150.000" in text
    assert text.count("P-IRT No.") == 2 and text.count("Kemasan disetujui PKK") == 2


def test_every_published_product_when_none_is_chosen_over_several_sheets(client, household):
    seller, *_ = household
    for n in range(22):
        factories.make_product(seller=seller, name=f"Produk {n:02}")
    db.session.flush()
    pages = read_pages(client.get("/penjual/cetak.pdf").data, dpi=150)
    assert len(pages) == 2
    assert len(pages[0][1]) == 21 and len(pages[1][1]) == 3  # 24 published products


def test_only_the_households_published_products_print(client, household):
    seller, amplang, _tas, draft = household
    other = factories.make_product(name="Punya Orang Lain")
    db.session.flush()
    for product in (draft, other):
        response = client.get(f"/penjual/cetak.pdf?product={amplang.id}&product={product.id}")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Hanya produk Anda yang sudah tampil" in page
    assert client.get("/penjual/cetak.pdf?layout=poster").status_code == 404


def test_the_print_page_offers_the_papers_and_products(client, household):
    html = client.get("/penjual/cetak").get_data(as_text=True)
    assert "Label A4 3 × 7 (70 × 42,3 mm)" in html and "Kartu meja A6, 4 per A4" in html
    assert "Amplang Tenggiri" in html and "Kue Draf" not in html
