"""Reconciliation lists every difference between the ledger, the payouts and the gateway."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from marketplace.accounts.models import Role
from marketplace.db import db, today_local
from marketplace.money import batches, runs
from marketplace.money.models import Payout
from marketplace.money.reconcile import default_days, period_of, reconcile
from marketplace.payments.connect import TestConnect
from marketplace.payments.gateway import get_gateway
from tests import factories

DAY = dt.date(2026, 11, 30)


def recent_differences(connect):
    """What the command and the admin page list by default (the last 31 days)."""
    return reconcile(
        period_of(*default_days(today_local())), gateway=get_gateway(), connect=connect
    )


def test_confirmed_batches_agree_and_a_tampered_payout_is_listed(app, client, login_as):
    app.extensions["connect_gateway"] = connect = TestConnect()
    sellers = [factories.make_earning_seller() for _ in range(2)]
    for seller in sellers:
        factories.make_payout_account(seller)
    db.session.commit()
    first_id, second_id = runs.run_payouts(today=DAY, connect=connect).created
    batches.export_batch(actor_id=None)
    first = db.session.get(Payout, first_id)
    batches.confirm_batch_results(f"reference,status,bank_reference\n{first.number},ok,B-1\n")
    assert recent_differences(connect) == []

    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    assert 'id="no-differences"' in client.get("/admin/pencairan/rekonsiliasi").get_data(
        as_text=True
    )
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["payouts", "reconcile"])
    assert output.exit_code == 0 and "0 difference(s)" in output.output

    # Someone marks the second payout paid behind the ledger's back.
    db.session.execute(update(Payout).where(Payout.id == second_id).values(status="paid"))
    db.session.commit()
    second = db.session.get(Payout, second_id)
    notes = sorted((d.subject, d.note) for d in recent_differences(connect))
    assert notes == [
        (second.number, "ledger_status"),
        (second.number, "no_bank_reference"),
    ]
    page = client.get("/admin/pencairan/rekonsiliasi").get_data(as_text=True)
    assert (
        f'<strong>{second.number}</strong> · <span data-note="ledger_status">'
        "Buku besar tidak sesuai status pencairan</span>" in page
    )
    output = app.test_cli_runner().invoke(args=["payouts", "reconcile"])
    assert output.exit_code == 1 and "2 difference(s)" in output.output


def test_mode_uji_answers_from_its_own_records_in_a_later_process():
    seller = factories.make_earning_seller()
    factories.make_payout_account(seller, method="stripe", stripe_account_id="acct_test_ibu")
    db.session.commit()
    [payout_id] = runs.run_payouts(today=DAY, connect=TestConnect()).transferred
    # `flask payouts reconcile` runs in another process: its gateway remembers nothing.
    assert recent_differences(TestConnect()) == []
    db.session.execute(update(Payout).where(Payout.id == payout_id).values(amount=1))
    db.session.commit()
    notes = {d.note for d in recent_differences(TestConnect())}
    assert "ledger_status" in notes


def test_the_admin_page_compares_the_days_asked_and_refuses_a_bad_period(client, login_as):
    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    page = client.get("/admin/pencairan/rekonsiliasi?since=2026-11-01&until=2026-11-30")
    assert page.status_code == 200
    assert "Periode 2026-11-01 sampai 2026-11-30 (WITA)." in page.get_data(as_text=True)

    backwards = client.get("/admin/pencairan/rekonsiliasi?since=2026-11-30&until=2026-11-01")
    assert backwards.status_code == 400
    text = backwards.get_data(as_text=True)
    assert "Tanggal akhir tidak boleh sebelum tanggal awal." in text
    assert 'value="2026-11-30"' in text  # what was typed stays

    wrong = client.get("/admin/pencairan/rekonsiliasi?since=30-11-2026")
    assert wrong.status_code == 400
    assert "Tulis tanggal seperti 2026-11-29." in wrong.get_data(as_text=True)

    too_long = client.get("/admin/pencairan/rekonsiliasi?since=2025-01-01&until=2026-11-30")
    assert too_long.status_code == 400
    assert "Periode paling lama 366 hari." in too_long.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=2000-01-01", "Periode paling lama 366 hari."),
        ("since=2099-12-31", "Tanggal akhir tidak boleh sebelum tanggal awal."),
        ("until=2000-01-01", "Tanggal akhir tidak boleh sebelum tanggal awal."),
        ("since=0001-01-01", "Tulis tanggal antara tahun 2000 dan 2099."),
        ("until=9999-12-31", "Tulis tanggal antara tahun 2000 dan 2099."),
    ],
)
def test_one_day_given_alone_is_checked_with_the_default_other(client, login_as, query, message):
    # the day left out is the default period's (today, or 30 days back)
    login_as(user=factories.make_user(roles=[Role.ADMIN]))
    page = client.get(f"/admin/pencairan/rekonsiliasi?{query}")
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2000-01-01"], "Periode paling lama 366 hari."),
        (["--since", "2026-11-30", "--until", "2026-11-01"], "tidak boleh sebelum tanggal awal"),
        (["--since", "0001-01-01"], "Tulis tanggal antara tahun 2000 dan 2099."),
        (["--until", "9999-12-31"], "Tulis tanggal antara tahun 2000 dan 2099."),
    ],
)
def test_the_command_refuses_the_periods_the_page_refuses(app, args, message):
    """One rule for both (``reconcile.period_refusal``): a date at the end of the calendar
    was a traceback (OverflowError), a period of 26 years was compared."""
    result = app.test_cli_runner().invoke(args=["payouts", "reconcile", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "reconciling" not in result.output  # nothing was compared


def test_no_period_outside_the_rule_reaches_the_comparison():
    with pytest.raises(ValueError, match="2000"):
        period_of(dt.date(1, 1, 1), DAY)
    with pytest.raises(ValueError, match="366"):
        period_of(dt.date(2000, 1, 1), DAY)
