"""One writer of a photo's markup: the ``photo`` macro and the long lists write the same."""

from __future__ import annotations

from flask import render_template_string

from marketplace.storefront.cards import CardPhoto, photo_html

PHOTO = CardPhoto(
    src="/m/a-480.webp", srcset="/m/a-240.webp 240w, /m/a-480.webp 480w", width=480, height=360
)


def test_a_photo_is_a_lazy_responsive_image_with_its_name_escaped(app):
    with app.test_request_context("/"):
        written = photo_html(PHOTO, "72px", alt='Amplang "pedas" <&>')
    assert written == (
        '<img src="/m/a-480.webp"\n'
        '       srcset="/m/a-240.webp 240w, /m/a-480.webp 480w"\n'
        '       sizes="72px" width="480" height="360"\n'
        '       alt="Amplang &#34;pedas&#34; &lt;&amp;&gt;" loading="lazy" decoding="async">'
    )
    with app.test_request_context("/"):
        assert 'loading="lazy"' not in photo_html(PHOTO, "100vw", eager=True)


def test_no_photo_is_an_empty_frame_named_when_it_has_a_name(app):
    with app.test_request_context("/"):
        assert photo_html(None, "72px", alt="Madu <kelulut>") == (
            '<div class="no-photo" role="img" aria-label="Madu &lt;kelulut&gt;"></div>'
        )
        assert photo_html(None, "72px") == '<div class="no-photo"></div>'


def test_the_macro_writes_what_the_lists_write(app):
    template = (
        '{% from "_macros.html" import photo %}[{{ photo(item, "72px", alt=name) }}]'
        '[{{ photo_html(item, "72px", alt=name) }}]'
    )
    with app.test_request_context("/"):
        for item in (PHOTO, None):
            for name in ("", "Kain <batik>"):
                macro, direct = render_template_string(template, item=item, name=name)[1:-1].split(
                    "]["
                )
                assert macro == direct
                assert macro == str(photo_html(item, "72px", alt=name))


def test_a_photo_s_urls_follow_the_storage_s_address(app):
    """The URLs written for a product's photo are kept per process by value: the same
    photo under another media address gets that address (a moved bucket, a CDN)."""
    from marketplace.catalog.services import CoverPhoto
    from marketplace.storefront.cards import MediaUrls, photo_urls

    cover = CoverPhoto(key="abc123", width=960, height=720, variant_widths="240,480,960")
    with app.test_request_context("/"):
        from flask import g

        g.media_url_maker = MediaUrls("https://media.example/", "", storage=None)
        first = photo_urls(cover)
        g.media_url_maker = MediaUrls("/media/", "?v=2", storage=None)
        second = photo_urls(cover)
    assert first.src == "https://media.example/photos/abc123/480.webp"
    assert first.srcset.endswith("https://media.example/photos/abc123/960.webp 960w")
    assert second.src == "/media/photos/abc123/480.webp?v=2"
    assert (first.width, first.height) == (second.width, second.height) == (480, 360)
