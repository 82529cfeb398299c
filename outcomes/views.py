"""Recording assessments and setting goals on a plan; a draft protocol's exit rules.

The plan's team (physicians and the allocated therapists) records; every write
goes through one function of `outcomes.services`, whose refusals are shown next
to the item or field they name.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from outcomes import access, measures, services
from outcomes.forms import AssessmentForm, ExitCriterionFormSet, GoalForm, MinimumWeeksForm
from outcomes.models import Assessment, Goal, StageExitCriterion, StageProgressionRule
from plans import access as plan_access
from plans.models import ProtocolStage, RehabPlan
from rehab.forms import add_service_errors

PLAN_FOR_PAGES = RehabPlan.objects.select_related(
    "patient", "diagnosis__condition", "protocol", "lead_physician"
)


def _plan(pk: int) -> RehabPlan:
    return get_object_or_404(PLAN_FOR_PAGES, pk=pk)


def _plan_page(plan: RehabPlan, anchor: str = "outcomes") -> str:
    return reverse("plans:plan_detail", args=[plan.pk]) + f"#{anchor}"


def _not_active(plan: RehabPlan) -> str | None:
    if plan.is_active:
        return None
    return (
        f"This plan is {plan.get_status_display().lower()}; "
        "assessments are recorded on active plans only."
    )


# --- Assessments ---------------------------------------------------------------


@require_GET
def assessment_choose(request, pk: int):
    """Which measure to record: the clinic's measures, the user's discipline first."""
    plan = _plan(pk)
    access.require(access.can_view_outcomes(request.user, plan))
    discipline = request.user.discipline
    enabled = services.enabled_measures()
    mine = [m for m in enabled if discipline and discipline in m.disciplines]
    others = [m for m in enabled if m not in mine]
    return render(
        request,
        "outcomes/assessment_choose.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "mine": mine,
            "others": others,
            "refusal": _not_active(plan),
        },
    )


@require_http_methods(["GET", "POST"])
def assessment_record(request, pk: int, measure_key: str):
    plan = _plan(pk)
    access.require(access.can_view_outcomes(request.user, plan))
    measure = measures.get(measure_key)
    if measure is None or not measure.recordable:
        raise Http404("No such measure.")
    switched_off = measure.key in services.disabled_measures()
    refusal = _not_active(plan) or (
        f"{measure.name} is switched off at this clinic." if switched_off else None
    )
    if request.method == "POST":
        form = AssessmentForm(request.POST, measure=measure)
        if form.is_valid():
            try:
                assessment = services.record_assessment(
                    plan=plan,
                    measure_key=measure.key,
                    assessor=request.user,
                    date=form.cleaned_data["date"],
                    item_scores=form.item_scores(),
                    notes=form.cleaned_data["notes"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                band = assessment.band
                messages.success(
                    request,
                    f"{measure.name} recorded for {plan.patient.full_name}: "
                    f"{assessment.total_display}{f' ({band.label})' if band else ''}.",
                )
                return redirect(_plan_page(plan))
    else:
        form = AssessmentForm(measure=measure)
    return render(
        request,
        "outcomes/assessment_form.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "measure": measure,
            "form": form,
            "refusal": refusal if request.method == "GET" else None,
        },
    )


@require_GET
def assessment_detail(request, pk: int):
    assessment = get_object_or_404(
        Assessment.objects.select_related(
            "plan__patient", "plan__diagnosis__condition", "plan__protocol", "assessor"
        ).select_related("plan_stage"),
        pk=pk,
    )
    plan = assessment.plan
    access.require(access.can_view_outcomes(request.user, plan))
    return render(
        request,
        "outcomes/assessment_detail.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "assessment": assessment,
            "measure": assessment.definition,
        },
    )


# --- Goals -----------------------------------------------------------------------


def _goal_page(request, plan: RehabPlan, goal: Goal | None):
    # The team may open the page; a closed plan's refusal is told on it.
    access.require(access.is_on_team(request.user, plan))
    if request.method == "POST":
        form = GoalForm(request.POST, instance=goal, user=request.user)
        if form.is_valid():
            fields = {name: form.cleaned_data.get(name) for name in form.Meta.fields}
            try:
                saved = services.save_goal(plan=plan, by=request.user, goal=goal, **fields)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, f"Goal {'updated' if goal else 'added'}: {saved.description}"
                )
                return redirect(_plan_page(plan, "goals"))
    else:
        initial = {}
        if goal is None and request.user.discipline and not request.user.is_physician:
            initial["discipline"] = request.user.discipline
        form = GoalForm(instance=goal, initial=initial, user=request.user)
    closed = plan.status in services.CLOSED
    return render(
        request,
        "outcomes/goal_form.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "goal": goal,
            "form": form,
            "refusal": (
                f"This plan is {plan.get_status_display().lower()}; its goals no longer change."
                if closed and request.method == "GET"
                else None
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def goal_create(request, pk: int):
    return _goal_page(request, _plan(pk), None)


@require_http_methods(["GET", "POST"])
def goal_edit(request, pk: int):
    goal = get_object_or_404(Goal.objects.select_related("plan"), pk=pk)
    return _goal_page(request, _plan(goal.plan_id), goal)


# --- A draft protocol stage's measured exit rules -------------------------------------


@require_http_methods(["GET", "POST"])
def stage_exit_rules(request, pk: int, order: int):
    """The minimum weeks and measured exit criteria of one stage of a draft protocol."""
    access.require(plan_access.can_author_protocols(request.user))
    stage = get_object_or_404(
        ProtocolStage.objects.select_related("protocol__condition"), protocol_id=pk, order=order
    )
    protocol = stage.protocol
    detail = reverse("plans:protocol_detail", args=[protocol.pk])
    if not protocol.is_editable:
        messages.error(
            request,
            f"{protocol} is {protocol.get_status_display().lower()}: its exit rules change "
            "in a new version.",
        )
        return redirect(detail)
    refusals = []
    if request.method == "POST":
        minimum_form = MinimumWeeksForm(request.POST)
        formset = ExitCriterionFormSet(request.POST, prefix="criteria")
        if minimum_form.is_valid() and formset.is_valid():
            try:
                services.set_stage_exit_rules(
                    protocol_stage=stage,
                    minimum_weeks=minimum_form.cleaned_data["minimum_weeks"],
                    criteria=[c for form in formset if (c := form.criterion())],
                    by=request.user,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict") and "minimum_weeks" in error.error_dict:
                    add_service_errors(minimum_form, error)
                else:
                    refusals = error.messages
            else:
                messages.success(request, f"Stage {stage.order}'s exit rules are saved.")
                return redirect(detail + "#exit-rules-heading")
    else:
        rule = StageProgressionRule.objects.filter(protocol_stage=stage).first()
        minimum_form = MinimumWeeksForm(
            initial={"minimum_weeks": rule.minimum_weeks if rule else 0}
        )
        formset = ExitCriterionFormSet(
            prefix="criteria",
            initial=[
                {"measure": c.measure, "comparison": c.comparison, "value": c.value}
                for c in StageExitCriterion.objects.filter(protocol_stage=stage)
            ],
        )
    return render(
        request,
        "outcomes/stage_exit_rules.html",
        {
            "stage": stage,
            "protocol": protocol,
            "minimum_form": minimum_form,
            "formset": formset,
            "refusals": refusals,
        },
    )
