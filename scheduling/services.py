"""Booking, moving and marking appointments; following the plan when its mix moves.

Each action is one keyword-only function in a transaction. Before booking or
moving, the therapists' and the patient's rows are locked (`select_for_update`)
and every conflict is checked again against the database, so two people booking
at once cannot both take one slot: the second waits, then sees the first's
appointment and is refused with the reason.

Attendance and the plan's session log: an appointment marked attended logs its
therapy session through `plans.services.log_session` and links it. A patient
absence, or a clinic cancellation on the day itself or after, is also logged as a
missed session (the plan's session log and its allocated-against-delivered
figures count it, as they count the worklist's one-click buttons). A cancellation
ahead of the day, or by the patient, is not a session at all: it stays on the
appointment, and the timetable's own adherence panel counts it with its reason.
"""

import contextlib
import contextvars
import datetime
import hashlib
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format

from plans import services as plan_services
from plans.models import (
    PlanStage,
    RehabPlan,
    SessionAllocation,
    StageMixChange,
    TherapySession,
)
from rehab.models import Discipline, User
from scheduling import proposer, selectors
from scheduling.models import (
    Appointment,
    CalendarFeedToken,
    ClinicHoliday,
    Leave,
    PatientPreference,
    TimetableReview,
    WorkingHours,
    digest,
    slot_minutes,
)

DEFAULT_WEEKS = 2
MAX_WEEKS = 12
MISSED_STATUSES = (
    Appointment.Status.PATIENT_ABSENT,
    Appointment.Status.CANCELLED_BY_CLINIC,
    Appointment.Status.CANCELLED_BY_PATIENT,
)
# The plans app's word for the same event, where it has one.
SESSION_ATTENDANCE = {
    Appointment.Status.PATIENT_ABSENT: TherapySession.Attendance.PATIENT_ABSENT,
    Appointment.Status.CANCELLED_BY_CLINIC: TherapySession.Attendance.CANCELLED_BY_CLINIC,
}


def _when(moment: datetime.datetime) -> str:
    local = selectors.local_naive(moment) if moment.tzinfo else moment
    return f"{local:%A} {local.day} {local:%b}, {local:%H:%M}"


def _span(start: datetime.datetime, end: datetime.datetime) -> str:
    start = selectors.local_naive(start) if start.tzinfo else start
    end = selectors.local_naive(end) if end.tzinfo else end
    return f"{start:%H:%M}–{end:%H:%M}"


# --- Proposals ---------------------------------------------------------------


def preview(
    *, plan: RehabPlan, first_day: datetime.date, weeks: int, now=None
) -> proposer.Proposal:
    """What the proposer suggests for a plan's current stage (nothing is saved)."""
    now = now or timezone.now()
    return proposer.propose(
        selectors.proposal_request(plan, first_day=first_day, weeks=weeks, now=now)
    )


# --- The checks every booking and move passes --------------------------------


@dataclass(frozen=True)
class Slot:
    """One appointment to book: what the preview proposed, perhaps adjusted."""

    discipline: str
    therapist_id: int
    start: datetime.datetime  # aware
    minutes: int

    @property
    def end(self) -> datetime.datetime:
        return self.start + datetime.timedelta(minutes=self.minutes)


def _lock_people(therapist_ids, patient_id) -> dict[int, User]:
    """Lock the therapists' and the patient's rows, always in the same order, so
    concurrent bookings touching the same people wait for each other."""
    from patients.models import Patient

    therapists = {
        user.pk: user
        for user in User.objects.select_for_update().filter(pk__in=sorted(set(therapist_ids)))
    }
    Patient.objects.select_for_update().filter(pk=patient_id).first()
    return therapists


def slot_problems(
    *,
    plan: RehabPlan,
    therapist: User,
    discipline: str,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
    exclude_ids=(),
    also_taken=(),
) -> list[str]:
    """Why this slot cannot be booked, in words for the person booking (empty: it can).

    `also_taken` are (therapist id, start, end) of appointments being booked in
    the same confirmation.
    """
    problems = []
    local_start, local_end = selectors.local_naive(start), selectors.local_naive(end)
    day = local_start.date()
    name = therapist.display_name
    if start <= now:
        problems.append(f"{_when(start)} has already passed: appointments are booked ahead.")
    if therapist.discipline != discipline:
        problems.append(f"{name} does not give {Discipline(discipline).label.lower()}.")
    step = slot_minutes()
    if (local_start.hour * 60 + local_start.minute) % step or local_start.second:
        problems.append(
            f"Appointments start every {step} minutes (for example 09:00, 09:{step:02d})."
        )
    if local_end.date() != day:
        problems.append("An appointment starts and ends on the same day.")
    holiday = ClinicHoliday.objects.filter(date=day).first()
    if holiday:
        problems.append(f"The clinic is closed on {day:%A} {day.day} {day:%b}: {holiday.name}.")
    if Leave.objects.filter(therapist=therapist, start_date__lte=day, end_date__gte=day).exists():
        problems.append(f"{name} is on leave on {day:%A} {day.day} {day:%b}.")
    hours = selectors.working_hours_of([therapist.pk])[therapist.pk].get(day.weekday())
    if hours is None:
        problems.append(f"{name} does not work on {day:%A}s.")
    elif local_start.time() < hours[0] or local_end.time() > hours[1] or local_end.date() != day:
        problems.append(
            f"{name} works {hours[0]:%H:%M}–{hours[1]:%H:%M} on {day:%A}s; "
            f"{_span(start, end)} is outside those hours."
        )
    clash = (
        Appointment.objects.filter(
            selectors.holding_time(), therapist=therapist, start__lt=end, end__gt=start
        )
        .exclude(pk__in=exclude_ids)
        .select_related("plan__patient")
        .first()
    )
    taken_too = any(pk == therapist.pk and s < end and start < e for pk, s, e in also_taken)
    if clash:
        problems.append(
            f"{name} already sees {clash.plan.patient.full_name} "
            f"{_span(clash.start, clash.end)} on {day:%A} {day.day} {day:%b}."
        )
    elif taken_too:
        problems.append(f"{name} would have two appointments at once on {_when(start)}.")
    patient_clash = (
        Appointment.objects.filter(
            selectors.holding_time(), plan__patient_id=plan.patient_id, start__lt=end, end__gt=start
        )
        .exclude(pk__in=exclude_ids)
        .first()
    )
    patient_taken_too = any(s < end and start < e for _pk, s, e in also_taken)
    if patient_clash:
        problems.append(
            f"{plan.patient.full_name} already has {patient_clash.discipline} "
            f"{_span(patient_clash.start, patient_clash.end)} that day."
        )
    elif patient_taken_too:
        problems.append(f"{plan.patient.full_name} would have two appointments at once then.")
    return problems


def _current_stage(plan: RehabPlan) -> PlanStage:
    stage = PlanStage.objects.filter(plan=plan, status=PlanStage.Status.CURRENT).first()
    if plan.status != RehabPlan.Status.ACTIVE or stage is None:
        raise ValidationError(
            "Only an active plan is booked; this one is %(status)s.",
            code="plan_not_active",
            params={"status": plan.get_status_display().lower()},
        )
    return stage


def _allocated(stage: PlanStage, discipline: str, therapist_id: int) -> bool:
    return SessionAllocation.objects.filter(
        plan_stage=stage, discipline=discipline, therapist_id=therapist_id
    ).exists()


# --- Booking ---------------------------------------------------------------------


class SlotErrors(ValidationError):
    """A refusal that says which of the slots being booked is at fault."""

    def __init__(self, by_slot: dict[int, list[str]]):
        self.by_slot = by_slot
        super().__init__(
            [message for messages in by_slot.values() for message in messages],
            code="slot_conflict",
        )


@transaction.atomic
def book_appointments(
    *, plan: RehabPlan, slots: list[Slot], by, now: datetime.datetime | None = None
) -> list[Appointment]:
    """Book a confirmed timetable: every slot or none."""
    now = now or timezone.now()
    plan = RehabPlan.objects.select_for_update().select_related("patient").get(pk=plan.pk)
    stage = _current_stage(plan)
    if not slots:
        raise ValidationError("Choose at least one appointment to book.", code="nothing_to_book")
    therapists = _lock_people([slot.therapist_id for slot in slots], plan.patient_id)
    errors: dict[int, list[str]] = {}
    taken = []
    for index, slot in enumerate(slots):
        therapist = therapists.get(slot.therapist_id)
        if therapist is None or not _allocated(stage, slot.discipline, slot.therapist_id):
            errors[index] = [
                f"This therapist is not allocated to the plan's {slot.discipline} sessions."
            ]
            continue
        problems = slot_problems(
            plan=plan,
            therapist=therapist,
            discipline=slot.discipline,
            start=slot.start,
            end=slot.end,
            now=now,
            also_taken=taken,
        )
        if problems:
            errors[index] = problems
        taken.append((slot.therapist_id, slot.start, slot.end))
    if errors:
        raise SlotErrors(errors)
    booked = []
    for slot in slots:
        appointment = Appointment(
            plan=plan,
            plan_stage=stage,
            discipline=slot.discipline,
            therapist=therapists[slot.therapist_id],
            start=slot.start,
            end=slot.end,
            created_by=by,
        )
        appointment.full_clean()
        appointment.save()
        booked.append(appointment)
    return booked


@transaction.atomic
def move_appointment(
    *, appointment: Appointment, start: datetime.datetime, by, now=None
) -> Appointment:
    """Move a booked appointment to another time, with the same checks as booking."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    plan = RehabPlan.objects.select_related("patient").get(pk=appointment.plan_id)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError(
            "Only a booked appointment can be moved; this one is %(status)s.",
            code="not_booked",
            params={"status": appointment.get_status_display().lower()},
        )
    if appointment.start <= now:
        raise ValidationError(
            "This appointment has begun or passed; mark what happened instead.", code="past"
        )
    therapist = _lock_people([appointment.therapist_id], plan.patient_id)[appointment.therapist_id]
    end = start + (appointment.end - appointment.start)
    problems = slot_problems(
        plan=plan,
        therapist=therapist,
        discipline=appointment.discipline,
        start=start,
        end=end,
        now=now,
        exclude_ids=[appointment.pk],
    )
    if problems:
        raise ValidationError({"start": problems})
    appointment.start, appointment.end = start, end
    appointment.full_clean()
    appointment.save()
    return appointment


# --- What happened -------------------------------------------------------------


def _not_booked(appointment: Appointment) -> ValidationError:
    return ValidationError(
        "This appointment is already marked %(status)s.",
        code="already_marked",
        params={"status": appointment.get_status_display().lower()},
    )


@transaction.atomic
def mark_attended(*, appointment: Appointment, by, **session_values) -> Appointment:
    """Log the therapy session of an appointment (plans.services.log_session) and link it."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise _not_booked(appointment)
    if appointment.local_start.date() > timezone.localdate():
        raise ValidationError(
            "An appointment is marked attended on its day or after.", code="future"
        )
    session_values.pop("attendance", None)
    with _marking_an_appointment():
        session = plan_services.log_session(
            plan=appointment.plan,
            therapist=appointment.therapist,
            logged_by=by,
            attendance=TherapySession.Attendance.ATTENDED,
            **session_values,
        )
    appointment.status = Appointment.Status.ATTENDED
    appointment.therapy_session = session
    appointment.full_clean()
    appointment.save()
    return appointment


# Set while an appointment is being marked: the session it logs is linked to that
# appointment by the marking itself, not matched to another by settle_appointment_of.
_MARKING = contextvars.ContextVar("marking_an_appointment", default=False)


@contextlib.contextmanager
def _marking_an_appointment():
    token = _MARKING.set(True)
    try:
        yield
    finally:
        _MARKING.reset(token)


# What a logged session says happened to the appointment it was booked as.
STATUS_OF_SESSION = {
    TherapySession.Attendance.ATTENDED: Appointment.Status.ATTENDED,
    **{attendance: status for status, attendance in SESSION_ATTENDANCE.items()},
}


def settle_appointment_of(session: TherapySession) -> Appointment | None:
    """Mark the booked appointment a session was logged for (same plan, therapist
    and day; the nearest start when there are two) and link the session, so the
    appointment cannot be marked again into a second session. Runs in the caller's
    transaction; marking an appointment does this itself."""
    if _MARKING.get():
        return None
    day_start, day_end = selectors.day_bounds(session.date, session.date)
    candidates = list(
        Appointment.objects.select_for_update()
        .filter(
            plan_id=session.plan_id,
            therapist_id=session.therapist_id,
            discipline=session.discipline,
            status=Appointment.Status.BOOKED,
            therapy_session__isnull=True,
            start__gte=day_start,
            start__lt=day_end,
        )
        .order_by("start")
    )
    if not candidates:
        return None
    appointment = candidates[0]
    if session.start_time is not None:
        logged_at = datetime.datetime.combine(session.date, session.start_time)

        def distance(candidate: Appointment) -> float:
            return abs((candidate.local_start.replace(tzinfo=None) - logged_at).total_seconds())

        appointment = min(candidates, key=distance)
    appointment.status = STATUS_OF_SESSION[session.attendance]
    appointment.therapy_session = session
    appointment.full_clean()
    appointment.save()
    return appointment


def follow_corrected_session(
    session: TherapySession, *, attendance_before: str, date_before: datetime.date
) -> Appointment | None:
    """A corrected session takes its appointment with it: the appointment's status
    follows the attendance. A session moved to another day leaves its appointment
    to be marked again, and settles the one booked on the new day, if any. Runs in
    the correction's transaction."""
    appointment = Appointment.objects.select_for_update().filter(therapy_session=session).first()
    if appointment is None:
        return settle_appointment_of(session) if session.date != date_before else None
    if appointment.local_start.date() != session.date:
        appointment.status = Appointment.Status.BOOKED
        appointment.therapy_session = None
        appointment.cancellation_reason = ""
        appointment.full_clean()
        appointment.save()
        settle_appointment_of(session)
        return appointment
    status = STATUS_OF_SESSION[session.attendance]
    if session.attendance != attendance_before and appointment.status != status:
        appointment.status = status
        if status == Appointment.Status.ATTENDED:
            # The reason given for the absence no longer holds.
            appointment.cancellation_reason = ""
        appointment.full_clean()
        appointment.save()
    return appointment


@transaction.atomic
def mark_missed(*, appointment: Appointment, status: str, by, reason: str = "") -> Appointment:
    """One click: the patient did not come, or the clinic or the patient cancelled."""
    if status not in MISSED_STATUSES:
        raise ValueError(f"{status} is not an absence or a cancellation.")
    appointment = (
        Appointment.objects.select_for_update().select_related("plan").get(pk=appointment.pk)
    )
    if appointment.status != Appointment.Status.BOOKED:
        raise _not_booked(appointment)
    day = appointment.local_start.date()
    today = timezone.localdate()
    if status == Appointment.Status.PATIENT_ABSENT and day > today:
        raise ValidationError(
            "A patient is marked absent on the appointment's day or after; "
            "to call it off ahead, cancel it.",
            code="absent_in_future",
        )
    if status in SESSION_ATTENDANCE and day <= today and appointment.plan.is_active:
        with _marking_an_appointment():
            appointment.therapy_session = plan_services.log_session(
                plan=appointment.plan,
                therapist=appointment.therapist,
                logged_by=by,
                date=day,
                start_time=appointment.local_start.time(),
                duration_minutes=appointment.minutes,
                attendance=SESSION_ATTENDANCE[status],
            )
    appointment.status = status
    appointment.cancellation_reason = reason.strip()
    appointment.full_clean()
    appointment.save()
    return appointment


# --- When the plan moves -----------------------------------------------------


def future_booked(plan: RehabPlan, now: datetime.datetime):
    return Appointment.objects.filter(
        plan=plan, status=Appointment.Status.BOOKED, start__gt=now
    ).order_by("start", "pk")


def timetable_is_stale(plan: RehabPlan, now: datetime.datetime) -> bool:
    """Were some future appointments booked before the plan last moved?

    The plan's signals arrive after its transaction commits, so a timetable booked
    later in the same transaction (the demo clinic) is already up to date.
    """
    future = future_booked(plan, now)
    stage = PlanStage.objects.filter(plan=plan, status=PlanStage.Status.CURRENT).first()
    if plan.status != RehabPlan.Status.ACTIVE or stage is None:
        return future.exists()
    if future.exclude(plan_stage=stage).exists():
        return True
    # Booked with a therapist the stage no longer has for that discipline.
    still_allocated = SessionAllocation.objects.filter(
        plan_stage=OuterRef("plan_stage"),
        discipline=OuterRef("discipline"),
        therapist=OuterRef("therapist"),
    )
    if future.exclude(Exists(still_allocated)).exists():
        return True
    last_change = (
        StageMixChange.objects.filter(plan_stage=stage)
        .order_by("-changed_at")
        .values_list("changed_at", flat=True)
        .first()
    )
    moved_at = max(filter(None, [stage.entered_at, last_change]), default=None)
    return moved_at is not None and future.filter(created_at__lt=moved_at).exists()


@transaction.atomic
def request_review(*, plan: RehabPlan, reason: str) -> TimetableReview | None:
    """Flag a plan whose future appointments no longer match it (nothing is changed yet)."""
    if not timetable_is_stale(plan, timezone.now()):
        return None
    review = TimetableReview.objects.waiting().filter(plan=plan).first()
    if review is None:
        review = TimetableReview.objects.create(plan=plan, reason=reason[:200])
    else:
        review.reason = reason[:200]
        review.save(update_fields=["reason"])
    return review


@dataclass
class ReviewDiff:
    keep: list[Appointment] = field(default_factory=list)
    cancel: list[Appointment] = field(default_factory=list)
    add: list[proposer.ProposedAppointment] = field(default_factory=list)
    unplaced: list[proposer.Unplaced] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.cancel or self.add)

    @property
    def fingerprint(self) -> str:
        """Identifies exactly this diff, so a confirmation applies what was shown."""
        text = repr(
            (
                sorted(a.pk for a in self.keep),
                sorted(a.pk for a in self.cancel),
                [(a.discipline, a.therapist_id, a.start.isoformat(), a.minutes) for a in self.add],
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def review_diff(plan: RehabPlan, now: datetime.datetime | None = None) -> ReviewDiff:
    """The plan's future booked appointments against a fresh proposal from its mix now.

    Past, attended and missed appointments are never touched. Future ones that
    still fit the new mix stay; the rest are cancelled and the gaps filled, over
    the weeks the timetable already covered.
    """
    now = now or timezone.now()
    future = list(future_booked(plan, now).select_related("therapist"))
    if not future:
        return ReviewDiff()
    stage = plan.current_stage
    if plan.status != RehabPlan.Status.ACTIVE or stage is None:
        return ReviewDiff(cancel=future)
    # The weeks the timetable already covers: from the week of its first future
    # appointment (not before today) to the week of its last.
    today = selectors.local_naive(now).date()
    first_day = max(today, proposer.week_start(selectors.local_naive(future[0].start).date()))
    last = selectors.local_naive(future[-1].start).date()
    weeks = (proposer.week_start(last) - proposer.week_start(first_day)).days // 7 + 1
    request = selectors.proposal_request(
        plan, first_day=first_day, weeks=weeks, now=now, replaceable=future
    )
    proposal = proposer.propose(request)
    proposed = {(a.discipline, a.therapist_id, a.start, a.end): a for a in proposal.appointments}
    diff = ReviewDiff(unplaced=proposal.unplaced)
    for appointment in future:
        key = (
            appointment.discipline,
            appointment.therapist_id,
            selectors.local_naive(appointment.start),
            selectors.local_naive(appointment.end),
        )
        if key in proposed:
            diff.keep.append(appointment)
            del proposed[key]
        else:
            diff.cancel.append(appointment)
    diff.add = sorted(proposed.values())
    return diff


@transaction.atomic
def apply_review(*, plan: RehabPlan, by, fingerprint: str, now=None) -> ReviewDiff:
    """Cancel and book what the review showed, all or nothing, and close the review."""
    now = now or timezone.now()
    plan = RehabPlan.objects.select_for_update().get(pk=plan.pk)
    from plans.selectors import plan_with_stages

    plan = plan_with_stages(RehabPlan.objects.filter(pk=plan.pk)).get()
    diff = review_diff(plan, now)
    if diff.fingerprint != fingerprint:
        raise ValidationError(
            "The timetable changed while you were looking at it. Here is the comparison again.",
            code="diff_changed",
        )
    stage = plan.current_stage
    # The reason the review was asked for (a new mix, a new therapist, a hold), as
    # the flag said it; a review opened by hand falls back to what changed.
    review = TimetableReview.objects.waiting().filter(plan=plan).first()
    if review is not None:
        reason = f"Timetable review: {review.reason}"
    elif stage and plan.is_active:
        reason = (
            f"Timetable review: stage {stage.order} has PT {stage.pt_sessions_per_week} "
            f"and OT {stage.ot_sessions_per_week} a week."
        )
    else:
        reason = f"Timetable review: the plan is {plan.get_status_display().lower()}."
    for appointment in diff.cancel:
        appointment.status = Appointment.Status.CANCELLED_BY_CLINIC
        appointment.cancellation_reason = reason
        appointment.save(update_fields=["status", "cancellation_reason", "updated_at"])
    if diff.keep and stage:
        Appointment.objects.filter(pk__in=[a.pk for a in diff.keep]).update(plan_stage=stage)
    if diff.add:
        book_appointments(
            plan=plan,
            slots=[
                Slot(a.discipline, a.therapist_id, selectors.aware(a.start), a.minutes)
                for a in diff.add
            ],
            by=by,
            now=now,
        )
    TimetableReview.objects.waiting().filter(plan=plan).update(resolved_at=now, resolved_by=by)
    return diff


@transaction.atomic
def review_after_resume(*, plan: RehabPlan, by) -> TimetableReview | None:
    """A plan active again: the review its hold asked for (cancel the future) no
    longer stands. Closed when the booked appointments still fit the plan; when
    they do not, it asks for them to be checked instead."""
    if timetable_is_stale(plan, timezone.now()):
        return request_review(
            plan=plan,
            reason="The plan is active again: check its future appointments.",
        )
    dismiss_review(plan=plan, by=by)
    return None


@transaction.atomic
def dismiss_review(*, plan: RehabPlan, by, now=None) -> int:
    """Close a plan's open review without changing the timetable."""
    return (
        TimetableReview.objects.waiting()
        .filter(plan=plan)
        .update(resolved_at=now or timezone.now(), resolved_by=by)
    )


@transaction.atomic
def set_preference(*, patient, time_of_day: str, by) -> PatientPreference:
    preference, _created = PatientPreference.objects.update_or_create(
        patient=patient, defaults={"time_of_day": time_of_day}
    )
    preference.full_clean()
    return preference


# --- The private calendar address ------------------------------------------------


@transaction.atomic
def create_feed_token(*, therapist: User, by) -> tuple[CalendarFeedToken, str]:
    """A new secret calendar address for a therapist; any earlier one stops working.

    Returns the row and the secret itself, which is shown once and never stored.
    """
    if therapist.discipline is None:
        raise ValidationError("Only therapists have a calendar address.", code="not_a_therapist")
    User.objects.select_for_update().filter(pk=therapist.pk).first()
    CalendarFeedToken.objects.filter(therapist=therapist, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    secret = secrets.token_urlsafe(32)
    token = CalendarFeedToken.objects.create(therapist=therapist, token_digest=digest(secret))
    return token, secret


@transaction.atomic
def revoke_feed_token(*, therapist: User, by) -> int:
    return CalendarFeedToken.objects.filter(therapist=therapist, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def therapist_for_feed(secret: str) -> User | None:
    """The therapist whose live calendar address this is, else None."""
    if not secret or len(secret) > 100:
        return None
    token = (
        CalendarFeedToken.objects.filter(token_digest=digest(secret), revoked_at__isnull=True)
        .select_related("therapist")
        .first()
    )
    if token is None or not token.therapist.is_active:
        return None
    return token.therapist


# --- The clinic calendar: holidays, leave and working hours -------------------------
# Physicians and the front desk keep it. A change never moves a booked appointment:
# the calendar page lists those that now fall on a holiday or in leave, to move.


@transaction.atomic
def add_holiday(*, date: datetime.date, name: str, by) -> ClinicHoliday:
    """The clinic is closed on `date`; the proposer books nothing that day."""
    existing = ClinicHoliday.objects.select_for_update().filter(date=date).first()
    if existing is not None:
        raise ValidationError(
            {
                "date": ValidationError(
                    "%(date)s is already a holiday: %(name)s.",
                    code="holiday_exists",
                    params={"date": f"{date_format(date, 'j M Y')}", "name": existing.name},
                )
            }
        )
    holiday = ClinicHoliday(date=date, name=name.strip())
    holiday.full_clean()
    holiday.save()
    return holiday


@transaction.atomic
def remove_holiday(*, holiday: ClinicHoliday, by) -> None:
    ClinicHoliday.objects.filter(pk=holiday.pk).delete()


@transaction.atomic
def add_leave(
    *, therapist: User, start_date: datetime.date, end_date: datetime.date, reason: str = "", by
) -> Leave:
    """A therapist's days away, first and last included; overlapping leave is refused."""
    if therapist.discipline is None:
        raise ValidationError(
            {"therapist": ValidationError("Leave is for therapists.", code="not_a_therapist")}
        )
    User.objects.select_for_update().filter(pk=therapist.pk).first()
    leave = Leave(therapist=therapist, start_date=start_date, end_date=end_date, reason=reason)
    leave.full_clean()
    overlapping = Leave.objects.filter(
        therapist=therapist, start_date__lte=end_date, end_date__gte=start_date
    ).first()
    if overlapping is not None:
        raise ValidationError(
            {
                "start_date": ValidationError(
                    "%(name)s is already on leave then (%(first)s to %(last)s).",
                    code="leave_overlaps",
                    params={
                        "name": therapist.display_name,
                        "first": f"{date_format(overlapping.start_date, 'j M Y')}",
                        "last": f"{date_format(overlapping.end_date, 'j M Y')}",
                    },
                )
            }
        )
    leave.save()
    return leave


@transaction.atomic
def remove_leave(*, leave: Leave, by) -> None:
    Leave.objects.filter(pk=leave.pk).delete()


@transaction.atomic
def set_working_hours(
    *, therapist: User, hours: dict[int, tuple[datetime.time, datetime.time] | None], by
) -> list[WorkingHours]:
    """Replace a therapist's week: `hours` gives each weekday (0 is Monday) its start
    and end, or None for a day off. A week with no working day is refused."""
    if therapist.discipline is None:
        raise ValidationError("Working hours are for therapists.", code="not_a_therapist")
    if not any(hours.get(day) for day in range(7)):
        raise ValidationError(
            "Give at least one working day; for time away, record leave.", code="no_working_day"
        )
    User.objects.select_for_update().filter(pk=therapist.pk).first()
    WorkingHours.objects.filter(therapist=therapist).delete()
    rows = []
    for weekday in range(7):
        if not hours.get(weekday):
            continue
        start, end = hours[weekday]
        row = WorkingHours(therapist=therapist, weekday=weekday, start=start, end=end)
        row.full_clean()
        row.save()
        rows.append(row)
    return rows
