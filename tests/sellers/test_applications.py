"""Becoming a seller: apply, get a decision, open the shop."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.catalog.models import Seller
from marketplace.db import db
from marketplace.sellers.models import SellerApplication
from tests import factories


def _form(**overrides):
    form = {
        "shop_name": "Lempok Durian Mak Ijah",
        "owner_name": "Khadijah",
        "region_id": str(factories.region("bulungan").id),
        "village": "Desa Jelarai",
        "whatsapp": "0813-4567-8901",
        "nib": "",
        "story": "Lempok dari durian kebun sendiri.",
        "photo": (io.BytesIO(factories.photo_bytes()), "dapur.jpg"),
    }
    form.update(overrides)
    return form


def _application_of(user):
    return db.session.scalar(select(SellerApplication).where(SellerApplication.user_id == user.id))


def test_a_buyer_applies_and_sees_it_is_under_review(client, login_as):
    user = login_as("buyer")
    response = client.post("/buka-toko", data=_form())
    assert response.status_code == 302
    application = _application_of(user)
    assert application.status == "pending" and application.whatsapp == "+6281345678901"
    page = client.get("/buka-toko").get_data(as_text=True)
    assert "Sedang ditinjau" in page and "Lempok Durian Mak Ijah" in page
    assert 'name="shop_name"' not in page
    # A second application while one waits is refused.
    again = client.post("/buka-toko", data=_form())
    assert again.status_code == 400 and "masih ditinjau" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"whatsapp": "12345"}, "Nomor HP"),
        ({"region_id": "0"}, "Pilih kabupaten/kota"),
        ({"nib": "123"}, "13 angka"),
        ({"shop_name": ""}, "Wajib diisi"),
        ({"photo": (io.BytesIO(b"%PDF-1.4"), "ktp.pdf")}, "bukan foto"),
        ({"photo": (io.BytesIO(b""), "")}, "Tambahkan satu foto"),
    ],
)
def test_bad_applications_come_back_with_what_was_typed(client, login_as, overrides, message):
    user = login_as("buyer")
    response = client.post("/buka-toko", data=_form(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert "Lempok dari durian kebun sendiri." in html
    assert _application_of(user) is None


def test_approval_grants_the_role_and_opens_the_shop(client, login_as, app):
    applicant = factories.make_user(name="Khadijah")
    db.session.commit()
    applicant_client = app.test_client()
    with applicant_client.session_transaction() as session:
        session["_user_id"] = applicant.session_token
    applicant_client.post("/buka-toko", data=_form(nib="9120 0123 4567 8"))
    application = _application_of(applicant)
    reviewer = login_as("reviewer")
    queue = client.get("/pkk/pendaftaran").get_data(as_text=True)
    assert "Lempok Durian Mak Ijah" in queue
    response = client.post(
        f"/pkk/pendaftaran/{application.id}", data={"decision": "approve", "note": "Lengkap."}
    )
    assert response.status_code == 302
    db.session.refresh(application)
    db.session.refresh(applicant)
    seller = db.session.scalar(select(Seller).where(Seller.user_id == applicant.id))
    assert application.status == "approved" and application.seller_id == seller.id
    assert Role.SELLER in applicant.roles
    assert (seller.shop_name, seller.nib) == ("Lempok Durian Mak Ijah", "9120012345678")
    [change] = application.changes
    assert (change.actor_id, change.to_status) == (reviewer.id, "approved")
    assert applicant_client.get("/buka-toko").headers["Location"].endswith("/penjual")
    assert client.get(f"/toko/{seller.slug}").status_code == 200
    assert applicant_client.get("/penjual/produk/baru").status_code == 200


def test_rejection_needs_a_reason_the_applicant_reads(client, login_as, app):
    applicant = factories.make_user()
    db.session.commit()
    applicant_client = app.test_client()
    with applicant_client.session_transaction() as session:
        session["_user_id"] = applicant.session_token
    applicant_client.post("/buka-toko", data=_form())
    application = _application_of(applicant)
    login_as("admin")
    url = f"/pkk/pendaftaran/{application.id}"
    response = client.post(url, data={"decision": "reject", "note": ""})
    assert response.status_code == 400 and "alasan penolakan" in response.get_data(as_text=True)
    reason = "Foto kurang jelas; kirim foto kemasan lempok."
    assert client.post(url, data={"decision": "reject", "note": reason}).status_code == 302
    db.session.refresh(application)
    db.session.refresh(applicant)
    assert application.status == "rejected" and Role.SELLER not in applicant.roles
    page = applicant_client.get("/buka-toko").get_data(as_text=True)
    assert reason in page and 'name="shop_name"' in page
    # A decision is final: approving after a rejection is refused.
    response = client.post(url, data={"decision": "approve"})
    assert response.status_code == 400
    db.session.refresh(application)
    assert application.status == "rejected"


def test_nobody_decides_their_own_application(client, login_as):
    reviewer = login_as("reviewer")
    client.post("/buka-toko", data=_form())
    application = _application_of(reviewer)
    response = client.post(f"/pkk/pendaftaran/{application.id}", data={"decision": "approve"})
    assert response.status_code == 400
    db.session.refresh(application)
    assert application.status == "pending"


@pytest.mark.parametrize(("role", "status"), [("buyer", 403), ("seller", 403)])
def test_only_reviewers_and_admins_decide(client, login_as, role, status):
    applicant = factories.make_user()
    application = factories.make_application(applicant)
    login_as(role)
    assert client.get("/pkk/pendaftaran").status_code == status
    url = f"/pkk/pendaftaran/{application.id}"
    assert client.post(url, data={"decision": "approve"}).status_code == status
    db.session.refresh(application)
    assert application.status == "pending"


def test_signed_out_visitors_sign_in_before_applying(client):
    response = client.get("/buka-toko")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


def test_a_seller_with_a_shop_goes_to_the_dashboard(client, login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    assert client.get("/buka-toko").headers["Location"].endswith("/penjual")
