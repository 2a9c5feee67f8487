"""Where a household is paid: recorded with the password again, checked by an admin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.db import db
from marketplace.mail import OutgoingMail
from marketplace.money import accounts
from marketplace.money.models import Payout, PayoutAccount, PayoutAccountChange
from tests import factories
from tests.factories import PASSWORD


def account_form(**overrides) -> dict[str, str]:
    form = {
        "bank-method": "bank",
        "bank-bank_code": "002",
        "bank-account_number": "0023-0102-3456-508",
        "bank-holder_name": "Siti Aminah",
        "bank-password": PASSWORD,
    }
    form.update(overrides)
    return form


@pytest.fixture
def household(login_as):
    seller = factories.make_seller()
    login_as(user=seller.user)
    return seller


def test_a_household_records_a_bank_account_that_waits_for_an_admin(client, household):
    response = client.post("/penjual/pendapatan/rekening", data=account_form())
    assert response.status_code == 303
    page = client.get("/penjual/pendapatan/rekening").get_data(as_text=True)
    assert "BRI (002) •••••••••••6508 a.n. Siti Aminah" in page
    assert 'data-verified="no"' in page
    account = accounts.account_of(household.id)
    assert account.account_number == "002301023456508"
    assert not accounts.is_payable(account)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bank-account_number": "12345"}, "Nomor rekening BRI terdiri dari 15 angka."),
        ({"bank-account_number": "0023A0102345650"}, "Nomor rekening hanya berisi angka."),
        ({"bank-bank_code": "999"}, "Pilih salah satu pilihan yang ada."),
        ({"bank-password": "salah-sekali"}, "Kata sandi salah."),
    ],
)
def test_a_bad_bank_account_is_refused_with_what_was_typed(client, household, overrides, message):
    response = client.post("/penjual/pendapatan/rekening", data=account_form(**overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Siti Aminah" in page
    assert accounts.account_of(household.id) is None


def test_an_ewallet_number_is_normalised(client, household):
    response = client.post(
        "/penjual/pendapatan/rekening",
        data={
            "wallet-method": "ewallet",
            "wallet-wallet_provider": "gopay",
            "wallet-wallet_number": "0812-3456-7890",
            "wallet-password": PASSWORD,
        },
    )
    assert response.status_code == 303
    account = accounts.account_of(household.id)
    assert (account.method, account.wallet_number) == ("ewallet", "+6281234567890")
    bad = client.post(
        "/penjual/pendapatan/rekening",
        data={
            "wallet-method": "ewallet",
            "wallet-wallet_provider": "gopay",
            "wallet-wallet_number": "021 555 1234",
            "wallet-password": PASSWORD,
        },
    )
    assert bad.status_code == 400
    assert "Dompet digital memakai nomor HP" in bad.get_data(as_text=True)


def test_a_change_is_recorded_masked_and_needs_checking_again(client, household, login_as):
    client.post("/penjual/pendapatan/rekening", data=account_form())
    admin = factories.make_user(roles=[Role.ADMIN])
    account = accounts.account_of(household.id)
    accounts.verify_account(account.id, account.version, admin)
    assert accounts.is_payable(accounts.account_of(household.id))

    response = client.post(
        "/penjual/pendapatan/rekening",
        data=account_form(**{"bank-bank_code": "014", "bank-account_number": "7770001112"}),
    )
    assert response.status_code == 303
    db.session.expire_all()
    account = accounts.account_of(household.id)
    assert account.version == 2 and not account.is_verified
    change = db.session.scalar(
        select(PayoutAccountChange)
        .where(PayoutAccountChange.kind == "changed")
        .where(PayoutAccountChange.payout_account_id == account.id)
    )
    assert change.actor_id == household.user_id
    assert change.old_masked == "BRI (002) •••••••••••6508 a.n. Siti Aminah"
    assert change.new_masked == "BCA (014) ••••••1112 a.n. Siti Aminah"
    assert "0023010234" not in change.old_masked + change.new_masked

    # The admin's page lists it unchecked; checking an old version is refused.
    login_as(user=admin)
    page = client.get("/admin/rekening").get_data(as_text=True)
    assert "BCA (014) ••••••1112" in page and "Tandai sudah diperiksa" in page
    stale = client.post(f"/admin/rekening/{account.id}/periksa", data={"version": "1"})
    assert stale.status_code == 303
    db.session.expire_all()
    assert not accounts.account_of(household.id).is_verified
    client.post(f"/admin/rekening/{account.id}/periksa", data={"version": "2"})
    db.session.expire_all()
    assert accounts.account_of(household.id).is_verified


def test_stripe_onboarding_opens_an_express_account_and_account_updated_enables_it(
    app, client, household
):
    from marketplace.payments.connect import TestConnect

    app.extensions["connect_gateway"] = connect = TestConnect()
    response = client.post(
        "/penjual/pendapatan/rekening/stripe",
        data={"stripe-method": "stripe", "stripe-password": PASSWORD},
    )
    assert response.status_code == 303
    account = accounts.account_of(household.id)
    assert account.method == "stripe" and account.stripe_account_id in connect.accounts
    # "Mode uji" finishes onboarding at once; Stripe says so later with account.updated.
    assert account.stripe_payouts_enabled
    assert not accounts.is_payable(account)  # an admin has not checked it yet
    accounts.record_stripe_account(account.stripe_account_id, payouts_enabled=False)
    db.session.commit()

    import json

    import stripe

    body = json.dumps(
        {
            "id": "evt_acct_1",
            "object": "event",
            "type": "account.updated",
            "data": {
                "object": {
                    "id": account.stripe_account_id,
                    "object": "account",
                    "payouts_enabled": True,
                }
            },
        }
    )
    secret = app.config["TEST_WEBHOOK_SECRET"]
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    for _ in range(2):
        reply = client.post(
            "/stripe/connect/webhook",
            data=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )
        assert reply.status_code == 200
    db.session.expire_all()
    assert db.session.get(PayoutAccount, account.id).stripe_payouts_enabled
    forged = client.post(
        "/stripe/connect/webhook", data=body, headers={"Stripe-Signature": "t=1,v1=00"}
    )
    assert forged.status_code == 400


def test_a_changed_account_is_mailed_to_the_household_and_paid_only_a_day_later(
    client, login_as, clock
):
    household = factories.make_earning_seller(price=150_000)
    household.user.email = "bu.siti@contoh.id"
    login_as(user=household.user)
    assert client.post("/penjual/pendapatan/rekening", data=account_form()).status_code == 303
    admin = factories.make_user(roles=[Role.ADMIN])
    account = accounts.account_of(household.id)
    accounts.verify_account(account.id, account.version, admin)
    db.session.commit()
    # A first account is not held and tells no one: nothing was there to change.
    assert accounts.hold_refusal(account) is None
    assert (
        db.session.scalar(select(OutgoingMail).where(OutgoingMail.to == "bu.siti@contoh.id"))
        is None
    )

    # The household (or whoever has its password) moves the money to another bank.
    changed = account_form(**{"bank-bank_code": "009", "bank-account_number": "1234567890"})
    assert client.post("/penjual/pendapatan/rekening", data=changed).status_code == 303
    [mail] = db.session.scalars(select(OutgoingMail).where(OutgoingMail.to == "bu.siti@contoh.id"))
    assert mail.subject == f"Rekening pencairan {household.shop_name} diubah"
    assert "Sebelumnya: BRI (002) •••••••••••6508 a.n. Siti Aminah" in mail.body
    assert "Sekarang: BNI (009) ••••••7890 a.n. Siti Aminah" in mail.body
    assert "Jika bukan Anda yang mengubahnya" in mail.body

    # An admin checks it at once; the run still skips the household for 24 hours, and
    # the admin's payouts page says why.
    login_as(user=admin)
    account = accounts.account_of(household.id)
    client.post(f"/admin/rekening/{account.id}/periksa", data={"version": str(account.version)})
    assert client.post("/admin/pencairan/jalankan").status_code == 303
    page = client.get("/admin/pencairan").get_data(as_text=True)
    assert f"{household.shop_name}: Rekening baru diubah; pencairan ditahan sampai" in page
    db.session.expire_all()
    assert db.session.scalars(select(Payout).where(Payout.seller_id == household.id)).all() == []

    clock.move(hours=24, minutes=1)
    assert client.post("/admin/pencairan/jalankan").status_code == 303
    [payout] = db.session.scalars(select(Payout).where(Payout.seller_id == household.id))
    assert payout.account_number == "1234567890"


@pytest.mark.parametrize("method", ["bank", "ewallet", "stripe"])
@pytest.mark.parametrize("verified", [True, False])
def test_the_earnings_page_reads_the_account_as_the_account_itself_reads(app, method, verified):
    """The page reads a row of the account's columns; described and checked the same."""
    seller = factories.make_seller()
    assert accounts.account_shown_of(seller.id) is None
    factories.make_payout_account(
        seller, method=method, verified=verified, stripe_account_id="acct_1Test"
    )
    shown, account = accounts.account_shown_of(seller.id), accounts.account_of(seller.id)
    assert accounts.describe(shown) == accounts.describe(account)
    assert accounts.is_payable(shown) is accounts.is_payable(account) is verified
