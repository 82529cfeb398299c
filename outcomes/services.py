"""Writes of the outcomes app: recording an assessment, setting a goal, and a
draft protocol stage's measured exit rules.

As in `plans.services`, each is one keyword-only function in a transaction that
validates what it writes; role checks happen before (`outcomes.access`), and the
rules here hold whoever asks. The total of an assessment is always computed here
from the item scores, never typed.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from outcomes import measures
from outcomes.models import (
    Assessment,
    Goal,
    MeasureSetting,
    StageExitCriterion,
    StageProgressionRule,
    check_measure_key,
)
from plans import access
from plans.models import Protocol, ProtocolStage, RehabPlan
from rehab.models import Discipline

CLOSED = (RehabPlan.Status.COMPLETED, RehabPlan.Status.DISCONTINUED)
THERAPISTS = {Discipline.PT: "Physiotherapists", Discipline.OT: "Occupational therapists"}


def disabled_measures() -> set[str]:
    return set(MeasureSetting.objects.filter(enabled=False).values_list("measure", flat=True))


def enabled_measures(*, recordable_only: bool = True) -> list[measures.Measure]:
    """The measures the clinic uses, in the definitions' order (one query)."""
    off = disabled_measures()
    return [
        measure
        for measure in measures.MEASURES.values()
        if measure.key not in off and (measure.recordable or not recordable_only)
    ]


def is_on_team(user, plan: RehabPlan) -> bool:
    """A physician, or a therapist allocated to the plan."""
    return access.can_view_plan(user, plan)


@transaction.atomic
def record_assessment(
    *,
    plan: RehabPlan,
    measure_key: str,
    assessor,
    date: datetime.date,
    item_scores: dict,
    notes: str = "",
) -> Assessment:
    """Validate each item, compute the total and store the assessment with the
    stage in force on its date."""
    plan = RehabPlan.objects.prefetch_related("stages").get(pk=plan.pk)
    measure = check_measure_key(measure_key, recordable_only=True)
    if measure.key in disabled_measures():
        raise ValidationError(
            "%(measure)s is switched off at this clinic.",
            code="measure_disabled",
            params={"measure": measure.name},
        )
    if plan.status != RehabPlan.Status.ACTIVE:
        raise ValidationError(
            "This plan is %(status)s; assessments are recorded on active plans only.",
            code="plan_not_active",
            params={"status": plan.get_status_display().lower()},
        )
    if not is_on_team(assessor, plan):
        raise ValidationError(
            "%(name)s is not on this plan's team.",
            code="not_on_team",
            params={"name": assessor.display_name},
        )
    errors = {}
    if date is None:
        errors["date"] = ValidationError("Give the date of the assessment.", code="date_missing")
    elif date > timezone.localdate():
        errors["date"] = ValidationError(
            "An assessment cannot be dated in the future.", code="date_in_future"
        )
    elif date < plan.start_date:
        errors["date"] = ValidationError(
            "This date is before the plan started (%(start)s).",
            code="date_before_plan",
            params={"start": date_format(plan.start_date, "j M Y")},
        )
    try:
        stored, total = measure.score(item_scores)
    except ValidationError as error:
        errors.update(error.error_dict if hasattr(error, "error_dict") else {"__all__": error})
    if errors:
        raise ValidationError(errors)
    assessment = Assessment(
        plan=plan,
        plan_stage=plan.stage_on(date),
        measure=measure.key,
        date=date,
        assessor=assessor,
        item_scores=stored,
        total=total,
        notes=notes.strip(),
    )
    assessment.full_clean(exclude=["plan_stage"])
    assessment._history_user = assessor  # who recorded it, in the audit history
    assessment.save()
    return assessment


GOAL_FIELDS = (
    "discipline",
    "family",
    "description",
    "target_date",
    "status",
    "measure",
    "target_value",
    "gas_score",
    "gas_weight",
    "reviewed_on",
)


@transaction.atomic
def save_goal(*, plan: RehabPlan, by, goal: Goal | None = None, **fields) -> Goal:
    """Set a new goal on a plan, or change one (its review included).

    A therapist sets and reviews goals of their own discipline; a physician any.
    A goal scored at review records the day of the review.
    """
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise ValueError(f"Goals have no field {', '.join(sorted(unknown))}.")
    if goal is not None and goal.plan_id != plan.pk:
        raise ValueError("This goal belongs to another plan.")
    plan = RehabPlan.objects.get(pk=plan.pk)
    if plan.status in CLOSED:
        raise ValidationError(
            "This plan is %(status)s; its goals no longer change.",
            code="plan_closed",
            params={"status": plan.get_status_display().lower()},
        )
    if not is_on_team(by, plan):
        raise ValidationError(
            "%(name)s is not on this plan's team.",
            code="not_on_team",
            params={"name": by.display_name},
        )
    goal = goal if goal is not None else Goal(plan=plan, created_by=by)
    discipline_before = goal.discipline if goal.pk else None
    for name, value in fields.items():
        setattr(goal, name, "" if value is None and name == "measure" else value)
    if not goal.measure:
        goal.measure = ""
    if by.discipline is not None and not by.is_physician:
        for discipline in {goal.discipline, discipline_before} - {None}:
            if discipline != by.discipline:
                raise ValidationError(
                    {
                        "discipline": ValidationError(
                            "%(role)s set %(own)s goals; ask the team for %(other)s goals.",
                            code="other_discipline",
                            params={
                                "role": THERAPISTS[by.discipline],
                                "own": by.discipline,
                                "other": discipline,
                            },
                        )
                    }
                )
    if goal.gas_score is not None and goal.reviewed_on is None:
        goal.reviewed_on = timezone.localdate()
    if goal.reviewed_on and goal.reviewed_on > timezone.localdate():
        raise ValidationError(
            {"reviewed_on": ValidationError("A review is dated on or before today.")},
            code="date_in_future",
        )
    if goal.target_date and goal.pk is None and goal.target_date < plan.start_date:
        raise ValidationError(
            {
                "target_date": ValidationError(
                    "The target date is before the plan started.", code="target_before_plan"
                )
            }
        )
    if goal.target_value is not None:
        goal.target_value = Decimal(goal.target_value)
    goal.full_clean()
    goal._history_user = by  # who set or reviewed it, in the audit history
    goal.save()
    return goal


# --- A protocol stage's measured exit rules -------------------------------------------


@transaction.atomic
def set_stage_exit_rules(
    *, protocol_stage: ProtocolStage, minimum_weeks: int, criteria: list[dict], by
) -> list[StageExitCriterion]:
    """Replace a draft protocol stage's minimum weeks and measured exit criteria
    (each {"measure", "comparison", "value"}), all or nothing. A published version
    is read only, like its prescription: plans pinned to it keep the rules they had."""
    protocol = Protocol.objects.select_for_update().get(pk=protocol_stage.protocol_id)
    if not protocol.is_editable:
        raise ValidationError(
            "%(protocol)s is %(status)s: its exit rules change in a new version.",
            code="protocol_not_editable",
            params={"protocol": protocol, "status": protocol.get_status_display().lower()},
        )
    if minimum_weeks > protocol_stage.typical_weeks:
        raise ValidationError(
            {
                "minimum_weeks": ValidationError(
                    "At most the stage's typical %(weeks)s weeks: a plan past its typical "
                    "time is already flagged for a look.",
                    code="minimum_over_typical",
                    params={"weeks": protocol_stage.typical_weeks},
                )
            }
        )
    conditions = [(c["measure"], c["comparison"]) for c in criteria]
    if len(set(conditions)) != len(conditions):
        raise ValidationError(
            "A measure can have one 'at least' and one 'at most' criterion, not two alike.",
            code="criterion_repeated",
        )
    rule, _ = StageProgressionRule.objects.get_or_create(protocol_stage=protocol_stage)
    rule.minimum_weeks = minimum_weeks
    rule.full_clean()
    rule.save()
    StageExitCriterion.objects.filter(protocol_stage=protocol_stage).delete()
    saved = []
    for fields in criteria:
        criterion = StageExitCriterion(protocol_stage=protocol_stage, **fields)
        criterion.full_clean()
        criterion.save()
        saved.append(criterion)
    return saved
