"""The impact report as CSV rows, for the PKK's spreadsheets."""

from __future__ import annotations

from marketplace.pkk.report import (
    COMPARISON_MONTHS,
    ImpactReport,
)


def report_rows(report: ImpactReport, labels: dict[str, str]) -> list[list[str]]:
    """The report as CSV rows: section, label, figure columns. ``labels`` are translated."""

    def text(value) -> str:
        return "" if value is None else str(value)

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
        ("government_revenue_amount", report.government_revenue_amount),
        ("government_share", report.government_share_percent),
    ]
    rows += [[labels["totals"], labels[key], text(value)] for key, value in totals]
    figures = ("active_households", "new_households", "products_published", "reviews_submitted")
    rows.append([])
    rows.append([labels["by_region"], *(labels[key] for key in figures), labels["revenue_amount"]])
    for region in report.regions:
        rows.append(
            [
                region.name,
                *(str(getattr(region, key)) for key in figures),
                str(region.revenue_amount),
            ]
        )
    rows.append([])
    rows.append(
        [labels["by_month"], *(labels[key] for key in figures[1:]), labels["revenue_amount"]]
    )
    for month in report.months:
        rows.append(
            [
                month.month.strftime("%Y-%m"),
                *(str(getattr(month, key)) for key in figures[1:]),
                str(month.revenue_amount),
            ]
        )
    rows.append([])
    rows.append([labels["by_category"], labels["revenue_amount"]])
    for name, amount in report.revenue_by_category.items():
        rows.append([name or labels["no_category"], str(amount)])
    rows.append([])
    before = [f"{labels['month']} -{n}" for n in range(COMPARISON_MONTHS, 0, -1)]
    after = [f"{labels['month']} +{n}" for n in range(1, COMPARISON_MONTHS + 1)]
    rows.append(
        [
            labels["household"],
            labels["region"],
            labels["first_assisted_on"],
            labels["kinds"],
            labels["capital_amount"],
            *before,
            *after,
            labels["average_before"],
            labels["average_after"],
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
                *(text(value) for value in household.before + household.after),
                text(household.before_average_amount),
                text(household.after_average_amount),
            ]
        )
    return rows
