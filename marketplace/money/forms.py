"""Payout account forms: each change asks for the password again."""

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from marketplace.db import today_local
from marketplace.forms import Form, LocalDateField, Required, SentOnce
from marketplace.money.banks import BANKS, WALLETS
from marketplace.money.reconcile import default_days, period_refusal
from marketplace.numbers import IdField, WholeNumberField
from marketplace.rupiah import RupiahField

#: what an admin's refund form may ask: part of a share, a whole part, the whole order
REFUND_ACTIONS = ("partial", "cancel_part", "refund_order")


class _PasswordAgain(Form):
    password = PasswordField(
        _l("Kata sandi Anda"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("Untuk mengubah rekening pencairan, masukkan kata sandi lagi."),
    )


class BankAccountForm(_PasswordAgain):
    method = HiddenField(default="bank")
    bank_code = SelectField(
        _l("Bank"),
        choices=[SelectChoice(bank.code, f"{bank.name} ({bank.code})") for bank in BANKS],
    )
    account_number = StringField(_l("Nomor rekening"), validators=[DataRequired(), Length(max=40)])
    holder_name = StringField(
        _l("Nama pemilik rekening"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("Seperti tertulis di buku tabungan."),
    )


class WalletForm(_PasswordAgain):
    method = HiddenField(default="ewallet")
    wallet_provider = SelectField(
        _l("Dompet digital"), choices=[SelectChoice(code, name) for code, name in WALLETS.items()]
    )
    wallet_number = TelField(
        _l("Nomor HP dompet digital"),
        validators=[DataRequired(), Length(max=24)],
        description=_l("Contoh: 0812 3456 7890"),
    )


class StripeForm(_PasswordAgain):
    method = HiddenField(default="stripe")


class ResultFileForm(Form):
    result = FileField(_l("Berkas hasil dari bank (CSV)"))


class StatementFileForm(SentOnce, Form):
    statement = FileField(_l("Rekening koran bank (CSV)"))


class ComplaintForm(Form):
    message = TextAreaField(
        _l("Apa masalahnya?"), validators=[DataRequired(), Length(min=5, max=1000)]
    )


class VerifyAccountForm(Form):
    #: the account's version when the admin looked at it: a change since is not verified
    version = WholeNumberField(validators=[Required()])


class RefundForm(Form):
    """An admin's refund on an order: cancel a part, the whole order, or part of a share."""

    #: anything else moves no money (400), rather than being read as a partial refund
    action = StringField(default="partial", validators=[AnyOf(REFUND_ACTIONS)])
    part_id = IdField()
    amount = RupiahField(_l("Jumlah (Rp)"))
    refund_key = StringField(filters=[lambda text: (text or "")[:60]])
    reason = TextAreaField(_l("Alasan"), filters=[lambda text: (text or "")[:2000]])


class ReconcileForm(Form):
    """The days a reconciliation compares, read from the query string (WITA, both included)."""

    class Meta:
        csrf = False

    since = LocalDateField(_l("Dari tanggal"))
    until = LocalDateField(_l("Sampai tanggal"))

    def days(self) -> tuple[dt.date, dt.date]:
        """The first and last day asked for; a day not given is the default period's."""
        first, last = default_days(today_local())
        return self.since.data or first, self.until.data or last

    def validate_until(self, field) -> None:
        # the period as it will be read, a day left out filled in: one given alone cannot
        # stretch it past the limit, or end it before it starts
        if (refusal := period_refusal(*self.days())) is not None:
            raise ValidationError(refusal)


class PayMethodForm(Form):
    """The buyer's choice of payment method (checked against the configured ones)."""

    method = StringField(_l("Cara bayar"), validators=[DataRequired(), Length(max=24)])


class RefundTransferForm(Form):
    """The admin transferred a refund to the buyer's bank account: its reference."""

    reference = StringField(
        _l("Nomor referensi transfer"), validators=[DataRequired(), Length(max=100)]
    )
