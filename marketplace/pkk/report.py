"""The impact report: what the programme does for households, for a period and a kabupaten.

Each section is one small function returning plain data (dataclasses), built from a fixed
number of statements whatever the number of households: aggregates are grouped in SQL or
counted from one result set, never queried household by household. Revenue sections come
with the checkout: they will be further functions of the same shape.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, distinct, func, or_, select

from marketplace.catalog.models import Product, ProductStatus, ProductStatusChange, Region
from marketplace.db import db
from marketplace.pkk.models import (
    CapitalAssistance,
    PackagingHelp,
    TrainingSession,
    training_attendances,
)
from marketplace.sellers.models import Seller

#: Kalimantan Utara keeps WITA (UTC+8) all year: a report's days are local days.
WITA = dt.timezone(dt.timedelta(hours=8))
#: How far before and after the first assistance a household's figures are compared.
COMPARISON_DAYS = 90
PENDING = ProductStatus.PENDING_REVIEW.value
PUBLISHED = ProductStatus.PUBLISHED.value
CHANGES = ProductStatus.CHANGES_REQUESTED.value


@dataclass(frozen=True)
class Period:
    """Local days from ``start`` to ``end``, both included; ``region_id`` None is the province."""

    start: dt.date
    end: dt.date
    region_id: int | None = None

    @property
    def start_at(self) -> dt.datetime:
        return start_of_day(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after the period (exclusive bound)."""
        return start_of_day(self.end + dt.timedelta(days=1))

    def months(self) -> list[dt.date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months


def start_of_day(day: dt.date) -> dt.datetime:
    """Local midnight of ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(), WITA).astimezone(dt.UTC)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(WITA).date()


def month_of(moment: dt.datetime) -> dt.date:
    return local_day(moment).replace(day=1)


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


@dataclass
class HouseholdComparison:
    """One assisted household: products approved before and after its first assistance."""

    seller_id: int
    shop_name: str
    region_name: str
    first_assisted_on: dt.date
    kinds: list[str] = field(default_factory=list)
    capital_amount: int = 0
    published_before: int = 0
    published_after: int = 0


@dataclass
class ImpactReport:
    period: Period
    regions: list[RegionFigures]
    months: list[MonthFigures]
    reviews: ReviewFigures
    assisted: list[HouseholdComparison]
    #: category name -> revenue, largest first
    revenue_by_category: dict[str, int] = field(default_factory=dict)
    #: revenue from government gift orders (they do not become orders yet: always 0 for now)
    government_revenue_amount: int = 0

    @property
    def revenue_amount(self) -> int:
        return sum(r.revenue_amount for r in self.regions)

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
    def assisted_published_before(self) -> int:
        return sum(h.published_before for h in self.assisted)

    @property
    def assisted_published_after(self) -> int:
        return sum(h.published_after for h in self.assisted)

    @property
    def capital_amount(self) -> int:
        return sum(h.capital_amount for h in self.assisted)


def _in_region(stmt, period: Period):
    return stmt if period.region_id is None else stmt.where(Seller.region_id == period.region_id)


def report_regions(period: Period) -> list[RegionFigures]:
    """The kabupaten of the report, in name order, with nothing counted yet."""
    stmt = select(Region.id, Region.name).order_by(Region.name)
    if period.region_id is not None:
        stmt = stmt.where(Region.id == period.region_id)
    return [RegionFigures(region_id=id_, name=name) for id_, name in db.session.execute(stmt)]


def active_households_by_region(period: Period) -> dict[int, int]:
    """Households with a product public during the period, per kabupaten.

    Public during the period: approved within it, or published before its end and still
    published (the history of pauses is not kept apart from status moves). Sales will count
    too once there are orders.
    """
    approved_in_period = select(ProductStatusChange.product_id).where(
        ProductStatusChange.to_status == PUBLISHED,
        ProductStatusChange.created_at >= period.start_at,
        ProductStatusChange.created_at < period.end_at,
    )
    stmt = (
        select(Seller.region_id, func.count(distinct(Seller.id)))
        .join(Product, Product.seller_id == Seller.id)
        .where(
            or_(
                and_(Product.status == PUBLISHED, Product.published_at < period.end_at),
                Product.id.in_(approved_in_period),
            )
        )
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


def assisted_households(period: Period) -> list[HouseholdComparison]:
    """Households helped in the period: approvals before and after their first help."""
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
    window = dt.timedelta(days=COMPARISON_DAYS)
    earliest = min(h.first_assisted_on for h in households.values()) - window
    latest = max(h.first_assisted_on for h in households.values()) + window
    approvals = db.session.execute(
        select(Product.seller_id, ProductStatusChange.created_at)
        .join(Product, Product.id == ProductStatusChange.product_id)
        .where(
            Product.seller_id.in_(households),
            ProductStatusChange.from_status == PENDING,
            ProductStatusChange.to_status == PUBLISHED,
            ProductStatusChange.created_at >= start_of_day(earliest),
            ProductStatusChange.created_at < start_of_day(latest),
        )
    )
    for seller_id, at in approvals:
        household = households[seller_id]
        day = local_day(at)
        if household.first_assisted_on - window <= day < household.first_assisted_on:
            household.published_before += 1
        elif household.first_assisted_on <= day < household.first_assisted_on + window:
            household.published_after += 1
    return sorted(households.values(), key=lambda h: (h.region_name, h.shop_name))


@dataclass(frozen=True)
class Sale:
    region_id: int
    category: str
    paid_at: dt.datetime
    amount: int


def sales(period: Period) -> list[Sale]:
    """Paid goods of the period, per household part and category, in one statement.

    A part cancelled after payment was refunded, so it does not count.
    """
    from marketplace.catalog.models import Category
    from marketplace.orders.models import Order, OrderLine, OrderPart, PartStatus

    stmt = (
        select(
            Seller.region_id,
            Category.name,
            Order.paid_at,
            func.sum(OrderLine.line_amount),
        )
        .select_from(OrderLine)
        .join(OrderPart, OrderPart.id == OrderLine.part_id)
        .join(Order, Order.id == OrderPart.order_id)
        .join(Seller, Seller.id == OrderPart.seller_id)
        .join(Product, Product.id == OrderLine.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(
            Order.paid_at >= period.start_at,
            Order.paid_at < period.end_at,
            OrderPart.status != PartStatus.CANCELLED.value,
        )
        .group_by(Seller.region_id, Category.name, Order.paid_at, OrderPart.id)
    )
    return [
        Sale(region_id, category, paid_at, int(amount))
        for region_id, category, paid_at, amount in db.session.execute(_in_region(stmt, period))
    ]


def impact_report(period: Period) -> ImpactReport:
    """The whole report, in a fixed number of statements."""
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

    by_category: Counter[str] = Counter()
    for sale in sales(period):
        by_region[sale.region_id].revenue_amount += sale.amount
        months[month_of(sale.paid_at)].revenue_amount += sale.amount
        by_category[sale.category] += sale.amount

    return ImpactReport(
        period=period,
        regions=regions,
        months=list(months.values()),
        reviews=review_figures(period, moves),
        assisted=assisted_households(period),
        revenue_by_category=dict(by_category.most_common()),
    )


def report_rows(report: ImpactReport, labels: dict[str, str]) -> list[list[str]]:
    """The report as CSV rows: section, label, figure columns. ``labels`` are translated."""
    rows: list[list[str]] = [[labels["section"], labels["item"], labels["value"]]]
    totals = [
        ("active_households", report.active_households),
        ("new_households", report.new_households),
        ("products_published", report.products_published),
        ("reviews_submitted", report.reviews.submitted),
        ("approved_first_time", report.reviews.approved_first_time),
        ("first_verdicts", report.reviews.first_verdicts),
        ("median_days", report.reviews.median_days_to_verdict),
        ("capital_amount", report.capital_amount),
        ("revenue_amount", report.revenue_amount),
    ]
    rows += [
        [labels["totals"], labels[key], "" if value is None else str(value)]
        for key, value in totals
    ]
    rows.append([])
    rows.append(
        [
            labels["by_region"],
            labels["active_households"],
            labels["new_households"],
            labels["products_published"],
            labels["reviews_submitted"],
        ]
    )
    for region in report.regions:
        rows.append(
            [
                region.name,
                str(region.active_households),
                str(region.new_households),
                str(region.products_published),
                str(region.reviews_submitted),
            ]
        )
    rows.append([])
    rows.append(
        [
            labels["by_month"],
            labels["new_households"],
            labels["products_published"],
            labels["reviews_submitted"],
        ]
    )
    for month in report.months:
        rows.append(
            [
                month.month.strftime("%Y-%m"),
                str(month.new_households),
                str(month.products_published),
                str(month.reviews_submitted),
            ]
        )
    rows.append([])
    rows.append(
        [
            labels["household"],
            labels["region"],
            labels["first_assisted_on"],
            labels["kinds"],
            labels["capital_amount"],
            labels["published_before"],
            labels["published_after"],
        ]
    )
    for household in report.assisted:
        rows.append(
            [
                household.shop_name,
                household.region_name,
                household.first_assisted_on.isoformat(),
                " ".join(labels[kind] for kind in household.kinds),
                str(household.capital_amount),
                str(household.published_before),
                str(household.published_after),
            ]
        )
    return rows
