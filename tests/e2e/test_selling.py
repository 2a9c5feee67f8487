"""Selling from a phone: opening a shop, and a product through the PKK packaging review.

Two or three people, each on a phone of their own: the household, the PKK reviewer and,
at the end, an anonymous buyer. Everything goes through the pages; the ``accounts``
fixture makes the accounts and removes them, with all the journey added, afterwards.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    Listing,
    add_photos_to_product,
    apply_for_shop,
    assert_fits_the_phone,
    decide_application,
    go_to,
    list_product,
    my_listing,
    new_shop_details,
    open_card,
    open_my_product,
    open_review,
    packaging_photo,
    review_product,
    search_from_header,
    sign_in_as,
    status_label,
    submit_for_review,
)

pytestmark = pytest.mark.e2e


def test_a_person_applies_to_open_a_shop_and_the_pkk_opens_it(open_phone, accounts, tmp_path):
    applicant = accounts.create(name="Ibu Yohana Lundayeh")
    reviewer = accounts.create("reviewer", name="Tim Kemasan Uji")
    shop = new_shop_details(owner_name="Yohana")
    household, pkk = open_phone("household"), open_phone("reviewer")

    sign_in_as(household, applicant)
    apply_for_shop(household, shop, packaging_photo(tmp_path / "dapur.jpg"))
    expect(status_label(household)).to_have_text("Sedang ditinjau")
    expect(household.locator("main")).to_contain_text(f"Pengajuan toko {shop.name} dikirim")
    assert_fits_the_phone(household)
    # Not a seller yet: the seller's pages stay closed.
    expect(household.get_by_role("navigation").get_by_role("link", name="Toko saya")).to_have_count(
        0
    )

    sign_in_as(pkk, reviewer)
    go_to(pkk, "Pengajuan toko")
    waiting = pkk.locator(".listing li").filter(has_text=shop.name)
    expect(waiting).to_contain_text(f"{shop.owner_name} · {shop.village}, Nunukan")
    waiting.get_by_role("link").click()
    expect(pkk.locator(".facts")).to_contain_text(applicant.email)
    expect(pkk.locator(".review-photos img")).to_be_visible()
    assert_fits_the_phone(pkk)
    decide_application(pkk, shop.name, "Setujui dan buka toko", note="Dapur bersih, lanjutkan.")
    expect(pkk.get_by_role("status")).to_have_text(f"Toko {shop.name} dibuka.")
    expect(pkk.locator(".listing li").filter(has_text=shop.name)).to_have_count(0)

    # The household's next page shows the shop: "Buka toko" became "Toko saya".
    household.reload()
    expect(household).to_have_url(re.compile(r"/penjual$"))
    go_to(household, "Toko saya")
    expect(household.get_by_role("heading", level=1)).to_have_text(shop.name)
    expect(household.locator(".empty")).to_contain_text("Belum ada produk.")
    expect(household.get_by_role("link", name="Tambah produk")).to_be_visible()
    assert_fits_the_phone(household)


def test_a_household_lists_a_product_and_the_pkk_reviews_it_until_it_is_public(
    open_phone, accounts, tmp_path
):
    shop = new_shop_details(owner_name="Ibu Marta")
    seller = accounts.create_household(shop, name="Ibu Marta")
    reviewer = accounts.create("reviewer", name="Tim Kemasan Uji")
    word = shop.name.split()[-1]  # random: only this journey's shop and product have it
    listing = Listing(name=f"Tas Rotan Lundayeh {word}")
    household, pkk, buyer = open_phone("household"), open_phone("reviewer"), open_phone("buyer")

    # The household lists the product with a photo from the gallery: a draft.
    sign_in_as(household, seller)
    list_product(household, listing, packaging_photo(tmp_path / "IMG_tas_depan.jpg"))
    expect(household.locator(".photo-list img")).to_have_count(1)
    expect(household.locator(".photo-list .badge")).to_have_text("Sampul")
    assert_fits_the_phone(household)
    submit_for_review(household)
    go_to(household, "Toko saya")
    expect(my_listing(household, listing.name).locator(".status")).to_have_text("Ditinjau PKK")
    expect(my_listing(household, listing.name)).to_contain_text("Menunggu tinjauan PKK.")

    # Nobody else sees it while it waits.
    buyer.goto("/")
    search_from_header(buyer, word)
    # (A search that finds nothing offers other products: none of them is this one.)
    expect(buyer.locator(".card").filter(has_text=listing.name)).to_have_count(0)
    expect(buyer.locator(".empty")).to_contain_text("Belum ada produk yang cocok")

    # The reviewer finds it in the queue and asks for a change.
    sign_in_as(pkk, reviewer)
    go_to(pkk, "Tinjauan PKK")
    queued = pkk.locator(".listing li").filter(has_text=listing.name)
    expect(queued).to_contain_text(f"{shop.name} · Nunukan · Anyaman Rotan")
    expect(queued).to_contain_text("1 foto")
    note = "Foto bagian belakang kemasan belum ada; tambahkan foto label harga dan berat."
    open_review(pkk, listing.name)
    expect(status_label(pkk)).to_have_text("Ditinjau PKK")
    expect(pkk.locator(".facts")).to_contain_text("Rp185.000 / buah")
    assert_fits_the_phone(pkk)
    review_product(pkk, listing.name, "Minta perbaikan", note=note)
    expect(pkk.get_by_role("status")).to_have_text("Permintaan perbaikan dikirim ke penjual.")
    expect(pkk.locator(".listing li").filter(has_text=listing.name)).to_have_count(0)

    # The household sees the status and the reviewer's words, adds a photo, resubmits.
    go_to(household, "Toko saya")
    mine = my_listing(household, listing.name)
    expect(mine.locator(".status")).to_have_text("Perlu perbaikan")
    expect(mine.locator(".note")).to_have_text(f"Catatan PKK: {note}")
    expect(mine).to_contain_text("Perbaiki sesuai catatan, lalu ajukan lagi.")
    open_my_product(household, listing.name)
    expect(status_label(household)).to_have_text("Perlu perbaikan")
    expect(household.get_by_role("note")).to_contain_text(note)
    add_photos_to_product(household, packaging_photo(tmp_path / "IMG_tas_label.jpg", (60, 90, 40)))
    expect(household.locator(".photo-list img")).to_have_count(2)
    expect(household.get_by_role("note")).to_contain_text(note)
    submit_for_review(household)
    expect(household.get_by_role("note")).to_have_count(0)
    expect(household.locator(".history")).to_contain_text(note)

    # The reviewer sees the second photo and the history, and approves.
    open_review(pkk, listing.name)
    expect(pkk.locator(".review-photos figure")).to_have_count(2)
    expect(pkk.locator(".history")).to_contain_text(note)
    review_product(pkk, listing.name, "Setujui kemasan")
    expect(pkk.get_by_role("status")).to_have_text(
        "Kemasan disetujui. Produk sekarang tampil untuk pembeli."
    )

    go_to(household, "Toko saya")
    mine = my_listing(household, listing.name)
    expect(mine.locator(".status")).to_have_text("Tampil")
    expect(mine).to_contain_text("Tampil untuk pembeli.")
    expect(mine.locator(".note")).to_have_count(0)

    # A buyer who never signed in finds it and opens its page.
    search_from_header(buyer, word)
    expect(buyer.locator(".card")).to_have_count(1)
    expect(buyer.locator(".card .price")).to_have_text("Rp185.000")
    expect(buyer.locator(".card-meta")).to_have_text(f"{shop.name} · Nunukan")
    open_card(buyer, listing.name)
    expect(buyer.locator(".summary .price")).to_have_text(re.compile(r"^Rp185\.000 / buah"))
    expect(buyer.locator(".summary .approved")).to_contain_text("Kemasan disetujui PKK")
    expect(buyer.locator(".summary .stock")).to_have_text("Stok: 6")
    expect(buyer.locator(".seller-line")).to_contain_text(f"{shop.village}, Kabupaten Nunukan")
    expect(buyer.locator(".gallery img").first).to_be_visible()
    expect(buyer.locator(".gallery .thumbs img")).to_have_count(1)
    assert_fits_the_phone(buyer)
    buyer.locator(".seller-line").get_by_role("link", name=shop.name).click()
    expect(buyer.get_by_role("heading", level=1)).to_have_text(shop.name)
    expect(buyer.locator(".card-name")).to_have_text([listing.name])


def test_a_photo_added_while_the_reviewer_looks_needs_a_second_look(open_phone, accounts, tmp_path):
    shop = new_shop_details(owner_name="Ibu Lusia")
    seller = accounts.create_household(shop, name="Ibu Lusia")
    reviewer = accounts.create("reviewer", name="Tim Kemasan Uji")
    listing = Listing(name=f"Topi Rotan Krayan {shop.name.split()[-1]}")
    household, pkk = open_phone("household"), open_phone("reviewer")

    sign_in_as(household, seller)
    list_product(household, listing, packaging_photo(tmp_path / "IMG_topi.jpg"))
    submit_for_review(household)
    sign_in_as(pkk, reviewer)
    open_review(pkk, listing.name)
    expect(pkk.locator(".review-photos figure")).to_have_count(1)

    # While the reviewer's page is open, the household adds a photo.
    add_photos_to_product(household, packaging_photo(tmp_path / "IMG_lain.jpg", (20, 20, 120)))
    expect(status_label(household)).to_have_text("Ditinjau PKK")

    pkk.get_by_role("button", name="Setujui kemasan").click()
    expect(pkk.get_by_role("alert")).to_have_text(
        "Foto kemasan berubah sejak halaman ini dibuka. Periksa foto terbaru di bawah."
    )
    expect(pkk.locator(".review-photos figure")).to_have_count(2)
    expect(status_label(pkk)).to_have_text("Ditinjau PKK")

    # Now that the reviewer has seen both photos, the approval goes through.
    pkk.get_by_role("button", name="Setujui kemasan").click()
    expect(pkk.get_by_role("status")).to_have_text(
        "Kemasan disetujui. Produk sekarang tampil untuk pembeli."
    )
    open_my_product(household, listing.name)
    expect(status_label(household)).to_have_text("Tampil")
