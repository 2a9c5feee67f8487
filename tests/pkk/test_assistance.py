"""Assistance records: the PKK desk records help; a household sees only its own."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.pkk import services
from marketplace.pkk.models import CapitalAssistance, PackagingHelp, TrainingSession
from tests import factories


def capital_form(seller, **overrides) -> dict:
    form = {
        "seller_id": str(seller.id),
        "giver": "Disperindagkop UMKM Provinsi Kaltara",
        "given_on": "2026-03-02",
        "description": "Mesin jahit portabel",
        "value_amount": "3.500.000",
        "idempotency_token": factories.form_token(),
    }
    form.update(overrides)
    return form


def test_capital_assistance_is_recorded_in_whole_rupiah(client, login_as):
    seller = factories.make_seller(region_slug="nunukan")
    reviewer = login_as("reviewer")
    response = client.post("/pkk/bantuan/modal", data=capital_form(seller))
    assert response.status_code == 302
    record = db.session.scalar(
        select(CapitalAssistance).where(CapitalAssistance.seller_id == seller.id)
    )
    assert (record.value_amount, record.given_on, record.recorded_by_id) == (
        3_500_000,
        dt.date(2026, 3, 2),
        reviewer.id,
    )
    assert "Mesin jahit portabel" in client.get("/pkk/bantuan").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"value_amount": "Rp-5"}, "Tulis harga dalam rupiah"),
        ({"value_amount": "-5"}, "Tulis harga dalam rupiah"),
        ({"value_amount": "1" + "0" * 15}, "paling banyak 10.000.000.000"),
        ({"value_amount": "999.999.999.999.999"}, "paling banyak 10.000.000.000"),
        ({"value_amount": "²5.000"}, "Tulis harga dalam rupiah"),
        ({"given_on": "2099-01-01"}, "Tanggal tidak boleh di masa depan."),
        ({"given_on": "kemarin"}, "Tulis tanggal seperti 2026-11-29."),
        ({"seller_id": "999999999"}, "Rumah tangga ini tidak ada"),
        ({"giver": ""}, "Wajib diisi."),
    ],
)
def test_bad_capital_input_is_refused_with_the_form_kept(client, login_as, overrides, message):
    seller = factories.make_seller()
    login_as("reviewer")
    response = client.post("/pkk/bantuan/modal", data=capital_form(seller, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert "Mesin jahit portabel" in html  # what was typed is kept
    assert (
        db.session.scalar(select(CapitalAssistance).where(CapitalAssistance.seller_id == seller.id))
        is None
    )


def test_a_training_records_every_household_that_attended(client, login_as):
    first, second = factories.make_seller(), factories.make_seller(region_slug="malinau")
    login_as("reviewer")
    page = client.get("/pkk/bantuan/pelatihan").get_data(as_text=True)
    assert f'value="{first.id}"' in page and 'type="checkbox"' in page
    response = client.post(
        "/pkk/bantuan/pelatihan",
        data={
            "held_on": "2026-02-14",
            "topic": "Label P-IRT dan halal",
            "place": "Aula Kantor Gubernur, Tanjung Selor",
            "seller_ids": [str(first.id), str(second.id)],
            "idempotency_token": factories.form_token(),
        },
    )
    assert response.status_code == 302
    session = db.session.scalar(
        select(TrainingSession).where(TrainingSession.topic == "Label P-IRT dan halal")
    )
    assert {s.id for s in session.attendees} == {first.id, second.id}


def test_a_training_needs_someone_who_attended(client, login_as):
    login_as("reviewer")
    response = client.post(
        "/pkk/bantuan/pelatihan",
        data={"held_on": "2026-02-14", "topic": "Label", "place": "Aula"},
    )
    assert response.status_code == 400
    assert "Pilih rumah tangga yang hadir." in response.get_data(as_text=True)


def test_packaging_help_is_recorded_for_a_product(client, login_as):
    product = factories.make_product(name="Abon Soka Uji")
    login_as("reviewer")
    response = client.post(
        "/pkk/bantuan/kemasan",
        data={
            "product_id": str(product.id),
            "given_on": "2026-01-10",
            "description": "Stiker halal baru",
            "idempotency_token": factories.form_token(),
        },
    )
    assert response.status_code == 302
    record = db.session.scalar(select(PackagingHelp).where(PackagingHelp.product_id == product.id))
    assert (record.seller_id, record.description) == (product.seller_id, "Stiker halal baru")


def test_a_household_sees_its_own_records_and_never_another(client, login_as):
    own = factories.make_seller(user=login_as("seller"))
    other = factories.make_seller()
    factories.make_capital_assistance(own, given_on=dt.date(2026, 3, 2), value_amount=2_000_000)
    factories.make_capital_assistance(other, given_on=dt.date(2026, 3, 2), value_amount=7_777_000)
    factories.make_training([own], held_on=dt.date(2026, 2, 1), topic="Foto produk dengan ponsel")
    factories.make_training([other], held_on=dt.date(2026, 2, 1), topic="Rahasia tetangga")
    factories.make_packaging_help(
        factories.make_product(seller=other),
        given_on=dt.date(2026, 1, 1),
        description="Kemasan tetangga",
    )
    db.session.commit()
    html = client.get("/penjual/bantuan").get_data(as_text=True)
    assert "Rp2.000.000" in html and "Foto produk dengan ponsel" in html
    assert (
        "Rp7.777.000" not in html
        and "Rahasia tetangga" not in html
        and "Kemasan tetangga" not in html
    )
    assert "/penjual/bantuan" in client.get("/penjual").get_data(as_text=True)


def test_a_kabupaten_reviewer_records_only_for_their_kabupaten(client, login_as):
    reviewer = login_as("reviewer")
    factories.scope_reviewer(reviewer, "malinau")
    mine, theirs = (
        factories.make_seller(region_slug="malinau"),
        factories.make_seller(region_slug="tarakan"),
    )
    db.session.commit()
    page = client.get("/pkk/bantuan/modal").get_data(as_text=True)
    assert mine.shop_name in page and theirs.shop_name not in page
    response = client.post("/pkk/bantuan/modal", data=capital_form(theirs))
    assert response.status_code == 400
    assert "di luar kabupaten Anda" in response.get_data(as_text=True)
    assert client.post("/pkk/bantuan/modal", data=capital_form(mine)).status_code == 302


def test_services_refuse_a_negative_value_without_a_request():
    seller = factories.make_seller()
    with pytest.raises(services.AssistanceError) as error:
        services.record_capital_assistance(
            seller_id=seller.id,
            giver="Disperindagkop",
            given_on=dt.date(2026, 1, 1),
            description="Modal",
            value_amount=-5,
            recorded_by_id=factories.make_user().id,
            today=today_local(),
            token=factories.form_token(),
        )
    assert error.value.field == "value_amount"


def test_unknown_kind_of_assistance_is_not_found(client, login_as):
    login_as("reviewer")
    assert client.get("/pkk/bantuan/hadiah").status_code == 404


def test_the_same_form_sent_again_records_once_and_a_form_without_its_token_is_refused(
    client, login_as
):
    seller = factories.make_seller()
    login_as("reviewer")
    page = client.get("/pkk/bantuan/modal").get_data(as_text=True)
    [token] = re.findall(r'name="idempotency_token" type="hidden" value="([^"]+)"', page)
    form = capital_form(seller, idempotency_token=token)
    assert client.post("/pkk/bantuan/modal", data=form).status_code == 302
    again = client.post("/pkk/bantuan/modal", data=form, follow_redirects=True)
    assert "Bantuan ini sudah dicatat." in again.get_data(as_text=True)
    records = select(CapitalAssistance).where(CapitalAssistance.seller_id == seller.id)
    assert len(db.session.scalars(records).all()) == 1

    lost = client.post("/pkk/bantuan/modal", data=capital_form(seller, idempotency_token=""))
    html = lost.get_data(as_text=True)
    assert lost.status_code == 400
    assert "Formulir tidak lengkap. Muat ulang halaman lalu coba lagi." in html
    assert "Mesin jahit portabel" in html  # what was typed is kept
    assert len(db.session.scalars(records).all()) == 1
    # the page sent back carries a token of its own: pressed again, it is recorded
    [fresh] = re.findall(r'name="idempotency_token" type="hidden" value="([^"]+)"', html)
    assert fresh != token
    form = capital_form(seller, idempotency_token=fresh)
    assert client.post("/pkk/bantuan/modal", data=form).status_code == 302
    assert len(db.session.scalars(records).all()) == 2
