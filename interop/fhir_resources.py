"""The clinic's records as HL7 FHIR R4 resources (plain dicts, serialised as JSON).

Mapping notes: /work/shared/clinical-reference.md ("HL7 FHIR R4 mapping").
Every function reads already-fetched objects: the views fetch with
select_related/prefetch_related so a search costs a fixed number of queries.

`base` is the server's FHIR base URL (e.g. https://clinic.example/fhir); the
clinic's own identifier and code systems live under it.
"""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.text import slugify

from outcomes import measures
from outcomes.models import Goal
from plans.models import PlanStage, Protocol, RehabPlan
from plans.selectors import mix_timeline
from rehab.models import Discipline

FHIR_VERSION = "4.0.1"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
USAGE_CONTEXT_TYPE = "http://terminology.hl7.org/CodeSystem/usage-context-type"
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
# Units of the measures and their items as UCUM codes; a score has no unit.
UCUM_UNITS = {"s": "s", "seconds": "s", "m/s": "m/s"}

# SNOMED CT procedures for the two disciplines (regime/therapy hierarchy).
SNOMED_DISCIPLINE = {
    Discipline.PT: ("91251008", "Physical therapy procedure"),
    Discipline.OT: ("84478008", "Occupational therapy"),
}
THERAPIST_ROLE = {Discipline.PT: "Physiotherapist", Discipline.OT: "Occupational therapist"}

PROTOCOL_STATUS = {
    Protocol.Status.DRAFT: "draft",
    Protocol.Status.PUBLISHED: "active",
    Protocol.Status.RETIRED: "retired",
}
PLAN_STATUS = {
    RehabPlan.Status.ACTIVE: "active",
    RehabPlan.Status.ON_HOLD: "on-hold",
    RehabPlan.Status.COMPLETED: "completed",
    RehabPlan.Status.DISCONTINUED: "revoked",
}
STAGE_ACTIVITY_STATUS = {
    PlanStage.Status.UPCOMING: "not-started",
    PlanStage.Status.CURRENT: "in-progress",
    PlanStage.Status.DONE: "completed",
}
GENDER = {"female": "female", "male": "male", "other": "other"}
# Goal.status as FHIR's lifecycle and achievement; a goal not started yet has no achievement.
GOAL_LIFECYCLE = {
    Goal.Status.NOT_STARTED: "planned",
    Goal.Status.IN_PROGRESS: "active",
    Goal.Status.ACHIEVED: "completed",
    Goal.Status.DISCONTINUED: "cancelled",
}
GOAL_ACHIEVEMENT_STATUS = {
    Goal.Status.IN_PROGRESS: ("in-progress", "In Progress"),
    Goal.Status.ACHIEVED: ("achieved", "Achieved"),
    Goal.Status.DISCONTINUED: ("not-achieved", "Not Achieved"),
}


def local_system(base: str, name: str) -> str:
    return f"{base}/CodeSystem/{name}"


def record_number_system(base: str) -> str:
    return f"{base}/sid/record-number"


def reference(resource_type: str, pk, display: str = "") -> dict:
    ref = {"reference": f"{resource_type}/{pk}"}
    if display:
        ref["display"] = display
    return ref


def staff_reference(user) -> dict:
    """A physician or therapist: their Practitioner resource, with their name."""
    return reference("Practitioner", user.pk, user.display_name)


def practitioner_resource(user, base: str) -> dict:
    """A member of the clinic's staff: name and role, nothing to reach them by."""
    name = {"text": user.display_name}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    if user.title:
        name["prefix"] = [user.title]
    resource = {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "identifier": [{"system": local_system(base, "staff"), "value": user.username}],
        "active": user.is_active,
        "name": [name],
    }
    if user.role_names:
        resource["qualification"] = [
            {
                "code": {
                    "coding": [{"system": local_system(base, "role"), "code": slugify(role)}],
                    "text": role,
                }
            }
            for role in sorted(user.role_names)
        ]
    return resource


def discipline_concept(base: str, discipline: str) -> dict:
    snomed_code, snomed_display = SNOMED_DISCIPLINE[discipline]
    label = Discipline(discipline).label
    return {
        "coding": [
            {"system": local_system(base, "discipline"), "code": discipline, "display": label},
            {"system": SNOMED, "code": snomed_code, "display": snomed_display},
        ],
        "text": label,
    }


def weekly_timing(sessions: int, minutes: int, bounds: dict | None = None) -> dict:
    """Sessions a week as Timing.repeat: frequency n per 1 week, each `minutes` long."""
    repeat = {
        "frequency": sessions,
        "period": 1,
        "periodUnit": "wk",
        "duration": minutes,
        "durationUnit": "min",
    }
    if bounds:
        repeat["boundsPeriod"] = bounds
    return {"repeat": repeat}


def period(start: datetime.date | None, end: datetime.date | None) -> dict:
    result = {}
    if start:
        result["start"] = start.isoformat()
    if end:
        result["end"] = end.isoformat()
    return result


def instant(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat()


# --- Patient and Condition ---------------------------------------------------


def patient_resource(patient, base: str) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"lastUpdated": instant(patient.updated_at)},
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {
                            "system": V2_IDENTIFIER_TYPE,
                            "code": "MR",
                            "display": "Medical record number",
                        }
                    ],
                    "text": "Medical record number",
                },
                "system": record_number_system(base),
                "value": patient.record_number,
            }
        ],
        "active": patient.is_active,
        "name": [{"use": "official", "text": patient.full_name}],
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
    }
    if patient.phone:
        resource["telecom"] = [{"system": "phone", "value": patient.phone}]
    if patient.family_contact_name:
        contact = {"name": {"text": patient.family_contact_name}}
        if patient.family_contact_relation:
            contact["relationship"] = [{"text": patient.family_contact_relation}]
        if patient.family_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.family_contact_phone}]
        resource["contact"] = [contact]
    if patient.preferred_language:
        resource["communication"] = [
            {"language": {"text": patient.preferred_language}, "preferred": True}
        ]
    return resource


def condition_resource(diagnosis, base: str) -> dict:
    """A diagnosis: the ICD-10 code, onset, the affected side and spinal level where known."""
    condition = diagnosis.condition
    resource = {
        "resourceType": "Condition",
        "id": str(diagnosis.pk),
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]},
        "category": [
            {
                "coding": [
                    {
                        "system": CONDITION_CATEGORY,
                        "code": "encounter-diagnosis",
                        "display": "Encounter Diagnosis",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": ICD10, "code": condition.icd10_code, "display": condition.name}],
            "text": condition.name,
        },
        "subject": reference("Patient", diagnosis.patient_id, diagnosis.patient.full_name),
        "onsetDateTime": diagnosis.onset_date.isoformat(),
        "recordedDate": instant(diagnosis.created_at),
    }
    body_sites = []
    if diagnosis.side_label:
        body_sites.append({"text": f"{diagnosis.side_label} side"})
    if diagnosis.spinal_cord_level:
        body_sites.append(
            {"text": f"Spinal cord, neurological level {diagnosis.spinal_cord_level}"}
        )
    if body_sites:
        resource["bodySite"] = body_sites
    if diagnosis.asia_grade:
        resource["stage"] = [
            {
                "summary": {"text": f"ASIA Impairment Scale {diagnosis.get_asia_grade_display()}"},
                "type": {"text": "ASIA Impairment Scale"},
            }
        ]
    notes = []
    if diagnosis.is_primary:
        notes.append({"text": "Primary diagnosis: the one the rehab plan treats."})
    if diagnosis.notes:
        notes.append({"text": diagnosis.notes})
    if notes:
        resource["note"] = notes
    return resource


# --- PlanDefinition (a protocol version) ---------------------------------------


def plan_definition_url(protocol, base: str) -> str:
    """One canonical URL per protocol (all its versions); the version is separate."""
    return f"{base}/PlanDefinition/protocol-{protocol.condition_id}-{protocol_slug(protocol.name)}"


def protocol_slug(text: str) -> str:
    return slugify(text) or "protocol"


def _computable_name(text: str) -> str:
    words = "".join(part.capitalize() for part in protocol_slug(text).split("-"))
    return words if words[:1].isalpha() else f"Protocol{words}"


def _discipline_action(stage, discipline: str, base: str) -> dict | None:
    sessions = stage.sessions_per_week(discipline)
    if sessions < 1:
        # A discipline with no sessions in a stage has nothing to schedule.
        return None
    label = Discipline(discipline).label
    focus = stage.focus_areas(discipline)
    action = {
        "id": f"stage-{stage.order}-{discipline.lower()}",
        "title": f"{label}: {sessions} sessions a week",
        "code": [discipline_concept(base, discipline)],
        "timingTiming": weekly_timing(sessions, stage.minutes_per_session(discipline)),
        "participant": [{"type": "practitioner", "role": {"text": THERAPIST_ROLE[discipline]}}],
    }
    if focus:
        action["description"] = "Focus areas: " + "; ".join(focus) + "."
    return action


def plan_definition_resource(protocol, base: str) -> dict:
    """A protocol version: one action per stage with PT and OT sub-actions."""
    stages = list(protocol.stages.all())
    actions = []
    for stage in stages:
        action = {
            "id": f"stage-{stage.order}",
            "prefix": str(stage.order),
            "title": stage.name,
            "description": stage.goal,
            "timingDuration": {
                "value": stage.typical_weeks,
                "unit": "wk",
                "system": UCUM,
                "code": "wk",
            },
        }
        if stage.exit_criteria.strip():
            action["condition"] = [
                {
                    "kind": "stop",
                    "expression": {
                        "description": stage.exit_criteria.strip(),
                        "language": "text/plain",
                    },
                }
            ]
        if stage.order > 1:
            action["relatedAction"] = [
                {"actionId": f"stage-{stage.order - 1}", "relationship": "after-end"}
            ]
        sub_actions = [
            sub
            for discipline in (Discipline.PT, Discipline.OT)
            if (sub := _discipline_action(stage, discipline, base))
        ]
        if sub_actions:
            action["action"] = sub_actions
        actions.append(action)
    condition = protocol.condition
    resource = {
        "resourceType": "PlanDefinition",
        "id": str(protocol.pk),
        "meta": {"lastUpdated": instant(protocol.updated_at)},
        "url": plan_definition_url(protocol, base),
        "version": str(protocol.version),
        "name": _computable_name(protocol.name),
        "title": protocol.name,
        "type": {
            "coding": [
                {
                    "system": PLAN_DEFINITION_TYPE,
                    "code": "clinical-protocol",
                    "display": "Clinical Protocol",
                }
            ]
        },
        "status": PROTOCOL_STATUS[protocol.status],
        "date": instant(protocol.published_at or protocol.updated_at),
        "author": [{"name": protocol.author.display_name}],
        "useContext": [
            {
                "code": {"system": USAGE_CONTEXT_TYPE, "code": "focus"},
                "valueCodeableConcept": {
                    "coding": [
                        {"system": ICD10, "code": condition.icd10_code, "display": condition.name}
                    ],
                    "text": condition.name,
                },
            }
        ],
        "action": actions,
    }
    if protocol.summary:
        resource["description"] = protocol.summary
    if protocol.rationale:
        resource["purpose"] = protocol.rationale
    return resource


# --- CarePlan (a patient's plan) -------------------------------------------------


def _activity_status(plan, stage) -> str:
    if stage.status == PlanStage.Status.CURRENT and plan.status == RehabPlan.Status.ON_HOLD:
        return "on-hold"
    if stage.status == PlanStage.Status.UPCOMING and plan.status in (
        RehabPlan.Status.COMPLETED,
        RehabPlan.Status.DISCONTINUED,
    ):
        return "cancelled"
    return STAGE_ACTIVITY_STATUS[stage.status]


# The intake answer inside a sentence (the labels are written to stand alone).
INTAKE_WORDS = {
    RehabPlan.PrimaryConcern.PAIN_AND_MOVEMENT: "pain and movement",
    RehabPlan.PrimaryConcern.DAILY_INDEPENDENCE: "independence in daily activities",
    RehabPlan.PrimaryConcern.BOTH: "both movement and daily activities",
}


def care_plan_resource(plan, base: str) -> dict:
    """A plan: its stages' individualised PT and OT sessions a week, with who gives them."""
    activities = []
    for entry in mix_timeline(plan):
        stage = entry.stage
        therapists = {a.discipline: a.therapist for a in stage.allocations.all()}
        bounds = period(entry.starts, entry.ends)
        for discipline in (Discipline.PT, Discipline.OT):
            sessions = stage.sessions_per_week(discipline)
            if sessions < 1:
                continue
            detail = {
                "kind": "ServiceRequest",
                "code": discipline_concept(base, discipline),
                "status": _activity_status(plan, stage),
                "description": f"Stage {stage.order}: {stage.name}. {stage.goal}",
                "scheduledTiming": weekly_timing(
                    sessions, stage.minutes_per_session(discipline), bounds or None
                ),
            }
            therapist = therapists.get(discipline)
            if therapist is not None:
                detail["performer"] = [staff_reference(therapist)]
            activity = {"detail": detail}
            if stage.is_individualised:
                protocol_sessions = stage.protocol_stage.sessions_per_week(discipline)
                activity["progress"] = [
                    {
                        "text": f"Individualised for this patient: {sessions} sessions a week "
                        f"(the protocol has {protocol_sessions})."
                    }
                ]
            activities.append(activity)
    protocol = plan.protocol
    resource = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "meta": {"lastUpdated": instant(plan.updated_at)},
        "instantiatesCanonical": [f"{plan_definition_url(protocol, base)}|{protocol.version}"],
        "status": PLAN_STATUS[plan.status],
        "intent": "plan",
        "title": f"Rehab plan: {protocol.name}",
        "description": f"Main problem at intake: {INTAKE_WORDS[plan.primary_concern]}.",
        "subject": reference("Patient", plan.patient_id, plan.patient.full_name),
        "period": period(plan.start_date, plan.end_date),
        "created": instant(plan.created_at),
        "author": staff_reference(plan.lead_physician),
        "addresses": [reference("Condition", plan.diagnosis_id, plan.diagnosis.condition.name)],
        "activity": activities,
    }
    goals = list(plan.goals.all())
    if goals:
        resource["goal"] = [reference("Goal", goal.pk, str(goal)) for goal in goals]
    if plan.status_reason:
        resource["note"] = [{"text": f"Status: {plan.status_reason}"}]
    return resource


# --- Procedure (a therapy session) ----------------------------------------------


def _session_period(session) -> dict:
    if session.start_time is None:
        return {"start": session.date.isoformat()}
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(session.date, session.start_time, tzinfo=tz)
    end = start + datetime.timedelta(minutes=session.duration_minutes)
    return {"start": start.isoformat(), "end": end.isoformat()}


def procedure_resource(session, base: str) -> dict:
    """An attended session is a completed Procedure; a missed one is not-done, with why."""
    resource = {
        "resourceType": "Procedure",
        "id": str(session.pk),
        "meta": {"lastUpdated": instant(session.updated_at)},
        "basedOn": [reference("CarePlan", session.plan_id)],
        "status": "completed" if session.is_attended else "not-done",
        "code": discipline_concept(base, session.discipline),
        "subject": reference("Patient", session.plan.patient_id, session.plan.patient.full_name),
        "performedPeriod": _session_period(session),
        "recorder": staff_reference(session.logged_by),
        "performer": [
            {
                "function": {"text": THERAPIST_ROLE[session.discipline]},
                "actor": staff_reference(session.therapist),
            }
        ],
    }
    if not session.is_attended:
        resource["statusReason"] = {
            "coding": [
                {
                    "system": local_system(base, "session-attendance"),
                    "code": session.attendance,
                    "display": session.get_attendance_display(),
                }
            ],
            "text": session.get_attendance_display(),
        }
    if session.focus_areas:
        resource["reasonCode"] = [{"text": area} for area in session.focus_areas]
    notes = [
        {"text": f"{heading}: {text}"} for heading, text in session.soap_notes() if text.strip()
    ]
    if session.pain_before is not None or session.pain_after is not None:
        before = "—" if session.pain_before is None else session.pain_before
        after = "—" if session.pain_after is None else session.pain_after
        notes.append({"text": f"Pain (0–10): {before} before, {after} after."})
    if notes:
        resource["note"] = notes
    return resource


# --- Observation (an assessment) and Goal ------------------------------------------


def measure_concept(base: str, measure: measures.Measure) -> dict:
    """LOINC where the measure has a code, always with the clinic's own code too."""
    coding = []
    if measure.loinc:
        coding.append({"system": LOINC, "code": measure.loinc, "display": measure.name})
    coding.append(
        {
            "system": local_system(base, "outcome-measure"),
            "code": measure.key,
            "display": measure.name,
        }
    )
    return {"coding": coding, "text": measure.name}


def _is_survey(measure: measures.Measure) -> bool:
    """A scale scored item by item (Barthel, Berg, NPRS, mRS) is a survey; a timed
    performance test (TUG, 10-metre walk) is a measure of functioning."""
    return all(item.is_choice for item in measure.items if item.scored)


def _observation_category(base: str, measure: measures.Measure) -> dict:
    if _is_survey(measure):
        return {
            "coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}],
            "text": "Survey",
        }
    # HL7's observation-category has no "functioning"; the clinic's own system says it.
    return {
        "coding": [
            {
                "system": local_system(base, "observation-category"),
                "code": "functioning",
                "display": "Functioning",
            }
        ],
        "text": "Functioning",
    }


def quantity(value, unit: str) -> dict:
    result = {"value": float(Decimal(value))}
    if unit:
        result["unit"] = unit
        if unit in UCUM_UNITS:
            result.update(system=UCUM, code=UCUM_UNITS[unit])
    return result


def _item_component(base: str, measure: measures.Measure, item: measures.Item, value) -> dict:
    coding = []
    if item.loinc:
        coding.append({"system": LOINC, "code": item.loinc, "display": item.label})
    coding.append(
        {
            "system": local_system(base, "outcome-measure-item"),
            "code": f"{measure.key}.{item.key}",
            "display": item.label,
        }
    )
    component = {"code": {"coding": coding, "text": item.label}}
    if value is None:
        component["dataAbsentReason"] = {"text": "Not recorded"}
    elif item.is_choice and isinstance(value, int):
        component["valueInteger"] = value
    elif item.is_choice:
        component["valueCodeableConcept"] = {
            "coding": [
                {
                    "system": local_system(base, "outcome-measure-item"),
                    "code": f"{measure.key}.{item.key}.{value}",
                    "display": item.label_of(value),
                }
            ],
            "text": item.label_of(value),
        }
    else:
        component["valueQuantity"] = quantity(value, item.unit)
    return component


def observation_resource(assessment, base: str) -> dict:
    """An assessment: the measure's total as the value, each item score a component."""
    measure = assessment.definition
    plan = assessment.plan
    resource = {
        "resourceType": "Observation",
        "id": str(assessment.pk),
        "meta": {"lastUpdated": instant(assessment.created_at)},
        "basedOn": [reference("CarePlan", assessment.plan_id)],
        "status": "final",
        "category": [_observation_category(base, measure)],
        "code": measure_concept(base, measure),
        "subject": reference("Patient", plan.patient_id, plan.patient.full_name),
        "effectiveDateTime": assessment.date.isoformat(),
        "issued": instant(assessment.created_at),
        "performer": [staff_reference(assessment.assessor)],
    }
    if measure.decimals == 0 and not measure.unit:
        resource["valueInteger"] = int(assessment.total)
    else:
        resource["valueQuantity"] = quantity(assessment.total, measure.unit)
    band = assessment.band
    if band is not None:
        resource["interpretation"] = [{"text": band.label}]
    if assessment.notes:
        resource["note"] = [{"text": assessment.notes}]
    resource["component"] = [
        _item_component(base, measure, item, assessment.item_scores.get(item.key))
        for item in measure.items
    ]
    return resource


def goal_resource(goal, base: str) -> dict:
    """A goal: its status as lifecycle and achievement, and its measured target if any."""
    plan = goal.plan
    target = {"dueDate": goal.target_date.isoformat()}
    measure = goal.definition
    if measure is not None and goal.target_value is not None:
        target["measure"] = measure_concept(base, measure)
        detail = quantity(goal.target_value, measure.unit)
        detail["comparator"] = ">=" if measure.higher_is_better else "<="
        target["detailQuantity"] = detail
    resource = {
        "resourceType": "Goal",
        "id": str(goal.pk),
        "meta": {"lastUpdated": instant(goal.updated_at)},
        "lifecycleStatus": GOAL_LIFECYCLE[goal.status],
        "category": [
            {
                "coding": [
                    {
                        "system": local_system(base, "goal-family"),
                        "code": goal.family,
                        "display": goal.get_family_display(),
                    }
                ],
                "text": goal.get_family_display(),
            },
            discipline_concept(base, goal.discipline),
        ],
        "description": {"text": goal.description},
        "subject": reference("Patient", plan.patient_id, plan.patient.full_name),
        "startDate": timezone.localtime(goal.created_at).date().isoformat(),
        "target": [target],
    }
    achievement = GOAL_ACHIEVEMENT_STATUS.get(goal.status)
    if achievement is not None:
        code, display = achievement
        resource["achievementStatus"] = {
            "coding": [{"system": GOAL_ACHIEVEMENT, "code": code, "display": display}],
            "text": display,
        }
    if goal.reviewed_on:
        resource["statusDate"] = goal.reviewed_on.isoformat()
    if goal.gas_score is not None:
        resource["note"] = [
            {
                "text": f"Goal attainment score at review: {goal.gas_score:+d} "
                f"(weight {goal.gas_weight})."
            }
        ]
    return resource


# --- Bundles, outcomes and the capability statement ------------------------------


def searchset(resources: list[dict], base: str, *, total: int, links: list[dict]) -> dict:
    """A page of search results: `total` matches in all, `links` to the other pages."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def capability_statement(base: str, search_params: dict[str, list[tuple[str, str, str]]]) -> dict:
    """What this server offers: read and search of each resource, in JSON."""
    resources = [
        {
            "type": resource_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": name, "type": kind, "documentation": documentation}
                for name, kind, documentation in params
            ],
        }
        for resource_type, params in search_params.items()
    ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "publisher": "Rehab plans",
        "kind": "instance",
        "software": {"name": "Rehab plans FHIR read API"},
        "implementation": {"description": "Read-only FHIR R4 export of the clinic", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read and search only. Authenticate with the web session or "
                "an API token (Authorization: Token <token>); the same role and patient "
                "rules as the web app apply.",
                "security": {"description": "Session or token authentication."},
                "resource": resources,
            }
        ],
    }
