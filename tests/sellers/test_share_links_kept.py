"""Share links and references are kept per process by their values: a change of any value
(the shop's name, the site's key) gives the new link, never the one kept before."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.sellers import shares
from tests import factories
from tests.sellers.test_shares import share_links


def whatsapp_text(html: str) -> str:
    return parse_qs(urlsplit(share_links(html)["whatsapp"]).query)["text"][0]


def test_the_dashboards_links_follow_a_renamed_shop(client, login_as):
    user = factories.make_user(roles=[Role.SELLER])
    seller = factories.make_seller(user=user, shop_name="Amplang Bu Ani")
    login_as(user=user)
    first = client.get("/penjual").get_data(as_text=True)
    assert client.get("/penjual").get_data(as_text=True) == first
    assert whatsapp_text(first).startswith("Amplang Bu Ani: oleh-oleh dari ")
    seller.shop_name = "Amplang Bu Ani & Putri"
    db.session.commit()
    renamed = client.get("/penjual").get_data(as_text=True)
    text = whatsapp_text(renamed)
    assert text.startswith("Amplang Bu Ani & Putri: oleh-oleh dari ")
    assert text.endswith(f"/toko/{seller.slug}?ref={shares.share_code_of(seller.id)}")
    telegram = parse_qs(urlsplit(share_links(renamed)["telegram"]).query)["text"][0]
    assert telegram.startswith("Amplang Bu Ani & Putri")


def test_a_new_site_key_gives_new_references(app):
    seller = factories.make_seller()
    code = shares.share_code_of(seller.id)
    assert shares.share_code_of(seller.id) == code
    assert shares.seller_of_code(code) == seller.id
    key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = key + "-rotated"
    try:
        assert shares.share_code_of(seller.id) != code
        assert shares.seller_of_code(code) is None
    finally:
        app.config["SECRET_KEY"] = key
    assert shares.seller_of_code(code) == seller.id


def test_the_same_values_make_the_same_link_and_others_another():
    made = shares.ShareLink.make("toko", "https://x.test/toko/a", "A", "Toko A", "1abcde")
    again = shares.ShareLink.make("toko", "https://x.test/toko/a", "A", "Toko A", "1abcde")
    other = shares.ShareLink.make("toko", "https://x.test/toko/a", "A", "Toko B", "1abcde")
    assert again.whatsapp == made.whatsapp and again.url == "https://x.test/toko/a?ref=1abcde"
    assert other.whatsapp != made.whatsapp and other.telegram.endswith("text=Toko%20B")
    plain = shares.ShareLink.make("toko", "https://x.test/toko/a", "A", "Toko A", None)
    assert plain.url == "https://x.test/toko/a" and not plain.is_own
