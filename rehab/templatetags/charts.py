"""Charts drawn on the server as SVG: no script and no internet needed at the bedside.

Every chart carries a <title> and <desc> for screen readers, and the templates
that use them print the same numbers as a table.
"""

import hashlib
from dataclasses import dataclass

from django import template
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


def format_html(format_string: str, *args, **kwargs) -> str:
    """Django's format_html, but numbers pass through as numbers so that
    placeholders such as {:.1f} work (they carry no markup to escape)."""

    def escape(value):
        return value if isinstance(value, int | float) else conditional_escape(value)

    return mark_safe(
        format_string.format(
            *map(escape, args), **{key: escape(value) for key, value in kwargs.items()}
        )
    )


PT_COLOUR = "#1f6fb2"  # blue: physiotherapy
OT_COLOUR = "#b34f17"  # orange: occupational therapy
PROTOCOL_COLOUR = "#222"
GRID_COLOUR = "#ddd"


@dataclass(frozen=True)
class Bar:
    label: str
    pt: int
    ot: int
    protocol_pt: int | None = None
    protocol_ot: int | None = None
    highlight: bool = False


def _scale_max(values: list[int], floor: int = 4) -> int:
    top = max([floor, *values])
    return top + (top % 2)


def _grid(left: int, right: int, top_value: int, y) -> str:
    """Horizontal grid lines every two sessions, labelled on the left."""
    return "".join(
        format_html(
            '<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="{}"></line>'
            '<text x="{}" y="{:.1f}" font-size="11" text-anchor="end">{}</text>',
            left,
            right,
            y(tick),
            y(tick),
            GRID_COLOUR,
            left - 5,
            y(tick) + 4,
            tick,
        )
        for tick in range(0, top_value + 1, 2)
    )


def _legend(x: int, y: int, items: list[tuple[str, str]]) -> str:
    parts = []
    left = x
    for colour, text in items:
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"></rect>'
                '<text x="{}" y="{}" font-size="12">{}</text>',
                left,
                y,
                colour,
                left + 17,
                y + 11,
                text,
            )
        )
        left += 30 + 6 * len(text)  # roughly the text's width at 12px
    return "".join(parts)


def _svg(width: int, height: int, title: str, description: str, body: str) -> str:
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" '
        'aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=width,
        h=height,
        id="chart-" + hashlib.sha1(f"{title}|{description}".encode()).hexdigest()[:10],
        title=title,
        desc=description,
        body=mark_safe(body),
    )


def stacked_mix_chart(bars: list[Bar], title: str) -> str:
    """Stacked PT (below) and OT (above) sessions a week per stage; a dashed
    outline marks the protocol's numbers where the plan differs."""
    if not bars:
        return ""
    width, height, left, bottom, top = 640, 260, 40, 50, 20
    plot_height = height - bottom - top
    top_value = _scale_max(
        [b.pt + b.ot for b in bars] + [(b.protocol_pt or 0) + (b.protocol_ot or 0) for b in bars]
    )
    slot = (width - left - 10) / len(bars)
    bar_width = min(70, slot * 0.6)

    def y(value: float) -> float:
        return top + plot_height - plot_height * value / top_value

    parts = [_grid(left, width - 10, top_value, y)]
    for index, bar in enumerate(bars):
        x = left + slot * index + (slot - bar_width) / 2
        parts.append(
            format_html(
                "<g><title>{label}: PT {pt}, OT {ot} a week</title>"
                '<rect x="{x:.1f}" y="{pt_y:.1f}" width="{w:.1f}" height="{pt_h:.1f}" fill="{ptc}">'
                "</rect>"
                '<rect x="{x:.1f}" y="{ot_y:.1f}" width="{w:.1f}" height="{ot_h:.1f}" fill="{otc}">'
                "</rect></g>",
                label=bar.label,
                pt=bar.pt,
                ot=bar.ot,
                x=x,
                w=bar_width,
                pt_y=y(bar.pt),
                pt_h=y(0) - y(bar.pt),
                ot_y=y(bar.pt + bar.ot),
                ot_h=y(bar.pt) - y(bar.pt + bar.ot),
                ptc=PT_COLOUR,
                otc=OT_COLOUR,
            )
        )
        if bar.protocol_pt is not None and (bar.protocol_pt, bar.protocol_ot) != (bar.pt, bar.ot):
            total = bar.protocol_pt + (bar.protocol_ot or 0)
            parts.append(
                format_html(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="none" '
                    'stroke="{}" stroke-dasharray="4 3" stroke-width="1.5">'
                    "<title>Protocol: PT {}, OT {}</title></rect>",
                    x - 3,
                    y(total),
                    bar_width + 6,
                    y(0) - y(total),
                    PROTOCOL_COLOUR,
                    bar.protocol_pt,
                    bar.protocol_ot,
                )
            )
        weight = "bold" if bar.highlight else "normal"
        parts.append(
            format_html(
                '<text x="{:.1f}" y="{}" font-size="12" text-anchor="middle" '
                'font-weight="{}">{}</text>',
                x + bar_width / 2,
                height - bottom + 16,
                weight,
                bar.label,
            )
        )
    legend = [(PT_COLOUR, "PT sessions a week"), (OT_COLOUR, "OT sessions a week")]
    if any(
        b.protocol_pt is not None and (b.protocol_pt, b.protocol_ot) != (b.pt, b.ot) for b in bars
    ):
        legend.append(("#fff", "- - protocol's numbers"))
    parts.append(_legend(left, height - 18, legend))
    description = "; ".join(f"{b.label}: PT {b.pt}, OT {b.ot}" for b in bars)
    return _svg(width, height, title, description, "".join(parts))


@register.simple_tag
def protocol_mix_chart(stages, title="PT/OT mix by stage"):
    """Mix trajectory of protocol stages (anything with order, pt_/ot_sessions_per_week)."""
    bars = [
        Bar(f"Stage {s.order}", s.pt_sessions_per_week or 0, s.ot_sessions_per_week or 0)
        for s in stages
    ]
    return stacked_mix_chart(bars, title)


@register.simple_tag
def plan_mix_chart(timeline, title="PT/OT mix over the plan: individualised against protocol"):
    """Mix trajectory of a plan (selectors.mix_timeline), with the protocol's numbers."""
    bars = [
        Bar(
            f"Stage {e.stage.order}",
            e.mix.pt_sessions_per_week,
            e.mix.ot_sessions_per_week,
            e.protocol_mix.pt_sessions_per_week,
            e.protocol_mix.ot_sessions_per_week,
            highlight=e.stage.is_current,
        )
        for e in timeline
    ]
    return stacked_mix_chart(bars, title)


@register.simple_tag
def adherence_chart(weeks, title="Allocated against delivered sessions by week"):
    """Per week: allocated PT and OT as light bars, delivered as solid bars inside them."""
    if not weeks:
        return ""
    width, height, left, bottom, top = 640, 240, 40, 50, 20
    plot_height = height - bottom - top
    top_value = _scale_max(
        [max(w["PT"].allocated_sessions, w["PT"].delivered_sessions) for w in weeks]
        + [max(w["OT"].allocated_sessions, w["OT"].delivered_sessions) for w in weeks]
    )
    slot = (width - left - 10) / len(weeks)
    bar_width = min(28, slot * 0.38)

    def y(value: float) -> float:
        return top + plot_height - plot_height * value / top_value

    parts = [_grid(left, width - 10, top_value, y)]
    for index, week in enumerate(weeks):
        base_x = left + slot * index + (slot - 2 * bar_width - 4) / 2
        for offset, discipline, colour in ((0, "PT", PT_COLOUR), (1, "OT", OT_COLOUR)):
            figures = week[discipline]
            x = base_x + offset * (bar_width + 4)
            parts.append(
                format_html(
                    "<g><title>Week of {week}: {d} {delivered} of {allocated} delivered</title>"
                    '<rect x="{x:.1f}" y="{ay:.1f}" width="{w:.1f}" height="{ah:.1f}" '
                    'fill="{c}" fill-opacity="0.25" stroke="{c}"></rect>'
                    '<rect x="{x:.1f}" y="{dy:.1f}" width="{w:.1f}" height="{dh:.1f}" fill="{c}">'
                    "</rect></g>",
                    week=date_format(week.week_start, "j M"),
                    d=discipline,
                    delivered=figures.delivered_sessions,
                    allocated=figures.allocated_sessions,
                    x=x,
                    w=bar_width,
                    ay=y(figures.allocated_sessions),
                    ah=y(0) - y(figures.allocated_sessions),
                    dy=y(figures.delivered_sessions),
                    dh=y(0) - y(figures.delivered_sessions),
                    c=colour,
                )
            )
        if week.on_hold:
            # Said above any bar the week has, so nothing hides it.
            parts.append(
                format_html(
                    '<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle" '
                    'fill="#6c757d">on hold</text>',
                    base_x + bar_width + 2,
                    y(0) - 6,
                )
            )
        parts.append(
            format_html(
                '<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle">{}</text>',
                base_x + bar_width + 2,
                height - bottom + 16,
                date_format(week.week_start, "j M"),
            )
        )
    parts.append(
        _legend(
            left,
            height - 18,
            [(PT_COLOUR, "PT delivered (outline: allocated)"), (OT_COLOUR, "OT delivered")],
        )
    )
    description = "; ".join(
        f"week of {date_format(w.week_start, 'j M')}: "
        + (
            "on hold"
            if w.on_hold
            else f"PT {w['PT'].delivered_sessions}/{w['PT'].allocated_sessions}, "
            f"OT {w['OT'].delivered_sessions}/{w['OT'].allocated_sessions}"
        )
        for w in weeks
    )
    return _svg(width, height, title, description, "".join(parts))


@register.simple_tag
def legend_swatches():
    return format_html_join(
        "",
        '<span class="badge me-1" style="background:{}">{}</span>',
        [(PT_COLOUR, "PT"), (OT_COLOUR, "OT")],
    )
