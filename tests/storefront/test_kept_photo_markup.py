"""A product's photo markup kept per process: the same as written afresh, for each name,
size, loading and media address."""

from __future__ import annotations

from flask import g
from markupsafe import escape

from marketplace.catalog.services import CoverPhoto
from marketplace.storefront.cards import MediaUrls, photo_html, photo_urls

COVER = CoverPhoto(key="abc123", width=960, height=720, variant_widths="240,480,960")


def _fresh(made, sizes, eager, alt):
    lazy = "" if eager else 'loading="lazy" '
    escaped = escape(alt)
    return (
        f'<img src="{made.src}"\n       srcset="{made.srcset}"\n'
        f'       sizes="{sizes}" width="{made.width}" height="{made.height}"\n'
        f'       alt="{escaped}" {lazy}decoding="async">'
    )


def test_a_products_photo_is_written_as_its_urls_name_and_size_say_each_time(app):
    with app.test_request_context("/"):
        g.media_url_maker = MediaUrls("https://media.example/", "", storage=None)
        for _ in range(2):
            for sizes, eager, alt in (
                ("72px", False, "Amplang <pedas>"),
                ("72px", False, 'Kain "batik" & rotan'),
                ("100vw", True, "Amplang <pedas>"),
            ):
                written = photo_html(COVER, sizes, eager=eager, alt=alt)
                assert written == _fresh(photo_urls(COVER), sizes, eager, alt)
        assert 'src="https://media.example/photos/abc123/480.webp"' in written


def test_a_products_photo_follows_the_storages_address(app):
    with app.test_request_context("/"):
        g.media_url_maker = MediaUrls("https://media.example/", "", storage=None)
        first = photo_html(COVER, "72px", alt="Madu")
        g.media_url_maker = MediaUrls("/media/", "?v=2", storage=None)
        second = photo_html(COVER, "72px", alt="Madu")
    assert 'src="https://media.example/photos/abc123/480.webp"' in first
    assert 'src="/media/photos/abc123/480.webp?v=2"' in second
    assert "https://media.example/" not in second
