"""Charts drawn on the server as SVG: no JavaScript, no library, readable by screen readers.

The SVG carries role="img" with a <title> and a <desc>; pages also give the same numbers in a table
for assistive technologies (templates/web/dashboard.html). The geometry is worked out here, the
markup is templates/web/_bar_chart.html (the template engine escapes every text).
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import dateformat, formats
from django.utils.safestring import SafeString

WIDTH = 720
HEIGHT = 260
TOP = 24  # room for the value above the tallest bar
BOTTOM = 28  # room for the month labels
SIDE = 8
BAR_COLOR = "#1f6fd1"
NEGATIVE_COLOR = "#b3261e"
TEXT_COLOR = "#5d6773"


def month_label(month: datetime.date) -> str:
    """A short month name in the active language, never ambiguous ("juin", "juil.", "June", "July"),
    with the year on January."""
    label = dateformat.format(month, "N" if month.month != 1 else "N Y")
    return label.capitalize()


def compact_amount(value: Decimal) -> str:
    """A whole number with the active language's grouping: what fits above a bar."""
    return formats.number_format(value.quantize(Decimal(1)), decimal_pos=0, force_grouping=True)


@dataclass(frozen=True)
class Bar:
    """One bar as drawn: its box, its colour, the amount written beyond its end and its label."""

    x: float
    y: float
    width: float
    height: float
    color: str
    centre: float
    value_y: float
    value: str  # empty for a zero amount
    label: str


def bar_chart_svg(
    bars: Sequence[tuple[str, Decimal]],
    *,
    title: str,
    description: str,
    id_prefix: str,
    max_bar_width: float | None = None,
    label_size: int = 12,
) -> SafeString:
    """A bar chart of labelled amounts; bars below the axis for negative amounts. `id_prefix` keeps
    the ids of its title and description unique on the page."""
    values = [value for _label, value in bars]
    highest = max([*values, Decimal(0)])
    lowest = min([*values, Decimal(0)])
    span = (highest - lowest) or Decimal(1)
    plot_height = Decimal(HEIGHT - TOP - BOTTOM)
    baseline = TOP + float(plot_height * highest / span)
    slot = (WIDTH - 2 * SIDE) / max(len(bars), 1)
    bar_width = slot * 0.62 if max_bar_width is None else min(slot * 0.62, max_bar_width)
    drawn = []
    for index, (label, value) in enumerate(bars):
        x = SIDE + index * slot + (slot - bar_width) / 2
        height = float(plot_height * abs(value) / span)
        top = baseline - height if value >= 0 else baseline
        drawn.append(
            Bar(
                x=x,
                y=top,
                width=bar_width,
                height=height,
                color=BAR_COLOR if value >= 0 else NEGATIVE_COLOR,
                centre=x + bar_width / 2,
                value_y=top - 6 if value >= 0 else top + height + 14,
                value=compact_amount(value) if value else "",
                label=label,
            )
        )
    return render_to_string(
        "web/_bar_chart.html",
        {
            "id_prefix": id_prefix,
            "title": title,
            "description": description,
            "width": WIDTH,
            "height": HEIGHT,
            "side": SIDE,
            "right": WIDTH - SIDE,
            "label_y": HEIGHT - 8,
            "baseline": baseline,
            "bars": drawn,
            "label_size": label_size,
            "text_color": TEXT_COLOR,
        },
    )


def revenue_chart(points: list[tuple[datetime.date, Decimal]], *, title: str, description: str) -> SafeString:
    """A bar chart of one amount per month, labelled with the months."""
    return bar_chart_svg(
        [(month_label(month), value) for month, value in points],
        title=title,
        description=description,
        id_prefix="chart",
    )
