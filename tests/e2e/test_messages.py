"""Messages in Chromium: the PKK asks for changes; the household sees the unread count in
the header, opens the message in its inbox, lands on the product, fixes it and sends it
back; the count is gone. The inbox and its count need no JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    Listing,
    add_photos_to_product,
    assert_fits_the_phone,
    list_product,
    new_shop_details,
    packaging_photo,
    review_product,
    sign_in_as,
    status_label,
    submit_for_review,
)

pytestmark = pytest.mark.e2e


def test_the_pkk_asks_for_changes_and_the_household_fixes_them_from_its_inbox(
    open_phone, accounts, tmp_path
):
    shop = new_shop_details(owner_name="Ibu Sari")
    seller = accounts.create_household(shop, name="Ibu Sari")
    reviewer = accounts.create("reviewer", name="Tim Kemasan Uji")
    listing = Listing(name=f"Seraung Dayak {shop.name.split()[-1]}")
    household, pkk = open_phone("household"), open_phone("reviewer")

    sign_in_as(household, seller)
    list_product(household, listing, packaging_photo(tmp_path / "IMG_seraung.jpg"))
    submit_for_review(household)
    expect(household.locator(".notes-link")).to_have_text("Pemberitahuan")

    note = "Label belum memuat nama dan alamat rumah produksi."
    sign_in_as(pkk, reviewer)
    review_product(pkk, listing.name, "Minta perbaikan", note=note)

    # The household's next page, even without JavaScript, counts the unread message.
    quiet = open_phone("household-no-js", java_script_enabled=False)
    sign_in_as(quiet, seller)
    expect(quiet.locator(".notes-link")).to_have_text("Pemberitahuan 1 belum dibaca")
    quiet.locator(".notes-link").click()
    expect(quiet.get_by_role("heading", level=1)).to_have_text("Pemberitahuan")
    assert_fits_the_phone(quiet)

    household.reload()
    household.locator(".notes-link").click()
    entry = household.locator(".inbox-entry").filter(has_text=listing.name)
    expect(entry.locator(".note-title")).to_have_text(
        f"PKK meminta perbaikan kemasan {listing.name}"
    )
    expect(entry).to_contain_text(f"Catatan PKK: {note}")
    entry.get_by_role("link").click()

    # The message opens the product itself, where the household fixes and resubmits.
    expect(household.get_by_role("heading", level=1)).to_have_text(listing.name)
    expect(status_label(household)).to_have_text("Perlu perbaikan")
    expect(household.get_by_role("note")).to_contain_text(note)
    expect(household.locator(".notes-link")).to_have_text("Pemberitahuan")
    add_photos_to_product(household, packaging_photo(tmp_path / "IMG_label.jpg", (60, 90, 40)))
    submit_for_review(household)

    household.locator(".notes-link").click()
    expect(household.locator(".inbox-entry.unread")).to_have_count(0)
    expect(household.locator(".inbox-entry")).to_have_count(1)
