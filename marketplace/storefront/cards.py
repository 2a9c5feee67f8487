"""Product cards as plain values: everything a card shows, worked out once in Python.

A grid of 24 cards used to cost hundreds of template calls (a macro per card, a macro
per photo, ``url_for`` per link and per photo variant, a filter per price). A ``Card``
holds the finished strings (links, ``srcset``, prices, the rating in the visitor's
language), so the grid is one loop of plain fields (``_macros.html``, ``product_grid``).
Links are built by ``UrlMaker``: ``url_for`` once per grid, then string joins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from flask import url_for
from flask.globals import _cv_app
from flask_babel import format_decimal
from markupsafe import Markup, escape

from marketplace.catalog.models import PhotoVariants, Product
from marketplace.catalog.services import CoverPhoto, ProductCard
from marketplace.reviews.models import rating_average
from marketplace.rupiah import format_rupiah
from marketplace.storage import get_storage

#: What werkzeug's converters leave unquoted in a path segment (``BaseConverter.to_url``).
PATH_SAFE = "!$&'()*+,/:;=@"
_MARK = "zqcardmarkqz"
#: Storage keys the fast path may join as they are (content hashes, widths, ".webp").
_PLAIN_KEY = re.compile(r"[A-Za-z0-9._/-]+")


class UrlMaker:
    """``url_for(endpoint, **{name: value})`` for many values at the cost of one call."""

    def __init__(self, endpoint: str, name: str):
        self._head, _, self._tail = url_for(endpoint, **{name: _MARK}).partition(_MARK)

    def __call__(self, value: str) -> str:
        return self._head + quote(value, safe=PATH_SAFE) + self._tail


@dataclass(frozen=True)
class MediaUrls:
    """``get_storage().url`` for many keys: the storage's URL for one mark, then joins.
    Two of them with the same head and tail write the same URLs (``photo_urls`` keeps
    what they wrote)."""

    head: str
    tail: str
    storage: Any = field(compare=False, repr=False)

    def __call__(self, key: str) -> str:
        if _PLAIN_KEY.fullmatch(key):
            return self.head + key + self.tail
        return self.storage.url(key)


def media_url_maker() -> MediaUrls:
    storage = get_storage()
    head, _, tail = storage.url(_MARK).partition(_MARK)
    return MediaUrls(head, tail, storage)


@dataclass(frozen=True, slots=True)
class CardPhoto:
    src: str
    srcset: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Card:
    """One product card; strings are text (the template escapes them)."""

    url: str
    name: str
    photo: CardPhoto | None
    #: what it sells for now, "Rp35.000"
    price: str
    #: the list price struck through during a promotion, else None
    list_price: str | None
    shop_name: str
    region_name: str
    rating_count: int
    #: "4,5" or "4.5" in the visitor's language; "" without ratings
    rating: str
    sold_out: bool
    made_to_order: bool
    #: "mulai" before the price: the options sell at more than one price
    price_range: bool = False


def card_photo(photo: PhotoVariants, media_url: Callable[[str], str]) -> CardPhoto:
    """What ``_macros.photo`` writes for a photo: the fallback variant and every width."""
    default = photo.fallback_width()
    srcset = ", ".join(f"{media_url(photo.variant_key(w))} {w}w" for w in photo.widths)
    return CardPhoto(
        src=media_url(photo.variant_key(default)),
        srcset=srcset,
        width=default,
        height=photo.height_at(default),
    )


def photo_urls(photo: PhotoVariants | CardPhoto) -> CardPhoto:
    """What ``_macros.photo`` writes for any photo (a product's, an application's, an
    upload's), its URLs joined in Python with the request's one media URL maker."""
    if isinstance(photo, CardPhoto):
        return photo
    maker = _request_media_urls()
    if isinstance(photo, CoverPhoto):
        return _kept_card_photo(photo, maker)
    return card_photo(photo, maker)


def _request_media_urls() -> MediaUrls:
    """The request's one media URL maker."""
    # the request's ``g`` itself, not through its proxy (a long list asks once a photo)
    kept = _cv_app.get().g
    maker = getattr(kept, "media_url_maker", None)
    if maker is None:
        maker = kept.media_url_maker = media_url_maker()
    return maker


#: a photo's URLs as written for a storage's URLs: values in, values out (a photo's key
#: names its content), kept per process for the pages that show the same photos again
_kept_card_photo = lru_cache(maxsize=4096)(card_photo)


#: ``_macros.photo``'s image, its URLs and sizes filled in by ``photo_html``, each text
#: escaped there (``Markup``'s own ``%`` wraps and escapes every value: most of the cost of
#: a long list's photos)
_IMAGE = (
    '<img src="%s"\n       srcset="%s"\n       sizes="%s" width="%d" height="%d"\n'
    '       alt="%s" %sdecoding="async">'
)
_LAZY = Markup('loading="lazy" ')


def photo_html(
    item: PhotoVariants | CardPhoto | None, sizes: str, eager: bool = False, alt: str = ""
) -> Markup:
    """The one writer of a photo's markup (the ``photo`` macro of ``_macros.html`` and the
    rows of long lists call it): a responsive WebP ``<img>``, lazy unless ``eager``, or an
    empty frame named ``alt`` when there is no photo."""
    if item:
        if isinstance(item, CoverPhoto):
            return _kept_image(item, _request_media_urls(), sizes, eager, alt)
        return _image(photo_urls(item), sizes, eager, alt)
    if alt:
        return Markup('<div class="no-photo" role="img" aria-label="%s"></div>') % alt
    return Markup('<div class="no-photo"></div>')


def _image(made: CardPhoto, sizes: str, eager: bool, alt: str) -> Markup:
    lazy = Markup("") if eager else _LAZY
    return Markup(  # noqa: S704 (every text escaped, the sizes whole numbers)
        _IMAGE
        % (
            escape(made.src),
            escape(made.srcset),
            escape(sizes),
            made.width,
            made.height,
            escape(alt),
            lazy,
        )
    )


@lru_cache(maxsize=4096)
def _kept_image(
    photo: CoverPhoto, media_url: MediaUrls, sizes: str, eager: bool, alt: str
) -> Markup:
    """A product's photo's markup, values in, values out (its key names its content), kept
    per process for the lists that show the same photos again."""
    return _image(_kept_card_photo(photo, media_url), sizes, eager, alt)


def cards(products: Iterable[Product | ProductCard | Card]) -> list[Card]:
    """The cards of ``products`` (ORM rows with shop, region and photos loaded, or the
    catalogue's ``ProductCard`` values); cards already made pass through."""
    products = list(products)
    if all(isinstance(product, Card) for product in products):
        return products  # type: ignore[return-value]
    product_url = UrlMaker("catalog.product_detail", "slug")
    media_url = media_url_maker()
    return [
        product if isinstance(product, Card) else card_of(product, product_url, media_url)
        for product in products
    ]


def card_of(
    product: Product | ProductCard,
    product_url: Callable[[str], str],
    media_url: Callable[[str], str],
) -> Card:
    cover = product.cover
    price_now = product.price_now
    average = rating_average(product.rating_sum, product.rating_count)
    if isinstance(product, ProductCard):
        shop_name, region_name = product.shop_name, product.region_name
    else:
        shop_name, region_name = product.seller.shop_name, product.seller.region.name
    return Card(
        url=product_url(product.slug),
        name=product.name,
        photo=card_photo(cover, media_url) if cover is not None else None,
        price=format_rupiah(price_now),
        list_price=format_rupiah(product.price_amount) if product.on_promotion else None,
        shop_name=shop_name,
        region_name=region_name,
        rating_count=product.rating_count,
        rating=format_decimal(average, "0.0") if average is not None else "",
        sold_out=not product.in_stock,
        made_to_order=product.is_made_to_order,
        price_range=bool(product.has_price_range),
    )
