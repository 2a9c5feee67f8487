"""Forms of the PKK desk: review decisions, assistance records, the collection, the report."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.forms import Form, LocalDateField, Required, SentOnce
from marketplace.numbers import IdMultipleField, IdSelectField, WholeNumberField
from marketplace.pkk.services import MAX_ASSISTANCE_AMOUNT
from marketplace.rupiah import RupiahField
from marketplace.sellers.forms import REQUIRED

DECISIONS = ("approve", "changes")


class ReviewForm(Form):
    note = TextAreaField(
        _l("Catatan untuk penjual"),
        validators=[Length(max=2000)],
        description=_l("Wajib bila meminta perbaikan, misalnya: segel kemasan tidak terlihat."),
    )
    decision = StringField(validators=[AnyOf(DECISIONS)])
    #: the photos' keys when the page was drawn: an approval covers only the photos seen
    photo_keys = HiddenField()


class TrainingForm(SentOnce, Form):
    held_on = LocalDateField(_l("Tanggal"), validators=[Required(REQUIRED)])
    topic = StringField(
        _l("Topik"),
        validators=[Required(REQUIRED), Length(max=200)],
        description=_l("Contoh: Kemasan dan label P-IRT"),
    )
    place = StringField(
        _l("Tempat"),
        validators=[Required(REQUIRED), Length(max=200)],
        description=_l("Contoh: Aula Kantor Gubernur, Tanjung Selor"),
    )
    seller_ids = IdMultipleField(
        _l("Rumah tangga yang hadir"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    notes = TextAreaField(_l("Catatan"), validators=[Length(max=2000)])

    def values(self) -> dict:
        """What ``services.record_training`` takes, as typed."""
        return {
            "held_on": self.held_on.data,
            "topic": self.topic.data,
            "place": self.place.data,
            "seller_ids": [i for i in self.seller_ids.data if i],
            "notes": self.notes.data or "",
            "token": self.sent_token,
        }


class PackagingHelpForm(SentOnce, Form):
    product_id = IdSelectField(_l("Produk"))
    given_on = LocalDateField(_l("Tanggal"), validators=[Required(REQUIRED)])
    description = TextAreaField(
        _l("Apa yang dikerjakan"),
        validators=[Required(REQUIRED), Length(max=2000)],
        description=_l("Contoh: label baru dengan nomor P-IRT, plastik vakum, stiker halal"),
    )

    def values(self) -> dict:
        """What ``services.record_packaging_help`` takes, as typed."""
        return {
            "product_id": self.product_id.data,
            "given_on": self.given_on.data,
            "description": self.description.data,
            "token": self.sent_token,
        }


class CapitalAssistanceForm(SentOnce, Form):
    seller_id = IdSelectField(_l("Rumah tangga"))
    giver = StringField(
        _l("Pemberi"),
        validators=[Required(REQUIRED), Length(max=200)],
        default="Disperindagkop UMKM Provinsi Kaltara",
    )
    given_on = LocalDateField(_l("Tanggal"), validators=[Required(REQUIRED)])
    description = StringField(
        _l("Bantuan berupa"),
        validators=[Required(REQUIRED), Length(max=300)],
        description=_l("Contoh: mesin jahit, alat pres kemasan, modal usaha"),
    )
    value_amount = RupiahField(
        _l("Nilai (Rp)"),
        validators=[Required(REQUIRED)],
        maximum=MAX_ASSISTANCE_AMOUNT,
        description=_l("Contoh: 3.500.000"),
    )

    def values(self) -> dict:
        """What ``services.record_capital_assistance`` takes, as typed."""
        return {
            "seller_id": self.seller_id.data,
            "giver": self.giver.data,
            "given_on": self.given_on.data,
            "description": self.description.data,
            "value_amount": self.value_amount.data,
            "token": self.sent_token,
        }


class OfficialGiftForm(Form):
    product_id = IdSelectField(_l("Produk"))


class SynonymForm(Form):
    word = StringField(
        _l("Kata yang diketik pembeli"),
        validators=[Required(REQUIRED), Length(max=60)],
        description=_l(
            "Ejaan daerah, ejaan sehari-hari atau bahasa Inggris, misalnya: krupuk, crab."
        ),
    )
    means = StringField(
        _l("Artinya di produk"),
        validators=[Required(REQUIRED), Length(max=120)],
        description=_l(
            "Kata yang dipakai di nama atau keterangan produk, misalnya: kerupuk, kepiting."
        ),
    )


class ReportForm(Form):
    """The report's period and kabupaten, read from the query string."""

    class Meta:
        csrf = False

    start = LocalDateField(_l("Dari"), validators=[Required(REQUIRED)])
    end = LocalDateField(_l("Sampai"), validators=[Required(REQUIRED)])
    region = StringField(_l("Kabupaten/kota"), validators=[Length(max=40)])


class VoucherCampaignForm(Form):
    """A voucher campaign: a code, how much off, a budget, a limit per buyer, WITA days,
    and the shops or products it covers (their addresses' last part; empty: everything)."""

    code = StringField(_l("Kode voucher"), validators=[Required(REQUIRED), Length(max=32)])
    kind = RadioField(
        _l("Jenis potongan"),
        choices=[
            SelectChoice("percent", _l("Persen dari harga")),
            SelectChoice("amount", _l("Rupiah per pesanan")),
        ],
        default="percent",
        validate_choice=False,
    )
    value = WholeNumberField(_l("Besar potongan"), validators=[Optional()])
    budget = RupiahField(_l("Anggaran (Rp)"), validators=[Optional()])
    per_buyer_limit = WholeNumberField(
        _l("Batas pemakaian per pembeli"), validators=[Optional()], default=1
    )
    starts_on = LocalDateField(_l("Berlaku mulai tanggal"))
    ends_on = LocalDateField(_l("Berlaku sampai tanggal (hari terakhir)"))
    shops = StringField(
        _l("Toko (alamat toko, pisahkan dengan koma; kosong: semua)"),
        validators=[Length(max=2000)],
    )
    products = StringField(
        _l("Produk (alamat produk, pisahkan dengan koma; kosong: semua)"),
        validators=[Length(max=2000)],
    )
