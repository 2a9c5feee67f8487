"""Messages as people receive them: over real SMTP, after the commit, with WhatsApp links."""

from __future__ import annotations

from urllib.parse import unquote

from marketplace.db import db
from marketplace.jobs import run_pending_jobs
from marketplace.orders import inbox as order_inbox
from tests import factories


def bodies(inbox) -> dict[str, str]:
    return {m["Subject"]: m.get_payload(decode=True).decode() for m in inbox.messages}


def household():
    owner = factories.make_user(email="bu.rina@contoh.id", name="Ibu Rina")
    return factories.make_seller(user=owner, shop_name="Abon Ibu Rina")


def test_placing_paying_and_shipping_tell_buyer_and_household(inbox):
    seller = household()
    product = factories.make_product(seller=seller, name="Abon Kepiting Pesan", stock=5)
    order = factories.make_paid_order((product, 2))
    db.session.commit()
    run_pending_jobs()
    mails = bodies(inbox)
    assert f"Pesanan {order.number} dibuat" in mails
    assert f"Pembayaran pesanan {order.number} diterima" in mails
    new_order = mails[f"Pesanan baru {order.number}"]
    assert "2 x Abon Kepiting Pesan" in new_order and "Halo Ibu Rina" in new_order
    assert "https://wa.me/62" in new_order
    assert [m["To"] for m in inbox.messages if "baru" in m["Subject"]] == ["bu.rina@contoh.id"]

    part = order.parts[0]
    actor = seller.user_id
    order_inbox.move_part_for_seller(order.parts[0].id, seller.id, "accept", actor_id=actor)
    order_inbox.move_part_for_seller(
        part.id, seller.id, "ship", actor_id=actor, courier="J&T", tracking_number="JT123"
    )
    db.session.commit()
    run_pending_jobs()
    shipped = bodies(inbox)[f"Pesanan {order.number} dikirim"]
    assert "Kurir J&T, nomor resi JT123" in shipped
    link = next(word for word in shipped.split() if word.startswith("https://wa.me/"))
    assert link.startswith("https://wa.me/6281234500000?text=")
    assert f"tentang pesanan {order.number}" in unquote(link)
    assert f"/pesanan/{order.access_token}" in shipped


def test_nothing_is_sent_for_a_move_that_rolls_back(inbox):
    product = factories.make_product(stock=5)
    factories.make_order((product, 1))
    db.session.rollback()
    assert run_pending_jobs() == 0 and inbox.messages == []
