"""Printed QR codes: a sheet of labels or table cards for a household's products or shop.

Each label carries the name, the price, a QR code to the page (with the household's share
reference, so a sale from a printed label counts like one from a shared link), the P-IRT
number of a food product and the "Kemasan disetujui PKK" mark when the packaging's
approval holds. The sheets are A4 for paper found in any stationery shop in Kaltara.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.catalog.models import Product, ProductStatus, Seller
from marketplace.db import db
from marketplace.errors import MarketplaceError
from marketplace.pdf import render_pdf
from marketplace.sellers.shares import ShareLink, share_code_of


class PrintError(MarketplaceError):
    pass


@dataclass(frozen=True)
class Layout:
    """A sheet of A4 cut into ``columns`` x ``rows`` pieces of ``width`` x ``height`` mm."""

    name: str
    label: str
    columns: int
    rows: int
    width_mm: float
    height_mm: float
    #: the QR code's side, mm (at least 20 mm reads from arm's length with a cheap phone)
    qr_mm: float
    top_mm: float = 0.0

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


LAYOUTS = {
    # The common A4 label paper of 21 (3 x 7) self-adhesive labels of 70 x 42.3 mm,
    # no side margins and 0.45 mm at the top and the bottom.
    "label": Layout("label", _l("Label A4 3 × 7 (70 × 42,3 mm)"), 3, 7, 70, 42.3, 30, top_mm=0.45),
    # Table cards: A4 cut in four A6 cards (105 x 148.5 mm), to stand on a stall's table.
    "card": Layout("card", _l("Kartu meja A6, 4 per A4"), 2, 2, 105, 148.5, 60),
}


@dataclass(frozen=True)
class PrintItem:
    name: str
    price_amount: int | None
    unit: str
    url: str
    pirt_number: str | None
    pkk_approved: bool
    shop_name: str

    @property
    def qr_svg(self) -> str:
        """The QR code to ``url`` as an SVG data URI (sized by the sheet's CSS), four modules
        of quiet zone as the standard asks, error correction M (15%: a scuffed label reads)."""
        code = segno.make(self.url, error="m", micro=False)
        return code.svg_data_uri(border=4, omitsize=True, dark="#000", light="#fff")


def _site_url(path: str, code: str) -> str:
    base = current_app.config["SITE_URL"].rstrip("/")
    return ShareLink.make("cetak", base + path, "", "", code).url


def pkk_approval_holds(product: Product) -> bool:
    """The packaging mark may be printed: approved, and still as approved (a new photo or
    number sends a product back to the queue, so a published product's approval holds)."""
    return product.packaging_approved_at is not None and product.status == (
        ProductStatus.PUBLISHED.value
    )


def product_item(product: Product, code: str) -> PrintItem:
    return PrintItem(
        name=product.name,
        price_amount=product.price_now,
        unit=product.unit,
        url=_site_url(url_for("catalog.product_detail", slug=product.slug), code),
        pirt_number=product.pirt_number if product.is_food and not product.bpom_number else None,
        pkk_approved=pkk_approval_holds(product),
        shop_name=product.seller.shop_name,
    )


def shop_item(seller: Seller, code: str) -> PrintItem:
    return PrintItem(
        name=seller.shop_name,
        price_amount=None,
        unit="",
        url=_site_url(url_for("catalog.shop", slug=seller.slug), code),
        pirt_number=None,
        pkk_approved=False,
        shop_name=f"{seller.village}, {seller.region.name}",
    )


def printable_products(seller_id: int) -> list[Product]:
    """The household's products a buyer can open from a printed code: the published ones."""
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.seller_id == seller_id, Product.status == ProductStatus.PUBLISHED.value)
            .order_by(Product.name)
        )
    )


def items_to_print(seller: Seller, product_ids: list[int], with_shop: bool) -> list[PrintItem]:
    """What goes on the sheet: the chosen products (all published ones when none is chosen
    and the shop is not either), then the shop."""
    code = share_code_of(seller.id)
    products = printable_products(seller.id)
    if product_ids:
        chosen = [p for p in products if p.id in set(product_ids)]
        if len(chosen) != len(set(product_ids)):
            raise PrintError(_l("Hanya produk Anda yang sudah tampil untuk pembeli bisa dicetak."))
        products = chosen
    elif with_shop:
        products = []
    items = [product_item(product, code) for product in products]
    if with_shop:
        items.append(shop_item(seller, code))
    if not items:
        raise PrintError(_l("Belum ada produk yang tampil untuk pembeli. Cetak kode toko saja."))
    return items


def sheet_pdf(seller: Seller, items: list[PrintItem], layout: Layout) -> bytes:
    """The A4 PDF: the items in order, each sheet a list of (row, column, item); fewer items
    than a sheet holds are repeated to fill it (a sheet of one product's labels for its packs)."""
    if len(items) < layout.per_sheet:
        items = [items[i % len(items)] for i in range(layout.per_sheet)]
    sheets = [
        [
            (index // layout.columns, index % layout.columns, item)
            for index, item in enumerate(items[start : start + layout.per_sheet])
        ]
        for start in range(0, len(items), layout.per_sheet)
    ]
    return render_pdf("sellers/pdf/labels.html", seller=seller, sheets=sheets, layout=layout)
