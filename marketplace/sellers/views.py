"""A household's public shop page."""

from flask import Blueprint, abort, render_template

from marketplace.catalog import services as catalog
from marketplace.errors import NotFound
from marketplace.pagecache import cached_page

bp = Blueprint("sellers", __name__)


@bp.route("/toko/<slug>")
@cached_page
def shop(slug: str):
    try:
        seller = catalog.get_shop(slug)
    except NotFound:
        abort(404)
    return render_template(
        "sellers/shop.html", seller=seller, products=catalog.shop_products(seller)
    )
