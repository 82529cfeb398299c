import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Condition, Diagnosis, Patient
from plans import services
from tests import factories


@pytest.mark.django_db
def test_record_numbers_are_generated_in_sequence():
    first, second = factories.PatientFactory(), factories.PatientFactory()
    assert first.record_number == "RH-000001"
    assert second.record_number == "RH-000002"


@pytest.mark.django_db
def test_record_number_is_unique():
    patient = factories.PatientFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PatientFactory(record_number=patient.record_number)


@pytest.mark.django_db
def test_icd10_code_is_unique_and_well_formed():
    Condition.objects.create(name="Stroke", icd10_code="I63.9", category="neurological")
    duplicate = Condition(name="Another", icd10_code="I63.9", category="neurological")
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert excinfo.value.error_dict["icd10_code"][0].code == "unique"
    bad = Condition(name="Bad", icd10_code="stroke", category="neurological")
    with pytest.raises(ValidationError) as excinfo:
        bad.full_clean()
    assert excinfo.value.error_dict["icd10_code"][0].code == "invalid_icd10"


@pytest.mark.django_db
def test_birth_date_in_the_future_is_refused():
    patient = factories.PatientFactory.build(
        date_of_birth=timezone.localdate() + datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError) as excinfo:
        patient.full_clean()
    assert excinfo.value.error_dict["date_of_birth"][0].code == "birth_in_future"


@pytest.mark.django_db
def test_bad_phone_is_refused_on_its_field():
    patient = factories.PatientFactory.build(phone="call me")
    with pytest.raises(ValidationError) as excinfo:
        patient.full_clean()
    assert excinfo.value.error_dict["phone"][0].code == "invalid_phone"


@pytest.mark.django_db
def test_one_primary_diagnosis_per_patient():
    diagnosis = factories.DiagnosisFactory(is_primary=True)
    second = factories.DiagnosisFactory.build(
        patient=diagnosis.patient, condition=diagnosis.condition
    )
    with pytest.raises(ValidationError) as excinfo:
        second.full_clean()
    assert excinfo.value.error_dict["is_primary"][0].code == "primary_diagnosis_exists"
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


@pytest.mark.django_db
def test_asia_grade_needs_a_spinal_level():
    diagnosis = factories.DiagnosisFactory.build(
        patient=factories.PatientFactory(),
        condition=factories.spinal_cord_injury(),
        affected_side=Diagnosis.Side.NOT_APPLICABLE,
        asia_grade="B",
    )
    with pytest.raises(ValidationError) as excinfo:
        diagnosis.full_clean()
    assert excinfo.value.error_dict["spinal_cord_level"][0].code == "asia_needs_level"
    diagnosis.spinal_cord_level = "T10"
    diagnosis.full_clean()
    diagnosis.spinal_cord_level = ""
    with pytest.raises(IntegrityError), transaction.atomic():
        diagnosis.save()


@pytest.mark.django_db
def test_spinal_level_must_be_a_real_level():
    diagnosis = factories.DiagnosisFactory.build(
        patient=factories.PatientFactory(),
        condition=factories.spinal_cord_injury(),
        affected_side=Diagnosis.Side.NOT_APPLICABLE,
        spinal_cord_level="T13",
    )
    with pytest.raises(ValidationError) as excinfo:
        diagnosis.full_clean()
    assert excinfo.value.error_dict["spinal_cord_level"][0].code == "invalid_spinal_level"


@pytest.mark.django_db
def test_only_a_condition_that_records_a_level_takes_a_spinal_level_or_asia_grade():
    diagnosis = factories.DiagnosisFactory.build(
        patient=factories.PatientFactory(),
        condition=factories.ConditionFactory(),  # a stroke
        affected_side=Diagnosis.Side.LEFT,
        spinal_cord_level="T10",
        asia_grade="C",
    )
    with pytest.raises(ValidationError) as excinfo:
        diagnosis.full_clean()
    assert {
        field: [error.code for error in errors]
        for field, errors in excinfo.value.error_dict.items()
    } == {
        "spinal_cord_level": ["spinal_level_not_applicable"],
        "asia_grade": ["spinal_level_not_applicable"],
    }
    diagnosis.spinal_cord_level = diagnosis.asia_grade = ""
    diagnosis.full_clean()


@pytest.mark.django_db
def test_onset_in_the_future_is_refused():
    diagnosis = factories.DiagnosisFactory.build(
        patient=factories.PatientFactory(),
        condition=factories.ConditionFactory(),
        onset_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    with pytest.raises(ValidationError) as excinfo:
        diagnosis.full_clean()
    assert excinfo.value.error_dict["onset_date"][0].code == "onset_in_future"


@pytest.mark.django_db
def test_patient_with_a_plan_cannot_be_deleted(plan):
    with pytest.raises(Exception) as excinfo:
        Patient.objects.filter(pk=plan.patient_id).delete()
    assert "protected" in str(excinfo.value).lower()
    assert Diagnosis.objects.filter(patient=plan.patient).exists()


@pytest.mark.django_db
def test_a_patient_with_a_running_plan_stays_active(plan, physician):
    patient = plan.patient
    patient.is_active = False
    with pytest.raises(ValidationError) as excinfo:
        patient.full_clean()
    [error] = excinfo.value.error_dict["is_active"]
    assert error.code == "running_plan"
    assert "complete or discontinue it first" in error.messages[0]
    # On hold still runs; once discontinued, the patient may leave the active list.
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="In hospital")
    with pytest.raises(ValidationError):
        patient.full_clean()
    services.change_plan_status(plan=plan, status="discontinued", by=physician, reason="Moved")
    patient.full_clean()


@pytest.mark.django_db
def test_the_condition_of_a_diagnosis_a_plan_treats_stays(plan):
    diagnosis = plan.diagnosis
    diagnosis.condition = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    with pytest.raises(ValidationError) as excinfo:
        diagnosis.full_clean()
    assert excinfo.value.error_dict["condition"][0].code == "condition_has_plan"
    # Its other details are still corrected in place.
    diagnosis.refresh_from_db()
    diagnosis.notes = "Onset while gardening"
    diagnosis.full_clean()
    # A diagnosis no plan treats may still be corrected to another condition.
    other = factories.DiagnosisFactory(patient=plan.patient, is_primary=False)
    other.condition = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    other.full_clean()
