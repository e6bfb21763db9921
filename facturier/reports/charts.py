"""The chart of a report (revenue by month, VAT by rate...): a server-rendered SVG bar chart.

billing/charts.py draws the dashboard's bars from months (dates it labels itself); a report's bars come
already labelled (`base.ChartBar`), and are drawn by the same function, with the same sizes, colours
and accessibility (role="img", <title>, <desc>; the page gives the numbers in a table too).
"""

from django.utils.safestring import SafeString

from facturier.billing.charts import bar_chart_svg
from facturier.reports.base import ChartBar

MAX_BAR_WIDTH = 64


def bar_chart(bars: list[ChartBar], *, title: str, description: str) -> SafeString:
    """One bar per labelled amount; bars below the axis for negative amounts."""
    return bar_chart_svg(
        [(bar.label, bar.value) for bar in bars],
        title=title,
        description=description,
        id_prefix="report-chart",
        max_bar_width=MAX_BAR_WIDTH,  # two or three bars stay bars, not walls
        # Many bars (a year of months, a dozen rates) leave little room under each: smaller labels.
        label_size=12 if len(bars) <= 12 else 9,
    )
