"""Cart, checkout and the household's order inbox."""

from __future__ import annotations

import re
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from marketplace import shipping_gateway
from marketplace.accounts.access import role_required
from marketplace.accounts.forms import EmptyForm
from marketplace.accounts.models import Role
from marketplace.catalog import places
from marketplace.crossorigin import same_origin_only
from marketplace.db import db, unit_of_work
from marketplace.errors import MarketplaceError
from marketplace.extensions import csrf
from marketplace.numbers import parse_ids
from marketplace.orders import addresses, inbox, messages, personal_data, shipments
from marketplace.orders import cart as carts
from marketplace.orders import checkout as checkouts
from marketplace.orders.forms import (
    AddressForm,
    CartLineForm,
    CartProductForm,
    CheckoutForm,
    DeclinePartForm,
    ShipPartForm,
    rate_choices,
)
from marketplace.orders.labels import (
    actor_label,
    address_line,
    cancelled_by_label,
    cart_groups,
    order_status_label,
    shipment_status_label,
    summary_groups,
)
from marketplace.orders.models import SavedAddress
from marketplace.orders.units import release_expired_orders
from marketplace.paging import link_prefix, requested_page
from marketplace.web import attempt, referral_in, safe_next

bp = Blueprint("orders", __name__)

CART_KEY = "cart"
CHECKOUT_KEY = "checkout_key"
LAST_ORDER_KEY = "last_order"


def _owner() -> dict:
    """Where the cart lives: the account when signed in, the session otherwise."""
    user_id = current_user.id if current_user.is_authenticated else None
    return {"user_id": user_id, "session_cart": session.setdefault(CART_KEY, {})}


def _cart_form(form_class=EmptyForm, token: bool = True):
    """The cart form sent; a product that is no id, or no CSRF token, is a 400. Without
    ``token``, a view checked by origin instead (``same_origin_only``)."""
    form = form_class() if token else form_class(meta={"csrf": False})
    if not form.validate_on_submit() and set(form.errors) - {"quantity"}:
        abort(400)
    return form


def _quantity(form: CartLineForm) -> int:
    if form.quantity.errors or form.quantity.data is None:
        raise carts.CartError(
            _("Jumlah harus antara 1 dan %(n)s.", n=carts.MAX_QUANTITY), field="quantity"
        )
    return form.quantity.data


def _cart_change(change, *, tell: bool = True) -> MarketplaceError | None:
    """Run a change of the cart in one unit of work (two at once take turns); a refusal is
    rolled back, shown as a message unless ``tell`` is off, and returned."""
    with attempt(shown=tell) as done:
        change()
    if done.ok:
        session.modified = True
    return done.error


#: a slug as products are given them (``sellers.services._new_slug``): written into a link as is
_PLAIN_SLUG = re.compile(r"[0-9a-z-]+")


def _product_links():
    """``url_for("catalog.product_detail", slug=slug)`` for every line of a page, at the cost
    of one ``url_for`` for the page (a slug of other characters gets its own call)."""
    mark = "0-slug-mark-0"
    head, _mark, tail = url_for("catalog.product_detail", slug=mark).partition(mark)

    def link(slug: str) -> str:
        if _PLAIN_SLUG.fullmatch(slug):
            return f"{head}{slug}{tail}"
        return url_for("catalog.product_detail", slug=slug)

    return link


@bp.route("/keranjang")
def cart():
    cart = carts.load_cart(**_owner(), with_photos=True, for_page=True)
    return render_template(
        "orders/cart.html",
        cart=cart,
        cart_groups=cart_groups(cart),
        product_link=_product_links(),
    )


@bp.route("/keranjang/tambah", methods=["POST"])
@same_origin_only
def cart_add():
    """Add to the cart. The product page's script asks for JSON and stays where it is (one
    Back still returns to the results); without it, back to the page with a message. The
    product page is cached for anonymous visitors, so no CSRF token: the request's origin
    is checked instead (``marketplace.crossorigin``)."""
    form = _cart_form(CartLineForm, token=False)
    in_place = request.accept_mimetypes.best == "application/json"
    error = _cart_change(
        lambda: carts.add_to_cart(
            form.product_id.data, _quantity(form), variant_id=form.variant_id.data, **_owner()
        ),
        tell=not in_place,
    )
    if in_place:
        return _added_answer(error)
    if error is None:
        flash(_("Produk dimasukkan ke keranjang."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("orders.cart")))


def _added_answer(error: MarketplaceError | None):
    answer = {
        "ok": error is None,
        "message": str(error.message) if error else _("Produk dimasukkan ke keranjang."),
        "cart_url": url_for("orders.cart"),
        "cart_count": cart_count().get("cart_session_count"),
    }
    return jsonify(answer), error.status_code if error else 200


@bp.route("/keranjang/ubah", methods=["POST"])
def cart_update():
    form = _cart_form(CartLineForm)
    _cart_change(
        lambda: carts.set_cart_quantity(
            form.product_id.data, _quantity(form), variant_id=form.variant_id.data, **_owner()
        )
    )
    return redirect(url_for("orders.cart"))


@bp.route("/keranjang/hapus", methods=["POST"])
def cart_remove():
    form = _cart_form(CartProductForm)
    _cart_change(
        lambda: carts.remove_from_cart(
            form.product_id.data, variant_id=form.variant_id.data, **_owner()
        )
    )
    return redirect(url_for("orders.cart"))


@bp.route("/keranjang/setujui-harga", methods=["POST"])
def cart_accept_prices():
    _cart_form()
    _cart_change(lambda: carts.accept_cart_prices(**_owner()))
    return redirect(url_for("orders.cart"))


def _checkout_key() -> str:
    """One key per cart: two tabs or a double tap submit the same key, so one order."""
    if CHECKOUT_KEY not in session:
        session[CHECKOUT_KEY] = secrets.token_urlsafe(24)
    return session[CHECKOUT_KEY]


def _saved_addresses() -> list[Row]:
    """The signed-in buyer's address book (read once per request, as rows), or none."""
    return addresses.address_rows(current_user.id) if current_user.is_authenticated else []


def _prefill(form: CheckoutForm, saved: list[Row]) -> None:
    """A signed-in buyer starts from the account's contact and the first saved address."""
    if current_user.is_authenticated and not form.is_submitted():
        if saved:
            form.fill_address(saved[0])
        form.name.data = form.name.data or current_user.name
        form.email.data = form.email.data or current_user.email
        form.whatsapp.data = form.whatsapp.data or current_user.phone


def _pickup_seller_ids() -> frozenset[int]:
    """The households whose part the buyer collects (ticked per household at checkout)."""
    return frozenset(parse_ids(request.form.getlist("pickup"), carts.MAX_CART_LINES))


def _rate_choices() -> dict[int, str]:
    """The courier service the buyer picked per household (``rate-<household>`` fields)."""
    return rate_choices(request.values, carts.MAX_CART_LINES)


def _place_order(form: CheckoutForm, pickup_seller_ids: frozenset[int]):
    """Place the order once per checkout key: a twin submit lands on the order it made."""
    key = (form.checkout_key.data or "")[:64] or _checkout_key()
    # Stock held by orders nobody paid goes back before this one is placed.
    release_expired_orders()
    order = None
    try:
        with attempt(form, above_form=False) as done:
            order = checkouts.place_order(
                form.details(pickup_seller_ids, _rate_choices()),
                checkout_key=key,
                referral=referral_in(session),
                seen_summary=form.summary.data or None,
                voucher_code=form.voucher_code.data,
                **_owner(),
            )
    except IntegrityError:
        db.session.rollback()
        order = checkouts.find_order_by_checkout_key(key)
        if order is None:
            raise
    return done, order


def _checkout_page(
    form: CheckoutForm,
    pickup_seller_ids: frozenset[int],
    status: int,
    error,
    saved: list[Row],
):
    """The form with the summary for the address as it stands (a GET, a refusal, "Hitung
    ongkir", a changed summary), carrying that summary's fingerprint."""
    postal_codes = form.offer_places()
    cart = carts.load_cart(
        **_owner(), **form.destination(pickup_seller_ids, _rate_choices()), for_page=True
    )
    if cart.is_empty and request.method == "GET":
        last = session.get(LAST_ORDER_KEY)
        return redirect(url_for("payments.order_page", token=last) if last else url_for(".cart"))
    form.summary.data = checkouts.summary_of(cart)
    return render_template(
        "orders/checkout.html",
        form=form,
        cart=cart,
        summary_groups=summary_groups(cart),
        postal_codes=postal_codes,
        changes=getattr(error, "changes", ()),
        addresses=saved,
    ), status


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    form = CheckoutForm()
    saved = _saved_addresses()
    _prefill(form, saved)
    if request.method == "GET":
        form.checkout_key.data = _checkout_key()
    pickup_seller_ids, action = _pickup_seller_ids(), request.form.get("action")
    status, error = (400 if form.is_submitted() and not action else 200), None
    if action == "address" and current_user.is_authenticated:
        form.fill_address(
            addresses.get_address_for_buyer(request.form.get("address"), current_user.id)
        )
    elif form.validate_on_submit() and not action:
        done, order = _place_order(form, pickup_seller_ids)
        if done.ok:
            for key in (CHECKOUT_KEY, CART_KEY):
                session.pop(key, None)
            session[LAST_ORDER_KEY] = order.access_token
            return redirect(url_for("payments.pay", token=order.access_token), 303)
        status, error = done.status, done.error
        saved = _saved_addresses()  # read again: the refused attempt was rolled back
    return _checkout_page(form, pickup_seller_ids, status, error, saved)


@bp.route("/checkout/ongkir")
def shipping_quote():
    """The summary's figures for an address, as JSON, for the checkout page's script: the
    same cart and shipping functions as the order price it."""
    pickup = frozenset(parse_ids(request.args.getlist("pickup"), carts.MAX_CART_LINES))
    cart = carts.load_cart(
        **_owner(),
        province=request.args.get("province", ""),
        city=request.args.get("city", ""),
        delivery=request.args.get("delivery", ""),
        pickup_seller_ids=pickup,
        postal_code=request.args.get("postal_code", "")[:5],
        rate_choices=_rate_choices(),
        for_page=True,
    )
    return jsonify(checkouts.figures_of(cart))


@bp.route("/wilayah/")
@bp.route("/wilayah/<code>")
def places_inside(code: str = ""):
    """The regions inside a region (the provinces with none) and a kecamatan's postal codes,
    for the address lists filtered in place; the same official list the order checks."""
    if code and not places.name_of(code):
        abort(404)
    inside = [{"code": place.code, "name": place.name} for place in places.children(code)]
    answer = jsonify(places=inside, postal_codes=list(places.postal_codes(code)))
    answer.cache_control.public, answer.cache_control.max_age = True, 86400
    return answer


# --- the household's inbox ----------------------------------------------------------------


def _seller_id() -> int:
    return inbox.seller_id_for_user(current_user.id)


@bp.route("/penjual/pesanan")
@role_required(Role.SELLER)
def seller_orders():
    seller_id = _seller_id()
    parts = inbox.list_seller_parts(seller_id, requested_page())
    return render_template(
        "orders/seller_inbox.html",
        parts=parts,
        # each status on the page translated once, each part's link its prefix and id
        status_labels={status: order_status_label(status) for status in {p.status for p in parts}},
        part_href=link_prefix("orders.seller_part", "part_id"),
    )


@bp.route("/penjual/pesanan/<id:part_id>", methods=["GET", "POST"])
@role_required(Role.SELLER)
def seller_part(part_id: int):
    seller_id = _seller_id()
    form = ShipPartForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action", "")
        with attempt() as done:
            inbox.move_part_for_seller(
                part_id, seller_id, action, actor_id=current_user.id, **form.shipping()
            )
        if done.ok:
            flash(_("Status pesanan diperbarui."), "success")
            return redirect(url_for("orders.seller_part", part_id=part_id), 303)
        status = done.status
    return seller_part_page(part_id, seller_id, form=form), status


@bp.route("/penjual/pesanan/<id:part_id>/kurir", methods=["POST"])
@role_required(Role.SELLER)
def book_courier(part_id: int):
    """Book the courier the buyer chose; the waybill comes back from the aggregator."""
    seller_id = _seller_id()
    if not EmptyForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        booking = shipments.booking_for(part_id, seller_id)
    if done.ok:
        with attempt() as done:
            shipment_id, waybill = shipments.call_courier(booking)
            shipments.keep_booking(part_id, seller_id, shipment_id, waybill)
    if not done.ok:
        return seller_part_page(part_id, seller_id), done.status
    if waybill:
        flash(_("Kurir dipesan. Nomor resi: %(number)s", number=waybill), "success")
    else:
        flash(_("Kurir dipesan. Nomor resi menyusul dari kurir."), "success")
    return redirect(url_for("orders.seller_part", part_id=part_id), 303)


@bp.route("/kurir/biteship", methods=["POST"])
@csrf.exempt
def courier_webhook():
    """Biteship's webhooks (``order.status``, ``order.price``, ``order.waybill_id``).

    Biteship documents no signature: the header set with the URL in its dashboard is
    checked, and the body only names the order, which is read back from Biteship before
    anything changes (``shipments``). A POST with no body is the dashboard's test of the URL.
    """
    config = current_app.config
    header, secret = config["BITESHIP_WEBHOOK_HEADER"], config["BITESHIP_WEBHOOK_SECRET"]
    if not secret or not config.get("BITESHIP_API_KEY"):
        abort(404)  # no webhook configured
    if not request.get_data().strip():
        return _plain("ok")  # the dashboard's test of a new URL: nothing to do
    if not shipping_gateway.webhook_authentic(request.headers, header, secret):
        abort(401)
    event = request.get_json(silent=True)
    if not isinstance(event, dict):
        return _plain(_("Isi webhook bukan objek JSON."), 400)
    return _courier_event(event)


def _courier_event(event: dict):
    """Read back the order an authentic webhook names, and apply what Biteship says."""
    kind = event.get("event")
    if not isinstance(kind, str) or kind not in shipments.WEBHOOK_EVENTS:
        return _plain("ignored")
    shipment_id = shipments.webhook_shipment_id(event)
    if shipment_id is None:
        return _plain(_("Webhook ini tidak menyebut order_id."), 400)
    part_id = shipments.part_for_shipment(shipment_id)
    if part_id is None:
        return _plain("unknown")  # answered, or Biteship would send it again and again
    try:
        found = shipments.read_shipment(shipment_id)
    except shipments.AggregatorDown as error:
        return _plain(str(error), error.status_code)  # Biteship sends it again later
    if found is None:
        return _plain("unknown")
    with unit_of_work():
        outcome = shipments.apply_shipment(part_id, found)
        db.session.commit()
    return _plain(outcome)


@bp.route("/admin/kurir")
@role_required(Role.ADMIN)
def admin_couriers():
    """Parcels Biteship now charges differently from what the buyer paid, and bookings it
    would not cancel when their part was."""
    return render_template("orders/admin_couriers.html", issues=shipments.courier_issues())


def _plain(text: str, status: int = 200):
    return str(text), status, {"Content-Type": "text/plain; charset=utf-8"}


def seller_part_page(part_id: int, seller_id: int, *, form=None, decline_form=None) -> str:
    """A household's part with its steps (and the decline form, as typed when refused)."""
    part = inbox.part_page_of(part_id, seller_id)
    return render_template(
        "orders/seller_part.html",
        part=part,
        form=form or ShipPartForm(),
        decline_form=decline_form or DeclinePartForm(formdata=None),
        cancellation=inbox.cancellation_of(part),
        may_book=shipments.may_book(part),
        booking=shipments.booking_row(part.id) if part.shipment_id else None,
        contact_visible=personal_data.buyer_contact_visible(part),
        contact_until=personal_data.contact_shown_until(part),
        contact_days=personal_data.contact_days(),
    )


bp.add_app_template_filter(actor_label, "actor_label")
bp.add_app_template_filter(address_line, "address_line")
bp.add_app_template_filter(cancelled_by_label, "cancelled_by")
bp.add_app_template_filter(shipment_status_label, "shipment_status")
bp.add_app_template_filter(order_status_label, "order_status")


@bp.app_context_processor
def cart_count() -> dict:
    """The number shown next to the cart link: the session's lines, no query."""
    if not has_request_context():  # a document rendered by a job or a command
        return {}
    cart = session.get(CART_KEY) or {}
    return {"cart_session_count": sum(value[0] for value in cart.values())}


@bp.app_template_global()
def order_link_to_whatsapp(order) -> str:
    """A wa.me link that sends the order's private link to the buyer's own WhatsApp, for a
    guest who gave no e-mail to receive it."""
    return messages.whatsapp_link(order.contact_whatsapp, messages.order_url(order))


@bp.app_template_filter("jam")
def time_label(value) -> str:
    """A time of day in the site's zone (WITA), e.g. 14:05."""
    return format_time(value, "HH:mm")


# --- the buyer's address book ---------------------------------------------------------------


def _address_page(form: AddressForm, address: SavedAddress | None, status: int):
    postal_codes = form.offer_places()
    return render_template(
        "orders/addresses.html",
        form=form,
        address=address,
        postal_codes=postal_codes,
        addresses=addresses.list_addresses(current_user.id),
        describe=addresses.describe,
        delete_form=EmptyForm(formdata=None),
    ), status


def _save_address(form: AddressForm, address_id: int | None):
    """Save when the form was sent to be saved; "Pilih wilayah" only re-offers the lists."""
    if request.method == "GET" or request.form.get("action") == "places":
        return None, 200
    if not form.validate_on_submit():
        return None, 400
    with attempt(form) as done:
        addresses.save_address(current_user.id, form.values(), address_id, form.sent_token)
    if not done.ok:
        return None, done.status
    flash(_("Alamat disimpan."), "success")
    return redirect(url_for("orders.address_book"), 303), 303


@bp.route("/akun/alamat", methods=["GET", "POST"])
@login_required
def address_book():
    form = AddressForm()
    saved, status = _save_address(form, None)
    return saved or _address_page(form, None, status)


@bp.route("/akun/alamat/<id:address_id>", methods=["GET", "POST"])
@login_required
def address_edit(address_id: int):
    address = addresses.get_address_for_buyer(address_id, current_user.id)
    form = AddressForm(obj=address)
    saved, status = _save_address(form, address_id)
    return saved or _address_page(form, address, status)


@bp.route("/akun/alamat/<id:address_id>/hapus", methods=["POST"])
@login_required
def address_delete(address_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        addresses.delete_address(current_user.id, address_id)
    if done.ok:
        flash(_("Alamat dihapus."), "success")
    return redirect(url_for("orders.address_book"), 303)
