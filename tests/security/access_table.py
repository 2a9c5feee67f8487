"""Who gets what: every route of the site, for every role, in one table.

A row is ``(method, path, anonymous, buyer, seller, reviewer, officer, admin)``.
``{name}`` in a path is an object made for the test by ``OBJECTS[name](user)``, where
``user`` is the one signed in (``None`` for a visitor): routes about "own" and "other's"
things (an order, a listing) get one row for each, e.g. ``{own_order}`` and
``{other_order}``. A POST sends ``FORMS[endpoint]``, a valid form, so that the status
shows access and not a form problem.

A new route without a row fails ``test_every_route_is_in_the_table``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from sqlalchemy import select

from marketplace.accounts.contact import change_token
from marketplace.accounts.models import User
from marketplace.accounts.recovery import reset_token
from marketplace.catalog import pricing
from marketplace.catalog.lexicon import add_synonym
from marketplace.catalog.models import ProductPhoto, ProductStatus, Seller, SellerStatus
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.institutions.models import Document
from marketplace.notify import Person, notify
from marketplace.orders.models import Order, SavedAddress
from tests import factories

ROLES = ("anonymous", "buyer", "seller", "reviewer", "officer", "admin")

# fmt: off
ACCESS = [
    # method  path                                        anon buyer seller rev  off  admin
    ("GET",  "/",                                          200, 200, 200, 200, 200, 200),
    ("GET",  "/produk",                                    200, 200, 200, 200, 200, 200),
    ("GET",  "/produk?region=tarakan&sort=price_asc",      200, 200, 200, 200, 200, 200),
    ("GET",  "/search?q=amplang",                          200, 200, 200, 200, 200, 200),
    ("GET",  "/search/saran?q=amp",                        200, 200, 200, 200, 200, 200),
    ("GET",  "/produk/{product}",                          200, 200, 200, 200, 200, 200),
    ("GET",  "/produk/{draft_product}",                    404, 404, 404, 404, 404, 404),
    ("GET",  "/produk/{expired_licence_product}",          404, 404, 404, 404, 404, 404),
    ("GET",  "/toko/{shop}",                               200, 200, 200, 200, 200, 200),
    ("GET",  "/toko/{suspended_shop}",                     404, 404, 404, 404, 404, 404),
    ("GET",  "/media/{photo}",                             200, 200, 200, 200, 200, 200),
    ("GET",  "/media/photos/{missing}/320.webp",           404, 404, 404, 404, 404, 404),
    ("GET",  "/media/{outside_media}",                     404, 404, 404, 404, 404, 404),
    ("GET",  "/gambar-bagikan/{photo_key}.jpg",            200, 200, 200, 200, 200, 200),
    ("GET",  "/gambar-bagikan/{missing}.jpg",              404, 404, 404, 404, 404, 404),
    ("GET",  "/sitemap.xml",                               200, 200, 200, 200, 200, 200),
    ("GET",  "/robots.txt",                                200, 200, 200, 200, 200, 200),
    ("GET",  "/static/style.css",                          200, 200, 200, 200, 200, 200),
    ("GET",  "/static/tidak-ada.css",                      404, 404, 404, 404, 404, 404),
    ("GET",  "/favicon.ico",                               200, 200, 200, 200, 200, 200),
    ("GET",  "/static/manifest.webmanifest",               200, 200, 200, 200, 200, 200),
    ("GET",  "/healthz",                                   200, 200, 200, 200, 200, 200),
    ("GET",  "/kiriman-terlalu-besar",                     413, 413, 413, 413, 413, 413),
    ("GET",  "/readyz",                                    200, 200, 200, 200, 200, 200),
    # Restricted to the monitoring network at the load balancer (README, Deployment).
    ("GET",  "/metrics",                                   200, 200, 200, 200, 200, 200),
    ("POST", "/bahasa",                                    302, 302, 302, 302, 302, 302),
    ("GET",  "/bahasa",                                    405, 405, 405, 405, 405, 405),
    ("GET",  "/akun/daftar",                               200, 302, 302, 302, 302, 302),
    ("POST", "/akun/daftar",                               302, 302, 302, 302, 302, 302),
    ("GET",  "/akun/masuk",                                200, 302, 302, 302, 302, 302),
    ("POST", "/akun/masuk",                                302, 302, 302, 302, 302, 302),
    ("POST", "/akun/keluar",                               302, 302, 302, 302, 302, 302),
    ("GET",  "/akun/masuk/kode",                           303, 303, 303, 303, 303, 303),
    ("POST", "/akun/masuk/kode",                           303, 303, 303, 303, 303, 303),
    ("GET",  "/akun/keamanan",                             302, 200, 200, 200, 200, 200),
    ("POST", "/akun/keamanan/totp/mulai",                  302, 303, 303, 303, 303, 303),
    ("POST", "/akun/keamanan/totp",                        302, 400, 400, 400, 400, 400),
    ("POST", "/akun/keamanan/totp/matikan",                302, 400, 400, 400, 400, 400),
    ("GET",  "/akun/keluar",                               405, 405, 405, 405, 405, 405),
    ("GET",  "/akun/lupa-sandi",                           200, 302, 302, 302, 302, 302),
    ("POST", "/akun/lupa-sandi",                           302, 302, 302, 302, 302, 302),
    # A reset link works for whoever holds it (signed in or not) and signs in its account.
    ("GET",  "/akun/atur-ulang/{reset_token}",             200, 200, 200, 200, 200, 200),
    ("POST", "/akun/atur-ulang/{reset_token}",             302, 302, 302, 302, 302, 302),
    ("GET",  "/akun/atur-ulang/{forged_reset_token}",      400, 400, 400, 400, 400, 400),
    ("GET",  "/akun/",                                     302, 200, 200, 200, 200, 200),
    ("POST", "/akun/",                                     302, 302, 302, 302, 302, 302),
    # A confirmation link works for whoever holds it, like a reset link.
    ("GET",  "/akun/surel/{email_change_token}",           200, 200, 200, 200, 200, 200),
    ("POST", "/akun/surel/{email_change_token}",           302, 302, 302, 302, 302, 302),
    ("GET",  "/akun/surel/{forged_reset_token}",           400, 400, 400, 400, 400, 400),
    # Without WhatsApp configured (the suite's default) a new number cannot be confirmed.
    ("POST", "/akun/nomor-hp",                             302, 400, 400, 400, 400, 400),
    ("GET",  "/akun/nomor-hp/kode",                        302, 200, 200, 200, 200, 200),
    ("POST", "/akun/nomor-hp/kode",                        302, 400, 400, 400, 400, 400),
    ("GET",  "/akun/lupa-sandi/kode",                      200, 302, 302, 302, 302, 302),
    ("POST", "/akun/lupa-sandi/kode",                      400, 302, 302, 302, 302, 302),
    ("GET",  "/akun/data",                                 302, 200, 200, 200, 200, 200),
    ("GET",  "/akun/data/unduh",                           302, 200, 200, 200, 200, 200),
    # A buyer's account closes; accounts with a shop or a staff role close with the admin.
    ("POST", "/akun/tutup",                                302, 302, 400, 400, 400, 400),
    ("GET",  "/akun/tutup",                                405, 405, 405, 405, 405, 405),
    # Each person's own messages; another's is not found. Opening one goes to its thing.
    ("GET",  "/akun/pemberitahuan",                        302, 200, 200, 200, 200, 200),
    ("GET",  "/akun/pemberitahuan/{own_notification}",     302, 302, 302, 302, 302, 302),
    ("GET",  "/akun/pemberitahuan/{other_notification}",   302, 404, 404, 404, 404, 404),
    ("POST", "/akun/pemberitahuan/baca-semua",             302, 302, 302, 302, 302, 302),
    ("GET",  "/akun/saluran",                              302, 200, 200, 200, 200, 200),
    ("POST", "/akun/saluran",                              302, 302, 302, 302, 302, 302),
    # The browser's subscription comes as JSON (static/push.js); a form is refused.
    ("POST", "/akun/push/langganan",                       302, 400, 400, 400, 400, 400),
    ("POST", "/akun/push/berhenti",                        302, 200, 200, 200, 200, 200),
    ("GET",  "/akun/admin/pengguna",                       302, 403, 403, 403, 403, 200),
    ("GET",  "/akun/admin/pengguna?q=demo",                302, 403, 403, 403, 403, 200),
    ("POST", "/akun/admin/pengguna/{other_user}/peran",    302, 403, 403, 403, 403, 302),
    ("POST", "/akun/admin/pengguna/{missing_user}/peran",  302, 403, 403, 403, 403, 404),
    ("GET",  "/akun/admin/pengguna/{other_user}/peran",    405, 405, 405, 405, 405, 405),
    ("POST", "/produk",                                    405, 405, 405, 405, 405, 405),
    # A household's own pages. The "seller" signed in here has a shop; an admin passes the
    # role check but has no shop (404), unless the row makes one ("own" objects do).
    ("GET",  "/penjual",                                   302, 403, 200, 403, 403, 200),
    ("GET",  "/penjual/produk/baru",                       302, 403, 200, 403, 403, 404),
    ("GET",  "/penjual/cetak",                             302, 403, 200, 403, 403, 404),
    ("GET",  "/penjual/libur",                             302, 403, 200, 403, 403, 404),
    ("POST", "/penjual/libur",                             302, 403, 302, 403, 403, 404),
    ("POST", "/penjual/libur/buka",                        302, 403, 302, 403, 403, 404),
    ("GET",  "/penjual/alamat-jemput",                     302, 403, 200, 403, 403, 404),
    ("POST", "/penjual/alamat-jemput",                     302, 403, 303, 403, 403, 404),
    ("GET",  "/penjual/produk/{own_product}/pilihan",      302, 403, 200, 403, 403, 200),
    ("POST", "/penjual/produk/{own_product}/pilihan",      302, 403, 302, 403, 403, 302),
    ("GET",  "/penjual/produk/{other_product}/pilihan",    302, 403, 404, 403, 403, 404),
    ("POST", "/penjual/produk/{other_product}/pilihan",    302, 403, 404, 403, 403, 404),
    ("GET",  "/penjual/produk/{own_product}/promo",        302, 403, 200, 403, 403, 200),
    ("POST", "/penjual/produk/{own_product}/promo",        302, 403, 302, 403, 403, 302),
    ("GET",  "/penjual/produk/{other_product}/promo",      302, 403, 404, 403, 403, 404),
    ("POST", "/penjual/produk/{other_product}/promo",      302, 403, 404, 403, 403, 404),
    ("POST", "/penjual/produk/{own_promo_product}/promo/{its_promotion}/akhiri",
                                                           302, 403, 302, 403, 403, 302),
    ("POST", "/penjual/produk/{other_promo_product}/promo/{its_promotion}/akhiri",
                                                           302, 403, 404, 403, 403, 404),
    ("GET",  "/penjual/cetak.pdf?shop=1",                  302, 403, 200, 403, 403, 404),
    ("POST", "/penjual/produk/baru",                       302, 403, 302, 403, 403, 404),
    ("GET",  "/penjual/produk/{own_product}",              302, 403, 200, 403, 403, 200),
    ("POST", "/penjual/produk/{own_product}",              302, 403, 302, 403, 403, 302),
    ("GET",  "/penjual/produk/{other_product}",            302, 403, 404, 403, 403, 404),
    ("POST", "/penjual/produk/{other_product}",            302, 403, 404, 403, 403, 404),
    ("POST", "/penjual/produk/{own_product}/salin",        302, 403, 302, 403, 403, 302),
    ("POST", "/penjual/produk/{other_product}/jeda",       302, 403, 404, 403, 403, 404),
    ("POST", "/penjual/produk/{own_product}/tidak-ada",    302, 403, 404, 403, 403, 404),
    ("POST", "/penjual/produk/{own_photo_product}/foto/{its_photo}/sampul",
                                                           302, 403, 302, 403, 403, 302),
    ("POST", "/penjual/produk/{other_photo_product}/foto/{its_photo}/sampul",
                                                           302, 403, 404, 403, 403, 404),
    ("GET",  "/buka-toko",                                 302, 200, 302, 200, 200, 200),
    ("POST", "/buka-toko",                                 302, 302, 302, 302, 302, 302),
    # The PKK's review desk.
    ("GET",  "/pkk/tinjauan",                              302, 403, 403, 200, 403, 200),
    ("GET",  "/pkk/tinjauan/{pending_product}",            302, 403, 403, 200, 403, 200),
    ("GET",  "/pkk/tinjauan/{draft_product_id}",           302, 403, 403, 200, 403, 200),
    ("POST", "/pkk/tinjauan/{pending_product}",            302, 403, 403, 302, 403, 302),
    ("GET",  "/pkk/pendaftaran",                           302, 403, 403, 200, 403, 200),
    ("GET",  "/pkk/voucher",                               302, 403, 403, 200, 403, 200),
    ("POST", "/pkk/voucher",                               302, 403, 403, 302, 403, 302),
    ("GET",  "/pkk/pendaftaran/{application}",             302, 403, 403, 200, 403, 200),
    ("POST", "/pkk/pendaftaran/{application}",             302, 403, 403, 302, 403, 302),
    ("GET",  "/pkk/pendaftaran/{missing_user}",            302, 403, 403, 404, 403, 404),
    # The cart: anyone, kept in the session (or the account when signed in).
    ("GET",  "/keranjang",                                 200, 200, 200, 200, 200, 200),
    ("POST", "/keranjang/tambah",                          302, 302, 302, 302, 302, 302),
    ("POST", "/keranjang/ubah",                            302, 302, 302, 302, 302, 302),
    ("POST", "/keranjang/hapus",                           302, 302, 302, 302, 302, 302),
    ("POST", "/keranjang/setujui-harga",                   302, 302, 302, 302, 302, 302),
    ("GET",  "/checkout",                                  302, 302, 302, 302, 302, 302),
    ("POST", "/checkout",                                  400, 400, 400, 400, 400, 400),
    # The checkout's live figures and the official region lists: anyone.
    ("GET",  "/checkout/ongkir?province=65&city=65.71",    200, 200, 200, 200, 200, 200),
    ("GET",  "/wilayah/",                                  200, 200, 200, 200, 200, 200),
    ("GET",  "/wilayah/65.71",                             200, 200, 200, 200, 200, 200),
    ("GET",  "/wilayah/99",                                404, 404, 404, 404, 404, 404),
    # The address book: one's own addresses only.
    ("GET",  "/akun/alamat",                               302, 200, 200, 200, 200, 200),
    ("POST", "/akun/alamat",                               302, 303, 303, 303, 303, 303),
    ("GET",  "/akun/alamat/{own_address}",                 302, 200, 200, 200, 200, 200),
    ("POST", "/akun/alamat/{own_address}",                 302, 303, 303, 303, 303, 303),
    ("GET",  "/akun/alamat/{other_address}",               302, 404, 404, 404, 404, 404),
    ("POST", "/akun/alamat/{own_address}/hapus",           302, 303, 303, 303, 303, 303),
    ("POST", "/akun/alamat/{other_address}/hapus",         302, 404, 404, 404, 404, 404),
    # An order page is a private link (the token): whoever holds it sees the order.
    ("GET",  "/pesanan/{order_token}",                     200, 200, 200, 200, 200, 200),
    ("GET",  "/pesanan/{missing}",                         404, 404, 404, 404, 404, 404),
    ("POST", "/pesanan/{cancel_order_token}/batal/{its_part}",
                                                           303, 303, 303, 303, 303, 303),
    ("POST", "/pesanan/{missing}/batal/1",                 404, 404, 404, 404, 404, 404),
    # Reviews: the order's private link is the proof of purchase, signed in or not.
    ("GET",  "/pesanan/{review_token}/ulasan/{its_line}",  200, 200, 200, 200, 200, 200),
    ("POST", "/pesanan/{review_token}/ulasan/{its_line}",  303, 303, 303, 303, 303, 303),
    ("GET",  "/pesanan/{order_token}/ulasan/{other_line}", 404, 404, 404, 404, 404, 404),
    ("GET",  "/penjual/ulasan",                            302, 403, 200, 403, 403, 404),
    ("POST", "/penjual/ulasan/{own_review}/balas",         302, 403, 303, 403, 403, 303),
    ("POST", "/penjual/ulasan/{other_review}/balas",       302, 403, 404, 403, 403, 404),
    ("GET",  "/ulasan/{other_review}/sembunyikan",         302, 403, 403, 200, 403, 200),
    ("POST", "/ulasan/{other_review}/sembunyikan",         302, 403, 403, 303, 403, 303),
    ("GET",  "/pesanan/{order_token}/bayar",               200, 200, 200, 200, 200, 200),
    # Before the payment page has opened a payment, "Mode uji" sends the buyer there.
    ("POST", "/pesanan/{order_token}/bayar/uji",           302, 302, 302, 302, 302, 302),
    ("GET",  "/pesanan/{order_token}/bayar/selesai",       404, 404, 404, 404, 404, 404),
    # The buyer's choice of method ("Mode uji" here, the only one configured), and the
    # status check (no Midtrans payment open: back to the page).
    ("POST", "/pesanan/{order_token}/bayar",               303, 303, 303, 303, 303, 303),
    ("POST", "/pesanan/{order_token}/bayar/cek",           303, 303, 303, 303, 303, 303),
    ("GET",  "/akun/pesanan",                              302, 200, 200, 200, 200, 200),
    # A household's inbox: its own parts only.
    ("GET",  "/penjual/pesanan",                           302, 403, 200, 403, 403, 404),
    ("GET",  "/penjual/pendapatan",                        302, 403, 200, 403, 403, 404),
    ("GET",  "/penjual/pesanan/{own_part}",                302, 403, 200, 403, 403, 200),
    ("POST", "/penjual/pesanan/{own_part}",                302, 403, 303, 403, 403, 303),
    ("GET",  "/penjual/pesanan/{other_part}",              302, 403, 404, 403, 403, 404),
    ("POST", "/penjual/pesanan/{other_part}",              302, 403, 404, 403, 403, 404),
    # Booking the courier the buyer chose (own part only; this one chose none: refused).
    ("POST", "/penjual/pesanan/{own_part}/kurir",          302, 403, 409, 403, 403, 409),
    ("POST", "/penjual/pesanan/{other_part}/kurir",        302, 403, 404, 403, 403, 404),
    # Signed events from Stripe: no session, no CSRF token; the signature decides.
    ("POST", "/stripe/webhook",                            400, 400, 400, 400, 400, 400),
    # Midtrans' notifications: the signature decides; without MIDTRANS_SERVER_KEY, none.
    ("POST", "/midtrans/notifikasi",                       404, 404, 404, 404, 404, 404),
    # Biteship's tracking webhook: its secret header decides; without one configured, none.
    ("POST", "/kurir/biteship",                            404, 404, 404, 404, 404, 404),
    ("GET",  "/admin/pesanan",                             302, 403, 403, 403, 403, 200),
    # Couriers: prices changed after booking, cancellations Biteship refused.
    ("GET",  "/admin/kurir",                               302, 403, 403, 403, 403, 200),
    ("GET",  "/admin/pesanan/{order_id}",                  302, 403, 403, 403, 403, 200),
    ("POST", "/admin/pesanan/{order_id}",                  302, 403, 403, 403, 403, 303),
    ("POST", "/admin/pesanan/{order_id}/transfer/999999",  302, 403, 403, 403, 403, 404),
    # Protocol offices. The "officer" signed in here belongs to an office (without the
    # right to approve); an admin passes the role check but belongs to none.
    ("GET",  "/instansi/",                                 302, 403, 403, 403, 200, 403),
    ("GET",  "/instansi/admin",                            302, 403, 403, 403, 403, 200),
    ("POST", "/instansi/admin",                            302, 403, 403, 403, 403, 302),
    ("GET",  "/instansi/admin/{institution}",              302, 403, 403, 403, 403, 200),
    ("POST", "/instansi/admin/{institution}",              302, 403, 403, 403, 403, 302),
    ("POST", "/instansi/admin/{member_institution}/anggota/{its_member}/hapus",
                                                           302, 403, 403, 403, 403, 302),
    ("GET",  "/instansi/bingkisan/baru",                   302, 403, 403, 403, 200, 403),
    ("POST", "/instansi/bingkisan/baru",                   302, 403, 403, 403, 302, 403),
    ("GET",  "/instansi/penawaran/{own_quote}",            302, 403, 403, 403, 200, 404),
    ("GET",  "/instansi/penawaran/{other_quote}",          302, 403, 403, 403, 404, 404),
    ("GET",  "/instansi/penawaran/{own_quote}/ubah",       302, 403, 403, 403, 200,403),
    ("POST", "/instansi/penawaran/{own_quote}/ubah",       302, 403, 403, 403, 302,403),
    ("POST", "/instansi/penawaran/{other_quote}/ubah",     302, 403, 403, 403, 404,403),
    ("POST", "/instansi/penawaran/{own_quote}/ajukan",     302, 403, 403, 403, 302, 404),
    ("POST", "/instansi/penawaran/{other_quote}/ajukan",   302, 403, 403, 403, 404, 404),
    # A draft cannot be approved or sent back (and this officer may not approve anyway).
    ("POST", "/instansi/penawaran/{own_quote}/setujui",    302, 403, 403, 403, 400, 404),
    ("POST", "/instansi/penawaran/{other_quote}/setujui",  302, 403, 403, 403, 404, 404),
    ("POST", "/instansi/penawaran/{own_quote}/kembalikan", 302, 403, 403, 403, 400, 404),
    ("POST", "/instansi/penawaran/{own_quote}/batalkan",   302, 403, 403, 403, 302, 404),
    ("POST", "/instansi/penawaran/{own_quote}/perbarui",   302, 403, 403, 403, 302, 404),
    ("POST", "/instansi/penawaran/{own_quote}/templat",    302, 403, 403, 403, 302, 404),
    ("GET",  "/instansi/dokumen/{own_document}",           302, 403, 403, 403, 200, 404),
    ("GET",  "/instansi/dokumen/{other_document}",         302, 403, 403, 403, 404, 404),
    # A protocol office's order: its page, receipt, replacement, BAST, corrections, the SPJ ZIP.
    ("GET",  "/instansi/pesanan/{own_gov_order}",          302, 403, 403, 403, 200, 404),
    ("GET",  "/instansi/pesanan/{other_gov_order}",        302, 403, 403, 403, 404, 404),
    ("POST", "/instansi/pesanan/{own_gov_order}/bagian/{its_gov_part}/terima",
                                                           302, 403, 403, 403, 303, 404),
    ("POST", "/instansi/pesanan/{other_gov_order}/bagian/{its_gov_part}/terima",
                                                           302, 403, 403, 403, 404, 404),
    ("POST", "/instansi/pesanan/{own_gov_order}/bagian/{its_gov_part}/ganti",
                                                           302, 403, 403, 403, 409, 404),
    ("POST", "/instansi/pesanan/{own_gov_order}/bast",     302, 403, 403, 403, 409, 404),
    ("POST", "/instansi/pesanan/{other_gov_order}/bast",   302, 403, 403, 403, 404, 404),
    ("POST", "/instansi/pesanan/{own_gov_order}/dokumen/{its_gov_document}/koreksi",
                                                           302, 403, 403, 403, 303, 404),
    ("POST", "/instansi/pesanan/{other_gov_order}/dokumen/{its_gov_document}/koreksi",
                                                           302, 403, 403, 403, 404, 404),
    ("POST", "/instansi/pesanan/{own_gov_order}/bayar-kartu", 302, 403, 403, 403, 303, 404),
    ("POST", "/instansi/pesanan/{other_gov_order}/bayar-kartu", 302, 403, 403, 403, 404, 404),
    ("GET",  "/instansi/pesanan/{own_gov_order}/spj.zip",  302, 403, 403, 403, 200, 404),
    ("GET",  "/instansi/pesanan/{other_gov_order}/spj.zip", 302, 403, 403, 403, 404, 404),
    ("GET",  "/instansi/dokumen/{other_gov_document}",     302, 403, 403, 403, 404, 404),
    ("GET",  "/penjual/pesanan/{own_gov_part}",            302, 403, 200, 403, 403, 200),
    ("POST", "/instansi/penjual/bagian/{own_gov_part}",    302, 403, 303, 403, 403, 303),
    ("POST", "/instansi/penjual/bagian/{other_gov_part}",  302, 403, 404, 403, 403, 404),
    ("GET",  "/instansi/admin/tagihan",                    302, 403, 403, 403, 403, 200),
    ("GET",  "/instansi/admin/tagihan/{gov_invoice}",      302, 403, 403, 403, 403, 200),
    ("POST", "/instansi/admin/tagihan/{gov_invoice}",      302, 403, 403, 403, 403, 303),
    ("GET",  "/instansi/admin/tagihan/{missing_user}",     302, 403, 403, 403, 403, 404),
    # Assistance records, the official gifts collection and the impact report. A kabupaten
    # reviewer's limits are tested in tests/pkk/ (this table has one reviewer, of the province).
    ("GET",  "/pkk/bantuan",                               302, 403, 403, 200, 403, 200),
    ("GET",  "/pkk/bantuan/pelatihan",                     302, 403, 403, 200, 403, 200),
    ("GET",  "/pkk/bantuan/kemasan",                       302, 403, 403, 200, 403, 200),
    ("GET",  "/pkk/bantuan/modal",                         302, 403, 403, 200, 403, 200),
    ("POST", "/pkk/bantuan/modal",                         302, 403, 403, 302, 403, 302),
    ("GET",  "/pkk/bantuan/hadiah",                        302, 403, 403, 404, 403, 404),
    ("GET",  "/pkk/oleh-oleh-resmi",                       302, 403, 403, 200, 403, 200),
    ("POST", "/pkk/oleh-oleh-resmi",                       302, 403, 403, 302, 403, 302),
    ("POST", "/pkk/oleh-oleh-resmi/{official_gift}/naik",  302, 403, 403, 302, 403, 302),
    ("POST", "/pkk/oleh-oleh-resmi/{missing_user}/hapus",  302, 403, 403, 404, 403, 404),
    ("GET",  "/pkk/oleh-oleh-resmi/{official_gift}/naik",  405, 405, 405, 405, 405, 405),
    ("GET",  "/pkk/sinonim",                               302, 403, 403, 200, 403, 200),
    ("POST", "/pkk/sinonim",                               302, 403, 403, 302, 403, 302),
    ("POST", "/pkk/sinonim/{synonym}/hapus",               302, 403, 403, 302, 403, 302),
    ("GET",  "/pkk/sinonim/{synonym}/hapus",               405, 405, 405, 405, 405, 405),
    ("GET",  "/pkk/laporan",                               302, 403, 403, 200, 403, 200),
    ("GET",  "/pkk/laporan?start=2026-02-01&end=2026-01-01",
                                                           302, 403, 403, 400, 403, 400),
    ("GET",  "/pkk/laporan?region=kutai",                  302, 403, 403, 400, 403, 400),
    ("GET",  "/pkk/laporan.csv",                           302, 403, 403, 200, 403, 200),
    ("GET",  "/pkk/laporan.pdf",                           302, 403, 403, 200, 403, 200),
    ("GET",  "/pkk/laporan.pdf?region=kutai",              302, 403, 403, 400, 403, 400),
    ("GET",  "/penjual/bantuan",                           302, 403, 200, 403, 403, 404),
    ("GET",  "/oleh-oleh-resmi",                           200, 200, 200, 200, 200, 200),
    # Payouts: the household's payout account and statement (an admin has no shop: 404).
    ("GET",  "/penjual/pendapatan/pencairan",              302, 403, 200, 403, 403, 404),
    ("GET",  "/penjual/pendapatan/rincian",                302, 403, 200, 403, 403, 404),
    ("GET",  "/penjual/pendapatan/rekening",               302, 403, 200, 403, 403, 404),
    ("POST", "/penjual/pendapatan/rekening",               302, 403, 303, 403, 403, 404),
    ("POST", "/penjual/pendapatan/rekening/stripe",        302, 403, 303, 403, 403, 404),
    ("GET",  "/penjual/pendapatan/laporan/2026-11.csv",    302, 403, 200, 403, 403, 404),
    ("GET",  "/penjual/pendapatan/laporan/2026-13.csv",    302, 403, 404, 403, 403, 404),
    ("GET",  "/penjual/pendapatan/laporan/2026-13.pdf",    302, 403, 404, 403, 403, 404),
    # A buyer reports a problem with a shipped part: whoever holds the order's link.
    ("GET",  "/pesanan/{shipped_order_token}/masalah/{its_shipped_part}",
                                                           200, 200, 200, 200, 200, 200),
    ("POST", "/pesanan/{shipped_order_token}/masalah/{its_shipped_part}",
                                                           303, 303, 303, 303, 303, 303),
    ("POST", "/pesanan/{order_token}/masalah/{other_part}",
                                                           404, 404, 404, 404, 404, 404),
    ("GET",  "/pesanan/{missing}/masalah/1",               404, 404, 404, 404, 404, 404),
    # "Pesanan diterima": the account that placed the order; one placed signed out, whoever
    # holds its link but the household that sent the part.
    ("POST", "/pesanan/{shipped_order_token}/diterima/{its_shipped_part}",
                                                           303, 303, 303, 303, 303, 303),
    ("POST", "/pesanan/{other_shipped_order_token}/diterima/{its_shipped_part}",
                                                           403, 403, 403, 403, 403, 403),
    ("POST", "/pesanan/{order_token}/diterima/{other_part}",
                                                           404, 404, 404, 404, 404, 404),
    ("POST", "/pesanan/{missing}/diterima/1",              404, 404, 404, 404, 404, 404),
    # A household declines a paid part of its own, with a reason.
    ("POST", "/penjual/pesanan/{own_part}/tolak",          302, 403, 303, 403, 403, 303),
    ("POST", "/penjual/pesanan/{other_part}/tolak",        302, 403, 404, 403, 403, 404),
    ("GET",  "/admin/rekening",                            302, 403, 403, 403, 403, 200),
    ("POST", "/admin/rekening/{payout_account}/periksa",   302, 403, 403, 403, 403, 303),
    ("POST", "/admin/rekening/{missing_user}/periksa",     302, 403, 403, 403, 403, 404),
    ("GET",  "/admin/pencairan",                           302, 403, 403, 403, 403, 200),
    ("POST", "/admin/pencairan/jalankan",                  302, 403, 403, 403, 403, 303),
    ("POST", "/admin/pencairan/batch",                     302, 403, 403, 403, 403, 303),
    # Midtrans Payouts (Iris): not configured here, so nothing to send and no notification.
    ("POST", "/admin/pencairan/iris",                      302, 403, 403, 403, 403, 404),
    ("POST", "/midtrans/iris/notifikasi",                  404, 404, 404, 404, 404, 404),
    ("GET",  "/admin/pencairan/batch/{batch}",             302, 403, 403, 403, 403, 200),
    ("POST", "/admin/pencairan/batch/{batch}",             302, 403, 403, 403, 403, 200),
    ("GET",  "/admin/pencairan/batch/{batch}.csv",         302, 403, 403, 403, 403, 200),
    ("GET",  "/admin/pencairan/batch/{missing_user}.csv",  302, 403, 403, 403, 403, 404),
    ("GET",  "/admin/pencairan/rekonsiliasi",              302, 403, 403, 403, 403, 200),
    ("POST", "/admin/pencairan/rekening-koran",            302, 403, 403, 403, 403, 303),
    ("GET",  "/admin/keluhan",                             302, 403, 403, 403, 403, 200),
    ("POST", "/admin/keluhan/{complaint}",                 302, 403, 403, 403, 403, 303),
    ("POST", "/admin/keluhan/{missing_user}",              302, 403, 403, 403, 403, 404),
    ("GET",  "/admin/surel",                               302, 403, 403, 403, 403, 200),
    ("POST", "/admin/surel/{failed_mail}/kirim-lagi",      302, 403, 403, 403, 403, 303),
    ("POST", "/admin/surel/{missing_user}/kirim-lagi",     302, 403, 403, 403, 403, 404),
    ("GET",  "/admin/surel/{failed_mail}/kirim-lagi",      405, 405, 405, 405, 405, 405),
    # Stripe Connect's signed events: no session, no CSRF token; the signature decides.
    ("POST", "/stripe/connect/webhook",                    400, 400, 400, 400, 400, 400),
]

#: A reviewer of one kabupaten (Malinau): ``(method, path, status)``. Their own kabupaten's
#: report and records; another kabupaten's report is 403 (the kabupaten exists, the reviewer
#: may not see it). The province's report is not reachable: with no kabupaten named, theirs
#: is shown (tests/pkk/test_report.py checks no other kabupaten's figure is in it).
SCOPED_REVIEWER_ACCESS = [
    ("GET",  "/pkk/laporan",                               200),
    ("GET",  "/pkk/laporan?region=malinau",                200),
    ("GET",  "/pkk/laporan?region=tarakan",                403),
    ("GET",  "/pkk/laporan.csv",                           200),
    ("GET",  "/pkk/laporan.csv?region=malinau",            200),
    ("GET",  "/pkk/laporan.csv?region=tarakan",            403),
    ("GET",  "/pkk/laporan.pdf?region=malinau",            200),
    ("GET",  "/pkk/laporan.pdf?region=tarakan",            403),
    ("GET",  "/pkk/bantuan",                               200),
    ("GET",  "/pkk/bantuan/modal",                         200),
]
# fmt: on

#: A valid form for each POST endpoint.
FORMS: dict[str, dict[str, str] | Callable[[], dict[str, str]]] = {
    "site.language": {"locale": "en", "next": "/produk"},
    "accounts.sign_up": {
        "name": "Ibu Matriks",
        "email": "matriks@contoh.id",
        "password": "anyaman-rotan-malinau",
    },
    "accounts.sign_in": {"login": "pembeli@demo.id", "password": "demo-pass-2026"},
    "accounts.sign_out": {},
    "accounts.second_factor": {"code": "123456"},
    "accounts.start_second_factor": {},
    "accounts.confirm_second_factor": {"code": "123456"},
    "accounts.turn_off_second_factor": {"password": "demo-pass-2026", "code": "123456"},
    "accounts.forgot_password": {"login": "pembeli@demo.id"},
    "accounts.reset_password": {"password": "anyaman-rotan-malinau"},
    "accounts.profile": lambda: {
        "email": f"ganti{factories.make_user().id}@contoh.id",
        "password": factories.PASSWORD,
    },
    "accounts.confirm_email": {},
    "accounts.change_phone": {"phone": "0813 4444 5555", "password": factories.PASSWORD},
    "accounts.confirm_phone": {"code": "123456"},
    "accounts.reset_with_code": {
        "login": "0812 5550 1234",
        "code": "123456",
        "password": "anyaman-rotan-malinau",
    },
    "accounts.close_account": {"password": factories.PASSWORD, "understood": "y"},
    "accounts.admin_change_role": {"role": "reviewer", "action": "grant"},
    "site.admin_retry_mail": {},
    "sellers.product_new": lambda: factories.listing_form(),
    "sellers.product_edit": lambda: factories.listing_form(),
    "sellers.product_action": {},
    "sellers.holiday": lambda: {
        "starts_on": (today_local() + dt.timedelta(days=10)).isoformat(),
        "ends_on": (today_local() + dt.timedelta(days=12)).isoformat(),
        "message": "Ke kampung",
        "confirm": "1",
        "idempotency_token": factories.form_token(),
    },
    "sellers.reopen": {},
    # both empty: back to the kabupaten/kota's seat (valid for any household)
    "sellers.pickup_place": {"district": "", "postal_code": ""},
    "sellers.promotions": lambda: {
        "kind": "percent",
        "value": "10",
        "starts_on": (today_local() + dt.timedelta(days=1)).isoformat(),
        "ends_on": (today_local() + dt.timedelta(days=3)).isoformat(),
        "idempotency_token": factories.form_token(),
    },
    "sellers.end_promotion": {},
    "sellers.options": lambda: {
        "label-0": "Pedas / 250 g",
        "price-0": "35.000",
        "stock-0": "5",
        "weight-0": "250",
        "active-0": "1",
        "idempotency_token": factories.form_token(),
    },
    "pkk.voucher_campaigns": lambda: {
        "code": "MATRIKS",
        "kind": "amount",
        "value": "5000",
        "budget": "100000",
        "per_buyer_limit": "1",
        "starts_on": today_local().isoformat(),
        "ends_on": (today_local() + dt.timedelta(days=3)).isoformat(),
    },
    "sellers.photo_action": {},
    "sellers.apply": lambda: {
        "photo": (io.BytesIO(factories.photo_bytes()), "dapur.jpg"),
        "shop_name": "Anyaman Matriks",
        "owner_name": "Ibu Matriks",
        "region_id": str(factories.region("malinau").id),
        "village": "Desa Setulang",
        "whatsapp": "0812 3456 7001",
        "story": "Kami menganyam rotan bersama tetangga.",
    },
    "pkk.review": {"decision": "approve", "note": "Kemasan rapi."},
    "pkk.application": {"decision": "approve", "note": ""},
    "orders.cart_add": lambda: {"product_id": str(_published_product_id()), "quantity": "1"},
    "orders.cart_update": lambda: {"product_id": str(_published_product_id()), "quantity": "2"},
    "orders.cart_remove": lambda: {"product_id": str(_published_product_id())},
    "orders.cart_accept_prices": {},
    "orders.checkout": {},
    "orders.address_book": lambda: {**ADDRESS, "idempotency_token": factories.form_token()},
    "orders.address_edit": lambda: dict(ADDRESS),
    "orders.address_delete": {},
    "payments.cancel_part": {},
    "payments.confirm_receipt": {},
    "payments.decline_part": {"reason": "Bahan baku sedang habis."},
    "orders.seller_part": {"action": "accept"},
    "reviews.write": {"rating": "5", "body": "Renyah, kemasannya rapi."},
    "reviews.reply": {"reply": "Terima kasih sudah mampir."},
    "reviews.hide": {"reason": "Kata-kata kasar."},
    "payments.pay_test": {"outcome": "succeed"},
    "payments.pay_choose": {"method": "test"},
    "payments.pay_check": {},
    "payments.midtrans_notification": {},
    "orders.courier_webhook": {},
    "orders.book_courier": {},
    "payments.admin_refund_transfer": {"reference": "BCA-1"},
    "payments.webhook": {},
    "institutions.admin_institutions": {
        "name": "Biro Umum Matriks",
        "unit": "Bagian Protokol Matriks",
        "address": "Jl. Matriks No. 1, Tanjung Selor",
        "npwp": "01.234.567.8-727.000",
        "treasurer_name": "Bendahara Matriks",
    },
    "institutions.admin_institution": lambda: {"email": factories.make_user().email},
    "institutions.admin_remove_member": {},
    "institutions.builder": lambda: _builder_form(),
    "institutions.submit": {},
    "institutions.approve": {},
    "institutions.send_back": {"reason": "Anggaran belum tersedia."},
    "institutions.cancel": {},
    "institutions.renew": {},
    "institutions.save_template": {"name": "Bingkisan tamu menteri"},
    "payments.admin_order": {"action": "refund_order", "refund_key": "matriks-refund"},
    "institutions.receive_part": lambda: {
        f"received-{_LAST_GOV['line']}": "1",
        "note": "Diterima di hotel",
    },
    "institutions.replace_part": {},
    "institutions.handover": {},
    "institutions.pay_by_card": {},
    "institutions.correct": {"reason": "Nama penerima salah ketik."},
    "institutions.household_part": {"action": "confirm"},
    "institutions.admin_invoice": lambda: {
        "amount": "1.000",
        "reference": f"SP2D-MATRIKS-{factories.make_user().id}",
        "paid_on": today_local().isoformat(),
    },
    "pkk.assistance_new": lambda: {
        "seller_id": str(factories.make_seller().id),
        "giver": "Disperindagkop UMKM Provinsi Kaltara",
        "given_on": "2026-03-02",
        "description": "Mesin jahit",
        "value_amount": "3.500.000",
        "idempotency_token": factories.form_token(),
    },
    "pkk.collection": lambda: {"product_id": str(factories.make_product().id)},
    "pkk.collection_action": {},
    "pkk.synonyms": {"word": "kerpik", "means": "keripik"},
    "pkk.synonym_remove": {},
    "payouts.payout_account": {
        "bank-method": "bank",
        "bank-bank_code": "014",
        "bank-account_number": "0123456789",
        "bank-holder_name": "Ibu Matriks",
        "bank-password": factories.PASSWORD,
    },
    "payouts.stripe_onboarding": {"stripe-method": "stripe", "stripe-password": factories.PASSWORD},
    "payouts.report_problem": {"message": "Kemasan penyok di jalan."},
    "payouts.admin_verify": {"version": "1"},
    "payouts.admin_run": {},
    "payouts.admin_settle_complaint": {
        "action": "released",
        "reason": "Foto tidak menunjukkan rusak.",
    },
    "payouts.admin_export": {},
    "payouts.admin_send_iris": {},
    "payouts.iris_notification": {},
    "payouts.admin_batch": lambda: {
        "result": (io.BytesIO(b"reference,status,bank_reference\nPO-999999,ok,X\n"), "hasil.csv")
    },
    "payouts.admin_bank_statement": lambda: {
        "statement": (
            io.BytesIO(b"Tanggal;Keterangan;Kredit\n2026-11-10;SETORAN;1.000\n"),
            "m.csv",
        ),
        "idempotency_token": factories.form_token(),
    },
    "payouts.connect_webhook": {},
    "notify.channels": {"email": "y"},
    "notify.read_all": {},
    "notify.push_subscribe": {},
    "notify.push_unsubscribe": {},
}


def _notification(user: User | None) -> str:
    """A message for ``user`` (for someone else when None)."""
    person = Person.of(user or factories.make_user())
    row = notify(person, "order.expired", about="matriks", url="/", number="PSR-1", name="A")
    return str(row.id)


def _builder_form() -> dict[str, str]:
    from marketplace.catalog.services import today_local

    product = factories.make_product(stock=500)
    return {
        "event_name": "Kunjungan Matriks",
        "box_count": "10",
        "delivery_date": (today_local() + dt.timedelta(days=30)).isoformat(),
        "delivery_time": "10.00 WITA",
        "delivery_place": "Pendopo Gubernur, Tanjung Selor",
        "card_text": "Selamat datang",
        "budget_code": "5.1.02.01.01.0026",
        "rup_code": "",
        "lines-0-product_id": str(product.id),
        "lines-0-quantity_per_box": "1",
        "idempotency_token": factories.form_token(),
    }


def _published_product_id() -> int:
    return factories.make_product(stock=5).id


def form_for(endpoint: str | None) -> dict[str, str]:
    """The valid form for a POST endpoint (made now when it needs the database)."""
    form = FORMS.get(endpoint or "", {})
    return form() if callable(form) else dict(form)


def _product(status=ProductStatus.PUBLISHED, **kwargs) -> str:
    return factories.make_product(status=status, **kwargs).slug


def _suspended_shop() -> str:
    seller = factories.make_seller()
    seller.status = SellerStatus.SUSPENDED.value
    db.session.flush()
    return seller.slug


def _shop_of(user: User | None):
    """The signed-in person's shop, opened for them when they have none."""
    seller = db.session.scalar(select(Seller).where(Seller.user_id == user.id)) if user else None
    return seller or factories.make_seller(user=user)


def _application() -> str:
    return str(factories.make_application(shop_name="Toko Matriks").id)


_LAST_PHOTO: dict[str, str] = {}
_LAST_PROMOTION: dict[str, str] = {}


def _remember_promotion(product) -> str:
    today = today_local()
    promotion = pricing.add_promotion(product, "percent", 10, today, today + dt.timedelta(days=2))
    _LAST_PROMOTION["id"] = str(promotion.id)
    return str(product.id)


_LAST_PART: dict[str, str] = {}
_LAST_LINE: dict[str, str] = {}
_LAST_MEMBER: dict[str, str] = {}


def _officer(user: User | None) -> User | None:
    """The signed-in person when they are an office's member; else a new officer."""
    from marketplace.institutions.members import membership_of

    return user if user is not None and membership_of(user) is not None else None


def _remember_member() -> str:
    from marketplace.institutions.members import membership_of

    institution = factories.make_institution()
    _LAST_MEMBER["id"] = str(membership_of(factories.make_officer(institution)).id)
    return str(institution.id)


def _document(officer: User | None) -> str:
    """The quotation PDF of a submitted quote of ``officer`` (or of a new one)."""
    from marketplace.institutions.models import Document
    from marketplace.institutions.quotes import submit_quote

    quote = factories.make_quote(officer)
    submit_quote(quote.id, officer or db.session.get(User, quote.created_by_id))
    return str(db.session.scalar(select(Document.id).where(Document.quote_id == quote.id)))


def _order(user: User | None, seller=None, paid: bool = False):
    """An order for one product of ``seller`` (or of a new shop), awaiting payment or paid."""
    product = factories.make_product(seller=seller, stock=5)
    make = factories.make_paid_order if paid else factories.make_order
    return make((product, 1), user=user)


def _remember_part(order):
    _LAST_PART["id"] = str(order.parts[0].id)
    return order


def _review_token(user: User | None) -> str:
    """A delivered order of ``user``; ``its_line`` is its line."""
    order = factories.make_delivered_order((factories.make_product(stock=5), 1), user=user)
    _LAST_LINE["id"] = str(order.parts[0].lines[0].id)
    return order.access_token


def _remember_photo(product) -> str:
    _LAST_PHOTO["id"] = str(product.photos[0].id)
    return str(product.id)


def _photo() -> str:
    photo = db.session.scalar(select(ProductPhoto).order_by(ProductPhoto.id).limit(1))
    return photo.variant_key(photo.widths[0])


_LAST_GOV: dict[str, str] = {}


def _gov_order(officer: User | None, seller=None) -> str:
    """A protocol office's order of ``officer`` (or of a new one): one box of one product,
    its first household's part packed (so its surat jalan is out)."""
    from marketplace.institutions import orders as gov

    product = factories.make_product(seller=seller, stock=50, price=30000)
    order, _quote, _officer, _head = factories.make_gov_order(officer, [product], boxes=1)
    part = order.parts[0]
    owner = part.seller.user
    if seller is None:
        gov.confirm_part(part.id, part.seller_id, owner)
        for step in ("produced", "packed"):
            gov.mark_progress(part.id, part.seller_id, owner, step)
        document = db.session.scalar(select(Document.id).where(Document.part_id == part.id))
        _LAST_GOV["document"] = str(document)
    _LAST_GOV["part"] = str(part.id)
    _LAST_GOV["line"] = str(part.lines[0].id)
    return str(order.id)


def _gov_invoice() -> str:
    from marketplace.institutions import billing
    from marketplace.institutions import orders as gov

    order_id = int(_gov_order(None))
    order = db.session.get(Order, order_id)
    part = order.parts[0]
    officer = db.session.get(User, order.buyer_id)
    gov.confirm_receipt(order.id, part.id, officer, {part.lines[0].id: part.lines[0].quantity})
    return str(billing.issue_handover(order.id, officer).id)


#: Makes the object a ``{name}`` stands for; gets the signed-in user (or None).
ADDRESS = {
    "label": "Rumah",
    "name": "Ibu Matriks",
    "whatsapp": "0812 3456 7001",
    "province": "65",
    "city": "65.71",
    "district": "65.71.01",
    "street": "Jl. Matriks No. 1",
    "postal_code": "77111",
}


def _address(user: User | None) -> str:
    """An address in ``user``'s book (another person's when ``user`` is None)."""
    owner = user or factories.make_user()
    values = {**ADDRESS, "whatsapp": "+6281234567001"}
    address = SavedAddress(user_id=owner.id, **values)
    db.session.add(address)
    db.session.flush()
    return str(address.id)


OBJECTS: dict[str, Callable[[User | None], str]] = {
    "own_address": lambda user: _address(user),
    "other_address": lambda user: _address(None),
    "product": lambda user: "amplang-ikan-tenggiri",
    "draft_product": lambda user: _product(ProductStatus.DRAFT),
    "expired_licence_product": lambda user: _product(
        category_slug="camilan", licence_valid_until=dt.date(2020, 1, 1)
    ),
    "shop": lambda user: "amplang-bu-siti",
    "suspended_shop": lambda user: _suspended_shop(),
    "photo": lambda user: _photo(),
    "photo_key": lambda user: db.session.scalar(
        select(ProductPhoto.key).order_by(ProductPhoto.id).limit(1)
    ),
    "missing": lambda user: "0" * 63 + "1",
    "outside_media": lambda user: "..%2F" * 12 + "etc%2Fpasswd",
    "other_user": lambda user: str(factories.make_user().id),
    "reset_token": lambda user: reset_token(factories.make_user()),
    "forged_reset_token": lambda user: "bukan-tautan-atur-ulang",
    "email_change_token": lambda user: change_token(
        factories.make_user(), f"baru{factories.make_user().id}@contoh.id"
    ),
    "own_product": lambda user: str(factories.make_product(seller=_shop_of(user)).id),
    "other_product": lambda user: str(factories.make_product().id),
    # Made in this order: ``its_promotion`` is the promotion of the product made just before.
    "own_promo_product": lambda user: _remember_promotion(
        factories.make_product(seller=_shop_of(user))
    ),
    "other_promo_product": lambda user: _remember_promotion(factories.make_product()),
    "its_promotion": lambda user: _LAST_PROMOTION["id"],
    # Made in this order: ``its_photo`` is the photo of the product made just before.
    "own_photo_product": lambda user: _remember_photo(
        factories.make_product(seller=_shop_of(user))
    ),
    "other_photo_product": lambda user: _remember_photo(factories.make_product()),
    "its_photo": lambda user: _LAST_PHOTO["id"],
    "pending_product": lambda user: str(
        factories.make_product(status=ProductStatus.PENDING_REVIEW).id
    ),
    "draft_product_id": lambda user: str(factories.make_product(status=ProductStatus.DRAFT).id),
    "application": lambda user: _application(),
    "order_token": lambda user: _order(user).access_token,
    "cancel_order_token": lambda user: _remember_part(_order(user)).access_token,
    "its_part": lambda user: _LAST_PART["id"],
    "review_token": _review_token,
    "its_line": lambda user: _LAST_LINE["id"],
    "other_line": lambda user: str(
        factories.make_delivered_order((factories.make_product(stock=5), 1)).parts[0].lines[0].id
    ),
    "own_review": lambda user: str(
        factories.make_review(factories.make_product(seller=_shop_of(user), stock=5)).id
    ),
    "other_review": lambda user: str(factories.make_review().id),
    # A household sees a part once it is paid.
    "own_part": lambda user: str(_order(user, seller=_shop_of(user), paid=True).parts[0].id),
    "other_part": lambda user: str(_order(user, paid=True).parts[0].id),
    "order_id": lambda user: str(_order(user, paid=True).id),
    "institution": lambda user: str(factories.make_institution().id),
    "member_institution": lambda user: _remember_member(),
    "its_member": lambda user: _LAST_MEMBER["id"],
    "own_quote": lambda user: str(factories.make_quote(_officer(user)).id),
    "other_quote": lambda user: str(factories.make_quote().id),
    "own_document": lambda user: _document(_officer(user)),
    "other_document": lambda user: _document(None),
    "missing_user": lambda user: "999999999",
    "own_notification": lambda user: _notification(user),
    "other_notification": lambda user: _notification(None),
    "own_gov_order": lambda user: _gov_order(_officer(user)),
    "other_gov_order": lambda user: _gov_order(None),
    "its_gov_part": lambda user: _LAST_GOV["part"],
    "its_gov_document": lambda user: _LAST_GOV["document"],
    "other_gov_document": lambda user: (_gov_order(None), _LAST_GOV["document"])[1],
    "own_gov_part": lambda user: (_gov_order(None, seller=_shop_of(user)), _LAST_GOV["part"])[1],
    "other_gov_part": lambda user: (_gov_order(None), _LAST_GOV["part"])[1],
    "gov_invoice": lambda user: _gov_invoice(),
    "official_gift": lambda user: str(factories.make_official_gift().product_id),
    # Made in this order: ``its_shipped_part`` is the part of the order made just before.
    "shipped_order_token": lambda user: _shipped_order(user).access_token,
    "other_shipped_order_token": lambda user: _shipped_order(factories.make_user()).access_token,
    "its_shipped_part": lambda user: _LAST_PART["id"],
    "payout_account": lambda user: str(
        factories.make_payout_account(factories.make_seller(), verified=False).id
    ),
    "batch": lambda user: _batch(),
    "complaint": lambda user: str(factories.make_complaint().id),
    "failed_mail": lambda user: str(factories.make_failed_mail().id),
    "synonym": lambda user: str(add_synonym("kripek pisang", "keripik pisang").id),
}


def _shipped_order(user: User | None):
    from marketplace.orders.inbox import move_part_for_seller

    order = _remember_part(_order(user, paid=True))
    part = order.parts[0]
    for action in ("accept", "ship"):
        move_part_for_seller(
            part.id,
            part.seller_id,
            action,
            actor_id=part.seller.user_id,
            courier="JNE",
            tracking_number="JNE1",
        )
    return order


def _batch() -> str:
    from marketplace.money.models import DisbursementBatch

    batch = DisbursementBatch()
    db.session.add(batch)
    db.session.flush()
    return str(batch.id)


def fill(path: str, user: User | None) -> str:
    """The path with each ``{name}`` replaced by a freshly made object."""
    names = {name: make(user) for name, make in OBJECTS.items() if "{" + name + "}" in path}
    return path.format(**names)
