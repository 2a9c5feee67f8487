"""A household's public shop page, and the seller's own pages for listing from a phone."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from marketplace import catalogmemo
from marketplace.accounts.access import role_required
from marketplace.accounts.forms import EmptyForm
from marketplace.accounts.identity import signed_in_user
from marketplace.accounts.models import Role
from marketplace.catalog import places, pricing
from marketplace.catalog import services as catalog
from marketplace.catalog.licences import licence_state
from marketplace.catalog.models import PhotoUpload, Product, Seller
from marketplace.catalog.photos import PhotoError, StoredPhoto
from marketplace.db import db
from marketplace.errors import MarketplaceError, NotFound
from marketplace.forms import WrittenChoices
from marketplace.inventory import closures
from marketplace.numbers import parse_ids
from marketplace.orders import inbox
from marketplace.paging import link_prefix, requested_page
from marketplace.sellers import (
    applications,
    edit_page,
    personal_data,  # noqa: F401  registers shop applications
    pickup,
    printing,
    services,
    shares,
    variants,
)
from marketplace.sellers import (
    dashboard as listing,
)
from marketplace.sellers.forms import (
    ApplicationForm,
    ClosureForm,
    OptionsForm,
    PickupPlaceForm,
    ProductForm,
    PromotionForm,
    status_labels,
    words,
)
from marketplace.storage import get_storage
from marketplace.web import attempt, flash_error, validate_with

bp = Blueprint("sellers", __name__)


@bp.context_processor
def photo_limits() -> dict:
    return {"max_photos": services.MAX_PHOTOS}


def get_seller_for_seller_or_404() -> Seller:
    """The signed-in person's own shop."""
    seller = services.get_seller_of_user(current_user.id)
    if seller is None:
        abort(404)
    return seller


def get_product_for_seller_or_404(product_id: int) -> tuple[Seller, Product]:
    """One of the signed-in seller's own products; another shop's product is a 404."""
    product = services.get_product_of_user(current_user.id, product_id)
    if product is None:
        _no_such_product()
    return product.seller, product


def _no_such_product():
    get_seller_for_seller_or_404()  # no shop at all: that 404
    raise NotFound("no such product")


def _upload_ids() -> list[int]:
    return parse_ids(request.form.getlist("upload_ids"), services.MAX_PHOTOS)


def _receive_photos(seller: Seller, already: int) -> tuple[list[PhotoUpload], list[str]]:
    """Store the photos of this submit first, and commit them, before the form is checked.

    A form that comes back with an error then still holds every photo already sent
    (their ids travel in hidden fields), so a slow phone never sends them twice.
    """
    kept = services.kept_uploads(seller.id, _upload_ids())
    files = [
        (f.filename or "", f.read())
        for f in request.files.getlist("photos")
        if f.filename or f.content_length
    ]
    result = services.store_uploads(
        seller.id,
        files,
        get_storage(),
        current_app.config["PHOTO_WIDTHS"],
        already=already + len(kept),
    )
    db.session.commit()
    return kept + result.uploads, result.problems


def _product_form() -> ProductForm:
    form = ProductForm()
    coerce = form.category_id.coerce

    def written() -> WrittenChoices:
        choices = [SelectChoice(0, _("Pilih kategori"))] + [
            SelectChoice(category.id, category.label)
            for category in services.categories_for_listing()
        ]
        return WrittenChoices(choices, coerce)

    # the categories and their options written once per catalogue version and language
    form.category_id.choices = catalogmemo.kept(
        ("listing_categories", catalogmemo.locale_key()), written
    )
    return form


@bp.route("/penjual")
@role_required(Role.SELLER)
def dashboard():
    today = catalog.today_local()
    seller = listing.shop_heading_of_user(current_user.id, today)
    share = _shop_share(seller) if seller else None
    products = listing.list_seller_products(seller.id, requested_page()) if seller else []
    return render_template(
        "sellers/dashboard.html",
        seller=seller,
        products=products,
        status_labels=status_labels(),
        words=words("dashboard_rows"),
        licence_states={product.id: licence_state(product, today) for product in products},
        share=share,
        share_counts=seller.share_counts if seller else None,
        edit_href=link_prefix("sellers.product_edit", "product_id"),
    )


def _shop_share(seller: listing.ShopHeading) -> shares.ShareLink:
    """The household's own link to its shop, with its reference."""
    code = shares.share_code_of(seller.id)
    url = current_app.config["SITE_URL"].rstrip("/") + url_for("catalog.shop", slug=seller.slug)
    text = _("%(shop)s: oleh-oleh dari %(village)s", shop=seller.shop_name, village=seller.village)
    return shares.ShareLink.make("toko", url, seller.shop_name, text, code)


def _check_listing(form: ProductForm, seller: Seller, already: int, product=None):
    """Keep the photos sent (committed first), then check the form and the listing rules
    together (every problem in one answer); the uploads and whether all is fine."""
    uploads, problems = _receive_photos(seller, already)
    if product is not None and product.options:
        # priced and stocked by its options: the form's own fields are not asked for
        form.price.validators = form.stock.validators = []
    valid = validate_with(
        form, lambda: services.check_listing(services.listing_of(product, form.listing_input()))
    )
    form.photos.errors = [*form.photos.errors, *problems]
    return uploads, valid and not problems


@bp.route("/penjual/produk/baru", methods=["GET", "POST"])
@role_required(Role.SELLER)
def product_new():
    seller = get_seller_for_seller_or_404()
    form = _product_form()
    if not form.is_submitted():
        return render_template("sellers/product_form.html", form=form, uploads=[])
    uploads, ok = _check_listing(form, seller, already=0)
    if ok:
        with attempt(form) as done:
            product, created = services.create_product(
                seller.id,
                form.listing_input(),
                token=form.sent_token,
                upload_ids=[upload.id for upload in uploads],
            )
        if done.ok:
            if created:
                flash(_("Produk disimpan sebagai draf."), "success")
            return redirect(url_for("sellers.product_edit", product_id=product.id))
    return render_template("sellers/product_form.html", form=form, uploads=uploads), 400


@bp.route("/penjual/produk/<id:product_id>", methods=["GET", "POST"])
@role_required(Role.SELLER)
def product_edit(product_id: int):
    form = _product_form()
    if not form.is_submitted():
        # showing the form only reads: plain values, not the ORM object saving needs
        shown = edit_page.product_page_of_user(current_user.id, product_id)
        if shown is None:
            _no_such_product()
        form.fill_from(shown)
        return _product_page(form, [], shown)
    seller, product = get_product_for_seller_or_404(product_id)
    uploads, ok = _check_listing(form, seller, already=len(product.photos), product=product)
    if ok:
        with attempt(form) as done:
            back_to_review = services.update_product(
                product, form.listing_input(), [upload.id for upload in uploads], signed_in_user()
            )
        if done.ok:
            flash(_("Perubahan disimpan."), "success")
            if back_to_review:
                flash(
                    _("%(why)s PKK meninjau ulang produk ini.", why=product.latest_note), "success"
                )
            return redirect(url_for("sellers.product_edit", product_id=product.id))
    return _product_page(form, uploads, product), 400


def _product_page(
    form: ProductForm, uploads: list[PhotoUpload], product: Product | edit_page.ProductPage
):
    return render_template(
        "sellers/product_form.html",
        form=form,
        uploads=uploads,
        product=product,
        status_labels=status_labels(),
        words=words("product_actions"),
    )


#: action in the URL -> (service, message when done)
PRODUCT_ACTIONS = {
    "ajukan": (
        services.submit_for_review,
        _l("Produk diajukan. Tim PKK akan meninjau kemasannya."),
    ),
    "jeda": (services.pause_product, _l("Produk dijeda: tidak tampil untuk pembeli.")),
    "lanjutkan": (services.resume_product, _l("Produk tampil lagi untuk pembeli.")),
    "stok-habis": (services.mark_out_of_stock, _l("Stok ditandai habis.")),
    "salin": (services.duplicate_product, _l("Salinan dibuat sebagai draf. Ubah seperlunya.")),
}


@bp.route("/penjual/produk/<id:product_id>/<action>", methods=["POST"])
@role_required(Role.SELLER)
def product_action(product_id: int, action: str):
    if action not in PRODUCT_ACTIONS:
        abort(404)
    _seller, product = get_product_for_seller_or_404(product_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    service, message = PRODUCT_ACTIONS[action]
    try:
        result = service(product, signed_in_user())
    except MarketplaceError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for("sellers.product_edit", product_id=product_id))
    db.session.commit()
    flash(str(message), "success")
    target = result.id if isinstance(result, Product) else product_id
    return redirect(url_for("sellers.product_edit", product_id=target))


PHOTO_ACTIONS = {
    "sampul": services.make_cover,
    "naik": lambda product, photo_id, actor: services.move_photo(product, photo_id, -1, actor),
    "turun": lambda product, photo_id, actor: services.move_photo(product, photo_id, 1, actor),
    "hapus": services.remove_photo,
}


@bp.route("/penjual/produk/<id:product_id>/foto/<id:photo_id>/<action>", methods=["POST"])
@role_required(Role.SELLER)
def photo_action(product_id: int, photo_id: int, action: str):
    if action not in PHOTO_ACTIONS:
        abort(404)
    _seller, product = get_product_for_seller_or_404(product_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    PHOTO_ACTIONS[action](product, photo_id, signed_in_user())
    db.session.commit()
    return redirect(url_for("sellers.product_edit", product_id=product_id) + "#foto")


def _application_form() -> ApplicationForm:
    form = ApplicationForm()
    form.region_id.choices = [SelectChoice(0, _("Pilih kabupaten/kota"))] + [
        SelectChoice(region.id, f"{region.kind.capitalize()} {region.name}")
        for region in services.list_regions()
    ]
    return form


@bp.route("/buka-toko", methods=["GET", "POST"])
@login_required
def apply():
    """Apply to open a shop, and see where the application stands."""
    if services.get_seller_of_user(current_user.id) is not None:
        return redirect(url_for("sellers.dashboard"))
    latest = applications.latest_application(current_user.id)
    form = _application_form()
    if form.is_submitted() and _send_application(form):
        flash(_("Pengajuan terkirim. Tim PKK akan meninjaunya."), "success")
        return redirect(url_for("sellers.apply"))
    status = 400 if form.is_submitted() else 200
    return render_template("sellers/apply.html", form=form, latest=latest), status


def _send_application(form: ApplicationForm) -> bool:
    """Keep the photo first, then check the form and the rules together: one answer names
    every problem, and a form that comes back still holds the photo."""
    photo, refused = _application_photo(form)
    values = form.application_input()
    valid = validate_with(
        form, lambda: applications.check_application(current_user.id, values, photo)
    )
    if refused is not None:
        form.photo.errors = [str(refused.message)]
    if not valid or refused is not None:
        return False
    with attempt(form) as done:
        applications.apply_for_shop(current_user.id, values, photo)
    return done.ok


def _application_photo(form: ApplicationForm) -> tuple[StoredPhoto | None, PhotoError | None]:
    """The photo sent now (stored at once), else the one an earlier try kept; and why a
    photo sent now was refused."""
    sent = request.files.get("photo")
    data = sent.read() if sent else b""
    photo = applications.photo_from_note(form.photo_kept.data)
    refused = None
    if data:
        try:
            photo = applications.receive_photo(
                data, get_storage(), current_app.config["PHOTO_WIDTHS"]
            )
        except PhotoError as error:
            refused = error
    form.photo_kept.data = applications.photo_note(photo) if photo else ""
    return photo, refused


@bp.route("/penjual/cetak")
@role_required(Role.SELLER)
def print_labels():
    """Choose what to print: products, the shop, labels or table cards."""
    seller = get_seller_for_seller_or_404()
    return render_template(
        "sellers/print.html",
        seller=seller,
        products=printing.printable_products(seller.id),
        layouts=printing.LAYOUTS,
    )


@bp.route("/penjual/cetak.pdf")
@role_required(Role.SELLER)
def print_labels_pdf():
    seller = get_seller_for_seller_or_404()
    layout = printing.LAYOUTS.get(request.args.get("layout", "label"))
    chosen = parse_ids(request.args.getlist("product"), limit=200)
    if layout is None:
        abort(404)
    try:
        items = printing.items_to_print(seller, chosen, request.args.get("shop") == "1")
    except printing.PrintError as error:
        flash_error(error)
        return redirect(url_for("sellers.print_labels"))
    body = printing.sheet_pdf(seller, items, layout)
    filename = f"{layout.name}-{seller.slug}.pdf"
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@bp.route("/penjual/libur", methods=["GET", "POST"])
@role_required(Role.SELLER)
def holiday():
    """Close the shop for some days: first the orders still open, then the closing."""
    seller = get_seller_for_seller_or_404()
    form, today = ClosureForm(), catalog.today_local()
    checked = form.is_submitted() and validate_with(
        form, lambda: closures.check_closure(form.starts_on.data, form.ends_on.data, today)
    )
    if checked and form.confirm.data == "1" and _close_shop(form, seller, today):
        return redirect(url_for("sellers.holiday"))
    status = 400 if form.is_submitted() and not checked else 200
    return render_template(
        "sellers/holiday.html",
        form=form,
        confirming=checked,
        closure=closures.live_closure(seller.id, today),
        open_parts=inbox.open_parts(seller.id),
        reopen_form=EmptyForm(),
    ), status


def _close_shop(form: ClosureForm, seller: Seller, today) -> bool:
    with attempt(form) as done:
        closures.close_shop(
            seller.id,
            form.starts_on.data,
            form.ends_on.data,
            form.message.data or "",
            today,
            form.sent_token,
        )
    if done.ok:
        last_day = format_date(form.ends_on.data, "long")
        flash(_("Toko Anda libur sampai %(date)s.", date=last_day), "success")
    return done.ok


@bp.route("/penjual/alamat-jemput", methods=["GET", "POST"])
@role_required(Role.SELLER)
def pickup_place():
    """Where couriers collect the household's parcels: kecamatan and postal code."""
    seller = get_seller_for_seller_or_404()
    form = PickupPlaceForm(
        data={"district": seller.pickup_district, "postal_code": seller.pickup_postal_code}
    )
    form.offer(pickup.districts_of(seller))
    status = _save_pickup_place(form, seller) if form.is_submitted() else 200
    if status == 303:
        flash(_("Alamat jemput kurir disimpan."), "success")
        return redirect(url_for("sellers.pickup_place"), 303)
    district = form.district.data or ""
    return render_template(
        "sellers/pickup.html",
        form=form,
        seller=seller,
        current=places.name_of(seller.pickup_district) or "",
        city=places.name_of(pickup.city_of(seller)) or seller.region.name,
        postal_codes=places.postal_codes(district) if district else (),
    ), status


def _save_pickup_place(form: PickupPlaceForm, seller: Seller) -> int:
    """303 when saved; else the status of the page that shows why."""
    if not form.validate():
        return 400
    with attempt(form) as done:
        pickup.set_pickup_place(seller.id, form.district.data or "", form.postal_code.data or "")
    return 303 if done.ok else done.status


@bp.route("/penjual/libur/buka", methods=["POST"])
@role_required(Role.SELLER)
def reopen():
    seller = get_seller_for_seller_or_404()
    if not EmptyForm().validate_on_submit():
        abort(400)
    with attempt():
        closures.reopen_shop(seller.id, catalog.today_local())
    flash(_("Toko Anda buka lagi."), "success")
    return redirect(url_for("sellers.holiday"))


@bp.route("/penjual/produk/<id:product_id>/pilihan", methods=["GET", "POST"])
@role_required(Role.SELLER)
def options(product_id: int):
    """The product's options (rasa, ukuran) as rows: change, add, deactivate, in one send."""
    _seller, product = get_product_for_seller_or_404(product_id)
    form = OptionsForm()
    if not form.is_submitted():
        return _options_page(form, product, variants.rows_of(product), {})
    if not form.validate():
        abort(400)
    rows = variants.read_rows(request.form, len(product.variants) + variants.NEW_ROWS)
    errors: dict[str, list[str]] = {}
    with attempt(shown=False) as done:
        variants.save_options(product, rows, form.sent_token)
    if done.ok:
        flash(_("Pilihan disimpan."), "success")
        return redirect(url_for("sellers.options", product_id=product.id))
    for each in done.error.every():
        errors.setdefault(each.field or "", []).append(str(each.message))
    # what was typed comes back as typed, with every problem under its cell
    return _options_page(form, product, rows, errors), 400


def _options_page(form, product: Product, rows, errors: dict[str, list[str]]):
    return render_template(
        "sellers/options.html",
        form=form,
        product=product,
        rows=rows,
        errors=errors,
        made_to_order=product.is_made_to_order,
    )


@bp.route("/penjual/produk/<id:product_id>/promo", methods=["GET", "POST"])
@role_required(Role.SELLER)
def promotions(product_id: int):
    """The product's discounts: those running or to come, and a form for a new one."""
    _seller, product = get_product_for_seller_or_404(product_id)
    form = PromotionForm()
    checked = form.is_submitted() and validate_with(
        form,
        lambda: pricing.check_promotion(product, *_promotion_input(form), catalog.today_local()),
    )
    if checked:
        with attempt(form) as done:
            pricing.add_promotion(product, *_promotion_input(form), token=form.sent_token)
        if done.ok:
            flash(_("Promo disimpan."), "success")
            return redirect(url_for("sellers.promotions", product_id=product.id))
    return render_template(
        "sellers/promotions.html",
        form=form,
        product=product,
        promotions=pricing.promotions_of(product),
        end_form=EmptyForm(),
    ), 400 if form.is_submitted() else 200


def _promotion_input(form: PromotionForm) -> tuple:
    return form.kind.data, form.value.data, form.starts_on.data, form.ends_on.data


@bp.route("/penjual/produk/<id:product_id>/promo/<id:promotion_id>/akhiri", methods=["POST"])
@role_required(Role.SELLER)
def end_promotion(product_id: int, promotion_id: int):
    _seller, product = get_product_for_seller_or_404(product_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with attempt() as done:
        pricing.cancel_promotion(product, promotion_id)
    if done.ok:
        flash(_("Promo diakhiri."), "success")
    return redirect(url_for("sellers.promotions", product_id=product.id))
