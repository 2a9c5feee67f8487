"""Forms of the seller's phone pages: few fields, typed the way people type them."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup
from wtforms import (
    FileField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import AnyOf, Length, Optional
from wtforms.widgets import FileInput, Input

from marketplace.forms import (
    Form,
    LocalDateField,
    Required,
    SentOnce,
    WrittenSelect,
    radio_options,
)
from marketplace.forms import lazy_gettext as _l
from marketplace.locales import current_language
from marketplace.numbers import IdSelectField, WholeNumberField
from marketplace.rupiah import RupiahField
from marketplace.sellers.applications import ApplicationInput
from marketplace.sellers.services import ListingInput

REQUIRED = _l("Wajib diisi.")

#: What a seller and a reviewer call each product status.
STATUS_LABELS = {
    "draft": _l("Draf"),
    "pending_review": _l("Ditinjau PKK"),
    "changes_requested": _l("Perlu perbaikan"),
    "published": _l("Tampil"),
    "paused": _l("Dijeda"),
    "archived": _l("Diarsipkan"),
}


def status_labels() -> dict[str, Markup]:
    """``STATUS_LABELS`` in the request's language (a lazy label is translated again every
    time it is written). Markup, as a lazy label writes itself: the same text on the page.
    Shared by the pages of this process in that language: not to be changed."""
    return _status_labels(current_language())


@lru_cache(maxsize=16)
def _status_labels(language: str) -> dict[str, Markup]:
    """``status_labels``, translated once per process and language (``language``, the key:
    the translation reads the same one)."""
    return {status: _written(label) for status, label in STATUS_LABELS.items()}


def _written(text) -> Markup:
    """A lazy text as the page writes it: its translation, not escaped again."""
    return Markup(str(text))  # noqa: S704


#: the words a seller's page writes many times or on every request, by page, in the order
#: its template names them (``{% set a, b = words %}``)
WORDS = {
    "dashboard_rows": (
        _l("Tersembunyi: izin P-IRT sudah berakhir"),  # hidden_label
        _l("Stok habis"),  # sold_out_label
        _l("Catatan PKK:"),  # note_label
        _l("Perpanjang SPP-IRT, lalu isi nomor P-IRT yang baru di sini."),  # next_renew
        _l("Lengkapi foto kemasan, lalu ajukan ke PKK."),  # next_draft
        _l("Menunggu tinjauan PKK."),  # next_review
        _l("Perbaiki sesuai catatan, lalu ajukan lagi."),  # next_fix
        _l("Tampil untuk pembeli."),  # next_shown
        _l("Tidak tampil. Tampilkan lagi bila siap."),  # next_paused
    ),
    "product_actions": (
        _l("Ajukan ke PKK"),  # submit_label
        _l("Jeda"),  # pause_label
        _l("Tampilkan lagi"),  # resume_label
        _l("Tandai stok habis"),  # sold_out_label
        _l("Salin jadi produk baru"),  # copy_label
        _l("Jadikan sampul"),  # cover_label
        _l("Geser ke depan"),  # forward_label
        _l("Geser ke belakang"),  # back_label
        _l("Hapus"),  # delete_label
    ),
}


def words(page: str) -> tuple[Markup, ...]:
    """``WORDS[page]`` in the request's language, as the template's ``_()`` writes them.
    Shared by the pages of this process in that language."""
    return _words(page, current_language())


@lru_cache(maxsize=16)
def _words(page: str, language: str) -> tuple[Markup, ...]:
    """``words``, translated once per process and language (``language``, the key: the
    translation reads the same one)."""
    return tuple(_written(word) for word in WORDS[page])


SALE_MODES = [
    SelectChoice("stock", _l("Ada stok siap kirim")),
    SelectChoice("order", _l("Dibuat sesuai pesanan")),
]


class PhotosInput(Input):
    """WTForms' ``FileInput(multiple=True)``, the same markup, written by the form's own
    ``<input>`` path (``marketplace.forms.Form``): a file field's value is never written
    (``FileField._value``) and ``multiple`` is the field's own attribute (``render_kw``)."""

    input_type = "file"
    validation_attrs = FileInput.validation_attrs


class ProductForm(SentOnce, Form):
    name = StringField(
        _l("Nama produk"),
        validators=[Required(REQUIRED), Length(max=120)],
        description=_l("Contoh: Amplang Ikan Tenggiri 250 g"),
    )
    category_id = IdSelectField(_l("Kategori"), widget=WrittenSelect())
    price = RupiahField(
        _l("Harga (Rp)"),
        validators=[Required(REQUIRED)],
        description=_l("Contoh: 35.000 atau 35rb"),
    )
    unit = StringField(
        _l("Satuan jual"),
        validators=[Required(REQUIRED), Length(max=60)],
        description=_l("Contoh: bungkus 250 g, toples, buah"),
    )
    # Anything but "order" means stock: no English "Not a valid choice" for a tampered value.
    sale_mode = RadioField(
        _l("Cara jual"), choices=SALE_MODES, default="stock", validate_choice=False
    )
    stock = WholeNumberField(_l("Stok"), validators=[Optional()])
    daily_capacity = WholeNumberField(
        _l("Bisa dibuat per hari"), validators=[Optional()], description=_l("Untuk produk pesanan")
    )
    lead_time_days = WholeNumberField(
        _l("Lama pembuatan (hari)"), validators=[Optional()], description=_l("Untuk produk pesanan")
    )
    weight_grams = WholeNumberField(_l("Berat kirim (gram)"), validators=[Required(REQUIRED)])
    description = TextAreaField(_l("Keterangan"), validators=[Optional(), Length(max=5000)])
    pirt_number = StringField(
        _l("Nomor P-IRT"),
        validators=[Optional(), Length(max=60)],
        description=_l("Seperti tercetak di label, contoh: 2026571010123-29"),
    )
    bpom_number = StringField(
        _l("Atau nomor BPOM MD"),
        validators=[Optional(), Length(max=60)],
        description=_l("Untuk makanan berizin BPOM, contoh: BPOM RI MD 123456789012"),
    )
    halal_number = StringField(
        _l("Nomor sertifikat halal (bila ada)"),
        validators=[Optional(), Length(max=60)],
        description=_l(
            "Dari BPJPH, juga lewat pernyataan mandiri (self declare), contoh: ID65710000012340126"
        ),
    )
    shelf_life_days = WholeNumberField(_l("Daya tahan (hari)"), validators=[Optional()])
    photos = MultipleFileField(
        _l("Foto produk dan kemasan"),
        description=_l("Foto pertama menjadi sampul. Paling banyak 8 foto."),
        widget=PhotosInput(),
        render_kw={"multiple": True},
    )

    def sale_modes(self) -> list:
        """The sale mode's radio buttons with their labels (``forms.radio_options``)."""
        return radio_options(self.sale_mode)

    def listing_input(self) -> ListingInput:
        return ListingInput(
            name=self.name.data or "",
            category_id=self.category_id.data,
            price_amount=self.price.data,
            is_made_to_order=self.sale_mode.data == "order",
            stock=self.stock.data,
            daily_capacity=self.daily_capacity.data,
            lead_time_days=self.lead_time_days.data,
            weight_grams=self.weight_grams.data,
            unit=self.unit.data or "",
            description=self.description.data or "",
            pirt_number=self.pirt_number.data,
            bpom_number=self.bpom_number.data,
            halal_number=self.halal_number.data,
            shelf_life_days=self.shelf_life_days.data,
        )

    def fill_from(self, product) -> None:
        """Show a product's current values (GET of the edit page)."""
        self.name.data = product.name
        self.category_id.data = product.category_id
        self.price.data = product.price_amount
        self.unit.data = product.unit
        self.sale_mode.data = "order" if product.is_made_to_order else "stock"
        self.stock.data = product.stock
        self.daily_capacity.data = product.daily_capacity
        self.lead_time_days.data = product.lead_time_days or None
        self.weight_grams.data = product.weight_grams
        self.description.data = product.description
        self.pirt_number.data = product.pirt_number
        self.bpom_number.data = product.bpom_number
        self.halal_number.data = product.halal_number
        self.shelf_life_days.data = product.shelf_life_days


class ApplicationForm(Form):
    shop_name = StringField(
        _l("Nama toko"),
        validators=[Required(REQUIRED), Length(max=120)],
        description=_l("Contoh: Amplang Bu Siti"),
    )
    owner_name = StringField(_l("Nama pemilik"), validators=[Required(REQUIRED), Length(max=120)])
    region_id = IdSelectField(_l("Kabupaten/kota"))
    village = StringField(_l("Desa/kelurahan"), validators=[Required(REQUIRED), Length(max=120)])
    whatsapp = TelField(
        _l("Nomor WhatsApp"),
        validators=[Required(REQUIRED), Length(max=24)],
        description=_l("Contoh: 0812 3456 7890"),
    )
    nib = StringField(
        _l("NIB (bila ada)"),
        validators=[Optional(), Length(max=24)],
        description=_l("Nomor Induk Berusaha dari OSS, 13 angka"),
    )
    story = TextAreaField(
        _l("Cerita usaha Anda"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Siapa yang membuat, sejak kapan, dari bahan apa."),
    )
    photo = FileField(
        _l("Foto usaha atau produk"), description=_l("Satu foto: dapur, kemasan, atau produk.")
    )
    #: The photo already received with an earlier try of this form (a signed note).
    photo_kept = HiddenField()

    def application_input(self) -> ApplicationInput:
        return ApplicationInput(
            shop_name=self.shop_name.data or "",
            owner_name=self.owner_name.data or "",
            region_id=self.region_id.data,
            village=self.village.data or "",
            whatsapp=self.whatsapp.data or "",
            nib=self.nib.data,
            story=self.story.data or "",
        )


DECISIONS = ("approve", "reject")


class ApplicationDecisionForm(Form):
    note = TextAreaField(
        _l("Alasan atau catatan"),
        validators=[Length(max=2000)],
        description=_l("Wajib bila menolak; pemohon membacanya."),
    )
    decision = StringField(validators=[AnyOf(DECISIONS)])


class OptionsForm(SentOnce, Form):
    """The product's options page: its rows are read from the request
    (``variants.read_rows``); the form carries the page's tokens."""


class ClosureForm(SentOnce, Form):
    """Holiday mode: the first and last day the shop is closed (WITA), and a message.

    Sent twice: first to see the orders still open, then with ``confirm`` to close."""

    starts_on = LocalDateField(_l("Libur mulai tanggal"))
    ends_on = LocalDateField(_l("Libur sampai tanggal"))
    message = TextAreaField(
        _l("Pesan untuk pembeli (boleh kosong)"), validators=[Optional(), Length(max=300)]
    )
    confirm = HiddenField()


PROMOTION_KINDS = [
    SelectChoice("percent", _l("Persen dari harga")),
    SelectChoice("amount", _l("Rupiah per satuan")),
]


class PromotionForm(SentOnce, Form):
    """A household's discount on one product: how much, from which WITA day to which."""

    kind = RadioField(
        _l("Jenis potongan"), choices=PROMOTION_KINDS, default="percent", validate_choice=False
    )
    value = WholeNumberField(_l("Besar potongan"), validators=[Optional()])
    starts_on = LocalDateField(_l("Promo mulai tanggal"))
    ends_on = LocalDateField(_l("Promo sampai tanggal (hari terakhir)"))


class PickupPlaceForm(Form):
    """Where couriers collect the parcels; ``pickup`` checks both against the list."""

    district = SelectField(_l("Kecamatan"), validate_choice=False)
    postal_code = StringField(
        _l("Kode pos"),
        validators=[Length(max=5)],
        description=_l("Kode pos rumah atau tempat kurir menjemput paket."),
    )

    def offer(self, districts) -> None:
        self.district.choices = [SelectChoice("", _l("Pilih kecamatan"))] + [
            SelectChoice(place.code, place.name) for place in districts
        ]
