"""Business actions on protocols and plans.

Each action is one keyword-only function in a transaction that validates every
row it writes (`full_clean()`), so admin, the web pages and any later API share a
single code path. Role checks happen before these are called (`plans.access`);
the rules here are the clinical ones that hold whoever asks.
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from plans import signals
from plans.models import (
    Discipline,
    PlanStage,
    PlanStatusChange,
    Protocol,
    ProtocolStage,
    RehabPlan,
    SessionAllocation,
    StageMixChange,
    StageTransition,
    TherapySession,
)

# A therapist may correct their own entry this long after logging it; later
# corrections go through a physician.
SELF_CORRECTION_WINDOW = datetime.timedelta(hours=24)


def _after_commit(signal, **kwargs) -> None:
    """Tell listeners (e.g. the timetable) once the change is committed."""
    transaction.on_commit(lambda: signal.send(sender=RehabPlan, **kwargs))


def _lock(model, pk):
    """Re-read a row under a lock so two people acting at once are serialised."""
    return model.objects.select_for_update().get(pk=pk)


def _by(record, user):
    """Name who makes this change in the record's audit history.

    Without it the history takes the signed-in user of the web request; a
    service called from admin, the API or a command knows better.
    """
    if user is not None:
        record._history_user = user
    return record


PLAN_CHANGED_MESSAGE = (
    "This plan was changed by someone else while you were editing it; "
    "reload the plan to see their change, then try again."
)
STAGE_CHANGED_MESSAGE = "The plan was moved by someone else; reload it."


def _check_plan_version(plan: RehabPlan, expected_version: int | None) -> None:
    """Optimistic locking: refuse a form filled in on an older version of the plan."""
    if expected_version is not None and plan.version != expected_version:
        raise ValidationError(PLAN_CHANGED_MESSAGE, code="plan_changed")


def _bump_plan_version(plan: RehabPlan) -> None:
    """Count one more change to the plan (an UPDATE, so no empty audit row is added)."""
    RehabPlan.objects.filter(pk=plan.pk).update(version=F("version") + 1, updated_at=timezone.now())
    plan.version += 1


# --- Protocols -------------------------------------------------------------


def check_stage_sequence(orders: Iterable[int]) -> None:
    orders = sorted(orders)
    if not orders:
        raise ValidationError(
            "A protocol needs at least one stage before it is published.", code="no_stages"
        )
    if orders != list(range(1, len(orders) + 1)):
        raise ValidationError(
            "Stages must be numbered 1, 2, 3… without gaps.", code="stage_numbers_gap"
        )


@transaction.atomic
def publish_protocol(*, protocol: Protocol, by) -> Protocol:
    """Make a draft available to plans; from now on it and its stages are read-only."""
    protocol = _lock(Protocol, protocol.pk)
    if protocol.status != Protocol.Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be published; {protocol} is "
            f"{protocol.get_status_display().lower()}.",
            code="protocol_not_draft",
        )
    stages = list(protocol.stages.all())
    check_stage_sequence(stage.order for stage in stages)
    for stage in stages:
        stage.full_clean()
    protocol.status = Protocol.Status.PUBLISHED
    protocol.published_at = timezone.now()
    protocol.full_clean()
    _by(protocol, by).save()
    return protocol


@transaction.atomic
def retire_protocol(*, protocol: Protocol, by) -> Protocol:
    """Stop offering a published version to new plans; existing plans keep following it."""
    protocol = _lock(Protocol, protocol.pk)
    if protocol.status != Protocol.Status.PUBLISHED:
        raise ValidationError(
            "Only a published protocol can be retired.", code="protocol_not_published"
        )
    protocol.status = Protocol.Status.RETIRED
    protocol.full_clean()
    _by(protocol, by).save()
    return protocol


@transaction.atomic
def new_protocol_version(*, protocol: Protocol, author) -> Protocol:
    """An editable draft copy of a published protocol, numbered after its latest
    version. One draft at a time, so two physicians do not write rival versions:
    with a draft open the refusal's `draft_pk` param names it."""
    if protocol.status != Protocol.Status.PUBLISHED:
        raise ValidationError(
            "A new version is made from a published version.", code="protocol_not_published"
        )
    versions = list(
        Protocol.objects.select_for_update()
        .filter(condition_id=protocol.condition_id, name=protocol.name)
        .order_by("-version")
    )
    latest = versions[0]
    open_draft = next((v for v in versions if v.status == Protocol.Status.DRAFT), None)
    if open_draft is not None:
        raise ValidationError(
            "Version %(version)s is already being drafted; carry on with it.",
            code="draft_exists",
            params={"version": open_draft.version, "draft_pk": open_draft.pk},
        )
    draft = Protocol(
        condition_id=protocol.condition_id,
        name=protocol.name,
        version=latest.version + 1,
        status=Protocol.Status.DRAFT,
        author=author,
        summary=protocol.summary,
        rationale=protocol.rationale,
    )
    draft.full_clean()
    _by(draft, author).save()
    for stage in protocol.stages.all():
        copy = ProtocolStage(protocol=draft, **stage.dose_fields())
        copy.full_clean()
        _by(copy, author).save()
    return draft


@transaction.atomic
def save_protocol_draft(*, protocol: Protocol, stages: list[dict], author) -> Protocol:
    """Create or update a draft protocol and replace its stages, all or nothing.

    `stages` are dose fields in the order the physician wants them; they are
    numbered 1..n here so reordering is just a different list.
    """
    if protocol.pk:
        locked = _lock(Protocol, protocol.pk)
        if not locked.is_editable:
            raise ValidationError(
                f"{locked} is {locked.get_status_display().lower()} and cannot be changed; "
                "make a new version to edit it.",
                code="protocol_not_editable",
            )
    else:
        protocol.author = author
        protocol.status = Protocol.Status.DRAFT
    protocol.full_clean()
    _by(protocol, author).save()
    # A draft's stages are replaced as a whole (deletion is recorded in their history).
    for old_stage in protocol.stages.all():
        _by(old_stage, author).delete()
    for number, fields in enumerate(stages, start=1):
        stage = ProtocolStage(protocol=protocol, **{**fields, "order": number})
        stage.full_clean()
        _by(stage, author).save()
    return protocol


# --- Plans -----------------------------------------------------------------


def _check_therapist(therapist, discipline: str, field: str) -> None:
    if therapist is not None and therapist.discipline != discipline:
        raise ValidationError(
            {
                field: ValidationError(
                    "%(name)s is not a %(role)s therapist.",
                    code="therapist_wrong_discipline",
                    params={
                        "name": therapist.display_name,
                        "role": Discipline(discipline).label.lower(),
                    },
                )
            }
        )


@transaction.atomic
def start_plan(
    *,
    patient,
    diagnosis,
    protocol: Protocol,
    lead_physician,
    start_date: datetime.date,
    primary_concern: str,
    physiotherapist=None,
    occupational_therapist=None,
) -> RehabPlan:
    """Start a patient's plan on a published protocol.

    Copies every protocol stage into the plan (the first becomes current on the
    start date) and creates each stage's PT and OT allocation, with the given
    therapists where known.
    """
    _check_therapist(physiotherapist, Discipline.PT, "physiotherapist")
    _check_therapist(occupational_therapist, Discipline.OT, "occupational_therapist")
    plan = RehabPlan(
        patient=patient,
        diagnosis=diagnosis,
        protocol=protocol,
        lead_physician=lead_physician,
        start_date=start_date,
        primary_concern=primary_concern,
        status=RehabPlan.Status.ACTIVE,
    )
    plan.full_clean()
    plan.save()
    therapists = {Discipline.PT: physiotherapist, Discipline.OT: occupational_therapist}
    first = None
    for protocol_stage in protocol.stages.order_by("order"):
        stage = PlanStage(plan=plan, protocol_stage=protocol_stage, **protocol_stage.dose_fields())
        if first is None:
            stage.status = PlanStage.Status.CURRENT
            stage.started_on = start_date
            stage.entered_at = timezone.now()
            first = stage
        stage.full_clean()
        stage.save()
        for discipline, therapist in therapists.items():
            _create_allocation(stage, discipline, therapist)
    if first is None:
        raise ValidationError({"protocol": "This protocol has no stages."}, code="no_stages")
    StageTransition.objects.create(
        plan=plan,
        from_stage=None,
        to_stage=first,
        changed_by=lead_physician,
        effective_date=start_date,
        reason="Plan started",
    )
    return plan


def _create_allocation(stage: PlanStage, discipline: str, therapist) -> SessionAllocation:
    allocation = SessionAllocation(
        plan_stage=stage,
        discipline=discipline,
        therapist=therapist,
        sessions_per_week=stage.sessions_per_week(discipline),
        minutes_per_session=stage.minutes_per_session(discipline),
    )
    allocation.full_clean()
    allocation.save()
    return allocation


@transaction.atomic
def allocate_therapist(
    *, plan: RehabPlan, discipline: str, therapist, by, expected_version: int | None = None
) -> int:
    """Give the plan's current and upcoming stages of one discipline to a therapist.

    Finished stages keep whoever gave them. Returns how many allocations changed.
    `expected_version` is the plan version the form was filled in on.
    """
    plan = _lock(RehabPlan, plan.pk)
    _check_plan_version(plan, expected_version)
    _check_therapist(therapist, discipline, "therapist")
    if plan.status in (RehabPlan.Status.COMPLETED, RehabPlan.Status.DISCONTINUED):
        raise ValidationError("A closed plan cannot be given new therapists.", code="plan_closed")
    allocations = SessionAllocation.objects.filter(
        plan_stage__plan=plan,
        discipline=discipline,
        plan_stage__status__in=[PlanStage.Status.CURRENT, PlanStage.Status.UPCOMING],
    )
    changed = 0
    therapist_id = therapist.pk if therapist is not None else None
    for allocation in allocations:
        if allocation.therapist_id == therapist_id:
            continue
        allocation.therapist = therapist
        allocation.full_clean()
        _by(allocation, by).save()
        changed += 1
    _bump_plan_version(plan)
    if changed:
        _after_commit(
            signals.plan_therapist_changed,
            plan=plan,
            discipline=discipline,
            therapist=therapist,
            by=by,
        )
    return changed


def _exit_outstanding(plan: RehabPlan, stage: PlanStage, on: datetime.date) -> list[str]:
    """What the stage's exit rules still lack on `on`, from whichever capability
    keeps them (outcomes answers for its measured criteria)."""
    answers = signals.stage_exit_outstanding.send(sender=RehabPlan, plan=plan, stage=stage, on=on)
    return [item for _, lacking in answers for item in lacking or []]


@transaction.atomic
def advance_stage(
    *,
    plan: RehabPlan,
    by,
    reason: str = "",
    to_order: int | None = None,
    effective_date: datetime.date | None = None,
    expected_stage_order: int | None = None,
    expected_version: int | None = None,
) -> PlanStage:
    """Move an active plan to its next stage, or to `to_order`.

    Going back needs a reason; so does skipping a stage, and moving on before the
    current stage's measured exit criteria are met (when they are, they are the
    reason). The
    plan row is locked so two physicians acting at once cannot both move it: the
    second sees the stage the first chose, and when it says which stage it saw
    (`expected_stage_order`) it is refused instead of moving the plan a second time.
    """
    plan = _lock(RehabPlan, plan.pk)
    _check_plan_version(plan, expected_version)
    effective_date = effective_date or timezone.localdate()
    if plan.status != RehabPlan.Status.ACTIVE:
        raise ValidationError(
            "Only an active plan can change stage; this one is %(status)s.",
            code="plan_not_active",
            params={"status": plan.get_status_display().lower()},
        )
    stages = list(plan.stages.select_for_update().order_by("order"))
    current = next(s for s in stages if s.status == PlanStage.Status.CURRENT)
    if expected_stage_order is not None and current.order != expected_stage_order:
        raise ValidationError(STAGE_CHANGED_MESSAGE, code="stage_changed")
    target_order = current.order + 1 if to_order is None else to_order
    target = next((s for s in stages if s.order == target_order), None)
    if target is None:
        if to_order is None:
            raise ValidationError(
                "This is the last stage; complete the plan instead.", code="last_stage"
            )
        raise ValidationError({"to_order": "This plan has no such stage."}, code="no_such_stage")
    if target.pk == current.pk:
        raise ValidationError(
            {"to_order": ValidationError("The plan is already in this stage.", code="same_stage")}
        )
    going_back = target.order < current.order
    if going_back and not reason.strip():
        raise ValidationError(
            {
                "reason": ValidationError(
                    "Say why the plan goes back a stage.", code="reason_required"
                )
            }
        )
    skipped = [s for s in stages if current.order < s.order < target.order]
    if skipped and not reason.strip():
        # A stage skipped is never given: its therapy and its exit criteria with it.
        raise ValidationError(
            {
                "reason": ValidationError(
                    "Say why the plan skips %(skipped)s.",
                    code="reason_required_to_skip",
                    params={"skipped": ", ".join(f"stage {s.order} ({s.name})" for s in skipped)},
                )
            }
        )
    if effective_date > timezone.localdate():
        raise ValidationError(
            {
                "effective_date": ValidationError(
                    "A stage change is recorded on the day it happens, not ahead.",
                    code="date_in_future",
                )
            }
        )
    if effective_date < (current.started_on or plan.start_date):
        raise ValidationError(
            {
                "effective_date": ValidationError(
                    "The change cannot be dated before the current stage started.",
                    code="date_before_stage",
                )
            }
        )

    if not going_back and not reason.strip():
        outstanding = _exit_outstanding(plan, current, effective_date)
        if outstanding:
            raise ValidationError(
                {
                    "reason": ValidationError(
                        "%(stage)s has not met its exit criteria yet (%(outstanding)s): "
                        "say why the plan moves on now.",
                        code="reason_required_against_criteria",
                        params={"stage": current.name, "outstanding": "; ".join(outstanding)},
                    )
                }
            )

    # Free the 'current' slot first: one current stage per plan is a constraint.
    current.status = PlanStage.Status.DONE if not going_back else PlanStage.Status.UPCOMING
    current.ended_on = effective_date if not going_back else None
    if going_back:
        current.started_on = None
        current.entered_at = None
    _by(current, by).save()
    for stage in stages:
        if going_back and target.order < stage.order < current.order:
            stage.status, stage.started_on, stage.ended_on = PlanStage.Status.UPCOMING, None, None
            stage.entered_at = None
            _by(stage, by).save()
        if not going_back and current.order < stage.order < target.order:
            # Skipped stages are closed without ever starting.
            stage.status, stage.started_on, stage.ended_on = (
                PlanStage.Status.DONE,
                effective_date,
                effective_date,
            )
            _by(stage, by).save()
    target.status = PlanStage.Status.CURRENT
    target.started_on = effective_date
    target.ended_on = None
    target.entered_at = timezone.now()
    target.full_clean()
    _by(target, by).save()
    StageTransition.objects.create(
        plan=plan,
        from_stage=current,
        to_stage=target,
        changed_by=by,
        effective_date=effective_date,
        reason=reason.strip(),
    )
    _bump_plan_version(plan)
    _after_commit(signals.plan_mix_changed, plan=plan, stage=target, by=by)
    return target


@transaction.atomic
def individualise_stage_mix(
    *,
    stage: PlanStage,
    pt_sessions_per_week: int,
    ot_sessions_per_week: int,
    reason: str,
    by,
    expected_version: int | None = None,
) -> PlanStage:
    """Change one plan stage's PT/OT sessions a week, recording who, when and why.

    The protocol's numbers stay on the protocol stage for comparison, and the
    stage's allocations follow the new numbers.
    """
    # The plan first, as every plan action locks it: two changes never interleave.
    plan = _lock(RehabPlan, stage.plan_id)
    _check_plan_version(plan, expected_version)
    stage = _lock(PlanStage, stage.pk)
    if not reason.strip():
        raise ValidationError(
            {
                "reason": ValidationError(
                    "Say why this patient's mix differs from the protocol.", code="reason_required"
                )
            }
        )
    if stage.status == PlanStage.Status.DONE:
        raise ValidationError(
            "A finished stage's mix is history and cannot be changed.", code="stage_done"
        )
    if stage.plan.status in (RehabPlan.Status.COMPLETED, RehabPlan.Status.DISCONTINUED):
        raise ValidationError("A closed plan cannot be changed.", code="plan_closed")
    if (stage.pt_sessions_per_week, stage.ot_sessions_per_week) == (
        pt_sessions_per_week,
        ot_sessions_per_week,
    ):
        raise ValidationError(
            {
                "pt_sessions_per_week": ValidationError(
                    "This is already the stage's mix.", code="mix_unchanged"
                )
            }
        )
    change = StageMixChange(
        plan_stage=stage,
        changed_by=by,
        pt_before=stage.pt_sessions_per_week,
        ot_before=stage.ot_sessions_per_week,
        pt_after=pt_sessions_per_week,
        ot_after=ot_sessions_per_week,
        reason=reason.strip(),
    )
    stage.pt_sessions_per_week = pt_sessions_per_week
    stage.ot_sessions_per_week = ot_sessions_per_week
    stage.full_clean()
    _by(stage, by).save()
    change.full_clean()
    change.save()
    for allocation in stage.allocations.all():
        allocation.sessions_per_week = stage.sessions_per_week(allocation.discipline)
        allocation.full_clean()
        _by(allocation, by).save()
    _bump_plan_version(plan)
    _after_commit(signals.plan_mix_changed, plan=stage.plan, stage=stage, by=by)
    return stage


# Which status changes a physician may make, from each status.
PLAN_STATUS_CHANGES = {
    RehabPlan.Status.ACTIVE: {
        RehabPlan.Status.ON_HOLD,
        RehabPlan.Status.COMPLETED,
        RehabPlan.Status.DISCONTINUED,
    },
    RehabPlan.Status.ON_HOLD: {
        RehabPlan.Status.ACTIVE,
        RehabPlan.Status.COMPLETED,
        RehabPlan.Status.DISCONTINUED,
    },
    RehabPlan.Status.COMPLETED: set(),
    RehabPlan.Status.DISCONTINUED: set(),
}


@transaction.atomic
def change_plan_status(
    *,
    plan: RehabPlan,
    status: str,
    by,
    reason: str = "",
    effective_date: datetime.date | None = None,
    expected_version: int | None = None,
) -> RehabPlan:
    """Put a plan on hold, resume it, complete it or discontinue it."""
    plan = _lock(RehabPlan, plan.pk)
    _check_plan_version(plan, expected_version)
    effective_date = effective_date or timezone.localdate()
    if status not in PLAN_STATUS_CHANGES[plan.status]:
        raise ValidationError(
            {
                "status": ValidationError(
                    "A plan that is %(now)s cannot be made %(new)s.",
                    code="status_change_not_allowed",
                    params={
                        "now": plan.get_status_display().lower(),
                        "new": RehabPlan.Status(status).label.lower(),
                    },
                )
            }
        )
    if status != RehabPlan.Status.ACTIVE and not reason.strip():
        raise ValidationError(
            {
                "reason": ValidationError(
                    "Say why the plan's status changes.", code="reason_required"
                )
            }
        )
    current = plan.stages.filter(status=PlanStage.Status.CURRENT).first()
    closing = status in (RehabPlan.Status.COMPLETED, RehabPlan.Status.DISCONTINUED)
    if effective_date > timezone.localdate():
        ahead = (
            "A plan is closed on the day it ends, not ahead."
            if closing
            else "A status change is recorded on the day it happens, not ahead."
        )
        raise ValidationError({"effective_date": ValidationError(ahead, code="date_in_future")})
    if closing and effective_date < (current.started_on if current else plan.start_date):
        raise ValidationError(
            {
                "effective_date": ValidationError(
                    "A plan cannot end before its current stage started.", code="date_before_stage"
                )
            }
        )
    # Holds are dated by their changes (weeks on hold allocate nothing): a change
    # is not dated before the plan started or its last change.
    previous = plan.status_changes.order_by("-changed_at", "-pk").first()
    earliest = max(plan.start_date, previous.effective_date if previous else plan.start_date)
    if effective_date < earliest:
        raise ValidationError(
            {
                "effective_date": ValidationError(
                    "The change cannot be dated before %(day)s, when the plan %(what)s.",
                    code="date_before_last_change",
                    params={
                        "day": date_format(earliest, "j M Y"),
                        "what": "last changed status" if previous else "started",
                    },
                )
            }
        )
    if status == RehabPlan.Status.ON_HOLD:
        # A hold dated back cannot cover therapy the patient was given after it began.
        given = (
            plan.sessions.filter(
                date__gt=effective_date, attendance=TherapySession.Attendance.ATTENDED
            )
            .order_by("-date")
            .values_list("date", flat=True)
            .first()
        )
        if given is not None:
            raise ValidationError(
                {
                    "effective_date": ValidationError(
                        "The patient attended a session on %(day)s: a hold begins after it.",
                        code="hold_covers_sessions",
                        params={"day": date_format(given, "j M Y")},
                    )
                }
            )
    change = PlanStatusChange(
        plan=plan,
        from_status=plan.status,
        to_status=status,
        changed_by=by,
        effective_date=effective_date,
        reason=reason.strip(),
    )
    plan.status = status
    plan.status_reason = reason.strip()
    if closing:
        plan.end_date = effective_date
        if current:
            current.status = PlanStage.Status.DONE
            current.ended_on = plan.end_date
            _by(current, by).save()
    plan.version += 1
    plan.full_clean()
    _by(plan, by).save()
    change.full_clean()
    change.save()
    _after_commit(signals.plan_status_changed, plan=plan, by=by)
    return plan


# --- Therapy sessions ------------------------------------------------------


def _stage_on(plan: RehabPlan, day: datetime.date) -> PlanStage:
    stage = plan.stage_on(day)
    if stage is None:
        raise ValidationError(
            {
                "date": ValidationError(
                    "The plan had not started on this date.", code="date_before_plan"
                )
            }
        )
    return stage


def is_allocated(plan: RehabPlan, therapist, discipline: str) -> bool:
    return SessionAllocation.objects.filter(
        plan_stage__plan=plan, discipline=discipline, therapist=therapist
    ).exists()


def _check_allocated_in_stage(session: TherapySession) -> None:
    """A session belongs to the therapist allocated to the stage of its date (a
    late entry for an earlier stage, to whoever gave that stage's therapy)."""
    if not SessionAllocation.objects.filter(
        plan_stage=session.plan_stage,
        discipline=session.discipline,
        therapist_id=session.therapist_id,
    ).exists():
        raise ValidationError(
            {
                "date": ValidationError(
                    "On %(date)s the plan was in %(stage)s, and %(name)s was not "
                    "allocated to it for %(discipline)s.",
                    code="not_allocated_in_stage",
                    params={
                        "date": date_format(session.date, "j M Y"),
                        "stage": session.plan_stage,
                        "name": session.therapist.display_name,
                        "discipline": Discipline(session.discipline).label.lower(),
                    },
                )
            }
        )


def _check_not_logged_twice(session: TherapySession) -> None:
    """One session per therapist, patient and start time: the same session sent
    twice (a double tap, a client retrying) would count its therapy twice."""
    if session.start_time is None:
        return
    twin = TherapySession.objects.filter(
        plan_id=session.plan_id,
        therapist_id=session.therapist_id,
        date=session.date,
        start_time=session.start_time,
    ).exclude(pk=session.pk)
    if twin.exists():
        raise ValidationError(
            {
                "start_time": ValidationError(
                    "%(name)s has already logged a session with this patient on %(date)s "
                    "at %(time)s.",
                    code="session_already_logged",
                    params={
                        "name": session.therapist.display_name,
                        "date": date_format(session.date, "j M Y"),
                        "time": session.start_time.strftime("%H:%M"),
                    },
                )
            }
        )


@transaction.atomic
def log_session(
    *,
    plan: RehabPlan,
    therapist,
    logged_by,
    date: datetime.date,
    duration_minutes: int,
    attendance: str = TherapySession.Attendance.ATTENDED,
    start_time: datetime.time | None = None,
    focus_areas: Iterable[str] = (),
    subjective: str = "",
    objective: str = "",
    assessment: str = "",
    plan_notes: str = "",
    pain_before: int | None = None,
    pain_after: int | None = None,
) -> TherapySession:
    """Record a therapy session on an active plan, in the therapist's own discipline.

    The stage in force on the session's date is recorded with it, and the
    therapist must be allocated to that stage (a session entered late for an
    earlier stage belongs to whoever gave that stage's therapy).
    """
    # Locked: the same session sent twice at once (a client's retry) is one session.
    plan = (
        RehabPlan.objects.select_for_update(of=("self",)).select_related("patient").get(pk=plan.pk)
    )
    discipline = therapist.discipline
    if discipline is None:
        raise ValidationError(
            {
                "therapist": ValidationError(
                    "Only a physiotherapist or an occupational therapist logs sessions.",
                    code="not_a_therapist",
                )
            }
        )
    if plan.status != RehabPlan.Status.ACTIVE:
        raise ValidationError(
            {
                "plan": ValidationError(
                    "This plan is %(status)s; sessions are logged on active plans only.",
                    code="plan_not_active",
                    params={"status": plan.get_status_display().lower()},
                )
            }
        )
    if not is_allocated(plan, therapist, discipline):
        raise ValidationError(
            {
                "plan": ValidationError(
                    "%(name)s is not allocated to this plan for %(discipline)s.",
                    code="not_allocated",
                    params={
                        "name": therapist.display_name,
                        "discipline": Discipline(discipline).label.lower(),
                    },
                )
            }
        )
    session = TherapySession(
        plan=plan,
        discipline=discipline,
        therapist=therapist,
        logged_by=logged_by,
        date=date,
        start_time=start_time,
        duration_minutes=duration_minutes,
        attendance=attendance,
        focus_areas=list(focus_areas),
        subjective=subjective,
        objective=objective,
        assessment=assessment,
        plan_notes=plan_notes,
        pain_before=pain_before,
        pain_after=pain_after,
    )
    session.full_clean(exclude=["plan_stage"])
    session.plan_stage = _stage_on(plan, date)
    _check_allocated_in_stage(session)
    _check_not_logged_twice(session)
    _by(session, logged_by).save()
    signals.session_logged.send(sender=TherapySession, session=session)
    return session


def can_correct_session(
    session: TherapySession, user, now: datetime.datetime | None = None
) -> bool:
    """A therapist corrects their own entry for 24 hours; a physician any time."""
    if user.is_physician or user.is_superuser:
        return True
    now = now or timezone.now()
    return session.therapist_id == user.pk and now - session.created_at <= SELF_CORRECTION_WINDOW


CORRECTABLE_FIELDS = (
    "date",
    "start_time",
    "duration_minutes",
    "attendance",
    "focus_areas",
    "subjective",
    "objective",
    "assessment",
    "plan_notes",
    "pain_before",
    "pain_after",
)


def check_correction(*, session: TherapySession, by, **changes) -> TherapySession:
    """The session as corrected, checked but not saved, or the correction's refusal:
    what correct_session saves, and what admin's form checks before it."""
    if not can_correct_session(session, by):
        raise ValidationError(
            "Entries older than 24 hours are corrected by a physician.",
            code="correction_window_passed",
        )
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"Cannot correct {', '.join(sorted(unknown))}.")
    moved = "date" in changes and changes["date"] != session.date
    for field, value in changes.items():
        setattr(session, field, value)
    session.full_clean(exclude=["plan_stage"])
    session.plan_stage = _stage_on(session.plan, session.date)
    if moved:
        _check_allocated_in_stage(session)
    if {"date", "start_time"} & set(changes):
        _check_not_logged_twice(session)
    return session


@transaction.atomic
def correct_session(*, session: TherapySession, by, **changes) -> TherapySession:
    """Correct a logged session; the stage is re-derived if the date moves."""
    session = _lock(TherapySession, session.pk)
    attendance_before, date_before = session.attendance, session.date
    session = check_correction(session=session, by=by, **changes)
    _by(session, by).save()
    signals.session_corrected.send(
        sender=TherapySession,
        session=session,
        attendance_before=attendance_before,
        date_before=date_before,
    )
    return session


def record_missed_session(
    *, plan: RehabPlan, therapist, attendance: str, date: datetime.date | None = None
) -> TherapySession:
    """One click for a no-show or a clinic cancellation: the planned length is recorded."""
    if attendance == TherapySession.Attendance.ATTENDED:
        raise ValueError("An attended session is logged with its details.")
    date = date or timezone.localdate()
    # A second click on the same button must not record the absence twice.
    if TherapySession.objects.filter(
        plan=plan, therapist=therapist, date=date, attendance=attendance
    ).exists():
        raise ValidationError(
            "This is already recorded for today.", code="missed_session_already_recorded"
        )
    stage = plan.stage_on(date)
    discipline = therapist.discipline
    minutes = stage.minutes_per_session(discipline) if stage and discipline else 45
    return log_session(
        plan=plan,
        therapist=therapist,
        logged_by=therapist,
        date=date,
        duration_minutes=minutes,
        attendance=attendance,
    )
