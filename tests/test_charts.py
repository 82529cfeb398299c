"""Server-drawn SVG charts and their text alternatives."""

import datetime

import pytest
from django.template import Context, Template

from plans import selectors
from rehab.templatetags.charts import Bar, stacked_mix_chart


def test_mix_chart_draws_a_bar_per_stage_with_a_text_alternative():
    svg = stacked_mix_chart([Bar("Stage 1", 6, 2), Bar("Stage 2", 3, 5)], "Mix")
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title" in svg and "Stage 1: PT 6, OT 2; Stage 2: PT 3, OT 5" in svg
    assert svg.count("<rect") >= 4


def test_chart_labels_are_escaped():
    svg = stacked_mix_chart([Bar("<script>alert(1)</script>", 1, 1)], "Mix <b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_individualised_stage_shows_the_protocols_numbers():
    svg = stacked_mix_chart([Bar("Stage 1", 4, 4, 6, 2)], "Mix")
    assert "Protocol: PT 6, OT 2" in svg
    assert "stroke-dasharray" in svg


@pytest.mark.django_db
def test_plan_charts_render_from_a_plan(plan):
    plan = selectors.plan_with_stages().get(pk=plan.pk)
    html = Template(
        "{% load charts %}{% plan_mix_chart timeline %}{% adherence_chart weeks %}"
        "{% protocol_mix_chart stages %}"
    ).render(
        Context(
            {
                "timeline": selectors.mix_timeline(plan),
                "weeks": selectors.plan_weeks(plan, selectors.recent_weeks(plan.start_date, 3)),
                "stages": plan.protocol.stages.all(),
            }
        )
    )
    assert html.count("<svg") == 3
    assert "PT 6, OT 2" in html


def test_a_week_on_hold_is_named_in_the_adherence_chart():
    monday = datetime.date(2026, 11, 23)
    weeks = [
        selectors.PlanWeek(
            monday - datetime.timedelta(weeks=1),
            {d: selectors.DisciplineWeek(d, allocated_sessions=4) for d in ("PT", "OT")},
        ),
        selectors.PlanWeek(
            monday, {d: selectors.DisciplineWeek(d) for d in ("PT", "OT")}, on_hold=True
        ),
    ]
    svg = Template("{% load charts %}{% adherence_chart weeks %}").render(Context({"weeks": weeks}))
    assert svg.count(">on hold</text>") == 1
    assert "week of 16 Nov: PT 0/4, OT 0/4; week of 23 Nov: on hold" in svg
