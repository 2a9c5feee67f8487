"""Food licence reminders: sent once per licence, some weeks before it ends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.catalog.licences import plan_licence_reminders
from marketplace.catalog.models import LicenceReminder
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.jobs import run_pending_jobs
from tests import factories


@pytest.fixture
def ending_soon():
    owner = factories.make_user(email="bu.ani@contoh.id", name="Ibu Ani")
    seller = factories.make_seller(user=owner)
    return factories.make_product(
        seller=seller,
        name="Amplang Hampir Habis Izin",
        category_slug="camilan",
        licence_valid_until=today_local() + dt.timedelta(days=20),
    )


def test_the_household_is_told_once(inbox, ending_soon):
    planned = plan_licence_reminders(days_before=60)
    db.session.commit()
    run_pending_jobs()
    # The demo catalogue's licences end in 2029 or later: only this one is near.
    assert len(planned) == 1
    [message] = inbox.messages
    assert message["To"] == "bu.ani@contoh.id"
    assert "Amplang Hampir Habis Izin" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    assert "P-IRT No. 2026571019999-30" in body and "Ibu Ani" in body

    assert plan_licence_reminders(days_before=60) == []
    db.session.commit()
    assert run_pending_jobs() == 0 and len(inbox.messages) == 1


def test_a_renewed_licence_is_reminded_about_again_in_its_time(ending_soon):
    plan_licence_reminders(days_before=60)
    ending_soon.licence_valid_until = today_local() + dt.timedelta(days=5 * 365)
    db.session.flush()
    assert plan_licence_reminders(days_before=60) == []
    ending_soon.licence_valid_until = today_local() + dt.timedelta(days=30)
    db.session.flush()
    assert len(plan_licence_reminders(days_before=60)) == 1
    count = db.session.scalar(select(func.count(LicenceReminder.id)))
    assert count == 2


def test_ended_and_far_licences_are_left_alone():
    factories.make_product(
        category_slug="camilan", licence_valid_until=today_local() - dt.timedelta(days=1)
    )
    factories.make_product(
        category_slug="camilan", licence_valid_until=today_local() + dt.timedelta(days=90)
    )
    assert plan_licence_reminders(days_before=60) == []


def test_cli_command_queues_reminders(app, ending_soon):
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["catalog", "remind-licences", "--days", "60"])
    assert result.exit_code == 0 and "1 licence reminder(s) queued." in result.output


def test_buyers_see_a_bpom_md_licence_which_has_no_end_date(client):
    product = factories.make_product(name="Kepiting Soka Beku", category_slug="camilan")
    product.pirt_number, product.licence_valid_until = None, None
    product.bpom_number = "BPOM RI MD 234567890123"
    db.session.flush()
    response = client.get(f"/produk/{product.slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Izin edar BPOM" in html and "BPOM RI MD 234567890123" in html
    assert "P-IRT No." not in html and "Izin berlaku sampai" not in html
    assert "Kepiting Soka Beku" in client.get("/produk?q=kepiting").get_data(as_text=True)


def test_food_without_any_licence_stays_hidden(client):
    product = factories.make_product(name="Abon Tanpa Izin", category_slug="camilan")
    product.pirt_number, product.licence_valid_until = None, None
    db.session.flush()
    assert client.get(f"/produk/{product.slug}").status_code == 404


@pytest.mark.parametrize("days", ["0", "-5", "367", "99999999"])
def test_the_command_plans_reminders_a_day_to_a_year_ahead(app, ending_soon, days):
    """``--days 99999999`` was a traceback (a date past the calendar), 0 and below planned
    nothing without saying why."""
    result = app.test_cli_runner().invoke(args=["catalog", "remind-licences", "--days", days])
    assert result.exit_code == 2
    assert "is not in the range 1<=x<=366" in result.output
    assert db.session.scalar(select(func.count()).select_from(LicenceReminder)) == 0
    with pytest.raises(ValueError):
        plan_licence_reminders(days_before=int(days))
