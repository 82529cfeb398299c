"""Outcome panels that other apps' pages include, and the measure charts.

Pages compose these tags in their templates, so `plans` never imports this app:
- `{% outcomes_plan_panel plan %}` on the plan page (criteria status, latest
  scores, each measure over time, goals, and the buttons to record),
- `{% progression_panel %}` on the physician's home (ready to move on / overdue),
- `{% family_progress plan %}` on the family summary (plain words, no codes),
- `{% protocol_exit_rules protocol %}` on a protocol's page.
"""

import datetime
from decimal import Decimal

from django import template
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from outcomes import access, measures, selectors
from outcomes.models import Goal, StageProgressionRule
from plans import access as plan_access
from rehab.templatetags.charts import GRID_COLOUR, OT_COLOUR, PT_COLOUR, _svg, format_html

register = template.Library()

BOTH_COLOUR = "#444"
CRITERION_COLOUR = "#1a7f37"  # green: the score that lets the plan move on
STAGE_COLOUR = "#6c757d"  # grey that small labels can be read in (4.7:1)
MCID_FILL = "#999"


# --- The plan page -------------------------------------------------------------


@register.simple_tag
def plan_progression(plan) -> selectors.Progression | None:
    """The plan's progression in its current stage (None without one), read once
    for the outcomes panel and the stage form's caution."""
    return selectors.progression(plan, timezone.localdate())


@register.inclusion_tag("outcomes/partials/plan_panel.html", takes_context=True)
def outcomes_plan_panel(context, plan, progress: selectors.Progression | None):
    """`progress` from `{% plan_progression plan as progression %}`."""
    user = context["request"].user
    today = timezone.localdate()
    histories = selectors.measure_histories(plan)
    goal_rows = selectors.goal_rows(plan, histories)
    gas, gas_count = selectors.plan_gas([row.goal for row in goal_rows])
    criteria = {}
    if progress is not None:
        for status in progress.criteria:
            criteria[status.criterion.measure] = status.criterion
    shown = {h.measure.key: h.measure for h in histories}
    shown.update({c.measure: c.definition for c in criteria.values() if c.definition})
    return {
        "plan": plan,
        "progress": progress,
        "histories": [{"history": h, "criterion": criteria.get(h.measure.key)} for h in histories],
        "goal_rows": goal_rows,
        "gas": gas,
        "gas_count": gas_count,
        "can_record": access.can_record_assessment(user, plan),
        "can_manage_goals": access.can_manage_goals(user, plan),
        "can_change": plan_access.can_change_plan(user, plan),
        "sources": list(shown.values()),
        "today": today,
    }


@register.inclusion_tag("outcomes/partials/advance_caution.html")
def advance_caution(progress: selectors.Progression | None):
    """Above the stage form: what the current stage's measured criteria and minimum
    time still lack, when it has measured criteria. Moving on stays the physician's
    decision, with their reason."""
    return {"progress": progress}


# --- The physician's home ------------------------------------------------------------


# The whole board lists each of its two lists 25 plans a page.
BOARD_PER_PAGE = 25


@register.inclusion_tag("outcomes/partials/progression_panel.html", takes_context=True)
def progression_panel(context, limit: int | None = None, only_mine: bool = False):
    """The board of plans ready to move on or overdue. With `limit` (the home), the
    first of each list and a link to the whole board; without, each list a page at
    a time (`ready_page`, `overdue_page`). With `only_mine`, the plans the signed-in
    physician leads rather than the clinic's."""
    request = context["request"]
    user = request.user
    today = timezone.localdate()
    board = selectors.progression_board(user, today, only_mine=only_mine)
    lists = {}
    for name, items in (("ready", board.ready), ("overdue", board.overdue)):
        if limit is None:
            page = Paginator(items, BOARD_PER_PAGE).get_page(request.GET.get(f"{name}_page"))
            lists[name], lists[f"{name}_page"] = page.object_list, page
        else:
            lists[name] = items[:limit]
        lists[f"{name}_count"] = len(items)
    return {**lists, "only_mine": only_mine, "user": user, "today": today, "request": request}


# --- The family summary ---------------------------------------------------------------


def family_line(history: selectors.MeasureHistory) -> str | None:
    """One plain sentence on a measure: where the patient is and how it has moved."""
    measure, latest = history.measure, history.latest
    if not measure.family_topic:
        return None
    if measure.key == "nprs":
        now = int(latest.total)
        line = f"Pain is about {now} out of 10"
        if len(history.assessments) > 1 and history.first.total != latest.total:
            was = int(history.first.total)
            line += f", {'down' if now < was else 'up'} from {was} at the start"
        return line + "."
    band = measure.band(latest.total)
    if band is None or not band.family:
        return None
    line = band.family[0].upper() + band.family[1:]
    if len(history.assessments) > 1:
        if history.meaningful and history.improved:
            line += " — better than when therapy started"
        elif history.meaningful:
            line += " — the team is working on this"
        else:
            line += " — about the same as at the start"
    return line + "."


@register.inclusion_tag("outcomes/partials/family_progress.html")
def family_progress(plan):
    """The check-ups in plain words, and the goals set with the patient (not those
    dropped), reached or still ahead."""
    histories = selectors.measure_histories(plan)
    lines = [line for h in histories if (line := family_line(h))]
    goals = [
        row
        for row in selectors.goal_rows(plan, histories)
        if row.goal.status != Goal.Status.DISCONTINUED
    ]
    return {"lines": lines, "goals": goals, "plan": plan}


# --- The protocol page --------------------------------------------------------------


@register.inclusion_tag("outcomes/partials/protocol_exit_rules.html", takes_context=True)
def protocol_exit_rules(context, protocol):
    stages = list(protocol.stages.all())
    criteria = selectors.exit_criteria([stage.pk for stage in stages])
    minimum = dict(
        StageProgressionRule.objects.filter(protocol_stage__protocol=protocol).values_list(
            "protocol_stage_id", "minimum_weeks"
        )
    )
    rows = [
        {"stage": s, "criteria": criteria.get(s.pk, []), "minimum_weeks": minimum.get(s.pk)}
        for s in stages
    ]
    return {
        "protocol": protocol,
        "rows": rows,
        "any_rules": any(r["criteria"] or r["minimum_weeks"] for r in rows),
        "can_edit": protocol.is_editable
        and plan_access.can_author_protocols(context["request"].user),
    }


# --- Charts ------------------------------------------------------------------------


def _colour(measure: measures.Measure) -> str:
    if measure.disciplines == (measures.PT,):
        return PT_COLOUR
    if measure.disciplines == (measures.OT,):
        return OT_COLOUR
    return BOTH_COLOUR


def _nice_top(value: float) -> float:
    for top in (1, 1.5, 2, 3, 5, 10, 15, 20, 30, 40, 60, 100, 150, 200, 300):
        if value <= top:
            return top
    return value


TICK_STEPS = (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 14, 20, 25, 50, 100)


def _tick_step(span: float) -> float:
    """The smallest step that divides the axis evenly into at most six parts."""
    for step in TICK_STEPS:
        parts = span / step
        if parts <= 6 and abs(parts - round(parts)) < 1e-9:
            return step
    return span / 4


def _y_range(measure: measures.Measure, values: list[Decimal], extra: list[Decimal]):
    if measure.key in ("tug", "ten_metre_walk"):
        floor = 20 if measure.key == "tug" else 1
        return 0.0, float(_nice_top(max([floor, *map(float, values + extra)]) * 1.1))
    return float(measure.total_min), float(measure.total_max)


@register.simple_tag
def measure_chart(history, plan, criterion=None):
    """One measure over the plan: its scores, the stage changes (dashed lines), the
    MCID band around the first score (changes inside it are not yet meaningful)
    and, dashed green, the score the current stage asks for."""
    measure = history.measure
    points = [(a.date, a.total) for a in history.assessments]
    width, height, left, right, top, bottom = 640, 230, 48, 14, 26, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    today = timezone.localdate()
    first_day = min(plan.start_date, points[0][0])
    last_day = max(today, points[-1][0])
    span = max((last_day - first_day).days, 1)
    extra = [criterion.value] if criterion is not None else []
    low, high = _y_range(measure, [v for _, v in points], extra)

    def x(day: datetime.date) -> float:
        return left + plot_w * (day - first_day).days / span

    def y(value) -> float:
        value = min(max(float(value), low), high)
        return top + plot_h - plot_h * (value - low) / (high - low)

    step = _tick_step(high - low)
    parts = []
    for index in range(round((high - low) / step) + 1):
        tick = low + step * index
        label = f"{tick:g}"
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="{}"></line>'
                '<text x="{}" y="{:.1f}" font-size="11" text-anchor="end">{}</text>',
                left,
                width - right,
                y(tick),
                y(tick),
                GRID_COLOUR,
                left - 5,
                y(tick) + 4,
                label,
            )
        )
    if history.mcid is not None:
        base = float(points[0][1])
        upper, lower = y(base + float(history.mcid)), y(base - float(history.mcid))
        parts.append(
            format_html(
                '<rect x="{}" y="{:.1f}" width="{}" height="{:.1f}" fill="{}" fill-opacity="0.15">'
                "<title>Within {} of the first score: not yet a meaningful change</title></rect>",
                left,
                upper,
                plot_w,
                lower - upper,
                MCID_FILL,
                measure.format(history.mcid),
            )
        )
    for stage in plan.stages.all():
        if stage.started_on and stage.started_on > first_day and stage.order > 1:
            parts.append(
                format_html(
                    '<line x1="{x:.1f}" x2="{x:.1f}" y1="{t}" y2="{b}" stroke="{c}" '
                    'stroke-dasharray="4 3"></line>'
                    '<text x="{tx:.1f}" y="{ty}" font-size="11" fill="{c}">Stage {n}</text>',
                    x=x(stage.started_on),
                    t=top,
                    b=top + plot_h,
                    c=STAGE_COLOUR,
                    tx=x(stage.started_on) + 3,
                    ty=top - 6,
                    n=stage.order,
                )
            )
    if criterion is not None:
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{y:.1f}" y2="{y:.1f}" stroke="{c}" stroke-width="1.5" '
                'stroke-dasharray="6 3"></line>'
                '<text x="{tx}" y="{ty:.1f}" font-size="11" fill="{c}">'
                "to move on: {label}</text>",
                left,
                width - right,
                y=y(criterion.value),
                c=CRITERION_COLOUR,
                tx=left + 4,  # the latest scores sit on the right
                ty=y(criterion.value) - 4,
                label=f"{criterion.symbol} {measure.format(criterion.value)}",
            )
        )
    colour = _colour(measure)
    path = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in points)
    parts.append(
        format_html(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"></polyline>',
            path,
            colour,
        )
    )
    for day, value in points:
        parts.append(
            format_html(
                '<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}"><title>{}: {}</title></circle>',
                x(day),
                y(value),
                colour,
                date_format(day, "j M Y"),
                measure.format(value),
            )
        )
    for day, anchor in ((first_day, "start"), (last_day, "end")):
        parts.append(
            format_html(
                '<text x="{:.1f}" y="{}" font-size="11" text-anchor="{}">{}</text>',
                x(day),
                height - bottom + 16,
                anchor,
                date_format(day, "j M Y"),
            )
        )
    direction = "higher is better" if measure.higher_is_better else "lower is better"
    parts.append(
        format_html(
            '<text x="{}" y="{}" font-size="11">{} ({}). Shaded: within the MCID of the first '
            "score.</text>",
            left,
            height - 8,
            measure.name,
            direction,
        )
    )
    description = "; ".join(
        f"{date_format(day, 'j M Y')}: {measure.format(v)}" for day, v in points
    )
    return _svg(width, height, f"{measure.name} over the plan", description, "".join(parts))


@register.filter
def measure_format(value, measure):
    return measure.format(value) if measure else value


@register.simple_tag
def licence_notes(measure_list):
    """Each measure's citation and licence, as the Barthel's copyright holder asks."""
    items = [
        format_html("<li><strong>{}</strong>: {} {}</li>", m.name, m.citation, m.licence)
        for m in measure_list
    ]
    return mark_safe("".join(items))
