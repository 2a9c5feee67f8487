"""Every tap target of the pages a visitor and a household use most is at least 44 px tall."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import new_shop_details, sign_in_as

pytestmark = pytest.mark.e2e

SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, summary'
)).filter((el) => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden'
    && !el.closest('.visually-hidden, .skip');
}).filter((el) => {
  // A checkbox or radio button is tapped through its label too.
  const label = el.matches('[type=checkbox], [type=radio]') && el.labels && el.labels[0];
  const target = label && label.getBoundingClientRect().height > 0 ? label : el;
  return target.getBoundingClientRect().height < 44;
})
  .map((el) => `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} `
    + `"${(el.innerText || el.value || el.name || '').trim().slice(0, 30)}" `
    + `${Math.round(el.getBoundingClientRect().height)}px`)"""

PAGES = [
    "/oleh-oleh-resmi",
    "/toko/amplang-bu-siti",
    "/",
    "/produk",
    "/produk/amplang-ikan-tenggiri",
    "/search?q=amplang",
    "/keranjang",
    "/akun/masuk",
    "/akun/daftar",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_tap_target_is_44_px_tall(phone, path):
    assert phone.goto(path).ok
    assert phone.evaluate(SMALL_TARGETS) == []


def test_every_tap_target_of_the_listing_form_is_44_px_tall(phone, accounts):
    household = accounts.create_household(new_shop_details())
    sign_in_as(phone, household)
    for path in ("/penjual", "/penjual/produk/baru"):
        assert phone.goto(path).ok
        assert phone.evaluate(SMALL_TARGETS) == [], path
