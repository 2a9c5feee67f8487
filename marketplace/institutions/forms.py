"""Forms of the protocol office pages; they survive a phone without JavaScript."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.forms import Form
from marketplace.numbers import IdSelectField, WholeNumberField
from marketplace.rupiah import RupiahField

#: empty line rows shown on the builder; blank ones are ignored
BUILDER_ROWS = 6


class InstitutionForm(Form):
    name = StringField(_l("Nama instansi"), validators=[DataRequired(), Length(max=160)])
    unit = StringField(
        _l("Unit kerja"),
        validators=[DataRequired(), Length(max=160)],
        description=_l("Contoh: Biro Umum Setda Provinsi Kaltara"),
    )
    address = TextAreaField(_l("Alamat"), validators=[DataRequired(), Length(max=500)])
    npwp = StringField(_l("NPWP"), validators=[DataRequired(), Length(max=32)])
    treasurer_name = StringField(_l("Nama bendahara"), validators=[DataRequired(), Length(max=120)])


class MemberForm(Form):
    email = EmailField(
        _l("E-mail akun"),
        validators=[DataRequired(), Length(max=254)],
        description=_l("Orangnya harus sudah punya akun."),
    )
    can_approve = BooleanField(_l("Boleh menyetujui penawaran (kepala kantor)"))


class LineForm(Form):
    class Meta:
        csrf = False

    product_id = IdSelectField(_l("Produk"), default=0)
    quantity_per_box = WholeNumberField(
        _l("Jumlah per bingkisan"), validators=[Optional()], minimum=1, maximum=100
    )


class BuilderForm(Form):
    event_name = StringField(
        _l("Nama acara"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Contoh: Kunjungan Kerja Komisi II DPR RI"),
    )
    # The most boxes a quote may hold is a setting; the service says so past it.
    box_count = WholeNumberField(
        _l("Jumlah bingkisan"),
        validators=[InputRequired(message=_l("Isi jumlah bingkisan."))],
        maximum=1_000_000,
    )
    lines = FieldList(
        FormField(LineForm), label=_l("Isi bingkisan"), min_entries=BUILDER_ROWS, max_entries=20
    )
    card_text = TextAreaField(
        _l("Teks kartu ucapan"),
        validators=[Optional(), Length(max=600)],
        description=_l("Dicetak pada kartu di setiap bingkisan. Kosongkan bila tanpa kartu."),
    )
    delivery_date = DateField(
        _l("Tanggal pengantaran"),
        validators=[DataRequired(message=_l("Isi tanggal pengantaran."))],
    )
    delivery_time = StringField(
        _l("Jam pengantaran"),
        validators=[Optional(), Length(max=40)],
        description=_l("Contoh: 09.00 WITA"),
    )
    delivery_place = TextAreaField(
        _l("Alamat pengantaran"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("Contoh: Hotel Luminor, Jl. Skip II, Tanjung Selor"),
    )
    budget_code = StringField(
        _l("Kode anggaran (MAK)"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("Contoh: 5.1.02.01.01.0026"),
    )
    rup_code = StringField(_l("Kode RUP (bila ada)"), validators=[Optional(), Length(max=40)])


class TemplateForm(Form):
    name = StringField(_l("Nama templat"), validators=[DataRequired(), Length(max=120)])


class ReturnForm(Form):
    reason = TextAreaField(_l("Alasan dikembalikan"), validators=[DataRequired(), Length(max=1000)])


class GovPaymentForm(Form):
    amount = RupiahField(
        _l("Jumlah diterima"),
        validators=[InputRequired()],
        description=_l("Rupiah, contoh 2.500.000"),
    )
    reference = StringField(_l("Nomor SP2D"), validators=[DataRequired(), Length(max=120)])
    paid_on = DateField(_l("Tanggal SP2D"), validators=[InputRequired()])


class CorrectionForm(Form):
    reason = TextAreaField(_l("Alasan koreksi"), validators=[DataRequired(), Length(max=1000)])
