"""The PKK packaging review, from the queue to the seller's phone."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from marketplace.catalog.models import ProductStatus
from marketplace.db import db, now_utc
from tests import factories


def _submitted(days_ago: int, **kwargs):
    product = factories.make_product(status=ProductStatus.PENDING_REVIEW, **kwargs)
    product.submitted_at = now_utc() - dt.timedelta(days=days_ago)
    db.session.flush()
    return product


def test_queue_shows_the_longest_waiting_first(client, login_as):
    newer = _submitted(1, name="Kerupuk Baru Diajukan")
    older = _submitted(5, name="Tikar Lama Menunggu")
    factories.make_product(name="Sudah Tampil")
    login_as("reviewer")
    html = client.get("/pkk/tinjauan").get_data(as_text=True)
    assert html.index(older.name) < html.index(newer.name)
    assert "Sudah Tampil" not in html


def test_queue_filters_by_kabupaten_and_category(client, login_as):
    _submitted(1, name="Rotan Malinau", seller=factories.make_seller(region_slug="malinau"))
    _submitted(1, name="Madu Tarakan", category_slug="madu-kopi")
    login_as("reviewer")
    html = client.get("/pkk/tinjauan?region=malinau").get_data(as_text=True)
    assert "Rotan Malinau" in html and "Madu Tarakan" not in html
    html = client.get("/pkk/tinjauan?category=madu-kopi").get_data(as_text=True)
    assert "Madu Tarakan" in html and "Rotan Malinau" not in html


def test_review_page_shows_the_photos_and_the_licence(client, login_as):
    product = _submitted(1, category_slug="camilan")
    login_as("reviewer")
    html = client.get(f"/pkk/tinjauan/{product.id}").get_data(as_text=True)
    assert "P-IRT No. 2026571019999-30" in html
    assert f"photos/{product.photos[0].key}/400.webp" in html
    assert "Setujui kemasan" in html and "Minta perbaikan" in html


def test_approval_publishes_and_is_recorded(client, login_as):
    product = _submitted(1)
    reviewer = login_as("reviewer")
    response = client.post(f"/pkk/tinjauan/{product.id}", data={"decision": "approve"})
    assert response.status_code == 302
    db.session.refresh(product)
    assert product.status == "published" and product.published_at is not None
    [change] = product.status_changes
    assert (change.actor_id, change.from_status, change.to_status) == (
        reviewer.id,
        "pending_review",
        "published",
    )
    assert client.get(f"/produk/{product.slug}").status_code == 200


def test_changes_requested_reach_the_seller_who_resubmits(client, login_as, app):
    product = factories.make_product(status=ProductStatus.DRAFT, name="Abon Soka Uji")
    seller_client = app.test_client()
    with seller_client.session_transaction() as session:
        session["_user_id"] = product.seller.user.session_token
    db.session.commit()
    seller_client.post(f"/penjual/produk/{product.id}/ajukan")
    login_as("reviewer")
    note = "Label belum memuat nomor P-IRT; segel tidak terlihat."
    client.post(f"/pkk/tinjauan/{product.id}", data={"decision": "changes", "note": note})
    db.session.refresh(product)
    assert product.status == "changes_requested"
    assert client.get(f"/produk/{product.slug}").status_code == 404
    dashboard = seller_client.get("/penjual").get_data(as_text=True)
    assert "Perlu perbaikan" in dashboard and "segel tidak terlihat" in dashboard
    page = seller_client.get(f"/penjual/produk/{product.id}").get_data(as_text=True)
    assert "Catatan PKK" in page and "segel tidak terlihat" in page
    seller_client.post(f"/penjual/produk/{product.id}/ajukan")
    db.session.refresh(product)
    assert product.status == "pending_review"
    history = sorted(product.status_changes, key=lambda c: c.id)
    moves = [(c.from_status, c.to_status) for c in history]
    assert moves == [
        ("draft", "pending_review"),
        ("pending_review", "changes_requested"),
        ("changes_requested", "pending_review"),
    ]


def test_asking_for_changes_needs_a_comment(client, login_as):
    product = _submitted(1)
    login_as("reviewer")
    response = client.post(f"/pkk/tinjauan/{product.id}", data={"decision": "changes", "note": " "})
    assert response.status_code == 400
    assert "Tulis apa yang perlu diperbaiki" in response.get_data(as_text=True)
    db.session.refresh(product)
    assert product.status == "pending_review" and product.status_changes == []


def test_a_reviewer_cannot_approve_their_own_shop(client, login_as):
    product = _submitted(1)
    product.seller.user.role_grants.append(factories.RoleGrant(role="reviewer"))
    db.session.flush()
    login_as(user=product.seller.user)
    response = client.post(f"/pkk/tinjauan/{product.id}", data={"decision": "approve"})
    assert response.status_code == 400
    assert "toko Anda sendiri" in response.get_data(as_text=True)
    db.session.refresh(product)
    assert product.status == "pending_review"


def test_only_what_waits_can_be_decided(client, login_as):
    product = factories.make_product(status=ProductStatus.DRAFT)
    login_as("reviewer")
    response = client.post(f"/pkk/tinjauan/{product.id}", data={"decision": "approve"})
    assert response.status_code == 400
    db.session.refresh(product)
    assert product.status == "draft"


def test_an_unknown_decision_changes_nothing(client, login_as):
    product = _submitted(1)
    login_as("reviewer")
    response = client.post(f"/pkk/tinjauan/{product.id}", data={"decision": "publish"})
    assert response.status_code == 400
    db.session.refresh(product)
    assert product.status == "pending_review"


@pytest.mark.parametrize(("role", "status"), [("buyer", 403), ("seller", 403), ("admin", 200)])
def test_only_reviewers_and_admins_review(client, login_as, role, status):
    product = _submitted(1)
    login_as(role)
    assert client.get("/pkk/tinjauan").status_code == status
    assert client.get(f"/pkk/tinjauan/{product.id}").status_code == status
    response = client.post(f"/pkk/tinjauan/{product.id}", data={"decision": "approve"})
    assert response.status_code == (302 if status == 200 else status)


def test_reviewers_cannot_edit_products(client, login_as):
    product = _submitted(1)
    login_as("reviewer")
    assert client.get(f"/penjual/produk/{product.id}").status_code == 403
    assert client.post(f"/penjual/produk/{product.id}/jeda").status_code == 403


def test_a_missing_product_is_a_404(client, login_as):
    login_as("reviewer")
    assert client.get("/pkk/tinjauan/999999").status_code == 404


def _approved(client, login_as, **kwargs):
    """A product through review: submitted, then approved by a reviewer."""
    product = _submitted(1, **kwargs)
    login_as("reviewer")
    client.post(f"/pkk/tinjauan/{product.id}", data={"decision": "approve"})
    db.session.refresh(product)
    assert product.status == "published"
    login_as(user=product.seller.user)
    return product


def test_buyers_see_the_pkk_mark_with_its_date(client, login_as):
    product = _approved(client, login_as)
    html = client.get(f"/produk/{product.slug}").get_data(as_text=True)
    assert "Kemasan disetujui PKK" in html and product.packaging_approved_at is not None
    [approval] = product.status_changes
    assert approval.photo_keys == product.photos[0].key


def test_a_new_packaging_photo_after_approval_goes_back_to_review(client, login_as):
    product = _approved(client, login_as)
    form = factories.listing_form(
        name=product.name,
        photos=[(io.BytesIO(factories.photo_bytes(colour=(1, 2, 3))), "label-baru.jpg")],
    )
    response = client.post(f"/penjual/produk/{product.id}", data=form, follow_redirects=True)
    assert "meninjau ulang" in response.get_data(as_text=True)
    db.session.refresh(product)
    assert product.status == "pending_review"
    assert client.get(f"/produk/{product.slug}").status_code == 404
    assert product.latest_note == "Foto kemasan berubah setelah disetujui."


def test_details_change_without_a_new_review(client, login_as):
    product = _approved(client, login_as)
    form = factories.listing_form(name="Nama Baru Saja", price="30.000")
    assert client.post(f"/penjual/produk/{product.id}", data=form).status_code == 302
    db.session.refresh(product)
    assert product.status == "published" and product.price_amount == 30000


def test_removing_an_approved_photo_goes_back_to_review(client, login_as):
    product = _approved(client, login_as)
    client.post(f"/penjual/produk/{product.id}/foto/{product.photos[0].id}/hapus")
    db.session.refresh(product)
    assert product.status == "pending_review"


def test_an_approval_covers_only_the_photos_the_reviewer_saw(client, login_as, app):
    """The household adds a photo while the reviewer has the review page open: approving
    that page must not publish a photo the reviewer never saw."""
    product = _submitted(1, name="Tas Rotan Saat Ditinjau")
    seller_client = app.test_client()
    with seller_client.session_transaction() as session:
        session["_user_id"] = product.seller.user.session_token
    login_as("reviewer")
    page = client.get(f"/pkk/tinjauan/{product.id}").get_data(as_text=True)
    seen = re.search(r'name="photo_keys"[^>]*value="([^"]*)"', page)
    assert seen is not None and seen.group(1) == product.photos[0].key

    form = factories.listing_form(
        name=product.name,
        photos=[(io.BytesIO(factories.photo_bytes(colour=(9, 9, 9))), "ganti-label.jpg")],
    )
    assert seller_client.post(f"/penjual/produk/{product.id}", data=form).status_code == 302
    db.session.refresh(product)
    assert len(product.photos) == 2 and product.status == "pending_review"

    data = {"decision": "approve", "photo_keys": seen.group(1)}
    response = client.post(f"/pkk/tinjauan/{product.id}", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Foto kemasan berubah sejak halaman ini dibuka" in html
    assert f"photos/{product.photos[1].key}/" in html  # the new photo is shown now
    db.session.refresh(product)
    assert product.status == "pending_review" and product.approved_photo_keys() is None

    # Having seen them all, the reviewer approves; reordering alone needs no second look.
    data["photo_keys"] = ",".join(reversed(product.photo_keys.split(",")))
    assert client.post(f"/pkk/tinjauan/{product.id}", data=data).status_code == 302
    db.session.refresh(product)
    assert product.status == "published"
    assert product.approved_photo_keys() == product.photo_keys


def test_queue_queries_do_not_grow_with_the_queue(client, login_as, count_queries):
    _submitted(1)
    login_as("reviewer")
    with count_queries() as before:
        assert client.get("/pkk/tinjauan").status_code == 200
    for n in range(15):
        _submitted(n + 2, seller=factories.make_seller())
    db.session.commit()
    with count_queries() as after:
        assert client.get("/pkk/tinjauan").status_code == 200
    assert len(after) == len(before) <= 10, after


def _with_two_photos(product):
    product.photos.append(
        factories.ProductPhoto(key="1" * 64, width=400, height=400, variant_widths="320,400")
    )
    db.session.flush()
    return product


def test_a_reviewer_comments_on_each_photo_and_the_seller_sees_it_under_the_photo(
    client, login_as, app
):
    product = _with_two_photos(_submitted(1, name="Amplang Foto Dua", category_slug="camilan"))
    cover, back = product.photos
    reviewer = login_as("reviewer")
    page = client.get(f"/pkk/tinjauan/{product.id}").get_data(as_text=True)
    assert f'name="photo_note_{back.key}"' in page
    response = client.post(
        f"/pkk/tinjauan/{product.id}",
        data={
            "decision": "changes",
            "note": "Kemasan rapi, tinggal dua hal.",
            f"photo_note_{cover.key}": "Segel tidak terlihat.",
            f"photo_note_{back.key}": "Label perlu nomor P-IRT.",
        },
    )
    assert response.status_code == 302
    db.session.refresh(product)
    [change] = product.status_changes
    assert change.actor_id == reviewer.id and change.photo_keys == f"{cover.key},{back.key}"
    assert [(c.photo_key, c.note) for c in change.photo_comments] == [
        (cover.key, "Segel tidak terlihat."),
        (back.key, "Label perlu nomor P-IRT."),
    ]

    seller_client = app.test_client()
    with seller_client.session_transaction() as session:
        session["_user_id"] = product.seller.user.session_token
    db.session.commit()
    edit = seller_client.get(f"/penjual/produk/{product.id}").get_data(as_text=True)
    photos_part = edit[edit.index('id="foto"') : edit.index("Data produk")]
    # each comment sits with its own photo, in the photos' order
    assert photos_part.index(cover.key) < photos_part.index("Segel tidak terlihat.")
    assert photos_part.index("Segel tidak terlihat.") < photos_part.index(f"photos/{back.key}/")
    assert photos_part.index(f"photos/{back.key}/") < photos_part.index("Label perlu nomor P-IRT.")
    dashboard = seller_client.get("/penjual").get_data(as_text=True)
    assert "Foto 1: Segel tidak terlihat." in " ".join(dashboard.split())
    assert "Foto 2: Label perlu nomor P-IRT." in " ".join(dashboard.split())

    assert seller_client.post(f"/penjual/produk/{product.id}/ajukan").status_code == 302
    db.session.refresh(product)
    assert product.status == "pending_review"
    # the request for changes stays in the history, with its comments
    again = client.get(f"/pkk/tinjauan/{product.id}").get_data(as_text=True)
    assert "Label perlu nomor P-IRT." in again
    assert "Label perlu nomor P-IRT." not in seller_client.get("/penjual").get_data(as_text=True)


def test_a_photo_comment_alone_is_enough_to_ask_for_changes(client, login_as):
    product = _submitted(1)
    login_as("reviewer")
    key = product.photos[0].key
    response = client.post(
        f"/pkk/tinjauan/{product.id}",
        data={"decision": "changes", "note": "", f"photo_note_{key}": "Foto buram."},
    )
    assert response.status_code == 302
    db.session.refresh(product)
    assert product.status == "changes_requested"
    assert product.status_changes[0].comment_for(key) == "Foto buram."


def test_a_comment_on_a_photo_the_product_no_longer_has_is_refused(client, login_as):
    product = _submitted(1)
    login_as("reviewer")
    response = client.post(
        f"/pkk/tinjauan/{product.id}",
        data={"decision": "changes", "note": "Perbaiki.", f"photo_note_{'f' * 64}": "Buram."},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Foto kemasan berubah" in html and "Perbaiki." in html and "Buram." not in html
    db.session.refresh(product)
    assert product.status == "pending_review" and product.status_changes == []


def test_a_long_photo_comment_comes_back_with_what_was_typed(client, login_as):
    product = _submitted(1)
    login_as("reviewer")
    key = product.photos[0].key
    response = client.post(
        f"/pkk/tinjauan/{product.id}",
        data={"decision": "changes", "note": "Perbaiki.", f"photo_note_{key}": "x" * 501},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "paling panjang 500 huruf" in html and "x" * 501 in html
    db.session.refresh(product)
    assert product.status == "pending_review"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pirt_number", "P-IRT No. 2026571010456-31"),
        ("bpom_number", "BPOM RI MD 123456789012"),
        ("halal_number", "ID65711000012340126"),
    ],
)
def test_a_new_licence_or_halal_number_after_approval_goes_back_to_review(
    client, login_as, field, value
):
    product = _approved(client, login_as, category_slug="camilan", name="Amplang Tenggiri")
    assert client.get(f"/produk/{product.slug}").status_code == 200  # cached now
    numbers = {"name": product.name, "pirt_number": "2026571019999-30", "halal_number": ""}
    # Saving the approved numbers again, however typed, changes nothing the PKK saw.
    form = factories.food_form(**{**numbers, "pirt_number": "P-IRT No. 2026571019999-30"})
    assert client.post(f"/penjual/produk/{product.id}", data=form).status_code == 302
    db.session.refresh(product)
    assert product.status == "published"
    changed = {**numbers, field: value}
    if field == "bpom_number":
        changed["pirt_number"] = ""
    response = client.post(
        f"/penjual/produk/{product.id}",
        data=factories.food_form(**changed),
        follow_redirects=True,
    )
    assert "izin edar atau sertifikat halal berubah" in response.get_data(as_text=True)
    assert "PKK meninjau ulang" in response.get_data(as_text=True)
    db.session.refresh(product)
    assert product.status == "pending_review"
    assert product.latest_note == "Nomor izin edar atau sertifikat halal berubah setelah disetujui."
    assert client.get(f"/produk/{product.slug}").status_code == 404  # hidden like any unapproved
    login_as("reviewer")
    queue = client.get("/pkk/tinjauan").get_data(as_text=True)
    assert product.name in queue
