"""The demo clinic's measured exit criteria, assessments and goals.

Illustrative data, not clinical guidance. The scores tell the usual story of
neuro-rehabilitation: balance and walking improve first, independence in daily
tasks follows. Some plans come out ready to move on (their stage's criteria met
and its minimum time passed), some past their typical time without being ready:
two patients of this module's own are started for that.

Idempotent: criteria are updated in place, a plan gets assessments only if it has
none and goals only if it has none; everything goes through `outcomes.services`
and `plans.services`, as the pages do.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from outcomes import measures, services
from outcomes.models import Goal, StageExitCriterion, StageProgressionRule
from plans.management.commands import seed_demo
from plans.management.commands.seed_demo import (
    KNEE_OA,
    SCI,
    STROKE,
    PatientSpec,
    PlanSpec,
    days_ago,
)
from plans.models import Protocol, RehabPlan
from rehab.models import Discipline

AT_LEAST, AT_MOST = StageExitCriterion.Comparison.AT_LEAST, StageExitCriterion.Comparison.AT_MOST

# (condition, stage order): minimum weeks and the measured criteria. Stroke follows
# the reference table; the others translate its written criteria into scores.
EXIT_RULES = {
    (STROKE, 1): (1, []),
    (STROKE, 2): (3, [("berg", AT_LEAST, "45"), ("ten_metre_walk", AT_LEAST, "0.40")]),
    (STROKE, 3): (4, [("barthel", AT_LEAST, "75")]),
    (STROKE, 4): (6, [("gas", AT_LEAST, "50")]),
    (SCI, 1): (1, []),
    # "Independent transfers and wheelchair skills": illustratively Barthel 60 or more.
    (SCI, 2): (6, [("barthel", AT_LEAST, "60")]),
    (SCI, 3): (12, [("gas", AT_LEAST, "50")]),
    (KNEE_OA, 1): (1, []),
    # "Pain down 2 points, TUG faster by more than 1.1 s" from a typical start of 6–7
    # and 12–13 s: illustratively pain 4 or less and TUG 11 s or less.
    (KNEE_OA, 2): (4, [("nprs", AT_MOST, "4"), ("tug", AT_MOST, "11.0")]),
    (KNEE_OA, 3): (4, []),
}

# Two patients of this module's own, whose stage has run past its typical time
# without the criteria being met.
EXTRA_PATIENTS = (
    PatientSpec(
        "Suresh Iyengar",
        datetime.date(1954, 2, 7),
        seed_demo.M,
        "+91 98401 26473",
        "Tamil",
        ("Revathi Iyengar", "wife", "+91 98401 26474"),
        STROKE,
        90,
        seed_demo.Side.RIGHT,
        notes="Left hemisphere infarct; right-sided weakness, diabetic.",
        plan=PlanSpec(12, "dr.iyer", "pt.khan", "ot.menon", seed_demo.Concern.BOTH, (10,)),
    ),
    PatientSpec(
        "Lata Deshpande",
        datetime.date(1958, 9, 23),
        seed_demo.F,
        "+91 98221 60318",
        "Marathi",
        ("Amol Deshpande", "son", "+91 98221 60319"),
        KNEE_OA,
        1200,
        seed_demo.Side.BILATERAL,
        notes="Both knees, left worse; pain on the stairs at home.",
        plan=PlanSpec(
            10, "dr.rao", "pt.sharma", "ot.pillai", seed_demo.Concern.PAIN_AND_MOVEMENT, (9,)
        ),
    ),
)

# Per patient: (days ago, {measure: total}). Balance and walking first, then independence.
# fmt: off
STORIES = {
    "Ramesh Kumar Gupta": [
        (138, {"berg": 12, "barthel": 25, "modified_rankin": 4}),
        (124, {"berg": 24, "ten_metre_walk": "0.18", "barthel": 35}),
        (98, {"berg": 38, "ten_metre_walk": "0.32", "tug": "24.5", "barthel": 45}),
        (86, {"berg": 47, "ten_metre_walk": "0.52", "tug": "16.2", "barthel": 55}),
        (56, {"berg": 50, "ten_metre_walk": "0.68", "tug": "13.0", "barthel": 70,
              "modified_rankin": 3}),
        (20, {"berg": 52, "ten_metre_walk": "0.82", "tug": "11.4", "barthel": 85,
              "modified_rankin": 2}),
        (6, {"barthel": 90}),
    ],
    "Shyamal Chatterjee": [
        (110, {"berg": 18, "barthel": 25, "modified_rankin": 4}),
        (95, {"berg": 30, "ten_metre_walk": "0.22", "barthel": 35}),
        (70, {"berg": 44, "ten_metre_walk": "0.38", "barthel": 50}),
        (58, {"berg": 46, "ten_metre_walk": "0.45", "barthel": 55}),
        (35, {"berg": 49, "ten_metre_walk": "0.58", "tug": "15.0", "barthel": 65}),
        (8, {"berg": 51, "ten_metre_walk": "0.70", "tug": "12.6", "barthel": 80}),
    ],
    "Kavita Joshi": [
        (75, {"berg": 20, "barthel": 30, "modified_rankin": 4}),
        (60, {"berg": 33, "ten_metre_walk": "0.25", "barthel": 40}),
        (24, {"berg": 45, "ten_metre_walk": "0.42", "barthel": 50}),
        (7, {"berg": 47, "ten_metre_walk": "0.50", "tug": "14.8", "barthel": 60}),
    ],
    "Abdul Rahman Sheikh": [
        (40, {"berg": 16, "barthel": 25, "modified_rankin": 4}),
        (27, {"berg": 30, "ten_metre_walk": "0.24", "barthel": 35}),
        (13, {"berg": 41, "ten_metre_walk": "0.36", "barthel": 40}),
        (3, {"berg": 47, "ten_metre_walk": "0.46", "barthel": 50}),
    ],
    "Meenakshi Subramanian": [
        (13, {"berg": 15, "barthel": 30, "modified_rankin": 4}),
        (4, {"berg": 22, "barthel": 35}),
    ],
    "Tapan Mukherjee": [(6, {"berg": 10, "barthel": 20, "modified_rankin": 4})],
    "Vikrant Singh Rathore": [
        (96, {"barthel": 15}), (70, {"barthel": 30}), (42, {"barthel": 50}),
        (18, {"barthel": 65}), (5, {"barthel": 70}),
    ],
    "Sayantan Ghosh": [
        (55, {"barthel": 10}), (40, {"barthel": 20}), (20, {"barthel": 35}),
        (6, {"barthel": 45}),
    ],
    "Mohammed Irfan Ansari": [(6, {"barthel": 15})],
    "Padma Narayanan": [
        (83, {"nprs": 7, "tug": "13.2"}), (60, {"nprs": 5, "tug": "12.0"}),
        (38, {"nprs": 4, "tug": "10.9"}), (10, {"nprs": 3, "tug": "9.8"}),
    ],
    "Anjali Banerjee": [
        (34, {"nprs": 7, "tug": "12.6"}), (17, {"nprs": 5, "tug": "11.6"}),
        (4, {"nprs": 4, "tug": "10.6"}),
    ],
    "Harish Chandra Pandey": [(6, {"nprs": 7, "tug": "12.8"})],
    "Suresh Iyengar": [
        (82, {"berg": 14, "barthel": 25, "modified_rankin": 4}),
        (66, {"berg": 26, "ten_metre_walk": "0.20", "barthel": 35}),
        (42, {"berg": 35, "ten_metre_walk": "0.28", "barthel": 40}),
        (10, {"berg": 40, "ten_metre_walk": "0.34", "barthel": 45}),
    ],
    "Lata Deshpande": [
        (69, {"nprs": 7, "tug": "13.6"}), (40, {"nprs": 6, "tug": "13.0"}),
        (9, {"nprs": 6, "tug": "12.7"}),
    ],
}

# Goals by condition: (discipline, family, description, measure, target).
GOALS = {
    STROKE: [
        ("PT", "move_better", "Walk to the bathroom and back with a stick, without help",
         "ten_metre_walk", "0.40"),
        ("OT", "live_independently", "Dress the upper body without help", "barthel", "75"),
        ("OT", "feel_confident", "Feel safe getting out of bed at night", "", None),
    ],
    SCI: [
        ("OT", "live_independently", "Move from bed to wheelchair without help", "barthel", "60"),
        ("PT", "move_better", "Sit unsupported for five minutes while reaching", "", None),
        ("OT", "feel_confident", "Go to the market in the wheelchair with the family", "", None),
    ],
    KNEE_OA: [
        ("PT", "move_better", "Climb the temple steps holding the rail", "tug", "11.0"),
        ("PT", "feel_confident", "Pain 3 out of 10 or less on most days", "nprs", "3"),
        ("OT", "live_independently", "Cook a meal sitting at the counter", "", None),
    ],
}
# Goals scored at review (−2…+2), for the plan in its last stage.
GAS_REVIEWS = {"Ramesh Kumar Gupta": ((-1, 5), (0, 5), (-1, 5))}
# fmt: on

# Who records each measure: the plan's PT, its OT, or its physician.
RECORDED_BY = {
    "berg": Discipline.PT,
    "ten_metre_walk": Discipline.PT,
    "tug": Discipline.PT,
    "nprs": Discipline.PT,
    "barthel": Discipline.OT,
    "modified_rankin": None,
}
# Items fill in this order as a patient recovers (continence and feeding first).
BARTHEL_RECOVERY = (
    "bladder", "bowels", "feeding", "grooming", "transfers", "toilet_use", "mobility",
    "dressing", "bathing", "stairs",
)  # fmt: skip


def items_for(measure: measures.Measure, total) -> dict:
    """Item scores that add up to a story's total."""
    if measure.key in ("barthel", "berg"):
        order = BARTHEL_RECOVERY if measure.key == "barthel" else [i.key for i in measure.items]
        values = {item.key: 0 for item in measure.items}
        remaining = int(total)
        if remaining % (5 if measure.key == "barthel" else 1):
            raise ValueError(f"A Barthel total is a multiple of 5, not {total}.")
        while remaining > 0:
            for key in order:
                allowed = [v for v in measure.item(key).allowed_values if v > values[key]]
                if remaining and allowed and allowed[0] - values[key] <= remaining:
                    remaining -= allowed[0] - values[key]
                    values[key] = allowed[0]
        return values
    if measure.key == "ten_metre_walk":
        seconds = (Decimal(10) / Decimal(total)).quantize(Decimal("0.01"))
        return {"pace": "comfortable", "seconds": str(seconds)}
    return {measure.items[0].key: total}


def seed_exit_rules() -> int:
    made = 0
    for (condition, order), (minimum, criteria) in EXIT_RULES.items():
        protocols = Protocol.objects.filter(
            condition__icd10_code=condition, status=Protocol.Status.PUBLISHED
        )
        for protocol in protocols:
            stage = protocol.stages.filter(order=order).first()
            if stage is None:
                continue
            StageProgressionRule.objects.update_or_create(
                protocol_stage=stage, defaults={"minimum_weeks": minimum}
            )
            for key, comparison, value in criteria:
                _, created = StageExitCriterion.objects.update_or_create(
                    protocol_stage=stage,
                    measure=key,
                    comparison=comparison,
                    defaults={"value": Decimal(value)},
                )
                made += created
    return made


def seed_extra_patients(users) -> int:
    """Start this module's own demo patients' plans, with about four weeks of sessions."""
    slots = seed_demo.session_slots()
    busy: dict[str, set] = {}
    for spec in seed_demo.PATIENTS:
        if spec.plan:
            times = slots[spec.full_name]
            busy.setdefault(spec.plan.physiotherapist, set()).add(times[Discipline.PT])
            busy.setdefault(spec.plan.occupational_therapist, set()).add(times[Discipline.OT])
    started = 0
    rng = random.Random(seed_demo.RANDOM_SEED + 5)
    for spec in EXTRA_PATIENTS:
        diagnosis, _ = seed_demo.seed_patient(spec)
        if diagnosis.plans.exists():
            continue
        pt, ot = spec.plan.physiotherapist, spec.plan.occupational_therapist
        pt_slot = next(s for s in seed_demo.SLOTS if s not in busy.setdefault(pt, set()))
        busy[pt].add(pt_slot)
        ot_slot = next(
            s for s in seed_demo.SLOTS if s not in busy.setdefault(ot, set()) | {pt_slot}
        )
        busy[ot].add(ot_slot)
        plan = seed_demo.start_demo_plan(spec.plan, diagnosis, users)
        seed_demo.log_demo_sessions(
            plan, spec.plan, users, {Discipline.PT: pt_slot, Discipline.OT: ot_slot}, rng
        )
        started += 1
    return started


def _assessor(plan: RehabPlan, key: str):
    discipline = RECORDED_BY[key]
    if discipline is None:
        return plan.lead_physician
    return plan.allocated_therapist(discipline) or plan.lead_physician


def seed_assessments(plan: RehabPlan, story) -> int:
    recorded = 0
    for days, totals in story:
        day = max(days_ago(days), plan.start_date)
        for key, total in totals.items():
            measure = measures.get(key)
            services.record_assessment(
                plan=plan,
                measure_key=key,
                assessor=_assessor(plan, key),
                date=day,
                item_scores=items_for(measure, total),
            )
            recorded += 1
    return recorded


def seed_goals(plan: RehabPlan, condition: str, reviews) -> int:
    today = timezone.localdate()
    made = 0
    for index, (discipline, family, description, key, target) in enumerate(GOALS[condition]):
        fields = {}
        if reviews and index < len(reviews):
            score, reviewed_days_ago = reviews[index]
            fields = {"gas_score": score, "reviewed_on": days_ago(reviewed_days_ago)}
        services.save_goal(
            plan=plan,
            by=plan.allocated_therapist(discipline) or plan.lead_physician,
            discipline=discipline,
            family=family,
            description=description,
            target_date=today + datetime.timedelta(weeks=4),
            status=Goal.Status.IN_PROGRESS,
            measure=key,
            target_value=Decimal(target) if target else None,
            **fields,
        )
        made += 1
    return made


def seed_outcomes(users) -> list[str]:
    criteria = seed_exit_rules()
    extra = seed_extra_patients(users)
    assessed = goals = 0
    plans = (
        RehabPlan.objects.filter(
            status=RehabPlan.Status.ACTIVE, patient__full_name__in=list(STORIES)
        )
        .select_related("patient", "diagnosis__condition", "lead_physician")
        .prefetch_related("stages__allocations__therapist")
    )
    for plan in plans:
        name = plan.patient.full_name
        if not plan.assessments.exists():
            assessed += seed_assessments(plan, STORIES[name])
        condition = plan.diagnosis.condition.icd10_code
        if condition in GOALS and not plan.goals.exists():
            goals += seed_goals(plan, condition, GAS_REVIEWS.get(name))
    return [
        f"Outcomes:    {criteria} new exit criteria, {extra} new patients past their "
        f"stage's typical time, {assessed} new assessments, {goals} new goals",
    ]
