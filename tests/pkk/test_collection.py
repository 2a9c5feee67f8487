"""The official gifts collection: the PKK curates it; the public sees it at once."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.catalog.models import ProductStatus
from marketplace.db import db
from marketplace.pkk.models import OfficialGift
from tests import factories


def test_a_reviewer_adds_a_product_and_the_public_sees_it_at_once(client, login_as, app):
    product = factories.make_product(name="Madu Kelulut Resmi")
    db.session.commit()
    public = app.test_client()
    assert "Madu Kelulut Resmi" not in public.get("/oleh-oleh-resmi").get_data(as_text=True)
    assert "<h2>Oleh-oleh resmi</h2>" not in public.get("/").get_data(as_text=True)  # cached
    login_as("reviewer")
    assert (
        client.post("/pkk/oleh-oleh-resmi", data={"product_id": str(product.id)}).status_code == 302
    )
    assert "Madu Kelulut Resmi" in public.get("/oleh-oleh-resmi").get_data(as_text=True)
    home = public.get("/").get_data(as_text=True)
    assert home.index("<h2>Oleh-oleh resmi</h2>") < home.index("Madu Kelulut Resmi")
    assert home.index("Madu Kelulut Resmi") < home.index("Baru di pasar")


def test_the_collection_keeps_the_pkk_order(client, login_as):
    first = factories.make_official_gift(factories.make_product(name="Satu Resmi"), position=1)
    factories.make_official_gift(factories.make_product(name="Dua Resmi"), position=2)
    login_as("reviewer")
    assert client.post(f"/pkk/oleh-oleh-resmi/{first.product_id}/turun").status_code == 302
    html = client.get("/oleh-oleh-resmi").get_data(as_text=True)
    assert html.index("Dua Resmi") < html.index("Satu Resmi")
    client.post(f"/pkk/oleh-oleh-resmi/{first.product_id}/hapus")
    assert "Satu Resmi" not in client.get("/oleh-oleh-resmi").get_data(as_text=True)
    assert db.session.scalar(select(OfficialGift.id).where(OfficialGift.id == first.id)) is None


def test_only_published_products_join_and_only_once(client, login_as):
    draft = factories.make_product(status=ProductStatus.DRAFT, name="Draf Tersembunyi")
    listed = factories.make_official_gift()
    login_as("reviewer")
    response = client.post("/pkk/oleh-oleh-resmi", data={"product_id": str(draft.id)})
    assert response.status_code == 400
    assert "Hanya produk yang sudah tampil" in response.get_data(as_text=True)
    response = client.post("/pkk/oleh-oleh-resmi", data={"product_id": str(listed.product_id)})
    assert response.status_code == 400


def test_a_product_that_stops_being_public_leaves_the_public_collection(client):
    entry = factories.make_official_gift(factories.make_product(name="Dijeda Resmi"))
    entry.product.status = ProductStatus.PAUSED.value
    db.session.commit()
    assert "Dijeda Resmi" not in client.get("/oleh-oleh-resmi").get_data(as_text=True)


def test_home_queries_stay_fixed_with_a_collection(client, count_queries):
    factories.make_official_gift(factories.make_product(), position=1)
    db.session.commit()
    with count_queries() as before:
        client.get("/")
    for n in range(6):
        factories.make_official_gift(factories.make_product(), position=n + 2)
    db.session.commit()
    with count_queries() as after:
        client.get("/")
    assert len(after) == len(before) <= 8
