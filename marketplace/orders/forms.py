"""Checkout and shipping forms; the rules themselves live in the services."""

from markupsafe import Markup, escape
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import Select

from marketplace.catalog import places
from marketplace.forms import Form, Required, SentOnce, html_params, radio_options
from marketplace.forms import lazy_gettext as _l
from marketplace.numbers import IdField, WholeNumberField, is_ascii_digits
from marketplace.orders import addresses
from marketplace.orders.cart import MAX_QUANTITY
from marketplace.orders.checkout import CheckoutDetails
from marketplace.orders.models import Delivery


class CartProductForm(Form):
    """A product of the cart, from its hidden field, and the option chosen (the product
    page's radio buttons, the cart's hidden field) when it has options."""

    product_id = IdField(validators=[Required()])
    variant_id = IdField(validators=[Optional()])


class CartLineForm(CartProductForm):
    quantity = WholeNumberField(
        _l("Jumlah"), validators=[Required()], minimum=1, maximum=MAX_QUANTITY
    )


class PlaceChoices(list):
    """A region list's choices, with its options written once (``html``): the official
    lists are files that do not change while the process runs."""

    html: str = ""


#: each region list's choices and options as written, per placeholder (so per language) and
#: list; never changed once made (``PlaceSelect`` reads them, nothing writes to them)
_WRITTEN_LISTS: dict[tuple[str, str], PlaceChoices] = {}
#: about the kabupaten/kota of Indonesia, in two languages, with the provinces
MAX_WRITTEN_LISTS = 2048


def _place_choices(
    placeholder, parent: str, places_inside: tuple[places.Place, ...]
) -> PlaceChoices:
    """The choices of the list of regions inside ``parent``, written as WTForms' select
    writes its options (html_params escapes the value, the label is escaped)."""
    # an empty list is one for any parent: what a visitor types cannot fill the store
    key = (str(placeholder), parent if places_inside else "")
    choices = _WRITTEN_LISTS.get(key)
    if choices is not None:
        return choices
    choices = PlaceChoices(
        [SelectChoice("", placeholder)]
        + [SelectChoice(place.code, place.name) for place in places_inside]
    )
    choices.html = "".join(
        f'<option value="{escape(choice.value)}">{escape(choice.label or choice.value)}</option>'
        for choice in choices
    )
    if len(_WRITTEN_LISTS) < MAX_WRITTEN_LISTS:
        _WRITTEN_LISTS[key] = choices
    return choices


class PlaceSelect(Select):
    """WTForms' select for the official region lists (the provinces are 38), their options
    written once (``PlaceChoices``) and the chosen one marked: the same markup."""

    def __call__(self, field, **kwargs):
        choices = field.choices
        if not isinstance(choices, PlaceChoices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                kwargs[name] = flags[name]
        options = choices.html
        if isinstance(field.data, str):
            # WTForms marks the option whose value is the data (``coerce`` is ``str``);
            # html_params' order: "selected" before "value"
            value = escape(field.data)
            options = options.replace(
                f'<option value="{value}">', f'<option selected value="{value}">', 1
            )
        select = f"<select {html_params(name=field.name, **kwargs)}>{options}</select>"
        return Markup(select)  # noqa: S704


class AddressFields(Form):
    """An Indonesian address from the official lists; the service checks the regions
    against the list and names what is wrong."""

    name = StringField(_l("Nama penerima"), validators=[Length(max=120)])
    whatsapp = TelField(
        _l("Nomor WhatsApp"),
        validators=[Length(max=24)],
        description=_l("Contoh: 0812 3456 7890. Kabar pesanan dan tautannya lewat nomor ini."),
    )
    province = SelectField(
        _l("Provinsi"), default=places.KALTARA, validate_choice=False, widget=PlaceSelect()
    )
    city = SelectField(_l("Kabupaten/kota"), validate_choice=False, widget=PlaceSelect())
    district = SelectField(_l("Kecamatan"), validate_choice=False, widget=PlaceSelect())
    street = TextAreaField(
        _l("Alamat"),
        validators=[Length(max=300)],
        description=_l("Jalan, nomor rumah, RT/RW, patokan"),
    )
    postal_code = StringField(_l("Kode pos"), validators=[Length(max=5)])

    def offer_places(self) -> tuple[str, ...]:
        """Fill the lists from the regions chosen so far (each list the one above it
        allows); return the postal codes of the chosen kecamatan."""
        province, city = self.province.data or "", self.city.data or ""
        self.province.choices = _place_choices(_l("Pilih provinsi"), "", places.children())
        self.city.choices = _place_choices(
            _l("Pilih kabupaten/kota"), province, places.children(province) if province else ()
        )
        inside = places.is_inside(city, province)
        self.district.choices = _place_choices(
            _l("Pilih kecamatan"), city if inside else "", places.children(city) if inside else ()
        )
        district = self.district.data or ""
        return places.postal_codes(district) if places.is_inside(district, city) else ()


class AddressForm(SentOnce, AddressFields):
    label = StringField(
        _l("Nama alamat"), validators=[Length(max=40)], description=_l("Misalnya Rumah, Kantor")
    )

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in addresses.FIELDS}


class CheckoutForm(AddressFields):
    checkout_key = HiddenField()
    #: the fingerprint of the summary this page shows (``checkout.summary_of``)
    summary = HiddenField()
    email = EmailField(
        _l("E-mail (tidak wajib)"),
        validators=[Length(max=254)],
        description=_l("Isi bila ingin bukti pesanan dan kabarnya juga lewat e-mail."),
    )
    delivery = RadioField(
        _l("Pengiriman"),
        choices=[
            SelectChoice(Delivery.SHIP.value, _l("Dikirim ke alamat")),
            SelectChoice(
                Delivery.PICKUP.value, _l("Ambil sendiri di rumah penjual (satu kabupaten/kota)")
            ),
        ],
        default=Delivery.SHIP.value,
    )
    voucher_code = StringField(
        _l("Kode voucher (tidak wajib)"),
        validators=[Length(max=32)],
        description=_l("Voucher dari PKK atau Pasar Oleh-Oleh Kaltara."),
    )

    def delivery_options(self) -> list[Markup]:
        """The delivery's radio buttons with their labels (``forms.radio_options``)."""
        return radio_options(self.delivery)

    def fill_address(self, address) -> None:
        """Put a saved address in the form (the buyer chose it from the address book)."""
        for name in ("name", "whatsapp", "province", "city", "district", "street", "postal_code"):
            getattr(self, name).data = getattr(address, name)

    def destination(
        self, pickup_seller_ids: frozenset[int], rate_choices: dict[int, str] | None = None
    ) -> dict:
        """Where the goods go, as the cart prices shipping for it (and the rates chosen)."""
        return {
            "province": self.province.data or "",
            "city": self.city.data or "",
            "delivery": self.delivery.data or "",
            "pickup_seller_ids": pickup_seller_ids,
            "postal_code": self.postal_code.data or "",
            "rate_choices": rate_choices or {},
        }

    def details(
        self, pickup_seller_ids: frozenset[int], rate_choices: dict[int, str] | None = None
    ) -> CheckoutDetails:
        return CheckoutDetails(
            name=self.name.data or "",
            email=self.email.data or "",
            whatsapp=self.whatsapp.data or "",
            delivery=self.delivery.data or "",
            province=self.province.data or "",
            city=self.city.data or "",
            district=self.district.data or "",
            street=self.street.data or "",
            postal_code=self.postal_code.data or "",
            pickup_seller_ids=pickup_seller_ids,
            rate_choices=rate_choices or {},
        )


class ShipPartForm(Form):
    courier = StringField(_l("Kurir"), validators=[Length(max=60)])
    tracking_number = StringField(_l("Nomor resi"), validators=[Length(max=60)])

    def shipping(self) -> dict[str, str]:
        """The courier and waybill number (resi) as typed, for a "shipped" step."""
        return {
            "courier": self.courier.data or "",
            "tracking_number": self.tracking_number.data or "",
        }


class DeclinePartForm(Form):
    """Why a household declines a paid part (the rule on the reason is the service's)."""

    reason = TextAreaField(_l("Alasan menolak"), validators=[Length(max=1000)])


def rate_choices(values, limit: int) -> dict[int, str]:
    """The courier service chosen per household at checkout: fields ``rate-<household>``
    holding ``jne:reg`` (anything else is ignored: the cheapest rate stands)."""
    found: dict[int, str] = {}
    for name, value in values.items():
        prefix, _, seller = name.partition("-")
        if prefix == "rate" and is_ascii_digits(seller) and len(seller) < 10 and len(found) < limit:
            found[int(seller)] = str(value)[:60]
    return found
