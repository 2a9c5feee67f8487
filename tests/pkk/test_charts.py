"""Chart geometry: bars and points in proportion to the figures they draw."""

from __future__ import annotations

from marketplace.pkk import charts


def test_bars_are_in_proportion_and_the_largest_fills_the_room():
    chart = charts.bar_chart([("Malinau", 3), ("Tarakan", 1), ("Bulungan", 0)])
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == charts.WIDTH - charts.LABEL_WIDTH - 36
    assert widths[1] == round(widths[0] / 3, 1) and widths[2] == 0
    assert [bar.y for bar in chart.bars] == [4, 30, 56]


def test_nothing_to_draw_draws_flat_lines_not_an_error():
    chart = charts.line_chart(["Jan", "Feb"], [("Toko baru", "series-c", [0, 0])])
    assert {point.y for point in chart.series[0].points} == {chart.plot_bottom}
    assert charts.bar_chart([]).bars == []


def test_lines_rise_with_the_figures_and_labels_stay_inside():
    labels = [f"M{i}" for i in range(12)]
    chart = charts.line_chart(labels, [("Kemasan diajukan", "series-b", list(range(12)))])
    ys = [point.y for point in chart.series[0].points]
    assert ys == sorted(ys, reverse=True) and ys[-1] == chart.plot_top
    assert len(chart.x_labels) <= 6
    assert max(x for x, _ in chart.x_labels) <= chart.width - 20
    assert chart.series[0].path.startswith("28.0,160.0 ")
