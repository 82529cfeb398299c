"""The patient registry: find, register, read and update patients.

Front desk and physicians manage patients; a therapist reads only the patients
on a plan they are allocated to.
"""

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, Value
from django.db.models.functions import Replace
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from patients.forms import DiagnosisFormSet, PatientForm
from patients.models import Diagnosis, Patient, next_record_number
from plans import access, selectors
from plans.models import RehabPlan, TherapySession

PATIENTS_PER_PAGE = 25
RECENT_SESSIONS = 10
# The plan a list row shows: the running one before any that ended.
PLAN_STATUS_RANK = {
    RehabPlan.Status.ACTIVE: 0,
    RehabPlan.Status.ON_HOLD: 1,
    RehabPlan.Status.COMPLETED: 2,
    RehabPlan.Status.DISCONTINUED: 2,
}
# Two registrations at the same instant can pick the same record number.
RECORD_NUMBER_ATTEMPTS = 3


def _diagnoses_with_condition():
    return Prefetch("diagnoses", queryset=Diagnosis.objects.select_related("condition"))


# Fewer digits than this are part of a name or record number, not a phone number.
PHONE_DIGITS_AT_LEAST = 4
RECORD_NUMBER_TYPED = re.compile(r"^rh-?0*(\d+)$", re.IGNORECASE)


def _with_phone_digits(queryset):
    """Annotate `phone_digits`: the phone without its spaces and dashes."""
    return queryset.annotate(
        phone_digits=Replace(Replace("phone", Value(" "), Value("")), Value("-"), Value(""))
    )


def search_patients(queryset, query: str):
    """Patients whose name holds every word of the query (in any order, so a middle
    name can be left out), whose record number contains it ("RH12" finds RH-000012),
    or whose phone holds its digits however they were spaced, with or without a
    leading 0 or country code. Case is ignored."""
    if not query:
        return queryset
    words = query.split()
    match = Q(*[Q(full_name__icontains=word) for word in words]) | Q(record_number__icontains=query)
    typed_number = RECORD_NUMBER_TYPED.match(query.strip())
    if typed_number:
        match |= Q(record_number=f"RH-{int(typed_number.group(1)):06d}")
    digits = re.sub(r"\D", "", query).lstrip("0")
    if len(digits) >= PHONE_DIGITS_AT_LEAST:
        queryset = _with_phone_digits(queryset)
        match |= Q(phone_digits__contains=digits)
    return queryset.filter(match)


def possible_duplicates(details: dict) -> list[Patient]:
    """Registered patients who may be this one: the same name (ignoring case) and the
    same date of birth or the same phone digits."""
    same_person = Q(date_of_birth=details["date_of_birth"])
    digits = re.sub(r"\D", "", details.get("phone") or "")
    queryset = Patient.objects.filter(full_name__iexact=details["full_name"].strip())
    if digits:
        queryset = _with_phone_digits(queryset)
        same_person |= Q(phone_digits__endswith=digits[-10:])
    return list(queryset.filter(same_person).order_by("record_number"))


def _shown_plan(patient):
    """The plan a list row summarises: running before ended, newest first."""
    plans = sorted(
        patient.plans.all(), key=lambda p: (PLAN_STATUS_RANK[p.status], -p.start_date.toordinal())
    )
    return plans[0] if plans else None


@require_GET
def patient_list(request):
    access.require(access.can_manage_patients(request.user))
    query = request.GET.get("q", "").strip()
    patients = search_patients(Patient.objects.all(), query).prefetch_related(
        _diagnoses_with_condition(),
        Prefetch("plans", queryset=RehabPlan.objects.select_related("protocol")),
    )
    page_obj = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(patient, _shown_plan(patient)) for patient in page_obj]
    return render(
        request,
        "patients/list.html",
        {"page_obj": page_obj, "rows": rows, "query": query},
    )


def _save_patient(form, formset) -> Patient:
    """Save the patient and every diagnosis, or nothing at all."""
    with transaction.atomic():
        patient = form.save(commit=False)
        registering = patient.pk is None
        for attempt in range(1, RECORD_NUMBER_ATTEMPTS + 1):
            if registering:
                patient.record_number = next_record_number()
            try:
                with transaction.atomic():
                    patient.save()
                break
            except IntegrityError:
                taken = Patient.objects.filter(record_number=patient.record_number).exists()
                if not (registering and taken) or attempt == RECORD_NUMBER_ATTEMPTS:
                    raise
        formset.instance = patient
        formset.save()
    return patient


def _diagnosis_initial(patient) -> list[dict]:
    # The first diagnosis of a patient is usually the one the plan treats.
    has_primary = patient.pk is not None and patient.diagnoses.filter(is_primary=True).exists()
    return [{"is_primary": not has_primary}]


def _patient_form_page(request, patient, template_context):
    registering = patient.pk is None
    initial = _diagnosis_initial(patient)
    if request.method == "POST":
        form = PatientForm(request.POST, instance=patient)
        formset = DiagnosisFormSet(
            request.POST, instance=patient, prefix="diagnoses", initial=initial
        )
        # Validate both, so every mistake on the page shows at once; the patient first,
        # as the diagnoses compare their onset with its date of birth.
        form_valid = form.is_valid()
        valid = formset.is_valid() and form_valid
        duplicates = []
        if valid and registering and request.POST.get("register_anyway") != "yes":
            duplicates = possible_duplicates(form.cleaned_data)
        if valid and not duplicates:
            patient = _save_patient(form, formset)
            if registering:
                messages.success(
                    request,
                    f"{patient.full_name} is registered with record number "
                    f"{patient.record_number}.",
                )
            else:
                messages.success(
                    request, f"Saved the changes to {patient.full_name} ({patient.record_number})."
                )
            return redirect("patients:detail", pk=patient.pk)
    else:
        form = PatientForm(instance=patient)
        formset = DiagnosisFormSet(instance=patient, prefix="diagnoses", initial=initial)
        duplicates = []
    return render(
        request,
        "patients/form.html",
        {
            "form": form,
            "formset": formset,
            "patient": patient,
            "possible_duplicates": duplicates,
            **template_context,
        },
    )


@require_http_methods(["GET", "POST"])
def patient_register(request):
    access.require(access.can_manage_patients(request.user))
    return _patient_form_page(request, Patient(), {"registering": True})


@require_http_methods(["GET", "POST"])
def patient_edit(request, pk):
    access.require(access.can_manage_patients(request.user))
    patient = get_object_or_404(Patient, pk=pk)
    return _patient_form_page(request, patient, {"registering": False})


@require_GET
def patient_detail(request, pk):
    user = request.user
    patient = get_object_or_404(
        Patient.objects.prefetch_related(_diagnoses_with_condition()), pk=pk
    )
    access.require(access.can_view_patient(user, patient))
    plans = list(
        selectors.plan_with_stages(RehabPlan.objects.filter(patient=patient)).order_by(
            "-start_date", "-pk"
        )
    )
    active_diagnoses = {plan.diagnosis_id for plan in plans if plan.is_active}
    is_physician = access.is_physician(user)
    diagnoses = [
        (diagnosis, is_physician and diagnosis.pk not in active_diagnoses)
        for diagnosis in patient.diagnoses.all()
    ]
    plan_rows = [(plan, _can_open_plan(user, plan, is_physician)) for plan in plans]
    sessions = (
        TherapySession.objects.filter(plan__patient=patient)
        .select_related("therapist")
        .order_by("-date", "-start_time", "-pk")[:RECENT_SESSIONS]
    )
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "diagnoses": diagnoses,
            "plan_rows": plan_rows,
            "sessions": sessions,
            "show_notes": access.can_view_clinical_notes(user, patient),
            "can_edit": access.can_manage_patients(user),
        },
    )


def _can_open_plan(user, plan, is_physician: bool) -> bool:
    """access.can_view_plan, read from the prefetched allocations (no query a plan)."""
    if is_physician:
        return True
    return any(
        allocation.therapist_id == user.pk and allocation.discipline == user.discipline
        for stage in plan.stages.all()
        for allocation in stage.allocations.all()
    )
