"""Institutions, the gift box builder, holds and the quote's states, without requests."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.catalog.models import ProductStatus
from marketplace.catalog.services import today_local
from marketplace.db import db, now_utc
from marketplace.errors import MarketplaceError, NotFound
from marketplace.institutions import boxes, members, quotes
from marketplace.institutions.members import InstitutionError
from marketplace.institutions.models import InstitutionMember, QuoteStatus
from marketplace.institutions.quotes import ALLOWED_MOVES, QuoteExpired
from marketplace.inventory.models import CapacityHold
from marketplace.inventory.stock import release_expired_holds
from tests import factories

S = QuoteStatus


def live_held(product_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(CapacityHold.quantity), 0)).where(
            CapacityHold.product_id == product_id,
            CapacityHold.released_at.is_(None),
            CapacityHold.expires_at > now_utc(),
        )
    )


@pytest.fixture
def office():
    """An institution with an officer and a head of office who approves."""
    institution = factories.make_institution()
    officer = factories.make_officer(institution)
    head = factories.make_officer(institution, can_approve=True)
    return institution, officer, head


# -- institutions -------------------------------------------------------------------------


def test_admin_adds_an_existing_user_who_becomes_an_officer():
    institution = factories.make_institution()
    user = factories.make_user(roles=[Role.BUYER])
    member = members.add_member(institution.id, user.email.upper(), can_approve=True)
    assert member.can_approve and Role.OFFICER in user.roles
    assert members.membership_of(user).institution_id == institution.id


def test_unknown_email_and_second_institution_are_refused():
    first, second = factories.make_institution(), factories.make_institution()
    with pytest.raises(InstitutionError) as unknown:
        members.add_member(first.id, "tidak-ada@contoh.id")
    assert unknown.value.field == "email"
    officer = factories.make_officer(first)
    with pytest.raises(InstitutionError):
        members.add_member(second.id, officer.email)
    # Adding again to the same institution only changes the approval right.
    members.add_member(first.id, officer.email, can_approve=True)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(InstitutionMember)
            .where(InstitutionMember.user_id == officer.id)
        )
        == 1
    )


def test_institution_names_are_unique():
    factories.make_institution(name="Biro Umum Kabupaten Malinau")
    with pytest.raises(InstitutionError):
        factories.make_institution(name="Biro Umum Kabupaten Malinau")


def test_another_institutions_quote_is_not_found(office):
    quote = factories.make_quote(office[1])
    stranger = factories.make_officer()
    with pytest.raises(NotFound):
        quotes.get_quote_for_officer_or_404(quote.id, stranger)
    with pytest.raises(NotFound):
        quotes.get_quote_for_officer_or_404(quote.id, factories.make_user())
    assert quotes.get_quote_for_officer_or_404(quote.id, office[2]) is quote


# -- the builder --------------------------------------------------------------------------


def test_a_box_from_several_households_is_priced_with_card_and_shipping(office):
    _, officer, _ = office
    amplang = factories.make_product(stock=100, price=35000, category_slug="camilan")
    madu = factories.make_product(stock=100, price=150000, category_slug="madu-kopi")
    batik = factories.make_product(stock=100, price=350000, category_slug="batik-tenun")
    quote = factories.make_quote(officer, [amplang, madu, batik], boxes=10)
    assert quote.status == S.DRAFT and quote.number is None
    assert [line.quantity for line in quote.lines] == [10, 10, 10]
    assert quote.goods_amount == 5350000
    assert quote.card_amount == 10 * 5000
    assert quote.shipping_amount == 3 * 50000
    assert quote.ppn_amount == 0
    assert quote.total_amount == 5350000 + 50000 + 150000
    # Above Rp2 juta the treasurer withholds PPh 22 (1.5%); it does not add to the total.
    assert quote.pph22_amount == 80250
    assert quote.net_payable_amount == quote.total_amount - 80250
    assert quote.events[0].to_status == S.DRAFT


def test_ppn_only_on_lines_of_vat_registered_households(office):
    taxed = factories.make_product(stock=100, price=100000)
    taxed.seller.is_vat_registered = True
    plain = factories.make_product(stock=100, price=100000)
    quote = factories.make_quote(office[1], [taxed, plain], boxes=3, card="")
    assert quote.ppn_amount == 33000  # 11% of 3 x 100.000
    assert quote.pph22_amount == 0  # Rp600.000 of goods: under the threshold
    assert quote.card_amount == 0
    assert quote.total_amount == 600000 + 33000 + 100000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"boxes": 0}, "box_count"),
        ({"boxes": 100_000}, "box_count"),
        ({"days": 0}, "delivery_date"),
        ({"days": -3}, "delivery_date"),
    ],
)
def test_bad_box_orders_are_refused(office, change, field):
    with pytest.raises(InstitutionError) as refused:
        factories.make_quote(office[1], **change)
    assert refused.value.field == field


def test_delivery_sooner_than_the_shortest_lead_time_is_refused(office):
    slow = factories.make_product(stock=100)
    slow.lead_time_days = 10
    with pytest.raises(InstitutionError) as refused:
        factories.make_quote(office[1], [slow], days=5)
    assert refused.value.field == "delivery_date" and "10" in str(refused.value.message)


def test_paused_product_cannot_be_put_in_a_box_nor_submitted(office):
    _, officer, _ = office
    paused = factories.make_product(stock=100, status=ProductStatus.PAUSED)
    with pytest.raises(InstitutionError, match="tidak dijual"):
        factories.make_quote(officer, [paused])
    product = factories.make_product(stock=100)
    quote = factories.make_quote(officer, [product])
    product.status = ProductStatus.PAUSED.value
    with pytest.raises(InstitutionError, match="tidak dijual"):
        quotes.submit_quote(quote.id, officer)


def test_product_paused_after_submission_stops_approval(office):
    _, officer, head = office
    product = factories.make_product(stock=100)
    quote = factories.make_quote(officer, [product])
    quotes.submit_quote(quote.id, officer)
    product.status = ProductStatus.PAUSED.value
    with pytest.raises(InstitutionError, match="Kembalikan penawaran"):
        quotes.approve_quote(quote.id, head)
    assert quote.status == S.SUBMITTED


def test_only_members_build_boxes():
    with pytest.raises(InstitutionError):
        factories.make_quote(factories.make_user(roles=[Role.OFFICER]))


def test_template_saved_from_a_quote(office):
    quote = factories.make_quote(office[1])
    template = quotes.save_template(quote.id, office[1], "Bingkisan tamu DPR")
    assert [(line.product_id, line.quantity_per_box) for line in template.lines] == [
        (line.product_id, line.quantity_per_box) for line in quote.lines
    ]
    assert template.card_text == quote.card_text
    [listed] = boxes.list_templates(office[0].id)
    assert (listed.id, listed.name) == (template.id, "Bingkisan tamu DPR")
    assert listed.lines == [
        (line.quantity_per_box, line.product.name, None) for line in template.lines
    ]
    with pytest.raises(NotFound):
        boxes.get_template_for_officer_or_404(template.id, factories.make_officer())


# -- capacity and holds -------------------------------------------------------------------


def test_submitting_holds_the_quantities_and_returning_lets_them_go(office):
    _, officer, head = office
    product = factories.make_product(stock=30)
    quote = factories.make_quote(officer, [product], boxes=20)
    quotes.submit_quote(quote.id, officer)
    assert live_held(product.id) == 20
    # A second office asking for 20 more no longer fits, and is offered nothing twice.
    other = factories.make_quote(factories.make_officer(), [product], boxes=20)
    (check,) = boxes.check_quote_capacity(other)
    assert not check.fit.fits and check.fit.available == 10
    with pytest.raises(InstitutionError, match="tidak bisa disiapkan"), db.session.begin_nested():
        quotes.submit_quote(other.id, other.created_by)  # refused: nothing of it is kept
    quotes.return_quote(quote.id, head, "Ganti madu dengan kopi")
    assert live_held(product.id) == 0
    quotes.submit_quote(other.id, other.created_by)
    assert live_held(product.id) == 20


def test_expired_holds_stop_counting_and_are_released(office):
    product = factories.make_product(stock=10)
    quote = factories.make_quote(office[1], [product], boxes=10)
    quotes.submit_quote(quote.id, office[1])
    assert live_held(product.id) == 10
    hold = db.session.scalar(select(CapacityHold).where(CapacityHold.quote_id == quote.id))
    hold.expires_at = now_utc() - dt.timedelta(minutes=1)
    db.session.flush()
    assert live_held(product.id) == 0
    assert release_expired_holds() == 1
    assert hold.released_at is not None
    assert release_expired_holds() == 0


def test_cli_releases_ended_holds(app):
    result = app.test_cli_runner().invoke(args=["institutions", "release-holds"])
    assert result.exit_code == 0 and "Released" in result.output


def test_approval_keeps_the_hold_until_delivery(office):
    _, officer, head = office
    product = factories.make_product(stock=10)
    quote = factories.make_quote(officer, [product], boxes=10, days=40)
    quotes.submit_quote(quote.id, officer)
    quotes.approve_quote(quote.id, head)
    hold = db.session.scalar(select(CapacityHold).where(CapacityHold.quote_id == quote.id))
    assert hold.expires_at.date() >= quote.delivery_date


def test_alternatives_are_other_households_of_the_same_category_and_region(office):
    small = factories.make_product(stock=5, category_slug="camilan")
    big = factories.make_product(stock=500, category_slug="camilan")
    factories.make_product(stock=500, category_slug="anyaman")  # another category
    elsewhere = factories.make_seller(region_slug="malinau")
    factories.make_product(stock=500, category_slug="camilan", seller=elsewhere)
    quote = factories.make_quote(office[1], [small], boxes=50)
    (check,) = boxes.check_quote_capacity(quote)
    assert not check.fit.fits
    assert big in check.alternatives
    for alternative in check.alternatives:
        assert alternative.category_id == small.category_id
        assert alternative.seller.region_id == small.seller.region_id
        assert alternative.seller_id != small.seller_id
        assert boxes.fit_of(alternative, 50, quote.delivery_date).fits


def test_made_to_order_uses_daily_capacity(office):
    product = factories.make_product(stock=0)
    product.is_made_to_order, product.daily_capacity = True, 10
    quote = factories.make_quote(office[1], [product], boxes=60, days=21)
    (check,) = boxes.check_quote_capacity(quote)
    assert check.fit.fits and check.fit.available >= 60


# -- the states ---------------------------------------------------------------------------

ALL_MOVES = [(a, b) for a in S for b in S]


@pytest.mark.parametrize(("start", "to"), [m for m in ALL_MOVES if m[1] in ALLOWED_MOVES[m[0]]])
def test_every_allowed_move_is_made_and_recorded(office, start, to):
    quote = factories.make_quote(office[1])
    quote.status = start.value
    quotes.move_quote(quote, to, office[2], "alasan")
    assert quote.status == to
    event = quote.events[-1]
    assert (event.from_status, event.to_status, event.actor_id, event.reason) == (
        start.value,
        to.value,
        office[2].id,
        "alasan",
    )


@pytest.mark.parametrize(("start", "to"), [m for m in ALL_MOVES if m[1] not in ALLOWED_MOVES[m[0]]])
def test_every_forbidden_move_is_refused(office, start, to):
    quote = factories.make_quote(office[1])
    quote.status = start.value
    events = len(quote.events)
    with pytest.raises(InstitutionError):
        quotes.move_quote(quote, to, office[2])
    assert quote.status == start and len(quote.events) == events


def test_the_full_path_shows_as_a_timeline(office):
    _, officer, head = office
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    number = quote.number
    assert number.startswith(f"PNW/{today_local().year}/")
    assert quote.valid_until == today_local() + dt.timedelta(days=14)
    quotes.return_quote(quote.id, head, "Tambahkan kartu")
    quotes.submit_quote(quote.id, officer)
    assert quote.number == number  # the same quote keeps its number
    quotes.approve_quote(quote.id, head)
    moves = [(e.from_status, e.to_status) for e in quote.events]
    assert moves == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "approved"),
        ("approved", "ordered"),
    ]
    assert quote.events[2].reason == "Tambahkan kartu" and quote.events[2].actor_id == head.id


def test_approver_cannot_approve_their_own_quote(office):
    _, _, head = office
    quote = factories.make_quote(head)
    quotes.submit_quote(quote.id, head)
    with pytest.raises(InstitutionError, match="sendiri"):
        quotes.approve_quote(quote.id, head)
    assert quote.status == S.SUBMITTED


def test_officer_without_the_right_cannot_approve(office):
    _, officer, _ = office
    colleague = factories.make_officer(office[0])
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    with pytest.raises(InstitutionError):
        quotes.approve_quote(quote.id, colleague)


def test_approver_of_another_institution_gets_not_found(office):
    quote = factories.make_quote(office[1])
    quotes.submit_quote(quote.id, office[1])
    with pytest.raises(NotFound):
        quotes.approve_quote(quote.id, factories.make_officer(can_approve=True))


def test_returning_needs_a_reason(office):
    quote = factories.make_quote(office[1])
    quotes.submit_quote(quote.id, office[1])
    with pytest.raises(InstitutionError) as refused:
        quotes.return_quote(quote.id, office[2], "  ")
    assert refused.value.field == "reason"


def test_second_submit_is_told_and_changes_nothing(office):
    quote = factories.make_quote(office[1])
    quotes.submit_quote(quote.id, office[1])
    events, documents = len(quote.events), len(quote.documents)
    with pytest.raises(quotes.QuoteMoved, match="sudah diajukan") as told:
        quotes.submit_quote(quote.id, office[1])
    assert told.value.status_code == 409
    assert quote.status == S.SUBMITTED
    assert (len(quote.events), len(quote.documents)) == (events, documents)


def test_cancelling_lets_the_holds_go(office):
    product = factories.make_product(stock=10)
    quote = factories.make_quote(office[1], [product], boxes=10)
    quotes.submit_quote(quote.id, office[1])
    quotes.cancel_quote(quote.id, office[1])
    assert quote.status == S.CANCELLED and live_held(product.id) == 0


def test_second_approval_changes_nothing(office):
    _, officer, head = office
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    quotes.approve_quote(quote.id, head)
    events = len(quote.events)
    with pytest.raises(quotes.QuoteMoved, match="sudah disetujui"):
        quotes.approve_quote(quote.id, head)
    assert quote.status == S.ORDERED and len(quote.events) == events


def test_expired_quote_is_refused_with_the_way_to_renew(office):
    _, officer, head = office
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    quote.valid_until = today_local() - dt.timedelta(days=1)
    with pytest.raises(QuoteExpired, match="Perbarui"):
        quotes.approve_quote(quote.id, head)
    assert quote.status == S.SUBMITTED
    renewed = quotes.renew_quote(quote.id, officer)
    assert renewed.renewed_from_id == quote.id and renewed.status == S.DRAFT
    assert quote.status == S.CANCELLED
    assert [line.product_id for line in renewed.lines] == [line.product_id for line in quote.lines]
    quotes.submit_quote(renewed.id, officer)
    assert quotes.approve_quote(renewed.id, head).status == S.ORDERED


def test_renewing_takes_todays_prices(office):
    product = factories.make_product(stock=100, price=35000)
    quote = factories.make_quote(office[1], [product])
    product.price_amount = 40000
    renewed = quotes.renew_quote(quote.id, office[1])
    assert renewed.lines[0].unit_price_amount == 40000
    assert quote.lines[0].unit_price_amount == 35000


def test_editing_a_returned_quote_and_not_a_submitted_one(office):
    _, officer, head = office
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    order = quotes.order_from_quote(quote)
    with pytest.raises(InstitutionError):
        quotes.update_quote(quote.id, officer, dataclasses.replace(order, box_count=5))
    quotes.return_quote(quote.id, head, "Kurangi jumlah")
    quotes.update_quote(quote.id, officer, dataclasses.replace(order, box_count=5))
    assert quote.box_count == 5 and quote.lines[0].quantity == 5


def test_demo_office_has_an_officer_and_an_approver():
    institution = db.session.scalar(
        select(InstitutionMember)
        .join(InstitutionMember.user)
        .where(User.email == "protokol@demo.id")
    ).institution
    assert institution.name == "Biro Umum Setda Provinsi Kalimantan Utara"
    approver = db.session.scalar(select(User).where(User.email == "kepala.biro@demo.id"))
    member = members.membership_of(approver)
    assert member.institution_id == institution.id and member.can_approve
    assert Role.OFFICER in approver.roles


def test_every_error_is_a_marketplace_error():
    assert issubclass(QuoteExpired, MarketplaceError)
    assert issubclass(InstitutionError, MarketplaceError)


def test_approvers_and_authors_are_told_by_mail_after_commit(office, inbox):
    from marketplace.jobs import run_pending_jobs

    _, officer, head = office
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    db.session.commit()
    run_pending_jobs()
    [waiting] = inbox.messages
    assert waiting["To"] == head.email and quote.number in waiting["Subject"]
    quotes.return_quote(quote.id, head, "Ganti batik dengan tenun")
    db.session.commit()
    run_pending_jobs()
    returned = inbox.messages[1]
    assert returned["To"] == officer.email
    assert "Ganti batik dengan tenun" in returned.get_payload(decode=True).decode()


def test_the_checkout_marks_an_approved_quote_ordered_once(office):
    _, officer, head = office
    quote = factories.make_quote(officer)
    quotes.submit_quote(quote.id, officer)
    with pytest.raises(InstitutionError):
        quotes.mark_quote_ordered(quote.id)
    quotes.approve_quote(quote.id, head)
    quotes.mark_quote_ordered(quote.id, None, "ORD-1")
    quotes.mark_quote_ordered(quote.id, None, "ORD-1")
    assert quote.status == S.ORDERED
    assert [e.to_status for e in quote.events].count(S.ORDERED) == 1


def test_a_removed_officer_loses_the_institutions_quotes(office):
    institution, officer, _ = office
    quote = factories.make_quote(officer)
    member = members.membership_of(officer)
    with pytest.raises(NotFound):
        members.remove_member(factories.make_institution().id, member.id)
    members.remove_member(institution.id, member.id)
    with pytest.raises(NotFound):
        quotes.get_quote_for_officer_or_404(quote.id, officer)
