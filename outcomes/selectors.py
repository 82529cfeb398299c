"""Reads the outcome pages share: stage progression with its evidence, the latest
scores, each measure over time and the goals' state.

`progressions` answers for many plans in a fixed number of queries (the
physician's home lists every active plan), never a query per plan.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q
from django.utils.formats import date_format

from outcomes import measures
from outcomes.models import Assessment, Goal, StageExitCriterion, StageProgressionRule
from plans import selectors as plan_selectors
from plans.models import PlanStage, RehabPlan


@dataclass(frozen=True)
class Reading:
    """One value of a measure: an assessment's total, or the goals' T-score."""

    measure: measures.Measure
    value: Decimal
    date: datetime.date

    @property
    def shown(self) -> str:
        return self.measure.format(self.value)


# --- Progression -------------------------------------------------------------


@dataclass(frozen=True)
class CriterionStatus:
    criterion: StageExitCriterion
    reading: Reading | None

    @property
    def has_data(self) -> bool:
        return self.reading is not None

    @property
    def met(self) -> bool:
        return self.reading is not None and self.criterion.is_met_by(self.reading.value)

    @property
    def state(self) -> str:
        """'met', 'not met' or 'no data yet'."""
        if self.reading is None:
            return "no data yet"
        return "met" if self.met else "not met"

    @property
    def evidence(self) -> str:
        """'Berg Balance Scale 47 on 3 Mar 2026 (needs ≥ 45)'."""
        criterion = self.criterion
        needs = f"needs {criterion.symbol} {criterion.definition.format(criterion.value)}"
        if self.reading is None:
            return f"{self.criterion.definition.name}: not yet measured in this stage ({needs})"
        return (
            f"{self.criterion.definition.name} {self.reading.shown} on "
            f"{date_format(self.reading.date, 'j M Y')} ({needs})"
        )


@dataclass
class Progression:
    plan: RehabPlan
    stage: PlanStage
    today: datetime.date
    criteria: list[CriterionStatus] = field(default_factory=list)
    minimum_weeks: int = 0

    @property
    def days_in_stage(self) -> int:
        return (self.today - self.stage.started_on).days if self.stage.started_on else 0

    @property
    def full_weeks_in_stage(self) -> int:
        return self.days_in_stage // 7

    @property
    def has_criteria(self) -> bool:
        return bool(self.criteria)

    @property
    def criteria_met(self) -> bool:
        return self.has_criteria and all(status.met for status in self.criteria)

    @property
    def minimum_time_passed(self) -> bool:
        return self.full_weeks_in_stage >= self.minimum_weeks

    @property
    def ready(self) -> bool:
        """Every measured criterion met by the latest score in this stage, and the
        minimum time passed. A stage without measured criteria is never flagged:
        its written criteria need the team's judgement."""
        return self.criteria_met and self.minimum_time_passed

    @property
    def overdue(self) -> bool:
        return self.stage.is_past_typical_duration(self.today) and not self.ready

    @property
    def is_last_stage(self) -> bool:
        return not any(s.order > self.stage.order for s in self.plan.stages.all())

    @property
    def met(self) -> list[CriterionStatus]:
        return [status for status in self.criteria if status.met]

    @property
    def outstanding(self) -> list[CriterionStatus]:
        return [status for status in self.criteria if not status.met]

    @property
    def still_to_show(self) -> list[str]:
        """What the stage lacks to be ready, in words: each outstanding criterion's
        evidence, then the minimum time. Empty when it is ready or measures nothing."""
        if not self.has_criteria or self.ready:
            return []
        lacking = [status.evidence for status in self.outstanding]
        if not self.minimum_time_passed:
            weeks = self.minimum_weeks
            lacking.append(
                f"at least {weeks} week{'' if weeks == 1 else 's'} in the stage "
                f"({self.full_weeks_in_stage} so far)"
            )
        return lacking

    @property
    def weeks_to_wait(self) -> int:
        return max(self.minimum_weeks - self.full_weeks_in_stage, 0)


def _current_stage_readings(plan_ids, measure_keys) -> dict[int, dict[str, Reading]]:
    """The latest reading of each measure taken since each plan's current stage
    started. One query for assessments, one for goal scores when asked for."""
    latest: dict[int, dict[str, Reading]] = defaultdict(dict)
    assessed = [key for key in measure_keys if key != measures.GOAL_ATTAINMENT.key]
    if assessed:
        rows = (
            Assessment.objects.filter(
                plan_id__in=plan_ids,
                measure__in=assessed,
                plan__stages__status=PlanStage.Status.CURRENT,
                date__gte=F("plan__stages__started_on"),
            )
            .order_by("plan_id", "measure", "date", "created_at", "pk")
            .values_list("plan_id", "measure", "total", "date")
        )
        for plan_id, key, total, date in rows:  # later rows win
            latest[plan_id][key] = Reading(measures.get(key), total, date)
    if measures.GOAL_ATTAINMENT.key in measure_keys:
        scores = defaultdict(list)
        for plan_id, score, weight, reviewed_on in Goal.objects.filter(
            plan_id__in=plan_ids,
            gas_score__isnull=False,
            plan__stages__status=PlanStage.Status.CURRENT,
            reviewed_on__gte=F("plan__stages__started_on"),
        ).values_list("plan_id", "gas_score", "gas_weight", "reviewed_on"):
            scores[plan_id].append((score, weight, reviewed_on))
        for plan_id, reviewed in scores.items():
            latest[plan_id][measures.GOAL_ATTAINMENT.key] = Reading(
                measures.GOAL_ATTAINMENT,
                measures.gas_t_score((score, weight) for score, weight, _ in reviewed),
                max(day for _, _, day in reviewed),
            )
    return latest


def exit_criteria(protocol_stage_ids=None) -> dict[int, list[StageExitCriterion]]:
    """Measured exit criteria by protocol stage (one query); all of them unless
    given the stages: a few a stage, as many whatever the number of plans."""
    criteria = StageExitCriterion.objects.all()
    if protocol_stage_ids is not None:
        criteria = criteria.filter(protocol_stage_id__in=protocol_stage_ids)
    by_stage = defaultdict(list)
    for criterion in criteria:
        by_stage[criterion.protocol_stage_id].append(criterion)
    return by_stage


def _progressions(pairs, today: datetime.date, criteria=None) -> dict[int, Progression]:
    """Progression of (plan, current stage) pairs: one query for the criteria (none
    when given them, from `exit_criteria`), and when any stage has some, one for
    the minimum weeks and one or two for the scores."""
    if not pairs:
        return {}
    stage_ids = {stage.protocol_stage_id for _, stage in pairs}
    if criteria is None:
        criteria = exit_criteria(stage_ids)
    criteria = {key: criteria[key] for key in stage_ids if key in criteria}
    minimum, readings = {}, {}
    if criteria:  # without measured criteria no plan is ready: nothing more to read
        minimum = dict(
            StageProgressionRule.objects.filter(protocol_stage_id__in=stage_ids).values_list(
                "protocol_stage_id", "minimum_weeks"
            )
        )
        keys = {criterion.measure for group in criteria.values() for criterion in group}
        readings = _current_stage_readings([plan.pk for plan, _ in pairs], keys)
    result = {}
    for plan, stage in pairs:
        plan_readings = readings.get(plan.pk, {})
        result[plan.pk] = Progression(
            plan=plan,
            stage=stage,
            today=today,
            criteria=[
                CriterionStatus(criterion, plan_readings.get(criterion.measure))
                for criterion in criteria.get(stage.protocol_stage_id, [])
            ],
            minimum_weeks=minimum.get(stage.protocol_stage_id, 0),
        )
    return result


def progressions(plans, today: datetime.date) -> dict[int, Progression]:
    """Each plan's progression in its current stage, by plan id; reads each plan's
    prefetched stages (`prefetch_related("stages")`)."""
    pairs = [(plan, plan.current_stage) for plan in plans]
    return _progressions([(plan, stage) for plan, stage in pairs if stage is not None], today)


def progression(plan: RehabPlan, today: datetime.date) -> Progression | None:
    return progressions([plan], today).get(plan.pk)


def stage_progression(plan: RehabPlan, stage: PlanStage, today: datetime.date) -> Progression:
    """The progression of `plan` in `stage` (its current stage, as the caller read it)."""
    return _progressions([(plan, stage)], today)[plan.pk]


def current_stages_to_review(today: datetime.date, measured_stage_ids, lead_physician=None):
    """The current stage of each active plan that may be ready or overdue: its
    protocol stage is one of `measured_stage_ids` (it has measured exit criteria),
    or it has run past its typical weeks; with `lead_physician`, only their plans.
    With plan and patient, one query; other plans are never read."""
    stages = PlanStage.objects.filter(
        status=PlanStage.Status.CURRENT, plan__status=RehabPlan.Status.ACTIVE
    )
    if lead_physician is not None:
        stages = stages.filter(plan__lead_physician=lead_physician)
    return stages.filter(
        Q(protocol_stage_id__in=list(measured_stage_ids))
        | Q(plan_selectors.past_typical_length(today))
    ).select_related("plan__patient", "plan__lead_physician")


@dataclass
class ProgressionBoard:
    ready: list[Progression]
    overdue: list[Progression]


def progression_board(user, today: datetime.date, *, only_mine: bool = False) -> ProgressionBoard:
    """Active plans ready to move on, and those past their typical time without
    being ready: the physician's own first, then by patient name; with
    `only_mine`, the plans this physician leads and no other."""
    # The criteria first: the plans to read depend on them, and the board asks the
    # same queries whether or not any plan is due a look.
    criteria = exit_criteria()
    stages = current_stages_to_review(
        today, criteria.keys(), lead_physician=user if only_mine else None
    )
    found = _progressions([(stage.plan, stage) for stage in stages], today, criteria).values()

    def order(item: Progression):
        return (item.plan.lead_physician_id != user.pk, item.plan.patient.full_name, item.plan.pk)

    return ProgressionBoard(
        ready=sorted((p for p in found if p.ready), key=order),
        overdue=sorted((p for p in found if p.overdue), key=order),
    )


# --- Scores over time ----------------------------------------------------------


@dataclass
class MeasureHistory:
    """One measure's assessments on a plan, oldest first, with what charts need."""

    measure: measures.Measure
    assessments: list[Assessment]
    mcid: Decimal | None

    @property
    def first(self) -> Assessment:
        return self.assessments[0]

    @property
    def latest(self) -> Assessment:
        return self.assessments[-1]

    @property
    def change(self) -> Decimal:
        return self.latest.total - self.first.total

    @property
    def change_shown(self) -> str:
        sign = "+" if self.change > 0 else ""
        return f"{sign}{self.measure.format(self.change)}"

    @property
    def meaningful(self) -> bool:
        """The change since the first score reaches the MCID."""
        return self.mcid is not None and abs(self.change) >= self.mcid

    @property
    def improved(self) -> bool:
        return self.measure.is_better(self.latest.total, self.first.total)

    @property
    def trend_words(self) -> str:
        if len(self.assessments) < 2:
            return "first score"
        if self.change == 0:
            return "no change"
        direction = "better" if self.improved else "worse"
        if self.mcid is None:
            return direction
        return f"{direction}, {'a' if self.meaningful else 'not yet a'} meaningful change"


def measure_histories(plan: RehabPlan) -> list[MeasureHistory]:
    """Every measure recorded on the plan with its assessments (one query)."""
    by_measure = defaultdict(list)
    for assessment in (
        Assessment.objects.filter(plan=plan)
        .select_related("assessor", "plan_stage")
        .order_by("date", "created_at", "pk")
    ):
        by_measure[assessment.measure].append(assessment)
    condition = plan.diagnosis.condition.icd10_code if plan.diagnosis_id else ""
    return [
        MeasureHistory(measure, by_measure[key], measure.mcid_for(condition))
        for key, measure in measures.MEASURES.items()
        if by_measure.get(key)
    ]


# --- Goals ---------------------------------------------------------------------


@dataclass(frozen=True)
class GoalRow:
    goal: Goal
    reading: Reading | None  # the latest score of the goal's measure, if it has one

    @property
    def met_by_data(self) -> bool:
        return self.reading is not None and self.goal.is_met_by(self.reading.value)

    @property
    def evidence(self) -> str:
        if not self.goal.measure:
            return ""
        if self.reading is None:
            return "not yet measured"
        return f"latest {self.reading.shown} on {date_format(self.reading.date, 'j M Y')}"

    @property
    def shows_achieved(self) -> bool:
        return self.goal.status == Goal.Status.ACHIEVED or self.met_by_data


def goal_rows(plan: RehabPlan, histories: list[MeasureHistory] | None = None) -> list[GoalRow]:
    """The plan's goals, each with the latest score of its measure (two queries at most)."""
    histories = histories if histories is not None else measure_histories(plan)
    latest = {h.measure.key: Reading(h.measure, h.latest.total, h.latest.date) for h in histories}
    return [
        GoalRow(goal, latest.get(goal.measure))
        for goal in Goal.objects.filter(plan=plan).order_by("discipline", "target_date", "pk")
    ]


def plan_gas(goals: list[Goal]) -> tuple[Decimal | None, int]:
    """The T-score of the goals scored at review, and how many were scored."""
    scored = [(g.gas_score, g.gas_weight) for g in goals if g.gas_score is not None]
    return measures.gas_t_score(scored), len(scored)
