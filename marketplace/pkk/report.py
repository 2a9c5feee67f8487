"""The impact report: what the programme does for households, for a period and a kabupaten.

Each section is one small function returning plain data (dataclasses), built from a fixed
number of statements whatever the number of households: aggregates are grouped in SQL or
counted from one result set, never queried household by household.

Revenue to households ("penjualan rumah tangga") is counted line by line in one place,
:func:`marketplace.pkk.revenue.line_revenue`: the value of the goods (before the platform's
commission, without shipping) in the parts of paid orders still being made, sent or
delivered; on a government order (``Order.quote_id``) what the officer received and the
invoice billed, on a public one less the goods part of its part's refunds. Cancelled parts
and orders refunded for a late payment count nothing. It all falls in the local month the
order was paid, refunds too: a month's figure is what that month's sales finally earned.
The sales by kabupaten, month and category and the assisted households' months are all
built from that one subquery.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select

from marketplace.catalog.models import (
    Category,
    Product,
    ProductStatus,
    ProductStatusChange,
    Region,
    Seller,
)
from marketplace.catalog.services import today_local
from marketplace.db import db
from marketplace.orders.models import Order, OrderPart
from marketplace.pkk.models import (
    CapitalAssistance,
    PackagingHelp,
    TrainingSession,
    training_attendances,
)
from marketplace.pkk.periods import Period, add_months, month_of, month_range
from marketplace.pkk.revenue import line_revenue, paid_parts

#: How many whole months before and after the month of a household's first assistance
#: its revenue is compared over (the month of the assistance itself is left out).
COMPARISON_MONTHS = 3
PENDING = ProductStatus.PENDING_REVIEW.value
PUBLISHED = ProductStatus.PUBLISHED.value
CHANGES = ProductStatus.CHANGES_REQUESTED.value


@dataclass
class RegionFigures:
    region_id: int
    name: str
    active_households: int = 0
    new_households: int = 0
    products_published: int = 0
    reviews_submitted: int = 0
    #: what buyers paid for the households' goods (before commission, without shipping)
    revenue_amount: int = 0


@dataclass
class MonthFigures:
    month: dt.date
    new_households: int = 0
    products_published: int = 0
    reviews_submitted: int = 0
    revenue_amount: int = 0


@dataclass
class ReviewFigures:
    """Packaging reviews in the period."""

    submitted: int = 0
    verdicts: int = 0
    #: products whose first verdict ever came in the period and was an approval
    approved_first_time: int = 0
    #: products whose first verdict ever came in the period
    first_verdicts: int = 0
    median_days_to_verdict: float | None = None


def average_amount(values: list[int | None]) -> int | None:
    """The mean of the known values, in whole rupiah (half up); None when none is known."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    return (2 * sum(known) + len(known)) // (2 * len(known))


@dataclass
class HouseholdComparison:
    """One assisted household: its revenue each month before and after its first assistance.

    ``before`` and ``after`` hold ``COMPARISON_MONTHS`` months each, oldest first, around the
    month of the first assistance in the period (left out: part before, part after the help).
    A month not over yet on the report's day is None: not known, not zero.
    """

    seller_id: int
    shop_name: str
    region_name: str
    first_assisted_on: dt.date
    kinds: list[str] = field(default_factory=list)
    capital_amount: int = 0
    before: list[int | None] = field(default_factory=list)
    after: list[int | None] = field(default_factory=list)

    @property
    def before_average_amount(self) -> int | None:
        return average_amount(self.before)

    @property
    def after_average_amount(self) -> int | None:
        return average_amount(self.after)


@dataclass
class ImpactReport:
    period: Period
    regions: list[RegionFigures]
    months: list[MonthFigures]
    reviews: ReviewFigures
    assisted: list[HouseholdComparison]
    #: category name -> revenue, largest first
    revenue_by_category: dict[str, int] = field(default_factory=dict)
    #: revenue from orders made from an institution's quotation (government gift orders)
    government_revenue_amount: int = 0

    @property
    def revenue_amount(self) -> int:
        return sum(r.revenue_amount for r in self.regions)

    @property
    def government_share_percent(self) -> float | None:
        """The government orders' share of revenue, in percent with one decimal (display)."""
        if not self.revenue_amount:
            return None
        return round(self.government_revenue_amount * 1000 / self.revenue_amount) / 10

    @property
    def active_households(self) -> int:
        return sum(r.active_households for r in self.regions)

    @property
    def new_households(self) -> int:
        return sum(r.new_households for r in self.regions)

    @property
    def products_published(self) -> int:
        return sum(r.products_published for r in self.regions)

    @property
    def capital_amount(self) -> int:
        return sum(h.capital_amount for h in self.assisted)

    def _relative(self, side: str) -> list[int | None]:
        """Per month before (or after): the assisted households' mean revenue."""
        return [
            average_amount([getattr(h, side)[i] for h in self.assisted])
            for i in range(COMPARISON_MONTHS)
        ]

    @property
    def assisted_before_amounts(self) -> list[int | None]:
        return self._relative("before")

    @property
    def assisted_after_amounts(self) -> list[int | None]:
        return self._relative("after")

    @property
    def compared(self) -> list[HouseholdComparison]:
        """Assisted households with at least one month after the help over."""
        return [h for h in self.assisted if h.after_average_amount is not None]

    @property
    def compared_before_amount(self) -> int:
        """Their monthly means before, added up: what they earned together in a month."""
        return sum(h.before_average_amount or 0 for h in self.compared)

    @property
    def compared_after_amount(self) -> int:
        return sum(h.after_average_amount or 0 for h in self.compared)


def _in_region(stmt, period: Period):
    return stmt if period.region_id is None else stmt.where(Seller.region_id == period.region_id)


def report_regions(period: Period) -> list[RegionFigures]:
    """The kabupaten of the report, in name order, with nothing counted yet."""
    stmt = select(Region.id, Region.name).order_by(Region.name)
    if period.region_id is not None:
        stmt = stmt.where(Region.id == period.region_id)
    return [RegionFigures(region_id=id_, name=name) for id_, name in db.session.execute(stmt)]


def active_households_by_region(period: Period) -> dict[int, int]:
    """Households with a product public during the period, or a sale in it, per kabupaten.

    Public during the period: approved within it, or published before its end and still
    published (the history of pauses is not kept apart from status moves). A sale counts
    even when the product was taken down since.
    """
    approved_in_period = select(ProductStatusChange.product_id).where(
        ProductStatusChange.to_status == PUBLISHED,
        ProductStatusChange.created_at >= period.start_at,
        ProductStatusChange.created_at < period.end_at,
    )
    public = select(Product.seller_id).where(
        or_(
            and_(Product.status == PUBLISHED, Product.published_at < period.end_at),
            Product.id.in_(approved_in_period),
        )
    )
    sold = paid_parts(
        select(OrderPart.seller_id)
        .join(Order, Order.id == OrderPart.order_id)
        .where(Order.paid_at >= period.start_at, Order.paid_at < period.end_at),
        period.months(),
    )
    stmt = (
        select(Seller.region_id, func.count(Seller.id))
        .where(or_(Seller.id.in_(public), Seller.id.in_(sold)))
        .group_by(Seller.region_id)
    )
    return dict(db.session.execute(_in_region(stmt, period)).all())


def new_households(period: Period) -> list[tuple[int, dt.datetime]]:
    """(region id, opened at) of each shop opened in the period."""
    stmt = select(Seller.region_id, Seller.created_at).where(
        Seller.created_at >= period.start_at, Seller.created_at < period.end_at
    )
    return [(region_id, at) for region_id, at in db.session.execute(_in_region(stmt, period))]


@dataclass(frozen=True)
class StatusMove:
    product_id: int
    region_id: int
    from_status: str
    to_status: str
    at: dt.datetime


def status_moves(period: Period) -> list[StatusMove]:
    """The whole history, up to the period's end, of products that moved during the period.

    The earlier history tells a first approval from a later one and a verdict's submission.
    """
    moved = select(ProductStatusChange.product_id).where(
        ProductStatusChange.created_at >= period.start_at,
        ProductStatusChange.created_at < period.end_at,
    )
    stmt = (
        select(
            ProductStatusChange.product_id,
            Seller.region_id,
            ProductStatusChange.from_status,
            ProductStatusChange.to_status,
            ProductStatusChange.created_at,
        )
        .join(Product, Product.id == ProductStatusChange.product_id)
        .join(Seller, Seller.id == Product.seller_id)
        .where(
            ProductStatusChange.product_id.in_(moved),
            ProductStatusChange.created_at < period.end_at,
        )
        .order_by(ProductStatusChange.created_at, ProductStatusChange.id)
    )
    return [StatusMove(*row) for row in db.session.execute(_in_region(stmt, period))]


def _is_verdict(move: StatusMove) -> bool:
    return move.from_status == PENDING and move.to_status in (PUBLISHED, CHANGES)


def review_figures(period: Period, moves: list[StatusMove]) -> ReviewFigures:
    """Submissions, verdicts, first-time approvals and the median wait for a verdict."""
    figures = ReviewFigures()
    waits: list[float] = []
    submitted_at: dict[int, dt.datetime] = {}
    first_verdict_seen: set[int] = set()
    for move in moves:
        inside = move.at >= period.start_at
        if move.to_status == PENDING:
            submitted_at[move.product_id] = move.at
            figures.submitted += int(inside)
        elif _is_verdict(move):
            first = move.product_id not in first_verdict_seen
            first_verdict_seen.add(move.product_id)
            if not inside:
                continue
            figures.verdicts += 1
            if first:
                figures.first_verdicts += 1
                figures.approved_first_time += int(move.to_status == PUBLISHED)
            since = submitted_at.get(move.product_id)
            if since is not None:
                waits.append((move.at - since).total_seconds() / 86400)
    if waits:
        figures.median_days_to_verdict = round(statistics.median(waits), 1)
    return figures


def first_approvals(period: Period, moves: list[StatusMove]) -> list[StatusMove]:
    """Each product's first approval, when it falls in the period: products newly published."""
    seen: set[int] = set()
    firsts = []
    for move in moves:
        if move.from_status == PENDING and move.to_status == PUBLISHED:
            if move.product_id not in seen and move.at >= period.start_at:
                firsts.append(move)
            seen.add(move.product_id)
    return firsts


@dataclass(frozen=True)
class AssistanceEvent:
    seller_id: int
    day: dt.date
    kind: str
    value_amount: int = 0


def assistance_events(period: Period) -> list[AssistanceEvent]:
    """Every piece of help given in the period: training, packaging help, capital."""
    trainings = (
        select(training_attendances.c.seller_id, TrainingSession.held_on)
        .join(TrainingSession, TrainingSession.id == training_attendances.c.training_session_id)
        .join(Seller, Seller.id == training_attendances.c.seller_id)
        .where(TrainingSession.held_on.between(period.start, period.end))
    )
    packaging = (
        select(PackagingHelp.seller_id, PackagingHelp.given_on)
        .join(Seller, Seller.id == PackagingHelp.seller_id)
        .where(PackagingHelp.given_on.between(period.start, period.end))
    )
    capital = (
        select(
            CapitalAssistance.seller_id, CapitalAssistance.given_on, CapitalAssistance.value_amount
        )
        .join(Seller, Seller.id == CapitalAssistance.seller_id)
        .where(CapitalAssistance.given_on.between(period.start, period.end))
    )
    events = [
        AssistanceEvent(seller_id, day, "training")
        for seller_id, day in db.session.execute(_in_region(trainings, period))
    ]
    events += [
        AssistanceEvent(seller_id, day, "packaging")
        for seller_id, day in db.session.execute(_in_region(packaging, period))
    ]
    events += [
        AssistanceEvent(seller_id, day, "capital", amount)
        for seller_id, day, amount in db.session.execute(_in_region(capital, period))
    ]
    return events


def assisted_households(period: Period, today: dt.date) -> list[HouseholdComparison]:
    """Households helped in the period, with their monthly revenue around their first help.

    Two statements whatever their number: the help, then every assisted household's revenue
    per month over all the months compared, grouped in SQL.
    """
    events = assistance_events(period)
    if not events:
        return []
    households: dict[int, HouseholdComparison] = {}
    shops = db.session.execute(
        select(Seller.id, Seller.shop_name, Region.name)
        .join(Region, Region.id == Seller.region_id)
        .where(Seller.id.in_({event.seller_id for event in events}))
    )
    names = {seller_id: (shop, region) for seller_id, shop, region in shops}
    for event in sorted(events, key=lambda e: e.day):
        household = households.get(event.seller_id)
        if household is None:
            shop, region = names[event.seller_id]
            household = households[event.seller_id] = HouseholdComparison(
                event.seller_id, shop, region, event.day
            )
        if event.kind not in household.kinds:
            household.kinds.append(event.kind)
        household.capital_amount += event.value_amount

    firsts = [h.first_assisted_on.replace(day=1) for h in households.values()]
    months = month_range(
        add_months(min(firsts), -COMPARISON_MONTHS), add_months(max(firsts), COMPARISON_MONTHS)
    )
    per_line = line_revenue(months, OrderPart.seller_id.in_(households))
    revenue = {
        (seller_id, month): int(amount)
        for seller_id, month, amount in db.session.execute(
            select(per_line.c.seller_id, per_line.c.month, func.sum(per_line.c.amount)).group_by(
                per_line.c.seller_id, per_line.c.month
            )
        )
    }
    this_month = today.replace(day=1)
    for household in households.values():
        first = months.index(household.first_assisted_on.replace(day=1))
        household.before = [
            revenue.get((household.seller_id, first - n), 0)
            for n in range(COMPARISON_MONTHS, 0, -1)
        ]
        household.after = [
            revenue.get((household.seller_id, first + n), 0)
            if months[first + n] < this_month
            else None
            for n in range(1, COMPARISON_MONTHS + 1)
        ]
    return sorted(households.values(), key=lambda h: (h.region_name, h.shop_name))


@dataclass(frozen=True)
class Sale:
    """Revenue of one kabupaten, category and month, from government orders or not."""

    region_id: int
    category: str | None
    month: dt.date
    government: bool
    amount: int


def sales(period: Period) -> list[Sale]:
    """The period's revenue to households, grouped in SQL: one row per kabupaten, category,
    month and kind of order whatever the number of orders."""
    months = period.months()
    per_line = line_revenue(months, Order.paid_at >= period.start_at, Order.paid_at < period.end_at)
    stmt = (
        select(
            Seller.region_id.label("region_id"),
            Category.name.label("category"),
            per_line.c.month,
            per_line.c.government,
            per_line.c.amount,
        )
        .select_from(per_line)
        .join(Seller, Seller.id == per_line.c.seller_id)
        .outerjoin(Product, Product.id == per_line.c.product_id)
        .outerjoin(Category, Category.id == Product.category_id)
    )
    per_line = _in_region(stmt, period).subquery()
    columns = (
        per_line.c.region_id,
        per_line.c.category,
        per_line.c.month,
        per_line.c.government,
    )
    return [
        Sale(region_id, category, months[month], bool(government), int(amount))
        for region_id, category, month, government, amount in db.session.execute(
            select(*columns, func.sum(per_line.c.amount)).group_by(*columns)
        )
    ]


def impact_report(period: Period, today: dt.date | None = None) -> ImpactReport:
    """The whole report, in a fixed number of statements; ``today`` (local) ends what is known."""
    if today is None:
        today = today_local()
    regions = report_regions(period)
    by_region = {r.region_id: r for r in regions}
    months = {month: MonthFigures(month) for month in period.months()}

    for region_id, count in active_households_by_region(period).items():
        by_region[region_id].active_households = count
    for region_id, opened_at in new_households(period):
        by_region[region_id].new_households += 1
        months[month_of(opened_at)].new_households += 1

    moves = status_moves(period)
    for move in first_approvals(period, moves):
        by_region[move.region_id].products_published += 1
        months[month_of(move.at)].products_published += 1
    submitted = Counter(
        (move.region_id, month_of(move.at))
        for move in moves
        if move.to_status == PENDING and move.at >= period.start_at
    )
    for (region_id, month), count in submitted.items():
        by_region[region_id].reviews_submitted += count
        months[month].reviews_submitted += count

    by_category: Counter[str | None] = Counter()
    government = 0
    for sale in sales(period):
        by_region[sale.region_id].revenue_amount += sale.amount
        months[sale.month].revenue_amount += sale.amount
        by_category[sale.category] += sale.amount
        government += sale.amount if sale.government else 0

    return ImpactReport(
        period=period,
        regions=regions,
        months=list(months.values()),
        reviews=review_figures(period, moves),
        assisted=assisted_households(period, today),
        revenue_by_category=dict(by_category.most_common()),
        government_revenue_amount=government,
    )
