"""Load the demo clinic: staff, conditions, protocols, patients, plans and sessions.

    python manage.py seed_demo [--quiet]

Everything here is illustrative demo data, not clinical guidance: the protocols'
stages, sessions a week and minutes are a plausible choice made to show the
product, and the patients are invented. The shared password is for local use
only; never seed a server other people can reach.

The command is idempotent: staff are updated in place, the fixtures overwrite
their own rows, a patient is found by name and date of birth, a plan is started
only for a diagnosis without one, and sessions are logged only on a plan that has
none. Plans, stages and sessions go through `plans.services`, the same code path
as the web pages, so the demo obeys the same rules. Dates are relative to today.
"""

import datetime
import random
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from patients.models import Condition, Diagnosis, Patient
from plans import services, signals
from plans.models import (
    PlanStage,
    Protocol,
    ProtocolStage,
    RehabPlan,
    SessionAllocation,
    StageMixChange,
    StageTransition,
    TherapySession,
)
from rehab.models import Discipline, Role, User
from rehab.roles import sync_roles

DEMO_PASSWORD = "rehab-demo-2026"  # local demo only
FIXTURES = ("conditions.json", "protocols.json")

STROKE, SCI, KNEE_OA = "I63.9", "T09.3", "M17.9"
ICH, TBI, PARKINSONS, LOW_BACK_PAIN, KNEE_REPLACEMENT = "I61.9", "S06.9", "G20", "M54.5", "Z96.6"

SUNDAY = 6  # the clinic is closed
WORKING_DAYS = 6  # Monday to Saturday
SESSION_WINDOW_DAYS = 28  # about four weeks of logged sessions per plan
MISSED_RATE = {  # of all sessions, roughly 10% missed
    TherapySession.Attendance.PATIENT_ABSENT: 0.06,
    TherapySession.Attendance.CANCELLED_BY_CLINIC: 0.04,
}
SLOTS = tuple(datetime.time(hour) for hour in (9, 10, 11, 12, 14, 15, 16))
RANDOM_SEED = 2026

Side = Diagnosis.Side
Concern = RehabPlan.PrimaryConcern
Status = RehabPlan.Status


# --- Staff -----------------------------------------------------------------


class StaffMember(NamedTuple):
    username: str
    pk: int  # fixed, so every demo database has the same ids
    role: str | None  # None: the superuser
    title: str
    first_name: str
    last_name: str


STAFF = (
    StaffMember("admin", 9001, None, "", "Sanjay", "Nair"),
    StaffMember("dr.rao", 9002, Role.PHYSICIAN, "Dr.", "Anita", "Rao"),
    StaffMember("dr.iyer", 9003, Role.PHYSICIAN, "Dr.", "Vikram", "Iyer"),
    StaffMember("pt.sharma", 9004, Role.PHYSIOTHERAPIST, "", "Rahul", "Sharma"),
    StaffMember("pt.das", 9005, Role.PHYSIOTHERAPIST, "", "Arjun", "Das"),
    StaffMember("pt.khan", 9006, Role.PHYSIOTHERAPIST, "", "Farhan", "Khan"),
    StaffMember("ot.menon", 9007, Role.OCCUPATIONAL_THERAPIST, "", "Lakshmi", "Menon"),
    StaffMember("ot.bose", 9008, Role.OCCUPATIONAL_THERAPIST, "", "Sudipta", "Bose"),
    StaffMember("ot.pillai", 9009, Role.OCCUPATIONAL_THERAPIST, "", "Meera", "Pillai"),
    StaffMember("desk.roy", 9010, Role.FRONT_DESK, "", "Priya", "Roy"),
)


# --- Patients and their plans ---------------------------------------------


class PlanSpec(NamedTuple):
    start_weeks_ago: int
    physician: str
    physiotherapist: str
    occupational_therapist: str
    primary_concern: str
    # When the plan moved on to each next stage, oldest first.
    advanced_weeks_ago: tuple[int, ...] = ()
    # The current stage's new (PT, OT) sessions a week and why.
    individualise: tuple[int, int, str] | None = None
    # A status change after the sessions: (status, days ago, reason).
    status_change: tuple[str, int, str] | None = None


class PatientSpec(NamedTuple):
    full_name: str
    date_of_birth: datetime.date
    sex: str
    phone: str
    language: str
    family: tuple[str, str, str]  # name, relation, phone
    condition: str  # ICD-10 code
    onset_days_ago: int
    side: str = Side.NOT_APPLICABLE
    spinal_level: str = ""
    asia_grade: str = ""
    notes: str = ""
    plan: PlanSpec | None = None


D = datetime.date
M, F = Patient.Sex.MALE, Patient.Sex.FEMALE

# Kept as a table, one patient a block.
# fmt: off
PATIENTS = (
    # Stroke: PT-led early, OT-central late.
    PatientSpec(
        "Ramesh Kumar Gupta", D(1958, 3, 14), M, "+91 98301 45672", "Hindi",
        ("Sunita Gupta", "wife", "+91 98301 45673"), STROKE, 146, Side.RIGHT,
        notes="Left middle cerebral artery infarct; right-sided weakness, mild word-finding "
        "difficulty.",
        plan=PlanSpec(20, "dr.rao", "pt.sharma", "ot.menon", Concern.BOTH, (18, 12, 2)),
    ),
    PatientSpec(
        "Shyamal Chatterjee", D(1961, 8, 2), M, "+91 98310 22841", "Bengali",
        ("Arnab Chatterjee", "son", "+91 98310 22842"), STROKE, 116, Side.LEFT,
        notes="Right middle cerebral artery infarct; left-sided weakness and left neglect.",
        plan=PlanSpec(16, "dr.rao", "pt.das", "ot.bose", Concern.BOTH, (14, 8)),
    ),
    PatientSpec(
        "Kavita Joshi", D(1966, 11, 21), F, "+91 98711 30457", "Hindi",
        ("Mahesh Joshi", "husband", "+91 98711 30458"), STROKE, 81, Side.RIGHT,
        notes="Left hemisphere infarct; right arm weaker than leg.",
        plan=PlanSpec(
            11, "dr.iyer", "pt.khan", "ot.pillai", Concern.BOTH, (9, 3),
            individualise=(
                4,
                5,
                "Still unsteady on uneven ground and wants to walk to the temple again: one "
                "extra PT session a week while balance catches up. OT unchanged.",
            ),
        ),
    ),
    PatientSpec(
        "Abdul Rahman Sheikh", D(1955, 5, 9), M, "+91 98360 71294", "Hindi",
        ("Nazia Sheikh", "daughter", "+91 98360 71295"), STROKE, 45, Side.LEFT,
        notes="Right hemisphere infarct; left-sided weakness.",
        plan=PlanSpec(6, "dr.rao", "pt.sharma", "ot.bose", Concern.BOTH, (4,)),
    ),
    PatientSpec(
        "Meenakshi Subramanian", D(1963, 1, 30), F, "+91 98400 58316", "Tamil",
        ("Divya Subramanian", "daughter", "+91 98400 58317"), STROKE, 17, Side.LEFT,
        notes="Right middle cerebral artery infarct; left arm and leg weak.",
        plan=PlanSpec(2, "dr.iyer", "pt.das", "ot.menon", Concern.BOTH),
    ),
    PatientSpec(
        "Tapan Mukherjee", D(1952, 7, 17), M, "", "Bengali",
        ("Ruma Mukherjee", "wife", "+91 98302 66120"), STROKE, 10, Side.RIGHT,
        notes="Left internal capsule infarct; right-sided weakness.",
        plan=PlanSpec(1, "dr.rao", "pt.khan", "ot.bose", Concern.BOTH),
    ),
    # Spinal cord injury.
    PatientSpec(
        "Vikrant Singh Rathore", D(1994, 9, 3), M, "+91 98290 14538", "Hindi",
        ("Mahendra Singh Rathore", "father", "+91 98290 14539"), SCI, 108,
        spinal_level="T10", asia_grade="A",
        notes="Fall from scaffolding; T10 fracture fixed surgically. Paraplegia.",
        plan=PlanSpec(
            14, "dr.rao", "pt.das", "ot.pillai", Concern.DAILY_INDEPENDENCE, (12, 2)
        ),
    ),
    PatientSpec(
        "Sayantan Ghosh", D(1999, 12, 11), M, "+91 98303 87604", "Bengali",
        ("Sharmila Ghosh", "mother", "+91 98303 87605"), SCI, 66,
        spinal_level="C6", asia_grade="C",
        notes="Diving injury; C6 motor incomplete.",
        plan=PlanSpec(8, "dr.rao", "pt.sharma", "ot.menon", Concern.BOTH, (6,)),
    ),
    PatientSpec(
        "Pooja Verma", D(1988, 6, 25), F, "+91 98112 40963", "Hindi",
        ("Rohit Verma", "husband", "+91 98112 40964"), SCI, 80,
        spinal_level="L1", asia_grade="D",
        notes="Road traffic accident; L1 burst fracture.",
        plan=PlanSpec(
            10, "dr.iyer", "pt.khan", "ot.bose", Concern.DAILY_INDEPENDENCE, (8,),
            status_change=(
                Status.ON_HOLD,
                5,
                "Admitted to a general hospital with a urinary tract infection; resume when "
                "medically fit.",
            ),
        ),
    ),
    PatientSpec(
        "Mohammed Irfan Ansari", D(1985, 2, 18), M, "+91 98187 35210", "Hindi",
        ("Salim Ansari", "brother", "+91 98187 35211"), SCI, 12,
        spinal_level="T6", asia_grade="B",
        notes="Fall from a roof; T6 sensory incomplete.",
        plan=PlanSpec(1, "dr.rao", "pt.das", "ot.pillai", Concern.DAILY_INDEPENDENCE),
    ),
    # Knee osteoarthritis: PT leads, OT teaches joint protection.
    PatientSpec(
        "Shanti Devi Agarwal", D(1956, 10, 5), F, "+91 98290 77431", "Hindi",
        ("Vikas Agarwal", "son", "+91 98290 77432"), KNEE_OA, 1095, Side.BILATERAL,
        notes="Both knees, right worse; stiff after sitting on the floor.",
        plan=PlanSpec(
            14, "dr.iyer", "pt.sharma", "ot.menon", Concern.PAIN_AND_MOVEMENT, (13, 7),
            status_change=(
                Status.COMPLETED,
                8,
                "Home exercise programme independent; knee pain down from 7 to 3 out of 10.",
            ),
        ),
    ),
    PatientSpec(
        "Padma Narayanan", D(1959, 12, 8), F, "+91 98450 19872", "English",
        ("Suresh Narayanan", "husband", "+91 98450 19873"), KNEE_OA, 1500, Side.BILATERAL,
        notes="Both knees; works at a bank counter, pain on stairs.",
        plan=PlanSpec(12, "dr.iyer", "pt.khan", "ot.pillai", Concern.PAIN_AND_MOVEMENT, (11, 5)),
    ),
    PatientSpec(
        "Anjali Banerjee", D(1962, 3, 28), F, "+91 98305 62048", "Bengali",
        ("Riya Banerjee", "daughter", "+91 98305 62049"), KNEE_OA, 900, Side.BILATERAL,
        notes="Both knees; kitchen work and puja on the floor are hard.",
        plan=PlanSpec(5, "dr.iyer", "pt.das", "ot.bose", Concern.BOTH, (4,)),
    ),
    PatientSpec(
        "Harish Chandra Pandey", D(1957, 6, 19), M, "+91 98390 28475", "Hindi",
        ("Geeta Pandey", "wife", "+91 98390 28476"), KNEE_OA, 2000, Side.BILATERAL,
        notes="Both knees; morning stiffness about 20 minutes.",
        plan=PlanSpec(1, "dr.iyer", "pt.sharma", "ot.menon", Concern.PAIN_AND_MOVEMENT),
    ),
    # Registered, no plan yet.
    PatientSpec(
        "Gopal Prasad Yadav", D(1960, 4, 12), M, "+91 98351 90317", "Hindi",
        ("Manoj Yadav", "son", "+91 98351 90318"), ICH, 20, Side.LEFT,
        notes="Right basal ganglia haemorrhage; left-sided weakness. Awaiting a protocol.",
    ),
    PatientSpec(
        "Subrata Sen", D(1950, 1, 22), M, "+91 98304 11586", "Bengali",
        ("Krishna Sen", "wife", "+91 98304 11587"), PARKINSONS, 1460,
        notes="Freezing when turning; two falls this year.",
    ),
    PatientSpec(
        "Usha Malhotra", D(1953, 9, 14), F, "+91 98100 64729", "Hindi",
        ("Karan Malhotra", "son", "+91 98100 64730"), PARKINSONS, 730,
        notes="Tremor in the right hand; handwriting getting smaller.",
    ),
    PatientSpec(
        "Neha Kapoor", D(1990, 4, 3), F, "+91 98205 37198", "English",
        ("Aditya Kapoor", "husband", "+91 98205 37199"), LOW_BACK_PAIN, 60,
        notes="Desk job; pain worse after long sitting, no leg symptoms.",
    ),
    PatientSpec(
        "Rohan Deshmukh", D(2001, 11, 14), M, "+91 98220 84613", "Marathi",
        ("Prakash Deshmukh", "father", "+91 98220 84614"), TBI, 35,
        notes="Two-wheeler accident; attention and memory problems, walking steady.",
    ),
    PatientSpec(
        "Kamala Reddy", D(1954, 8, 16), F, "+91 98490 52367", "Telugu",
        ("Srinivas Reddy", "son", "+91 98490 52368"), KNEE_REPLACEMENT, 21, Side.LEFT,
        notes="Left total knee replacement three weeks ago.",
    ),
)
# fmt: on


# --- Session notes ---------------------------------------------------------

# Short SOAP notes by protocol and discipline; {focus} is the session's focus areas.
# fmt: off
NOTES = {
    (STROKE, Discipline.PT): (
        ("Feels steadier today.", "Worked on {focus}. Stood 2 minutes with light support.",
         "Standing tolerance improving.", "Progress standing time."),
        ("Tired after a poor night.", "Worked on {focus}; needed longer rests.",
         "Fatigue limited the session.", "Same plan; ask the family about sleep."),
        ("Wants to walk to the bathroom alone.",
         "Worked on {focus}. Walked 10 m with a stick and one helper.",
         "Walking better; still needs supervision on turns.", "Practise turning."),
    ),
    (STROKE, Discipline.OT): (
        ("Managed a shirt with some help this morning.",
         "Worked on {focus}. Buttons still hard with the affected hand.",
         "Dressing needs less help than last week.", "Try a button hook at home."),
        ("Family says eating is slow but tidier.", "Worked on {focus}. Used a built-up spoon.",
         "Grip improving.", "Keep the adapted spoon at home."),
        ("Worried about the toilet at night.",
         "Worked on {focus}. Bed-to-chair transfer with one helper.",
         "Safe with supervision.", "Teach the family the transfer; suggest a night commode."),
    ),
    (SCI, Discipline.PT): (
        ("Shoulders sore after wheelchair practice.",
         "Worked on {focus}. Sat 2 minutes unsupported.", "Trunk control improving.",
         "Progress reaching outside the base of support."),
        ("Breathing feels easier.", "Worked on {focus}. Assisted cough practised.",
         "Chest clear.", "Breathing exercises twice a day."),
        ("Keen to try standing.",
         "Worked on {focus}. Standing frame 15 minutes, blood pressure stable.",
         "Tolerating standing well.", "Increase standing frame time."),
    ),
    (SCI, Discipline.OT): (
        ("Bladder routine going better.", "Worked on {focus}. Timed routine reviewed with family.",
         "Fewer accidents this week.", "Keep the routine; review in a week."),
        ("Bathroom door at home is too narrow.",
         "Worked on {focus}. Home measurements discussed with family.",
         "Needs a ramp and a wider bathroom door.", "Give the family a ramp and grab-bar plan."),
        ("Practised the wheelchair in the corridor.",
         "Worked on {focus}. Mounted a 5 cm kerb with spotting.",
         "Wheelchair skills progressing.", "Start outdoor routes."),
    ),
    (KNEE_OA, Discipline.PT): (
        ("Knees stiff in the morning, easier by noon.",
         "Worked on {focus}. Ten sit-to-stands without hands.", "Strength improving.",
         "Add step-ups to the home programme."),
        ("Pain after climbing the temple steps.", "Worked on {focus}. Lighter load; cycling.",
         "Flare settling.", "Pace stairs; rest after long walks."),
        ("Walking to the market again.", "Worked on {focus}. Walking pattern more even.",
         "Good progress.", "Continue; recheck pain score next week."),
    ),
    (KNEE_OA, Discipline.OT): (
        ("Sitting on the floor for puja is hard.", "Worked on {focus}. Tried a low stool.",
         "Less strain with the stool.", "Use the stool daily; review the kitchen next."),
        ("Kitchen work tires the knees.", "Worked on {focus}. Perching stool at the counter.",
         "Can cook seated part of the time.", "Cook in shorter spells."),
        ("Opening taps hurts the hands too.",
         "Worked on {focus}. Lever taps and light utensils shown.",
         "Family will fit lever taps.", "Check the fitting next session."),
    ),
}
# fmt: on
ABSENT_NOTE = "Family phoned: unwell today."
CANCELLED_NOTE = "Cancelled by the clinic (therapist covering the ward); rebooked."


# --- Helpers ---------------------------------------------------------------


def days_ago(days: int) -> datetime.date:
    """A clinic day that many days back; a Sunday moves back to the Saturday."""
    day = timezone.localdate() - datetime.timedelta(days=days)
    return day - datetime.timedelta(days=1) if day.weekday() == SUNDAY else day


def sessions_on(day: datetime.date, per_week: int) -> int:
    """How many sessions fall on a day when `per_week` are spread over Monday–Saturday."""
    return [i * WORKING_DAYS // per_week for i in range(per_week)].count(day.weekday())


def focus_phrase(areas: list[str]) -> str:
    return "; ".join(area[0].lower() + area[1:] for area in areas) or "the stage goals"


def reset_sequences(*models) -> None:
    """After rows are given fixed ids, make the next automatic id follow them (PostgreSQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def seed_staff() -> dict[str, User]:
    sync_roles()
    groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
    users = {}
    for member in STAFF:
        is_admin = member.role is None
        fields = {
            "title": member.title,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "email": f"{member.username}@clinic.example",
            "is_active": True,
            "is_staff": is_admin,
            "is_superuser": is_admin,
        }
        user, _ = User.objects.update_or_create(
            username=member.username,
            defaults=fields,
            create_defaults={**fields, "pk": member.pk},
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        user.groups.set([] if is_admin else [groups[member.role]])
        users[member.username] = user
    reset_sequences(User)
    return users


def load_fixtures() -> None:
    # Full paths: the project's fixtures folder is not in FIXTURE_DIRS. The protocols
    # name their author by username (a natural key), so the staff must exist first.
    paths = [str(settings.BASE_DIR / "fixtures" / name) for name in FIXTURES]
    call_command("loaddata", *paths, verbosity=0)


def seed_patient(spec: PatientSpec) -> tuple[Diagnosis, bool]:
    """The patient and primary diagnosis, found by name and birth date or created."""
    patient = Patient.objects.filter(
        full_name=spec.full_name, date_of_birth=spec.date_of_birth
    ).first()
    created = patient is None
    if created:
        family_name, relation, family_phone = spec.family
        patient = Patient(
            full_name=spec.full_name,
            date_of_birth=spec.date_of_birth,
            sex=spec.sex,
            phone=spec.phone,
            preferred_language=spec.language,
            family_contact_name=family_name,
            family_contact_relation=relation,
            family_contact_phone=family_phone,
        )
        patient.full_clean()
        patient.save()
        # Registered when they came to the clinic: a few days before their plan
        # started, or a week after onset for someone not on a plan yet.
        days = spec.plan.start_weeks_ago * 7 + 3 if spec.plan else max(spec.onset_days_ago - 7, 0)
        registered = timezone.make_aware(
            datetime.datetime.combine(days_ago(days), datetime.time(10, 30))
        )
        Patient.objects.filter(pk=patient.pk).update(created_at=registered)
    condition = Condition.objects.get(icd10_code=spec.condition)
    diagnosis = patient.diagnoses.filter(condition=condition).order_by("-is_primary").first()
    if diagnosis is None:
        diagnosis = Diagnosis(
            patient=patient,
            condition=condition,
            onset_date=days_ago(spec.onset_days_ago),
            affected_side=spec.side,
            spinal_cord_level=spec.spinal_level,
            asia_grade=spec.asia_grade,
            notes=spec.notes,
            is_primary=True,
        )
        diagnosis.full_clean()
        diagnosis.save()
    return diagnosis, created


def start_demo_plan(spec: PlanSpec, diagnosis: Diagnosis, users: dict[str, User]) -> RehabPlan:
    """Start the plan on the condition's published protocol and walk it to its stage."""
    physician = users[spec.physician]
    protocol = (
        Protocol.objects.filter(condition=diagnosis.condition, status=Protocol.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    if protocol is None:
        raise CommandError(f"No published protocol for {diagnosis.condition}.")
    plan = services.start_plan(
        patient=diagnosis.patient,
        diagnosis=diagnosis,
        protocol=protocol,
        lead_physician=physician,
        start_date=days_ago(spec.start_weeks_ago * 7),
        primary_concern=spec.primary_concern,
        physiotherapist=users[spec.physiotherapist],
        occupational_therapist=users[spec.occupational_therapist],
    )
    for weeks in spec.advanced_weeks_ago:
        services.advance_stage(
            plan=plan, by=physician, reason="Exit criteria met.", effective_date=days_ago(weeks * 7)
        )
    if spec.individualise:
        pt, ot, reason = spec.individualise
        services.individualise_stage_mix(
            stage=plan.stages.get(status=PlanStage.Status.CURRENT),
            pt_sessions_per_week=pt,
            ot_sessions_per_week=ot,
            reason=reason,
            by=physician,
        )
    return plan


def pick_attendance(rng: random.Random) -> str:
    roll = rng.random()
    for attendance, rate in MISSED_RATE.items():
        if roll < rate:
            return attendance
        roll -= rate
    return TherapySession.Attendance.ATTENDED


def log_one_session(
    *, plan, stage, therapist, day, start_time, condition_code, rng: random.Random
) -> TherapySession:
    discipline = therapist.discipline
    planned = stage.minutes_per_session(discipline)
    attendance = pick_attendance(rng)
    common = {
        "plan": plan,
        "therapist": therapist,
        "logged_by": therapist,
        "date": day,
        "start_time": start_time,
        "attendance": attendance,
    }
    if attendance != TherapySession.Attendance.ATTENDED:
        # As the one-click "missed" button does: the planned length is recorded.
        note = {"subjective": ABSENT_NOTE}
        if attendance == TherapySession.Attendance.CANCELLED_BY_CLINIC:
            note = {"plan_notes": CANCELLED_NOTE}
        return services.log_session(duration_minutes=planned, **common, **note)
    areas = stage.focus_areas(discipline)
    focus = rng.sample(areas, k=min(2, len(areas)))
    subjective, objective, assessment, plan_notes = rng.choice(NOTES[condition_code, discipline])
    pain = {}
    if condition_code == KNEE_OA:
        weeks_in = (day - plan.start_date).days // 7
        before = min(9, max(2, 7 - weeks_in // 2 + rng.randint(-1, 1)))
        pain = {"pain_before": before, "pain_after": max(0, before - rng.randint(1, 2))}
    return services.log_session(
        duration_minutes=max(15, planned + rng.choice((-10, -5, 0, 0, 0, 5))),
        focus_areas=focus,
        subjective=subjective,
        objective=objective.format(focus=focus_phrase(focus)),
        assessment=assessment,
        plan_notes=plan_notes,
        **common,
        **pain,
    )


def log_demo_sessions(
    plan: RehabPlan,
    spec: PlanSpec,
    users: dict[str, User],
    slots: dict[str, datetime.time],
    rng: random.Random,
) -> int:
    """About four weeks of sessions up to yesterday (or up to a later status change)."""
    plan = RehabPlan.objects.prefetch_related("stages").get(pk=plan.pk)
    last = days_ago(1)
    if spec.status_change:
        last = min(last, days_ago(spec.status_change[1]) - datetime.timedelta(days=1))
    first = max(plan.start_date, last - datetime.timedelta(days=SESSION_WINDOW_DAYS - 1))
    therapists = (users[spec.physiotherapist], users[spec.occupational_therapist])
    code = plan.diagnosis.condition.icd10_code
    logged = 0
    day = first
    while day <= last:
        stage = plan.stage_on(day)
        for therapist in therapists:
            per_week = stage.sessions_per_week(therapist.discipline)
            for _ in range(sessions_on(day, per_week)):
                log_one_session(
                    plan=plan,
                    stage=stage,
                    therapist=therapist,
                    day=day,
                    start_time=slots[therapist.discipline],
                    condition_code=code,
                    rng=rng,
                )
                logged += 1
        day += datetime.timedelta(days=1)
    backdate_entries(plan)
    return logged


def backdate_entries(plan: RehabPlan) -> None:
    """Demo entries were written up on the day of the session, as in a real clinic,
    so today's worklist and the 24-hour correction window look right."""
    sessions = list(plan.sessions.all())
    for session in sessions:
        written_up = datetime.datetime.combine(
            session.date, session.start_time or datetime.time(12)
        ) + datetime.timedelta(hours=1)
        session.created_at = session.updated_at = timezone.make_aware(written_up)
    TherapySession.objects.bulk_update(sessions, ["created_at", "updated_at"])


def session_slots() -> dict[str, dict[str, datetime.time]]:
    """Each plan's PT and OT start times, so no therapist is double-booked."""
    busy: dict[str, set] = {}
    slots = {}
    for spec in PATIENTS:
        if spec.plan is None:
            continue
        pt, ot = spec.plan.physiotherapist, spec.plan.occupational_therapist
        pt_slot = next(s for s in SLOTS if s not in busy.setdefault(pt, set()))
        busy[pt].add(pt_slot)
        ot_slot = next(s for s in SLOTS if s not in busy.setdefault(ot, set()) | {pt_slot})
        busy[ot].add(ot_slot)
        slots[spec.full_name] = {Discipline.PT: pt_slot, Discipline.OT: ot_slot}
    return slots


def seed_patients_and_plans(users: dict[str, User]) -> dict[str, int]:
    rng = random.Random(RANDOM_SEED)
    slots = session_slots()
    done = {"patients": 0, "plans": 0, "sessions": 0}
    for spec in PATIENTS:
        diagnosis, created = seed_patient(spec)
        done["patients"] += created
        if spec.plan is None:
            continue
        plan = diagnosis.plans.order_by("-start_date").first()
        new_plan = plan is None
        if new_plan:
            plan = start_demo_plan(spec.plan, diagnosis, users)
            done["plans"] += 1
        if plan.status == Status.ACTIVE and not plan.sessions.exists():
            done["sessions"] += log_demo_sessions(
                plan, spec.plan, users, slots[spec.full_name], rng
            )
        if new_plan and spec.plan.status_change:
            status, days, reason = spec.plan.status_change
            services.change_plan_status(
                plan=plan,
                status=status,
                by=users[spec.plan.physician],
                reason=reason,
                effective_date=days_ago(days),
            )
    return done


# --- The command -----------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Load the demo clinic (staff, conditions, protocols, patients, plans, sessions). "
        "Illustrative data, not clinical guidance; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet", action="store_true", help="Do not print the demo logins table."
        )

    def handle(self, *args, quiet: bool = False, **options):
        with transaction.atomic():
            users = seed_staff()
            load_fixtures()
            done = seed_patients_and_plans(users)
            # Capabilities built on plans (measures, timetable) add their demo data.
            for _receiver, lines in signals.demo_clinic_seeded.send(sender=RehabPlan, users=users):
                done.setdefault("extra", []).extend(lines or [])
        self.print_summary(done)
        if not quiet:
            self.print_logins()

    def print_summary(self, done: dict[str, int]) -> None:
        plans = RehabPlan.objects
        sessions = TherapySession.objects
        by_status = ", ".join(
            f"{plans.filter(status=status).count()} {label.lower()}"
            for status, label in Status.choices
        )
        missed = sessions.exclude(attendance=TherapySession.Attendance.ATTENDED).count()
        lines = [
            "Demo clinic ready (illustrative data, not clinical guidance).",
            f"  Staff:       {len(STAFF)} demo accounts",
            f"  Conditions:  {Condition.objects.count()}",
            f"  Protocols:   {Protocol.objects.count()} ({ProtocolStage.objects.count()} stages)",
            f"  Patients:    {Patient.objects.count()} ({done['patients']} new), "
            f"{Diagnosis.objects.count()} diagnoses",
            f"  Plans:       {plans.count()} ({done['plans']} new): {by_status}",
            f"               {PlanStage.objects.count()} plan stages, "
            f"{SessionAllocation.objects.count()} allocations, "
            f"{StageTransition.objects.count()} stage changes, "
            f"{StageMixChange.objects.count()} individualised mixes",
            f"  Sessions:    {sessions.count()} ({done['sessions']} new), {missed} missed",
        ]
        lines.extend(f"  {line}" for line in done.get("extra", []))
        self.stdout.write("\n".join(lines))

    def print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password for local use only: {DEMO_PASSWORD})")
        self.stdout.write(f"  {'username':<12} {'role':<26} password")
        for member in STAFF:
            role = member.role or "Administrator (superuser)"
            self.stdout.write(f"  {member.username:<12} {role:<26} {DEMO_PASSWORD}")
