"""An option's photo is one of the product's photos: the PKK reviews it with the packaging,
sees which option shows it, and a new photo for an option sends the product back to review
like any other new photo."""

from __future__ import annotations

import io

from marketplace.accounts.models import Role
from marketplace.catalog.models import ProductPhoto, ProductStatus
from marketplace.db import db
from tests import factories


def _two_photo_product_with_options(status=ProductStatus.PENDING_REVIEW):
    seller = factories.make_seller()
    product = factories.make_product(seller=seller, name="Amplang Tenggiri", status=status)
    product.photos.append(ProductPhoto(key="b" * 64, width=400, height=400, variant_widths="400"))
    db.session.flush()
    factories.make_options(product, ("Original / 250 g", 35000, 5), ("Pedas / 250 g", 37000, 3))
    pedas = product.options[1]
    pedas.photo_key = "b" * 64
    db.session.flush()
    return product


def test_the_review_page_shows_which_option_each_photo_is_for(client, login_as):
    product = _two_photo_product_with_options()
    login_as(Role.REVIEWER)
    html = client.get(f"/pkk/tinjauan/{product.id}").get_data(as_text=True)
    second = html.split("Foto 2", 1)[1].split("</figcaption>", 1)[0]
    assert "Foto pilihan Pedas / 250 g" in second
    assert "Foto pilihan" not in html.split("Foto 2", 1)[0].rsplit("<figure>", 1)[1]
    assert "Original / 250 g (Rp35.000, 300 g); Pedas / 250 g (Rp37.000, 300 g)" in html


def test_a_new_photo_for_an_option_goes_to_the_pkk_like_any_other(client, login_as):
    product = _two_photo_product_with_options(status=ProductStatus.PENDING_REVIEW)
    reviewer = factories.make_user(roles=[Role.REVIEWER])
    login_as(user=reviewer)
    assert client.post(f"/pkk/tinjauan/{product.id}", data={"decision": "approve"}).status_code
    db.session.refresh(product)
    assert product.status == "published"

    login_as(user=product.seller.user)
    form = factories.listing_form(
        name=product.name,
        photos=[(io.BytesIO(factories.photo_bytes(colour=(200, 30, 30))), "pedas.jpg")],
    )
    assert client.post(f"/penjual/produk/{product.id}", data=form).status_code == 302
    db.session.expire_all()
    new_photo = product.photos[-1]
    original, pedas = product.options
    rows = {
        "id-0": original.id, "label-0": original.label, "price-0": "35000", "stock-0": "5",
        "weight-0": "300", "active-0": "1",
        "id-1": pedas.id, "label-1": pedas.label, "price-1": "37000", "stock-1": "3",
        "weight-1": "300", "active-1": "1", "photo-1": new_photo.key,
        "idempotency_token": factories.form_token(),
    }  # fmt: skip
    assert client.post(f"/penjual/produk/{product.id}/pilihan", data=rows).status_code == 302
    db.session.expire_all()
    assert product.status == "pending_review"
    assert product.options[1].photo_key == new_photo.key
    # the product form kept the options' price and stock, whatever it carried
    assert (product.price_amount, product.stock) == (35000, 8)
    # and the public no longer sees it until the PKK has looked again
    assert client.get(f"/produk/{product.slug}").status_code == 404
