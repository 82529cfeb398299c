"""A synthetic clinic network, loaded with PostgreSQL's COPY.

Deterministic: plan number i always gets the same patient, protocol, therapists,
dates and sessions, so the clinic can be grown in steps (1%, then 10%, then all
of it) and every step holds exactly the plans a smaller step held, plus more.

Plans follow the demo protocols (fixtures/protocols.json) stage by stage: stage
k starts after the typical weeks of the stages before it, sessions fall on the
stage's PT and OT sessions a week spread over Monday to Saturday, and some are
missed. One plan in ten is active and one in fifty on hold; the rest ended
(completed or discontinued) over the last three years, as in a clinic that has
been running for a while. Active plans carry their natural history up to today;
the ended plans share what is left of the session budget, so the total is exact.

Rows are written straight into the tables (no services, no signals): this is a
load generator, not a clinic. Every row obeys the models' rules and constraints.
"""

import contextlib
import datetime
import functools
import itertools
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from patients.models import Diagnosis, Patient
from plans.models import (
    PlanStage,
    Protocol,
    RehabPlan,
    SessionAllocation,
    StageTransition,
    TherapySession,
)
from rehab.models import Discipline, Role, User

RANDOM_SEED = 2026
FULL_PLANS = 5_000  # one plan per patient
FULL_SESSIONS = 500_000
FULL_THERAPISTS = 60  # half PT, half OT
FULL_PHYSICIANS = 10
FULL_ASSESSMENTS = 50_000

# Which demo protocol a plan follows (by the condition's ICD-10 code).
PROTOCOL_WEIGHTS = {"I63.9": 0.35, "T09.3": 0.15, "M17.9": 0.50}
WORKING_DAYS = 6  # Monday to Saturday
SLOTS = tuple(datetime.time(hour) for hour in (9, 10, 11, 12, 14, 15, 16))
ACTIVE, ON_HOLD, COMPLETED, DISCONTINUED = (
    RehabPlan.Status.ACTIVE,
    RehabPlan.Status.ON_HOLD,
    RehabPlan.Status.COMPLETED,
    RehabPlan.Status.DISCONTINUED,
)
ATTENDED = TherapySession.Attendance.ATTENDED
ABSENT = TherapySession.Attendance.PATIENT_ABSENT
CANCELLED = TherapySession.Attendance.CANCELLED_BY_CLINIC

FIRST_NAMES = (
    "Aarav",
    "Aditi",
    "Akash",
    "Amit",
    "Ananya",
    "Anil",
    "Anjali",
    "Arjun",
    "Asha",
    "Deepa",
    "Divya",
    "Farah",
    "Gaurav",
    "Geeta",
    "Harish",
    "Isha",
    "Kabir",
    "Kavya",
    "Lakshmi",
    "Manoj",
    "Meera",
    "Mohan",
    "Nandini",
    "Neha",
    "Nikhil",
    "Pooja",
    "Rahul",
    "Rajesh",
    "Ravi",
    "Rekha",
    "Rohan",
    "Sanjay",
    "Shalini",
    "Sita",
    "Sunil",
    "Tara",
    "Uma",
    "Varun",
    "Vikram",
    "Zoya",
)
LAST_NAMES = (
    "Agarwal",
    "Banerjee",
    "Bose",
    "Chatterjee",
    "Das",
    "Desai",
    "Dutta",
    "Gupta",
    "Iyer",
    "Jain",
    "Joshi",
    "Kapoor",
    "Khan",
    "Kulkarni",
    "Kumar",
    "Menon",
    "Mehta",
    "Mishra",
    "Mukherjee",
    "Nair",
    "Pandey",
    "Patel",
    "Pillai",
    "Rao",
    "Reddy",
    "Roy",
    "Saxena",
    "Sen",
    "Sharma",
    "Shetty",
    "Singh",
    "Sinha",
    "Srinivasan",
    "Thakur",
    "Varma",
    "Verma",
    "Yadav",
)
NOTES = {
    "subjective": ("Feels steadier today.", "Tired after a poor night.", "Keen to walk more."),
    "objective": ("Walked 20 m with a frame.", "Sit to stand x10 unaided.", "Dressed upper body."),
    "assessment": ("Progressing towards the stage goal.", "Plateau this week.", "Improving."),
    "plan_notes": ("Continue; add stairs next time.", "Home practice daily.", "Review in a week."),
}
# A session's four SOAP notes, drawn together.
NOTE_SETS = tuple(itertools.product(*NOTES.values()))


@dataclass(frozen=True)
class Size:
    """How much of the full clinic a step holds."""

    plans: int
    sessions: int
    therapists: int
    physicians: int
    assessments: int

    @classmethod
    def full(cls, scale: float = 1.0) -> "Size":
        return cls(
            plans=max(10, round(FULL_PLANS * scale)),
            sessions=max(100, round(FULL_SESSIONS * scale)),
            therapists=max(8, round(FULL_THERAPISTS * scale)),
            physicians=max(2, round(FULL_PHYSICIANS * scale)),
            assessments=round(FULL_ASSESSMENTS * scale),
        )

    def fraction(self, share: float) -> "Size":
        """A step of the growth: plans, sessions and assessments shrink, staff stays."""
        return Size(
            plans=max(1, round(self.plans * share)),
            sessions=max(1, round(self.sessions * share)),
            therapists=self.therapists,
            physicians=self.physicians,
            assessments=round(self.assessments * share),
        )


@dataclass
class Staff:
    physicians: list[User]
    physiotherapists: list[User]
    occupational_therapists: list[User]
    front_desk: User

    def therapists(self, discipline: str) -> list[User]:
        if discipline == Discipline.PT:
            return self.physiotherapists
        return self.occupational_therapists


@dataclass
class StageSpec:
    protocol_stage_id: int
    dose: dict
    starts: datetime.date
    pt: int
    ot: int
    pt_minutes: int
    ot_minutes: int
    pt_focus: list[str]
    ot_focus: list[str]
    # (PT, OT) sessions on each weekday, Monday first.
    per_weekday: tuple[tuple[int, int], ...] = ()


@dataclass
class PlanSpec:
    """Everything about plan number i, derived from i alone."""

    index: int
    status: str
    protocol: Protocol
    start: datetime.date
    stop: datetime.date  # the last day sessions may fall on
    physician_id: int
    therapist_ids: dict[str, int]
    attend_rate: float
    stages: list[StageSpec] = field(default_factory=list)
    budget: int | None = None  # sessions an ended plan gives before it ends
    end: datetime.date | None = None
    # (day, stage number, discipline) of each session, once settled by finish_spec.
    slots: list[tuple[datetime.date, int, str]] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.index + 1


def aware(day: datetime.date, at: datetime.time = datetime.time(9)) -> datetime.datetime:
    return datetime.datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def sessions_on(weekday: int, per_week: int) -> int:
    """Sessions on a weekday when `per_week` are spread over Monday to Saturday."""
    if per_week <= 0:
        return 0
    return [i * WORKING_DAYS // per_week for i in range(per_week)].count(weekday)


@functools.cache
def per_weekday(pt: int, ot: int) -> tuple[tuple[int, int], ...]:
    return tuple((sessions_on(day, pt), sessions_on(day, ot)) for day in range(7))


# --- Writing rows ---------------------------------------------------------------


class _Missing:
    pass


MISSING = _Missing()


def _column_defaults(model) -> dict[str, object]:
    """Each column's value when a row does not give one (fields added later keep working)."""
    now = timezone.now()
    defaults = {}
    for model_field in model._meta.concrete_fields:
        if model_field.has_default():
            value = model_field.get_default()
            if isinstance(model_field, models.JSONField):
                value = json.dumps(value)
        elif isinstance(model_field, models.DateTimeField) and (
            model_field.auto_now or model_field.auto_now_add
        ):
            value = now
        elif model_field.null:
            value = None
        elif model_field.empty_strings_allowed and model_field.blank:
            value = ""
        else:
            value = MISSING
        defaults[model_field.attname] = value
    return defaults


def copy_rows(model, names: list[str], rows: Iterable[tuple]) -> int:
    """COPY rows (tuples of the attributes in `names`) into the model's table; the
    other columns get their field's default. The primary key, when not named, is
    the database's. Returns the count."""
    defaults = _column_defaults(model)
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    rest = [f for f in model._meta.concrete_fields if f.attname not in names and not f.primary_key]
    missing = [f.attname for f in rest if defaults[f.attname] is MISSING]
    if missing:
        raise ValueError(f"{model.__name__} rows lack {missing}")
    tail = tuple(defaults[f.attname] for f in rest)
    fields = [by_name[name] for name in names] + rest
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor, which speaks COPY
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + tail)
                count += 1
    return count


# COPY's text format: tab between columns, \N for null, these characters escaped.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).translate(COPY_ESCAPES)


def copy_lines(model, names: list[str], lines: Iterable[str]) -> int:
    """COPY rows already written as text lines (tab-separated values of the
    attributes in `names`, no line end): the fast way for the largest table."""
    defaults = _column_defaults(model)
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    rest = [f for f in model._meta.concrete_fields if f.attname not in names and not f.primary_key]
    missing = [f.attname for f in rest if defaults[f.attname] is MISSING]
    if missing:
        raise ValueError(f"{model.__name__} rows lack {missing}")
    tail = "".join("\t" + copy_text(defaults[f.attname]) for f in rest) + "\n"
    fields = [by_name[name] for name in names] + rest
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    buffer = []
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for line in lines:
            buffer.append(line)
            buffer.append(tail)
            count += 1
            if len(buffer) >= 20_000:
                copy.write("".join(buffer))
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))
    return count


def copy_dicts(model, rows: list[dict]) -> int:
    """COPY rows given as dicts, all with the same keys (the small tables)."""
    if not rows:
        return 0
    names = list(rows[0])
    return copy_rows(model, names, (tuple(row[name] for name in names) for row in rows))


def reset_sequences(*model_classes) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), model_classes):
            cursor.execute(sql)


# --- Staff and protocols ----------------------------------------------------------


# The demo staff keep their usernames (the protocol fixtures name their authors).
DEMO_PHYSICIANS = [("dr.rao", "Anita", "Rao"), ("dr.iyer", "Vikram", "Iyer")]
DEMO_PT = [
    ("pt.sharma", "Rahul", "Sharma"),
    ("pt.das", "Arjun", "Das"),
    ("pt.khan", "Farhan", "Khan"),
]
DEMO_OT = [
    ("ot.menon", "Lakshmi", "Menon"),
    ("ot.bose", "Sudipta", "Bose"),
    ("ot.pillai", "Meera", "Pillai"),
]


def _people(demo, prefix: str, count: int, rng: random.Random):
    people = list(demo[:count])
    for n in range(len(people) + 1, count + 1):
        people.append((f"{prefix}.bench{n:02d}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)))
    return people


def seed_staff(size: Size) -> Staff:
    rng = random.Random(f"{RANDOM_SEED}-staff")
    # One hash for everyone: nobody signs in with a password during the benchmark.
    password = make_password(None)
    groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
    per_discipline = size.therapists // 2
    roster = [
        (Role.PHYSICIAN, "Dr.", _people(DEMO_PHYSICIANS, "dr", size.physicians, rng)),
        (Role.PHYSIOTHERAPIST, "", _people(DEMO_PT, "pt", per_discipline, rng)),
        (Role.OCCUPATIONAL_THERAPIST, "", _people(DEMO_OT, "ot", per_discipline, rng)),
        (Role.FRONT_DESK, "", [("desk.roy", "Priya", "Roy")]),
    ]
    users, memberships = [], []
    for role, title, people in roster:
        for username, first, last in people:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                title=title,
                email=f"{username}@clinic.example",
                password=password,
            )
            users.append((role, user))
    User.objects.bulk_create([user for _, user in users])
    for role, user in users:
        memberships.append(User.groups.through(user_id=user.pk, group_id=groups[role].pk))
    User.groups.through.objects.bulk_create(memberships)
    by_role = {role: [user for r, user in users if r == role] for role, _, _ in roster}
    return Staff(
        physicians=by_role[Role.PHYSICIAN],
        physiotherapists=by_role[Role.PHYSIOTHERAPIST],
        occupational_therapists=by_role[Role.OCCUPATIONAL_THERAPIST],
        front_desk=by_role[Role.FRONT_DESK][0],
    )


def load_protocols() -> list[Protocol]:
    paths = [
        str(settings.BASE_DIR / "fixtures" / name) for name in ("conditions.json", "protocols.json")
    ]
    call_command("loaddata", *paths, verbosity=0)
    return list(
        Protocol.objects.filter(
            status=Protocol.Status.PUBLISHED, condition__icd10_code__in=PROTOCOL_WEIGHTS
        )
        .select_related("condition")
        .prefetch_related("stages")
        .order_by("pk")
    )


# --- Plans ----------------------------------------------------------------------------


def plan_status(index: int) -> str:
    if index % 10 == 0:
        return ACTIVE
    if index % 50 == 25:
        return ON_HOLD
    if index % 10 == 7:
        return DISCONTINUED
    return COMPLETED


def plan_spec(
    index: int, protocols: list[Protocol], staff: Staff, today: datetime.date
) -> PlanSpec:
    rng = random.Random(f"{RANDOM_SEED}-plan-{index}")
    status = plan_status(index)
    weights = [PROTOCOL_WEIGHTS[p.condition.icd10_code] for p in protocols]
    protocol = rng.choices(protocols, weights)[0]
    if status == ACTIVE:
        start = today - datetime.timedelta(days=rng.randint(0, 140))
        stop = today
    elif status == ON_HOLD:
        start = today - datetime.timedelta(days=rng.randint(35, 140))
        stop = today - datetime.timedelta(days=rng.randint(7, 28))
    else:
        # Ended plans began one to three years ago, so they end well before today.
        start = today - datetime.timedelta(days=rng.randint(400, 1100))
        stop = today - datetime.timedelta(days=1)
    spec = PlanSpec(
        index=index,
        status=status,
        protocol=protocol,
        start=start,
        stop=stop,
        physician_id=rng.choice(staff.physicians).pk,
        therapist_ids={
            Discipline.PT: rng.choice(staff.physiotherapists).pk,
            Discipline.OT: rng.choice(staff.occupational_therapists).pk,
        },
        attend_rate=rng.uniform(0.65, 0.98),
    )
    starts = start
    for stage in protocol.stages.all():
        spec.stages.append(
            StageSpec(
                protocol_stage_id=stage.pk,
                dose=stage.dose_fields(),
                starts=starts,
                pt=stage.pt_sessions_per_week,
                ot=stage.ot_sessions_per_week,
                pt_minutes=stage.pt_minutes_per_session,
                ot_minutes=stage.ot_minutes_per_session,
                pt_focus=stage.pt_focus_list,
                ot_focus=stage.ot_focus_list,
                per_weekday=per_weekday(stage.pt_sessions_per_week, stage.ot_sessions_per_week),
            )
        )
        starts += datetime.timedelta(weeks=stage.typical_weeks)
    return spec


def session_slots(spec: PlanSpec) -> list[tuple[datetime.date, int, str]]:
    """(day, stage number, discipline) of every session the plan is due, in date
    order, until its stop day or its budget. The last stage runs on until then."""
    slots = []
    budget = spec.budget if spec.budget is not None else 10**9
    one_day = datetime.timedelta(days=1)
    day = spec.start
    weekday = day.weekday()
    stage_index = 0
    stages = spec.stages
    next_start = stages[1].starts if len(stages) > 1 else None
    while day <= spec.stop:
        if next_start is not None and next_start <= day:
            stage_index += 1
            next_start = stages[stage_index + 1].starts if stage_index + 1 < len(stages) else None
        pt, ot = stages[stage_index].per_weekday[weekday]
        for discipline, count in ((Discipline.PT, pt), (Discipline.OT, ot)):
            for _ in range(count):
                if len(slots) >= budget:
                    return slots
                slots.append((day, stage_index, discipline))
        day += one_day
        weekday = (weekday + 1) % 7
    return slots


def finish_spec(spec: PlanSpec) -> int:
    """Settle the plan's sessions and its end (an ended plan ends on its last session)."""
    spec.slots = session_slots(spec)
    if spec.status in (COMPLETED, DISCONTINUED):
        spec.end = spec.slots[-1][0] if spec.slots else spec.start
        spec.stop = spec.end
    return len(spec.slots)


def stage_pk(spec: PlanSpec, stage_index: int, per_plan: int) -> int:
    return spec.index * per_plan + stage_index + 1


def plan_rows(specs: list[PlanSpec], per_plan: int, today: datetime.date) -> dict[type, list[dict]]:
    rows = {model: [] for model in (Patient, Diagnosis, RehabPlan, PlanStage, SessionAllocation)}
    rows[StageTransition] = []
    for spec in specs:
        rng = random.Random(f"{RANDOM_SEED}-patient-{spec.index}")
        pk = spec.pk
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        rows[Patient].append(
            {
                "id": pk,
                "record_number": f"RH-{pk:06d}",
                "full_name": f"{first} {last}",
                "date_of_birth": datetime.date(
                    rng.randint(1940, 2000), rng.randint(1, 12), 1 + rng.randint(0, 27)
                ),
                "sex": rng.choice(("female", "male")),
                "phone": f"+91 98{rng.randint(100, 999)} {rng.randint(10000, 99999)}",
                "family_contact_name": f"{rng.choice(FIRST_NAMES)} {last}",
                "family_contact_relation": rng.choice(("daughter", "son", "wife", "husband")),
                "family_contact_phone": f"+91 97{rng.randint(100, 999)} {rng.randint(1000, 9999)}0",
                "created_at": aware(spec.start),
                "updated_at": aware(spec.start),
            }
        )
        rows[Diagnosis].append(
            {
                "id": pk,
                "patient_id": pk,
                "condition_id": spec.protocol.condition_id,
                "onset_date": spec.start - datetime.timedelta(days=rng.randint(3, 30)),
                "affected_side": rng.choice(("left", "right")),
                "is_primary": True,
                "created_at": aware(spec.start),
            }
        )
        rows[RehabPlan].append(
            {
                "id": pk,
                "patient_id": pk,
                "diagnosis_id": pk,
                "protocol_id": spec.protocol.pk,
                "lead_physician_id": spec.physician_id,
                "start_date": spec.start,
                "end_date": spec.end,
                "status": spec.status,
                "primary_concern": rng.choice(("pain_movement", "daily_independence", "both")),
                "status_reason": "" if spec.status == ACTIVE else "Benchmark history.",
                "created_at": aware(spec.start),
                "updated_at": aware(spec.end or spec.start),
            }
        )
        # Which stages were lived: the stop day (or end) is in the last of them.
        closing_day = spec.end if spec.end else min(spec.stop, today)
        if spec.status in (ACTIVE, ON_HOLD):
            closing_day = today
        lived = [i for i, s in enumerate(spec.stages) if s.starts <= closing_day] or [0]
        last_lived = lived[-1]
        previous_pk = None
        for i, stage in enumerate(spec.stages):
            this_pk = stage_pk(spec, i, per_plan)
            started = i <= last_lived
            if not started:
                status, ended = PlanStage.Status.UPCOMING, None
            elif i < last_lived:
                status, ended = PlanStage.Status.DONE, spec.stages[i + 1].starts
            elif spec.end:
                status, ended = PlanStage.Status.DONE, spec.end
            else:
                status, ended = PlanStage.Status.CURRENT, None
            rows[PlanStage].append(
                {
                    "id": this_pk,
                    "plan_id": pk,
                    "protocol_stage_id": stage.protocol_stage_id,
                    **stage.dose,
                    "status": status,
                    "started_on": stage.starts if started else None,
                    "ended_on": ended,
                    "entered_at": aware(stage.starts) if started else None,
                }
            )
            for d, discipline in enumerate((Discipline.PT, Discipline.OT)):
                rows[SessionAllocation].append(
                    {
                        "id": (this_pk - 1) * 2 + d + 1,
                        "plan_stage_id": this_pk,
                        "discipline": discipline,
                        "therapist_id": spec.therapist_ids[discipline],
                        "sessions_per_week": stage.pt if discipline == Discipline.PT else stage.ot,
                        "minutes_per_session": (
                            stage.pt_minutes if discipline == Discipline.PT else stage.ot_minutes
                        ),
                    }
                )
            if started:
                rows[StageTransition].append(
                    {
                        "id": this_pk,
                        "plan_id": pk,
                        "from_stage_id": previous_pk,
                        "to_stage_id": this_pk,
                        "changed_by_id": spec.physician_id,
                        "changed_at": aware(stage.starts),
                        "effective_date": stage.starts,
                        "reason": "Plan started"
                        if previous_pk is None
                        else "Ready for the next stage",
                    }
                )
            previous_pk = this_pk
    return rows


SESSION_COLUMNS = [
    "plan_id",
    "plan_stage_id",
    "discipline",
    "therapist_id",
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
    "logged_by_id",
    "created_at",
    "updated_at",
]


def session_rows(specs: list[PlanSpec], per_plan: int) -> Iterator[str]:
    """Each plan's sessions, as COPY text lines in SESSION_COLUMNS order."""
    tz = timezone.get_current_timezone()
    combine = datetime.datetime.combine
    no_focus = json.dumps([])
    note_lines = ["\t".join(n.translate(COPY_ESCAPES) for n in notes) for notes in NOTE_SETS]
    empty_notes = "\t".join([""] * len(NOTES))
    for spec in specs:
        rng = random.Random(f"{RANDOM_SEED}-sessions-{spec.index}")
        attend, absent = spec.attend_rate, spec.attend_rate + (1 - spec.attend_rate) * 0.6
        # What a session of each stage and discipline records, as text.
        kinds = {}
        for i, stage in enumerate(spec.stages):
            for discipline in (Discipline.PT, Discipline.OT):
                pt = discipline == Discipline.PT
                focus = json.dumps((stage.pt_focus if pt else stage.ot_focus)[:2])
                kinds[i, discipline] = (
                    f"{spec.pk}\t{stage_pk(spec, i, per_plan)}\t{discipline}\t"
                    f"{spec.therapist_ids[discipline]}\t",
                    stage.pt_minutes if pt else stage.ot_minutes,
                    focus.translate(COPY_ESCAPES),
                    spec.therapist_ids[discipline],
                )
        slot_of_day = 0
        previous_day = None
        for day, stage_index, discipline in spec.slots:
            slot_of_day = slot_of_day + 1 if day == previous_day else 0
            previous_day = day
            head, minutes, focus, therapist = kinds[stage_index, discipline]
            at = SLOTS[(spec.index + slot_of_day) % len(SLOTS)]
            logged = combine(day, at, tzinfo=tz).isoformat()
            roll = rng.random()
            if roll < attend:
                notes = note_lines[int(roll * 7919) % len(note_lines)]
                pain = f"{2 + int(roll * 50) % 6}\t{1 + int(roll * 70) % 6}"
                yield (
                    f"{head}{day}\t{at}\t{minutes}\t{ATTENDED}\t{focus}\t{notes}\t{pain}\t"
                    f"{therapist}\t{logged}\t{logged}"
                )
            else:
                attendance = ABSENT if roll < absent else CANCELLED
                yield (
                    f"{head}{day}\t{at}\t{minutes}\t{attendance}\t{no_focus}\t{empty_notes}\t"
                    f"\\N\t\\N\t{therapist}\t{logged}\t{logged}"
                )


def assessment_model():
    """outcomes.Assessment when the outcomes app is installed, else None."""
    try:
        model = apps.get_model("outcomes", "Assessment")
    except LookupError:
        return None
    names = {f.attname for f in model._meta.concrete_fields}
    wanted = {"plan_id", "plan_stage_id", "measure", "date", "assessor_id", "item_scores", "total"}
    return model if wanted <= names else None


def assessment_rows(specs: list[PlanSpec], per_plan: int, count: int) -> Iterator[tuple]:
    """Pain scores (NPRS) spread evenly over each plan's attended days, by its PT."""
    if not specs or count <= 0:
        return
    share, extra = divmod(count, len(specs))
    for n, spec in enumerate(specs):
        wanted = share + (1 if n < extra else 0)
        slots = [slot for slot in spec.slots if slot[2] == Discipline.PT]
        if not slots or not wanted:
            continue
        rng = random.Random(f"{RANDOM_SEED}-assessments-{spec.index}")
        step = len(slots) / wanted
        for k in range(wanted):
            day, stage_index, _ = slots[min(int(k * step), len(slots) - 1)]
            pain = rng.randint(0, 8)
            yield (
                spec.pk,
                stage_pk(spec, stage_index, per_plan),
                "nprs",
                day,
                spec.therapist_ids[Discipline.PT],
                json.dumps({"pain": pain}),
                pain,
                aware(day, datetime.time(17)),
            )


ASSESSMENT_COLUMNS = [
    "plan_id",
    "plan_stage_id",
    "measure",
    "date",
    "assessor_id",
    "item_scores",
    "total",
    "created_at",
]


# --- Growing the clinic ------------------------------------------------------------


@dataclass
class Clinic:
    """What has been seeded so far, and how long it took."""

    staff: Staff
    protocols: list[Protocol]
    stages_per_plan: int
    plans: int = 0
    sessions: int = 0
    assessments: int = 0
    seconds: float = 0.0
    steps: list[dict] = field(default_factory=list)


def start_clinic(size: Size) -> Clinic:
    started = time.perf_counter()
    with transaction.atomic():
        staff = seed_staff(size)
        protocols = load_protocols()
    per_plan = max(len(p.stages.all()) for p in protocols)
    clinic = Clinic(staff=staff, protocols=protocols, stages_per_plan=per_plan)
    clinic.seconds += time.perf_counter() - started
    return clinic


@contextlib.contextmanager
def bulk_load(*model_classes):
    """Drop the tables' foreign keys and plain indexes for a bulk load; add them
    back after it.

    A foreign key checks each new row on its own and every index takes each row
    in turn (500,000 sessions: four keys and six indexes each). Added back,
    PostgreSQL checks each key over the whole table in one join, so every row is
    still verified and a bad row still fails the load, and builds each index in
    one sorted pass. Primary keys and unique constraints stay in place.
    """
    foreign_keys, indexes = [], []
    with connection.cursor() as cursor:
        # Check the rows waiting for the end of the transaction now: a table
        # with pending checks cannot change its constraints.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in model_classes:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [model._meta.db_table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                foreign_keys.append((table, name, definition))
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
                "AND NOT i.indisunique",
                [model._meta.db_table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                indexes.append(definition)
    yield
    with connection.cursor() as cursor:
        for definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def grow(clinic: Clinic, target: Size, today: datetime.date | None = None) -> dict:
    """Add plans (and their patients, stages and sessions) up to the target size."""
    today = today or timezone.localdate()
    started = time.perf_counter()
    first, last = clinic.plans, target.plans
    specs = [plan_spec(i, clinic.protocols, clinic.staff, today) for i in range(first, last)]
    running = [s for s in specs if s.status in (ACTIVE, ON_HOLD)]
    ended = [s for s in specs if s.status not in (ACTIVE, ON_HOLD)]
    natural = sum(finish_spec(spec) for spec in running)
    # The ended plans share the rest of this step's sessions (discontinued ones less).
    wanted = max(target.sessions - clinic.sessions - natural, 0)
    weights = [1.0 if s.status == COMPLETED else 0.4 for s in ended]
    total_weight = sum(weights) or 1.0
    budgets = [int(wanted * w / total_weight) for w in weights]
    for n in range(wanted - sum(budgets) if budgets else 0):
        budgets[n % len(budgets)] += 1
    for spec, budget in zip(ended, budgets, strict=True):
        spec.budget = budget
        finish_spec(spec)
    rows = plan_rows(specs, clinic.stages_per_plan, today)
    phases = {"generate": time.perf_counter() - started}
    counts = {}
    assessments = assessment_model()
    big = [TherapySession] + ([assessments] if assessments is not None else [])
    mark = time.perf_counter()
    with transaction.atomic():
        for model in (Patient, Diagnosis, RehabPlan, PlanStage, SessionAllocation, StageTransition):
            counts[model._meta.model_name] = copy_dicts(model, rows[model])
        with bulk_load(*big):
            counts["therapysession"] = copy_lines(
                TherapySession, SESSION_COLUMNS, session_rows(specs, clinic.stages_per_plan)
            )
            if assessments is not None:
                counts["assessment"] = copy_rows(
                    assessments,
                    ASSESSMENT_COLUMNS,
                    assessment_rows(
                        specs, clinic.stages_per_plan, target.assessments - clinic.assessments
                    ),
                )
            phases["copy"] = time.perf_counter() - mark
            mark = time.perf_counter()
        phases["indexes_and_keys"] = time.perf_counter() - mark
        mark = time.perf_counter()
        reset_sequences(
            Patient, Diagnosis, RehabPlan, PlanStage, SessionAllocation, StageTransition
        )
    phases["commit"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with connection.cursor() as cursor:
        # Vacuumed and analysed, as autovacuum leaves the tables of a clinic's
        # server: fresh statistics, and a visibility map that lets a count read
        # an index alone instead of every row just loaded.
        for model in (
            User,
            Patient,
            Diagnosis,
            RehabPlan,
            PlanStage,
            SessionAllocation,
            StageTransition,
            *big,
        ):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
    phases["vacuum_analyze"] = time.perf_counter() - mark
    seconds = time.perf_counter() - started
    clinic.plans = last
    clinic.sessions += counts["therapysession"]
    clinic.assessments += counts.get("assessment", 0)
    clinic.seconds += seconds
    step = {
        "plans_added": last - first,
        "rows": counts,
        "seconds": round(seconds, 2),
        "phases": {name: round(value, 2) for name, value in phases.items()},
    }
    clinic.steps.append(step)
    return step
