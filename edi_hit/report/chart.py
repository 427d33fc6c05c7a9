# The report's one chart: paid against denied money, by payment category and month.
#
# Strategy: matplotlib draws it as SVG text that goes inline into the HTML page (no
# image file, no script). matplotlib is an optional extra (edi-hit[report]); without
# it the caller gets one sentence naming the extra. The figure is built with the
# object API (matplotlib.figure.Figure, its own SVG canvas), never pyplot, so no
# backend is chosen and no global figure registry is touched. Every style setting
# lives in a private style context applied over matplotlib's defaults (not over the
# caller's matplotlibrc) and undone on return, so the caller's rcParams neither
# change nor leak in. The SVG is deterministic (a fixed hash salt and id, no date or
# creator metadata, text as text), so the same numbers give the same bytes.
#
# Layout: one small panel per payment category present, months along the bottom,
# two bars a month (paid, denied). Only our own strings reach the SVG (category
# names, months, amounts): nothing read from the 835 is drawn as text.
from __future__ import annotations

import io
import re
from decimal import Decimal

from ..errors import EdiHitError

__all__ = ["MissingExtra", "paid_denied_svg", "require_matplotlib", "PAID_COLOR",
           "DENIED_COLOR"]

_MIN_SLOTS = 6            # month slots drawn at least, so few months keep narrow bars
PAID_COLOR = "#1f6f4a"
DENIED_COLOR = "#b3261e"
_STYLE = {
    "svg.hashsalt": "edi-hit-report",
    "svg.id": "edi-hit-chart",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.edgecolor": "#8a93a0",
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#d6dbe3",
    "grid.linewidth": 0.5,
    "xtick.color": "#3b4350",
    "ytick.color": "#3b4350",
    "legend.frameon": False,
    "figure.dpi": 96,
}


class MissingExtra(EdiHitError):
    """An optional dependency is not installed."""


def require_matplotlib():
    """matplotlib's pieces the chart uses, or MissingExtra naming the extra."""
    try:
        import matplotlib.style
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        raise MissingExtra("the HTML report draws its chart with matplotlib, which is not "
                           "installed: pip install 'edi-hit[report]'") from None
    return matplotlib, Figure, FuncFormatter


def paid_denied_svg(months: list[str], categories: list[str],
                    cells: dict[tuple[str, str], tuple[Decimal, Decimal]]) -> str:
    """An <svg> element (no XML declaration) with one panel per category.

    cells maps (month, category) to (paid, denied); a missing cell is zero.
    """
    matplotlib, Figure, FuncFormatter = require_matplotlib()
    rows = max(len(categories), 1)
    with matplotlib.style.context(_STYLE, after_reset=True):
        fig = Figure(figsize=(7.4, 0.6 + 1.1 * rows), layout="constrained")
        axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
        x = range(len(months))
        width = 0.38
        for ax, category in zip(axes, categories or ["(no lines)"]):
            paid = [float(cells.get((m, category), (0, 0))[0]) for m in months]
            denied = [float(cells.get((m, category), (0, 0))[1]) for m in months]
            ax.bar([i - width / 2 for i in x], paid, width, color=PAID_COLOR, label="Paid")
            ax.bar([i + width / 2 for i in x], denied, width, color=DENIED_COLOR, label="Denied")
            ax.set_title(category)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))
            ax.set_axisbelow(True)
            ax.set_xlim(-0.6, max(len(months), _MIN_SLOTS) - 0.4)   # a lone month: no slab
        axes[-1].set_xticks(list(x), months)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper right", ncols=2,
                   fontsize=8)
        fig.supylabel("Amount (USD)", fontsize=8)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buf.getvalue())


def _inline(svg: str) -> str:
    """Drop the XML prolog and let the page size the drawing (viewBox kept)."""
    start = svg.index("<svg")
    svg = svg[start:]
    head_end = svg.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", svg[:head_end])
    head += ' role="img" aria-labelledby="chart-title" class="chart"'
    return head + svg[head_end:].rstrip() + "\n"
