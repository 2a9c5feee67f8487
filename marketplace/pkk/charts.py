"""Chart geometry for server-drawn SVG: the template only writes out the shapes.

No script and no style attributes (the CSP allows neither): colours are classes in
static/style.css, sizes are SVG attributes. Charts scale to the page's width and print.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marketplace.rupiah import format_rupiah

WIDTH = 320
LABEL_WIDTH = 110
ROW_HEIGHT = 26
BAR_HEIGHT = 16
#: room after a bar for its figure: a count, or a sum of money
VALUE_ROOM = 36
MONEY_ROOM = 96


def _text(value: int, money: bool) -> str:
    return format_rupiah(value) if money else str(value)


@dataclass
class Bar:
    label: str
    value: int
    y: int
    width: float
    text: str = ""


@dataclass
class BarChart:
    """Horizontal bars, one row per item: readable on a 360 px phone."""

    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT
    width: int = WIDTH


def bar_chart(items: list[tuple[str, int]], *, money: bool = False) -> BarChart:
    top = max((value for _, value in items), default=0) or 1
    room = WIDTH - LABEL_WIDTH - (MONEY_ROOM if money else VALUE_ROOM)  # left for the figure
    bars = [
        Bar(
            label,
            value,
            index * ROW_HEIGHT + 4,
            round(room * value / top, 1),
            _text(value, money),
        )
        for index, (label, value) in enumerate(items)
    ]
    return BarChart(bars=bars, height=max(len(items), 1) * ROW_HEIGHT + 4)


@dataclass
class Point:
    x: float
    y: float
    value: int
    text: str = ""


@dataclass
class Series:
    name: str
    css_class: str
    points: list[Point] = field(default_factory=list)

    @property
    def path(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass
class LineChart:
    series: list[Series]
    x_labels: list[tuple[float, str]]
    top: int
    top_text: str = ""
    width: int = WIDTH
    height: int = 190
    left: int = 28
    plot_top: int = 10
    plot_bottom: int = 160


def line_chart(
    labels: list[str],
    series: list[tuple[str, str, list[int]]],
    *,
    money: bool = False,
    known: list[bool] | None = None,
) -> LineChart:
    """Lines by month; ``series`` is (name, css class, values), values aligned with ``labels``.

    ``known`` False leaves a point out (a month not over yet): no point, the line stops.
    """
    chart = LineChart(series=[], x_labels=[], top=0, left=84 if money else 28)
    top = max((v for _, _, values in series for v in values), default=0) or 1
    chart.top = top
    chart.top_text = _text(top, money)
    span = chart.width - chart.left - 24  # room for the last month's label
    step = span / max(len(labels) - 1, 1)
    height = chart.plot_bottom - chart.plot_top

    def x_at(index: int) -> float:
        return round(chart.left + index * step, 1)

    # At most about six labels under the axis, or they collide on a phone.
    every = max(1, -(-len(labels) // 6))
    chart.x_labels = [(x_at(i), label) for i, label in enumerate(labels) if i % every == 0]
    for name, css_class, values in series:
        points = [
            Point(x_at(i), round(chart.plot_bottom - height * v / top, 1), v, _text(v, money))
            for i, v in enumerate(values)
            if known is None or known[i]
        ]
        chart.series.append(Series(name, css_class, points))
    return chart
