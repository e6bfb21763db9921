"""Charts drawn on the server as SVG: no JavaScript, no library, readable by screen readers.

The SVG carries role="img" with a <title> and a <desc>; pages also give the same numbers in a table
for assistive technologies (templates/web/dashboard.html).
"""

import datetime
from decimal import Decimal

from django.utils import dateformat, formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
HEIGHT = 260
TOP = 24  # room for the value above the tallest bar
BOTTOM = 28  # room for the month labels
SIDE = 8
BAR_COLOR = "#1f6fd1"
NEGATIVE_COLOR = "#b3261e"
TEXT_COLOR = "#5d6773"


def month_label(month: datetime.date) -> str:
    """A short month name in the active language ("janv.", "Jan"), with the year on January."""
    label = dateformat.format(month, "b" if month.month != 1 else "b Y")
    return label.capitalize()


def compact_amount(value: Decimal) -> str:
    """A whole number with the active language's grouping: what fits above a bar."""
    return formats.number_format(value.quantize(Decimal(1)), decimal_pos=0, force_grouping=True)


def revenue_chart(points: list[tuple[datetime.date, Decimal]], *, title: str, description: str) -> SafeString:
    """A bar chart of one amount per month; bars below the axis for negative months."""
    values = [value for _month, value in points]
    highest = max([*values, Decimal(0)])
    lowest = min([*values, Decimal(0)])
    span = (highest - lowest) or Decimal(1)
    plot_height = Decimal(HEIGHT - TOP - BOTTOM)
    baseline = TOP + float(plot_height * highest / span)
    slot = (WIDTH - 2 * SIDE) / max(len(points), 1)
    bar_width = slot * 0.62

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<line x1="{SIDE}" y1="{baseline:.1f}" x2="{WIDTH - SIDE}" y2="{baseline:.1f}" stroke="#d9dee4"/>',
    ]
    for index, (month, value) in enumerate(points):
        x = SIDE + index * slot + (slot - bar_width) / 2
        height = float(plot_height * abs(value) / span)
        top = baseline - height if value >= 0 else baseline
        color = BAR_COLOR if value >= 0 else NEGATIVE_COLOR
        centre = x + bar_width / 2
        value_y = top - 6 if value >= 0 else top + height + 14
        parts += [
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_width:.1f}" height="{height:.1f}" fill="{color}"/>',
            f'<text x="{centre:.1f}" y="{value_y:.1f}" font-size="11" text-anchor="middle" fill="{TEXT_COLOR}">'
            f"{escape(compact_amount(value)) if value else ''}</text>",
            f'<text x="{centre:.1f}" y="{HEIGHT - 8}" font-size="12" text-anchor="middle" fill="{TEXT_COLOR}">'
            f"{escape(month_label(month))}</text>",
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every dynamic text above went through escape()
