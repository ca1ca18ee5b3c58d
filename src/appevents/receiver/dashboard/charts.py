"""Charts as inline SVG, drawn on the server: no JavaScript library, no CDN, nothing to
load, and readable without scripts. Each bar has a ``<title>`` (its minute and value,
shown on hover), and the chart a text summary for screen readers."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from ...web import when

__all__ = ["bar_chart"]

WIDTH, HEIGHT = 720, 180
LEFT, BOTTOM, TOP = 40, 22, 10


def bar_chart(values: Sequence[int], *, title: str, start: float, step: float) -> Markup:
    """Bars for ``values``, the first one the period from ``start``, each ``step`` seconds."""
    peak = max(values, default=0)
    scale = max(peak, 1)
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - BOTTOM - TOP
    bar_w = plot_w / max(len(values), 1)
    total = sum(values)
    summary = (
        f"{title}: {total} in all from {when(start)} to {when(start + step * len(values))}, "
        f"at most {peak} in one minute"
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(summary)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(summary)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 4}" '
        f'y2="{TOP + plot_h}"/>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 8}" text-anchor="end">{scale}</text>',
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
    ]
    for i, value in enumerate(values):
        if value <= 0:
            continue
        h = plot_h * value / scale
        x = LEFT + i * bar_w
        label = f"{when(start + i * step)[11:16]} UTC: {value}"
        parts.append(
            f'<rect class="bar" x="{x + 0.5:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}</title></rect>"
        )
    for i in (0, len(values) // 2, len(values)):
        x = LEFT + i * bar_w
        anchor = "start" if i == 0 else "end" if i == len(values) else "middle"
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}">'
            f"{escape(when(start + i * step)[11:16])}</text>"
        )
    parts.append("</svg>")
    # Safe: every text above went through escape(), the rest are numbers we computed.
    return Markup("".join(parts))  # noqa: S704
