"""Forms of the protocol office pages; they survive a phone without JavaScript."""

from collections.abc import Callable

from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import Select, html_params

from marketplace.forms import Form, Required, SentOnce
from marketplace.forms import lazy_gettext as _l
from marketplace.numbers import WholeNumberField, parse_id
from marketplace.rupiah import RupiahField

#: rows a fresh builder shows (most boxes hold 3-5 products; "Tambah baris" adds one at a
#: time), and after the lines of a quote or a template two blank; blank ones are ignored
BUILDER_ROWS = 3
#: the most rows (lines) a builder takes
MAX_ROWS = 20
#: the builder's list of lines, and each of its rows
LINES_LABEL = _l("Isi bingkisan")


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


class SharedChoices(list):
    """The choices of every line of the builder (each product of the catalogue), each a
    WTForms ``SelectChoice``: their options are written once per page and shared, not
    once per line, as WTForms' ``Select`` writes them (a run of choices with the same
    ``optgroup`` in one ``<optgroup>``)."""

    html: str | None = None
    #: a chosen value, as the field holds it, to the value the option carries
    values: dict | None = None

    def write(self, coerce: Callable[[str], object]) -> None:
        """Write the options (and ``values``, by ``coerce``), once: every line shows them."""
        parts, group = [], None
        for choice in self:
            if choice.optgroup != group:
                if group is not None:
                    parts.append("</optgroup>")
                if choice.optgroup is not None:
                    parts.append(f"<optgroup {html_params(label=choice.optgroup)}>")
                group = choice.optgroup
            parts.append(
                f"<option {html_params(value=choice.value)}>{escape(choice.label)}</option>"
            )
        if group is not None:
            parts.append("</optgroup>")
        self.values = {coerce(choice.value): choice.value for choice in self}
        self.html = "".join(parts)


class SharedOptionsSelect(Select):
    """WTForms' select, writing ``SharedChoices`` once for all the lines of a page.

    The same markup as ``Select``: the chosen option gets ``selected``.
    """

    def __call__(self, field, **kwargs):
        choices = field.choices
        if not isinstance(choices, SharedChoices):
            return super().__call__(field, **kwargs)
        if choices.html is None:
            choices.write(field.coerce)
        kwargs.setdefault("id", field.id)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name not in kwargs and flags.get(name):
                kwargs[name] = flags[name]
        options = choices.html
        if field.data in choices.values:
            value = escape(choices.values[field.data])
            options = options.replace(
                f'<option value="{value}">', f'<option selected value="{value}">', 1
            )
        # As WTForms' own widget: html_params escapes the attributes, the labels were escaped.
        # With the id alone (every line of the builder) the attributes are written directly,
        # in html_params' order.
        if kwargs.keys() == {"id"}:
            attributes = f'id="{escape(kwargs["id"])}" name="{escape(field.name)}"'
        else:
            attributes = html_params(name=field.name, **kwargs)
        return Markup(f"<select {attributes}>{options}</select>")  # noqa: S704


def box_choice_value(product_id: int, variant_id: int | None) -> str:
    """How the builder's select carries a choice: "12", or "12-34" for option 34."""
    return f"{product_id}-{variant_id}" if variant_id is not None else str(product_id)


def parse_box_choice(value: object) -> tuple[int, int | None] | None:
    """A builder choice from its value; None for none chosen. Not a choice: ValueError."""
    if value is None or isinstance(value, tuple):
        return value
    text = str(value).strip()
    if text in ("", "0"):
        return None
    product, _dash, variant = text.partition("-")
    product_id = parse_id(product)
    variant_id = parse_id(variant) if variant else None
    if not product_id or (variant and not variant_id):
        raise ValueError(_l("Pilih dari daftar."))
    return (product_id, variant_id)


class BoxChoiceField(SelectField):
    """A product, or one option of it, chosen on the builder. The service checks that it
    may be chosen; here only that the value can name one at all."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, coerce=parse_box_choice, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = parse_box_choice(valuelist[0])


class LineForm(Form):
    class Meta:
        csrf = False

    #: a product, or one option of a product sold by option: "12" or "12-34"
    product_id = BoxChoiceField(_l("Produk"), default=None, widget=SharedOptionsSelect())
    quantity_per_box = WholeNumberField(
        _l("Jumlah per bingkisan"), validators=[Optional()], minimum=1, maximum=100
    )


class BuilderForm(SentOnce, Form):
    event_name = StringField(
        _l("Nama acara"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Contoh: Kunjungan Kerja Komisi II DPR RI"),
    )
    # The most boxes a quote may hold is a setting; the service says so past it.
    box_count = WholeNumberField(
        _l("Jumlah bingkisan"),
        validators=[Required(message=_l("Isi jumlah bingkisan."))],
        maximum=1_000_000,
    )
    # Each row labelled as the list is: without a label WTForms would translate a made-up
    # one ("Lines-0") for every row it makes.
    lines = FieldList(
        FormField(LineForm, label=LINES_LABEL),
        label=LINES_LABEL,
        min_entries=BUILDER_ROWS,
        max_entries=MAX_ROWS,
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

    # How many rows the builder shows: here alone, for the view and the template.

    def show_rows_for(self, filled: int) -> None:
        """Rows enough for ``filled`` lines and two blank after them (``BUILDER_ROWS`` at
        least, ``MAX_ROWS`` at most)."""
        while len(self.lines) < min(max(BUILDER_ROWS, filled + 2), MAX_ROWS):
            self.lines.append_entry()

    @property
    def can_add_row(self) -> bool:
        """Whether "Tambah baris" is offered: the list is not at its most."""
        return len(self.lines) < MAX_ROWS

    def add_row(self) -> None:
        """One more blank row ("Tambah baris"), none past ``MAX_ROWS``."""
        if self.can_add_row:
            self.lines.append_entry()


class ReturnForm(Form):
    reason = TextAreaField(_l("Alasan dikembalikan"), validators=[DataRequired(), Length(max=1000)])


class GovPaymentForm(Form):
    amount = RupiahField(
        _l("Jumlah diterima"),
        validators=[Required()],
        description=_l("Rupiah, contoh 2.500.000"),
    )
    reference = StringField(_l("Nomor SP2D"), validators=[DataRequired(), Length(max=120)])
    paid_on = DateField(_l("Tanggal SP2D"), validators=[Required()])


class CorrectionForm(Form):
    reason = TextAreaField(_l("Alasan koreksi"), validators=[DataRequired(), Length(max=1000)])
