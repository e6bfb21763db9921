"""The chart of a report (revenue by month, VAT by rate...): a server-rendered SVG bar chart.

billing/charts.py draws the dashboard's bars from months (dates it labels itself); a report's bars come
already labelled (`base.ChartBar`), so this draws the same chart, with the same sizes, colours and
accessibility (role="img", <title>, <desc>; the page gives the numbers in a table too), from labels.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from facturier.billing.charts import (
    BAR_COLOR,
    BOTTOM,
    HEIGHT,
    NEGATIVE_COLOR,
    SIDE,
    TEXT_COLOR,
    TOP,
    WIDTH,
    compact_amount,
)
from facturier.lib.money import ZERO
from facturier.reports.base import ChartBar

MAX_BAR_WIDTH = 64


def bar_chart(bars: list[ChartBar], *, title: str, description: str) -> SafeString:
    """One bar per labelled amount; bars below the axis for negative amounts."""
    values = [bar.value for bar in bars]
    highest = max([*values, ZERO])
    lowest = min([*values, ZERO])
    span = (highest - lowest) or 1
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + float(plot_height * highest / span)
    slot = (WIDTH - 2 * SIDE) / max(len(bars), 1)
    bar_width = min(slot * 0.62, MAX_BAR_WIDTH)  # two or three bars stay bars, not walls
    # Many bars (a year of months, a dozen rates) leave little room under each: smaller labels.
    label_size = 12 if len(bars) <= 12 else 9

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        'aria-labelledby="report-chart-title report-chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="report-chart-title">{escape(title)}</title>',
        f'<desc id="report-chart-desc">{escape(description)}</desc>',
        f'<line x1="{SIDE}" y1="{baseline:.1f}" x2="{WIDTH - SIDE}" y2="{baseline:.1f}" stroke="#d9dee4"/>',
    ]
    for index, bar in enumerate(bars):
        x = SIDE + index * slot + (slot - bar_width) / 2
        height = float(plot_height * abs(bar.value) / span)
        top = baseline - height if bar.value >= 0 else baseline
        color = BAR_COLOR if bar.value >= 0 else NEGATIVE_COLOR
        centre = x + bar_width / 2
        value_y = top - 6 if bar.value >= 0 else top + height + 14
        parts += [
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_width:.1f}" height="{height:.1f}" fill="{color}"/>',
            f'<text x="{centre:.1f}" y="{value_y:.1f}" font-size="11" text-anchor="middle" fill="{TEXT_COLOR}">'
            f"{escape(compact_amount(bar.value)) if bar.value else ''}</text>",
            f'<text x="{centre:.1f}" y="{HEIGHT - 8}" font-size="{label_size}" text-anchor="middle" '
            f'fill="{TEXT_COLOR}">{escape(bar.label)}</text>',
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every dynamic text above went through escape()
