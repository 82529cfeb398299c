"""The patient pages: list and search, register, edit and the patient's page."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from patients import views as patient_views
from patients.models import Diagnosis, Patient
from plans import services
from plans.models import RehabPlan
from tests import factories

TODAY = timezone.localdate
LIST_URL = reverse("patients:list")
REGISTER_URL = reverse("patients:register")


def detail_url(patient):
    return reverse("patients:detail", args=[patient.pk])


def edit_url(patient):
    return reverse("patients:edit", args=[patient.pk])


def error_on_field(response, field_id: str, message: str) -> bool:
    """The message is in the error block crispy renders right under that field."""
    html = response.content.decode()
    field = re.escape(field_id)
    pattern = rf'id="error_\d+_id_{field}"[^>]*>\s*<strong>{re.escape(escape(message))}'
    return re.search(pattern, html) is not None


class FormValues(HTMLParser):
    """What a browser would post from a page's forms: named inputs, ticked boxes,
    chosen options and textareas (not the submit buttons)."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = None
        self._select_value = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.values[name] = attrs.get("value") or (
                "on" if attrs.get("type") == "checkbox" else ""
            )
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select:
            if self._select_value is None or "selected" in attrs:
                self._select_value = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.values[self._select] = self._select_value or ""
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.removeprefix("\n")


def form_values(response) -> dict:
    parser = FormValues()
    parser.feed(response.content.decode())
    parser.values.pop("csrfmiddlewaretoken", None)
    return parser.values


def patient_data(**overrides) -> dict:
    data = {
        "full_name": "Meera Nair",
        "date_of_birth": "1961-08-23",
        "sex": "female",
        "phone": "+91 98470 55501",
        "preferred_language": "Malayalam",
        "family_contact_name": "Anil Nair",
        "family_contact_relation": "son",
        "family_contact_phone": "+91 98470 55502",
    }
    data.update(overrides)
    return data


def diagnosis_data(index: int, of_condition, **overrides) -> dict:
    fields = {
        "condition": str(of_condition.pk),
        "onset_date": (TODAY() - datetime.timedelta(days=30)).isoformat(),
        "affected_side": "left",
        "spinal_cord_level": "",
        "asia_grade": "",
        "notes": "",
    }
    fields.update(overrides)
    if fields.pop("is_primary", False):
        fields["is_primary"] = "on"
    return {f"diagnoses-{index}-{name}": value for name, value in fields.items()}


def management(total: int, initial: int = 0) -> dict:
    return {"diagnoses-TOTAL_FORMS": str(total), "diagnoses-INITIAL_FORMS": str(initial)}


def blank_diagnosis(index: int) -> dict:
    """The blank diagnosis form as a browser posts it: every field empty."""
    return {f"diagnoses-{index}-affected_side": ""}


def existing_diagnoses_data(patient) -> dict:
    """What the edit page posts back for the patient's diagnoses, unchanged."""
    data = {}
    ordered = patient.diagnoses.order_by("-is_primary", "-onset_date", "pk")
    for index, diagnosis in enumerate(ordered):
        data.update(
            diagnosis_data(
                index,
                diagnosis.condition,
                id=str(diagnosis.pk),
                onset_date=diagnosis.onset_date.isoformat(),
                affected_side=diagnosis.affected_side,
                spinal_cord_level=diagnosis.spinal_cord_level,
                asia_grade=diagnosis.asia_grade,
                notes=diagnosis.notes,
                is_primary=diagnosis.is_primary,
            )
        )
    return data


@pytest.fixture
def stroke():
    return factories.ConditionFactory()


@pytest.fixture
def spinal_cord_injury():
    return factories.spinal_cord_injury()


# --- The list -------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_each_patients_summary_and_the_register_button(client, physician, plan):
    patient = plan.patient
    client.force_login(physician)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert patient.record_number in html
    assert escape(patient.full_name) in html
    assert f"{patient.age} · Female" in html
    assert "+91 98300 12345" in html
    assert "Stroke (left)" in html
    assert "status-active" in html and plan.protocol.name in html
    assert f'href="{REGISTER_URL}"' in html and "Register patient" in html


@pytest.mark.django_db
def test_list_welcomes_the_front_desk(client, front_desk):
    factories.PatientFactory(full_name="Farida Khan")
    client.force_login(front_desk)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Welcome, Priya." in html
    assert "Farida Khan" in html
    assert "No plan yet" in html and "Not recorded yet" in html


@pytest.mark.django_db
def test_front_desk_lands_on_the_patient_list_after_signing_in(client, front_desk):
    client.force_login(front_desk)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == LIST_URL
    assert "Welcome, Priya." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "meera",
        "MEERA NAIR",
        "meera nair",
        "Nair Meera",
        "Meera Nair",
        "RH-000002",
        "rh2",
        "000002",
        "98470 55501",
        "9847055501",
        "09847055501",
        "+91 98470 55501",
        "55501",
    ],
)
def test_search_matches_name_record_number_or_phone(client, front_desk, query):
    factories.PatientFactory(full_name="Ravi Kumar", phone="+91 90000 11111")
    factories.PatientFactory(full_name="Meera Lakshmi Nair", phone="+91 98470-55501")
    client.force_login(front_desk)
    response = client.get(LIST_URL, {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Meera Lakshmi Nair" in html
    assert "Ravi Kumar" not in html
    assert "1 patient matches" in html


@pytest.mark.django_db
def test_a_few_digits_are_not_read_as_a_phone_number(client, front_desk):
    factories.PatientFactory(full_name="Ravi Kumar", phone="+91 90000 11111")
    client.force_login(front_desk)
    for query in ("9", "RH9", "911"):
        html = client.get(LIST_URL, {"q": query}).content.decode()
        assert "Ravi Kumar" not in html, query
    assert "Ravi Kumar" in client.get(LIST_URL, {"q": "1111"}).content.decode()


@pytest.mark.django_db
def test_search_without_a_match_says_so_kindly(client, front_desk):
    factories.PatientFactory(full_name="Ravi Kumar")
    client.force_login(front_desk)
    response = client.get(LIST_URL, {"q": "Zubair"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No patient matches “Zubair”" in html
    assert "Ravi Kumar" not in html


@pytest.mark.django_db
def test_list_pages_25_patients_at_a_time_and_keeps_the_search(client, physician):
    for number in range(30):
        factories.PatientFactory(full_name=f"Patient {number:02d}")
    client.force_login(physician)
    first = client.get(LIST_URL, {"q": "patient"})
    assert first.status_code == 200
    assert len(first.context["rows"]) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert "?q=patient&amp;page=2" in first.content.decode()
    second = client.get(LIST_URL, {"q": "patient", "page": 2})
    assert len(second.context["rows"]) == 5
    assert "Patient 29" in second.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("patients", [3, 12])
def test_list_query_count_does_not_grow_with_patients(
    client, physician, protocol, django_assert_max_num_queries, patients
):
    for _ in range(patients):
        factories.start_plan(protocol=protocol, lead_physician=physician)
        factories.DiagnosisFactory(is_primary=False)
    client.force_login(physician)
    # Session, user, groups, count, page, diagnoses, plans; saving the session.
    with django_assert_max_num_queries(10):
        response = client.get(LIST_URL)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2 * patients


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST_URL, REGISTER_URL])
def test_therapists_cannot_open_the_registry(client, physiotherapist, url):
    client.force_login(physiotherapist)
    response = client.get(url)
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


@pytest.mark.django_db
def test_list_refuses_post(client, front_desk):
    client.force_login(front_desk)
    assert client.post(LIST_URL).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["list", "register"])
def test_anonymous_visitor_is_sent_to_sign_in(client, name):
    url = reverse(f"patients:{name}")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


# --- Registering ----------------------------------------------------------


@pytest.mark.django_db
def test_register_page_uses_date_pickers_and_starts_with_one_primary_diagnosis(
    client, front_desk, stroke
):
    client.force_login(front_desk)
    response = client.get(REGISTER_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="date" name="date_of_birth"' in html
    assert 'type="date" name="diagnoses-0-onset_date"' in html
    assert 'name="diagnoses-TOTAL_FORMS" value="1"' in html
    assert re.search(r'name="diagnoses-0-is_primary"[^>]*checked', html)
    assert 'name="record_number"' not in html and 'name="is_active"' not in html
    assert "A record number is given automatically" in html


@pytest.mark.django_db
def test_register_page_marks_the_conditions_that_record_a_spinal_cord_level(
    client, front_desk, stroke, spinal_cord_injury
):
    client.force_login(front_desk)
    response = client.get(REGISTER_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(rf'<option value="{spinal_cord_injury.pk}"[^>]*data-spinal-level="yes"', html)
    stroke_option = re.search(rf'<option value="{stroke.pk}"[^>]*>', html).group(0)
    assert "data-spinal-level" not in stroke_option
    # And which affect a side, so the form answers "Not applicable" for the others.
    assert 'data-has-side="yes"' in stroke_option
    spinal_option = re.search(rf'<option value="{spinal_cord_injury.pk}"[^>]*>', html).group(0)
    assert "data-has-side" not in spinal_option
    # The script hides the level and grade unless such a condition is chosen.
    assert 'class="row spinal-cord-fields"' in html
    assert "rehab/diagnosis-form.js" in html


@pytest.mark.django_db
def test_register_saves_patient_and_diagnosis_and_names_the_record_number(
    client, front_desk, spinal_cord_injury
):
    factories.PatientFactory()  # RH-000001 is taken
    client.force_login(front_desk)
    data = {
        **patient_data(),
        **management(1),
        **diagnosis_data(
            0,
            spinal_cord_injury,
            affected_side="bilateral",
            spinal_cord_level="T10",
            asia_grade="C",
            notes="Fall from a ladder.",
            is_primary=True,
        ),
    }
    response = client.post(REGISTER_URL, data, follow=True)
    patient = Patient.objects.get(full_name="Meera Nair")
    assert response.redirect_chain == [(detail_url(patient), 302)]
    assert patient.record_number == "RH-000002"
    assert "Meera Nair is registered with record number RH-000002." in response.content.decode()
    assert (patient.family_contact_name, patient.preferred_language) == ("Anil Nair", "Malayalam")
    assert patient.is_active
    diagnosis = patient.diagnoses.get()
    assert (diagnosis.condition, diagnosis.spinal_cord_level, diagnosis.asia_grade) == (
        spinal_cord_injury,
        "T10",
        "C",
    )
    assert diagnosis.is_primary and diagnosis.notes == "Fall from a ladder."


@pytest.mark.django_db
def test_register_page_filled_in_as_a_browser_would(client, front_desk, stroke):
    client.force_login(front_desk)
    data = form_values(client.get(REGISTER_URL))
    data.update(patient_data())
    data["diagnoses-0-condition"] = str(stroke.pk)
    data["diagnoses-0-onset_date"] = (TODAY() - datetime.timedelta(days=9)).isoformat()
    # The side starts unchosen: a stroke's side is asked for, not assumed.
    assert data["diagnoses-0-affected_side"] == ""
    response = client.post(REGISTER_URL, data)
    assert response.status_code == 200
    message = "Choose the affected side, or “Not applicable”."
    assert error_on_field(response, "diagnoses-0-affected_side", message)
    assert not Patient.objects.exists()
    data["diagnoses-0-affected_side"] = "left"
    response = client.post(REGISTER_URL, data)
    assert response.status_code == 302
    patient = Patient.objects.get()
    assert patient.diagnoses.get().is_primary
    assert patient.diagnoses.get().affected_side == "left"


@pytest.mark.django_db
def test_register_without_a_diagnosis_yet(client, front_desk, stroke):
    client.force_login(front_desk)
    blank = {**blank_diagnosis(0), "diagnoses-0-is_primary": "on"}
    response = client.post(REGISTER_URL, {**patient_data(), **management(1), **blank})
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert not patient.diagnoses.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "This field is required."),
        (
            {"date_of_birth": "2999-01-01"},
            "date_of_birth",
            "Date of birth cannot be in the future.",
        ),
        (
            {"phone": "call me"},
            "phone",
            "Enter a phone number of digits, spaces or dashes, optionally starting with +.",
        ),
        (
            {"family_contact_name": ""},
            "family_contact_name",
            "Give the family contact's name with their phone.",
        ),
    ],
)
def test_register_refuses_bad_patient_details_next_to_the_field_and_saves_nothing(
    client, front_desk, stroke, overrides, field, message
):
    client.force_login(front_desk)
    data = {**patient_data(**overrides), **management(1), **diagnosis_data(0, stroke)}
    response = client.post(REGISTER_URL, data)
    assert response.status_code == 200
    assert error_on_field(response, field, message)
    assert "Nothing was saved" in response.content.decode()
    assert not Patient.objects.exists() and not Diagnosis.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"asia_grade": "B"},
            "spinal_cord_level",
            "Give the spinal-cord level with the ASIA grade.",
        ),
        (
            {"onset_date": "2999-01-01"},
            "onset_date",
            "Onset date cannot be in the future.",
        ),
        (
            {"spinal_cord_level": "T13"},
            "spinal_cord_level",
            "Enter a level from C1 to S5, such as C5 or T10.",
        ),
        ({"condition": ""}, "condition", "This field is required."),
        ({"affected_side": ""}, "affected_side", "Choose the affected side, or “Not applicable”."),
        (
            {"condition": "stroke", "affected_side": "not_applicable"},
            "affected_side",
            "Stroke affects a side of the body: choose left, right or bilateral.",
        ),
        (
            {"condition": "stroke", "affected_side": "left", "spinal_cord_level": "T4"},
            "spinal_cord_level",
            "Stroke has no spinal-cord level or ASIA grade: leave it empty.",
        ),
        (
            {"condition": "stroke", "affected_side": "left", "asia_grade": "A"},
            "asia_grade",
            "Stroke has no spinal-cord level or ASIA grade: leave it empty.",
        ),
    ],
)
def test_register_refuses_a_bad_diagnosis_next_to_its_field_and_saves_nothing(
    client, front_desk, spinal_cord_injury, stroke, overrides, field, message
):
    client.force_login(front_desk)
    if overrides.get("condition") == "stroke":
        overrides = {**overrides, "condition": str(stroke.pk)}
    data = {
        **patient_data(),
        **management(2),
        **diagnosis_data(0, spinal_cord_injury, spinal_cord_level="C5", asia_grade="A"),
        **diagnosis_data(1, spinal_cord_injury, **overrides),
    }
    response = client.post(REGISTER_URL, data)
    assert response.status_code == 200
    assert error_on_field(response, f"diagnoses-1-{field}", message)
    assert not Patient.objects.exists() and not Diagnosis.objects.exists()


@pytest.mark.django_db
def test_register_refuses_two_primary_diagnoses(client, front_desk, stroke, spinal_cord_injury):
    client.force_login(front_desk)
    data = {
        **patient_data(),
        **management(2),
        **diagnosis_data(0, stroke, is_primary=True),
        **diagnosis_data(1, spinal_cord_injury, spinal_cord_level="T4", is_primary=True),
    }
    response = client.post(REGISTER_URL, data)
    assert response.status_code == 200
    message = "Only one diagnosis can be the primary one; untick all but one."
    assert error_on_field(response, "diagnoses-0-is_primary", message)
    assert error_on_field(response, "diagnoses-1-is_primary", message)
    assert not Patient.objects.exists() and not Diagnosis.objects.exists()


@pytest.mark.django_db
def test_register_takes_the_next_record_number_when_another_desk_took_it(
    client, front_desk, stroke, monkeypatch
):
    taken = factories.PatientFactory().record_number
    numbers = iter([taken, "RH-000002"])
    monkeypatch.setattr(patient_views, "next_record_number", lambda: next(numbers))
    client.force_login(front_desk)
    data = {**patient_data(), **management(1), **diagnosis_data(0, stroke, is_primary=True)}
    response = client.post(REGISTER_URL, data, follow=True)
    patient = Patient.objects.get(full_name="Meera Nair")
    assert patient.record_number == "RH-000002"
    assert patient.diagnoses.count() == 1
    assert "record number RH-000002" in response.content.decode()


@pytest.mark.django_db
def test_physician_can_register_too(client, physician, stroke):
    client.force_login(physician)
    data = {**patient_data(), **management(1), **diagnosis_data(0, stroke, is_primary=True)}
    response = client.post(REGISTER_URL, data)
    assert response.status_code == 302
    assert Patient.objects.filter(full_name="Meera Nair").exists()


@pytest.mark.django_db
def test_therapist_cannot_register(client, occupational_therapist, stroke):
    client.force_login(occupational_therapist)
    data = {**patient_data(), **management(1), **diagnosis_data(0, stroke)}
    assert client.post(REGISTER_URL, data).status_code == 403
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_register_refuses_other_methods(client, front_desk):
    client.force_login(front_desk)
    assert client.put(REGISTER_URL).status_code == 405
    assert client.delete(REGISTER_URL).status_code == 405


# --- Editing --------------------------------------------------------------


@pytest.mark.django_db
def test_edit_page_shows_the_record_number_but_never_as_an_input(client, front_desk):
    diagnosis = factories.DiagnosisFactory()
    patient = diagnosis.patient
    client.force_login(front_desk)
    response = client.get(edit_url(patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Record number <strong>{patient.record_number}</strong>" in html
    assert 'name="record_number"' not in html
    assert 'name="is_active"' in html
    assert 'name="diagnoses-TOTAL_FORMS" value="2"' in html  # existing one and a blank
    assert "DELETE" not in html
    assert f'value="{diagnosis.onset_date.isoformat()}"' in html


@pytest.mark.django_db
def test_edit_page_posted_back_unchanged_saves_without_duplicating_diagnoses(client, front_desk):
    diagnosis = factories.DiagnosisFactory(notes="Right-sided weakness.")
    patient = diagnosis.patient
    client.force_login(front_desk)
    data = form_values(client.get(edit_url(patient)))
    assert data["diagnoses-0-id"] == str(diagnosis.pk)
    data["diagnoses-0-notes"] = "Right-sided weakness, improving."
    response = client.post(edit_url(patient), data)
    assert response.status_code == 302
    diagnosis.refresh_from_db()
    assert diagnosis.notes == "Right-sided weakness, improving."
    assert patient.diagnoses.count() == 1


@pytest.mark.django_db
def test_edit_saves_changes_and_adds_a_diagnosis(client, front_desk, spinal_cord_injury):
    diagnosis = factories.DiagnosisFactory()
    patient = diagnosis.patient
    client.force_login(front_desk)
    data = {
        **patient_data(full_name="Meera N. Pillai", phone="0484 2200 100"),
        "is_active": "",
        **management(2, initial=1),
        **existing_diagnoses_data(patient),
        **diagnosis_data(1, spinal_cord_injury, spinal_cord_level="L1", asia_grade="D"),
    }
    data["diagnoses-0-notes"] = "Left hemiparesis."
    response = client.post(edit_url(patient), data, follow=True)
    assert response.redirect_chain == [(detail_url(patient), 302)]
    assert f"Saved the changes to Meera N. Pillai ({patient.record_number})." in (
        response.content.decode()
    )
    record_number = patient.record_number
    patient.refresh_from_db()
    assert (patient.full_name, patient.phone, patient.is_active) == (
        "Meera N. Pillai",
        "0484 2200 100",
        False,
    )
    assert patient.record_number == record_number
    diagnosis.refresh_from_db()
    assert diagnosis.notes == "Left hemiparesis." and diagnosis.is_primary
    added = patient.diagnoses.exclude(pk=diagnosis.pk).get()
    assert (added.condition, added.spinal_cord_level, added.is_primary) == (
        spinal_cord_injury,
        "L1",
        False,
    )


@pytest.mark.django_db
def test_edit_moves_the_primary_diagnosis_in_one_step(client, physician, spinal_cord_injury):
    first = factories.DiagnosisFactory(is_primary=True)
    patient = first.patient
    second = factories.DiagnosisFactory(
        patient=patient, condition=spinal_cord_injury, is_primary=False, spinal_cord_level="T6"
    )
    client.force_login(physician)
    data = {
        **patient_data(),
        **management(3, initial=2),
        **existing_diagnoses_data(patient),
        **blank_diagnosis(2),
    }
    data.pop("diagnoses-0-is_primary")
    data["diagnoses-1-is_primary"] = "on"
    response = client.post(edit_url(patient), data)
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)


@pytest.mark.django_db
def test_edit_refuses_a_second_primary_diagnosis_and_changes_nothing(
    client, front_desk, spinal_cord_injury
):
    first = factories.DiagnosisFactory(is_primary=True)
    patient = first.patient
    client.force_login(front_desk)
    data = {
        **patient_data(full_name="Changed Name"),
        **management(2, initial=1),
        **existing_diagnoses_data(patient),
        **diagnosis_data(1, spinal_cord_injury, spinal_cord_level="C7", is_primary=True),
    }
    response = client.post(edit_url(patient), data)
    assert response.status_code == 200
    message = "Only one diagnosis can be the primary one; untick all but one."
    assert error_on_field(response, "diagnoses-1-is_primary", message)
    assert message in response.content.decode()
    patient.refresh_from_db()
    assert patient.full_name != "Changed Name"
    assert patient.diagnoses.count() == 1


@pytest.mark.django_db
def test_edit_refuses_a_bad_existing_diagnosis_and_saves_nothing(client, front_desk):
    diagnosis = factories.DiagnosisFactory()
    patient = diagnosis.patient
    client.force_login(front_desk)
    data = {
        **patient_data(full_name="Changed Name"),
        **management(2, initial=1),
        **existing_diagnoses_data(patient),
        **blank_diagnosis(1),
    }
    data["diagnoses-0-onset_date"] = (TODAY() + datetime.timedelta(days=1)).isoformat()
    response = client.post(edit_url(patient), data)
    assert response.status_code == 200
    assert error_on_field(response, "diagnoses-0-onset_date", "Onset date cannot be in the future.")
    patient.refresh_from_db()
    diagnosis.refresh_from_db()
    assert patient.full_name != "Changed Name"
    assert diagnosis.onset_date < TODAY()


@pytest.mark.django_db
def test_registering_someone_already_registered_asks_first(client, front_desk, stroke):
    existing = factories.PatientFactory(
        full_name="Meera Nair", date_of_birth=datetime.date(1950, 1, 1), phone="098470-55501"
    )
    client.force_login(front_desk)
    data = {**patient_data(), **management(1), **diagnosis_data(0, stroke, is_primary=True)}
    response = client.post(REGISTER_URL, data)
    assert response.status_code == 200
    assert response.context["possible_duplicates"] == [existing]
    page = response.content.decode()
    assert "Is this patient already registered?" in page and existing.record_number in page
    assert Patient.objects.filter(full_name="Meera Nair").count() == 1
    confirmed = client.post(REGISTER_URL, {**data, "register_anyway": "yes"})
    assert confirmed.status_code == 302
    assert Patient.objects.filter(full_name="Meera Nair").count() == 2


@pytest.mark.django_db
def test_a_namesake_born_another_day_with_another_phone_registers_at_once(
    client, front_desk, stroke
):
    factories.PatientFactory(
        full_name="Meera Nair", date_of_birth=datetime.date(1950, 1, 1), phone="+91 90000 11111"
    )
    client.force_login(front_desk)
    data = {**patient_data(), **management(1), **diagnosis_data(0, stroke, is_primary=True)}
    assert client.post(REGISTER_URL, data).status_code == 302
    assert Patient.objects.filter(full_name="Meera Nair").count() == 2


@pytest.mark.django_db
def test_register_refuses_an_onset_before_the_patient_was_born(client, front_desk, stroke):
    client.force_login(front_desk)
    data = {
        **patient_data(date_of_birth="1990-05-01"),
        **management(1),
        **diagnosis_data(0, stroke, onset_date="1980-01-01", is_primary=True),
    }
    response = client.post(REGISTER_URL, data)
    assert response.status_code == 200
    assert error_on_field(
        response,
        "diagnoses-0-onset_date",
        "Onset date cannot be before the patient was born (1 May 1990).",
    )
    assert not Patient.objects.filter(full_name="Meera Nair").exists()


@pytest.mark.django_db
def test_edit_keeps_a_patient_with_a_running_plan_active_and_their_plans_condition(
    client, front_desk, plan
):
    patient = plan.patient
    knee = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    client.force_login(front_desk)
    data = {
        **patient_data(full_name=patient.full_name),
        "is_active": "",
        **management(1, initial=1),
        **existing_diagnoses_data(patient),
    }
    data["diagnoses-0-condition"] = str(knee.pk)
    response = client.post(edit_url(patient), data)
    assert response.status_code == 200
    assert error_on_field(
        response,
        "is_active",
        f"{patient.full_name} has a rehab plan still running: complete or discontinue it first.",
    )
    assert error_on_field(
        response,
        "diagnoses-0-condition",
        "A rehab plan treats this diagnosis, so its condition stays: add the other condition "
        "as a new diagnosis.",
    )
    patient.refresh_from_db()
    plan.diagnosis.refresh_from_db()
    assert patient.is_active and plan.diagnosis.condition != knee


@pytest.mark.django_db
def test_edit_never_deletes_a_diagnosis(client, front_desk):
    diagnosis = factories.DiagnosisFactory()
    patient = diagnosis.patient
    client.force_login(front_desk)
    data = {
        **patient_data(),
        **management(2, initial=1),
        **existing_diagnoses_data(patient),
        **blank_diagnosis(1),
    }
    data["diagnoses-0-DELETE"] = "on"
    response = client.post(edit_url(patient), data)
    assert response.status_code == 302
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()


@pytest.mark.django_db
def test_therapist_cannot_edit_even_their_own_patient(client, plan, physiotherapist):
    patient = plan.patient
    client.force_login(physiotherapist)
    assert client.get(edit_url(patient)).status_code == 403
    response = client.post(edit_url(patient), {**patient_data(full_name="X"), **management(0)})
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.full_name != "X"


@pytest.mark.django_db
def test_edit_refuses_other_methods_and_anonymous_visitors(client, front_desk):
    patient = factories.PatientFactory()
    url = edit_url(patient)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(front_desk)
    assert client.put(url).status_code == 405


@pytest.mark.django_db
def test_edit_of_an_unknown_patient_is_not_found(client, front_desk):
    client.force_login(front_desk)
    assert client.get(reverse("patients:edit", args=[999])).status_code == 404


# --- The patient's page ---------------------------------------------------


def log_sessions(plan, therapist, count: int):
    for day in range(count):
        services.log_session(
            plan=plan,
            therapist=therapist,
            logged_by=therapist,
            date=plan.start_date + datetime.timedelta(days=day),
            duration_minutes=45,
            focus_areas=["walking"],
            subjective="Tired after the stairs.",
        )


@pytest.mark.django_db
def test_physician_sees_everything_and_can_start_a_plan_for_a_diagnosis_without_one(
    client, physician, plan, physiotherapist, spinal_cord_injury
):
    patient = plan.patient
    patient.family_contact_name = "Anil Nair"
    patient.family_contact_phone = "+91 98470 55502"
    patient.save()
    second = factories.DiagnosisFactory(
        patient=patient,
        condition=spinal_cord_injury,
        is_primary=False,
        spinal_cord_level="T10",
        asia_grade="C",
    )
    log_sessions(plan, physiotherapist, 2)
    client.force_login(physician)
    response = client.get(detail_url(patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert patient.record_number in html and "Anil Nair" in html
    assert "T10, ASIA C" in html
    assert reverse("plans:plan_start", kwargs={"diagnosis_pk": second.pk}) in html
    assert reverse("plans:plan_start", kwargs={"diagnosis_pk": plan.diagnosis_id}) not in html
    assert reverse("plans:plan_detail", args=[plan.pk]) in html
    assert f"{plan.protocol.name} v{plan.protocol.version}" in html
    assert "Stage 1: Stage 1" in html and "status-active" in html
    assert "Rahul Sharma" in html and "Attended, 45 min" in html
    assert "SOAP notes" in html and "Tired after the stairs." in html
    assert f'href="{edit_url(patient)}"' in html


@pytest.mark.django_db
def test_start_a_plan_returns_when_the_plan_is_no_longer_active(client, physician, plan):
    services.change_plan_status(plan=plan, status="completed", by=physician, reason="Goals met")
    client.force_login(physician)
    response = client.get(detail_url(plan.patient))
    html = response.content.decode()
    assert reverse("plans:plan_start", kwargs={"diagnosis_pk": plan.diagnosis_id}) in html
    assert "status-completed" in html


@pytest.mark.django_db
def test_front_desk_sees_plans_and_sessions_but_no_clinical_notes(
    client, front_desk, plan, physiotherapist
):
    log_sessions(plan, physiotherapist, 1)
    client.force_login(front_desk)
    response = client.get(detail_url(plan.patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert plan.protocol.name in html and "status-active" in html
    assert "Attended, 45 min" in html
    assert "Tired after the stairs." not in html and "SOAP" not in html
    assert "Start a plan" not in html
    assert f'href="{reverse("plans:plan_detail", args=[plan.pk])}"' not in html
    assert f'href="{edit_url(plan.patient)}"' in html


@pytest.mark.django_db
def test_allocated_therapist_reads_the_patient_but_cannot_edit(
    client, occupational_therapist, plan, physiotherapist
):
    log_sessions(plan, physiotherapist, 1)
    client.force_login(occupational_therapist)
    response = client.get(detail_url(plan.patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tired after the stairs." in html
    assert reverse("plans:plan_detail", args=[plan.pk]) in html
    assert "Edit patient" not in html and edit_url(plan.patient) not in html
    assert "Start a plan" not in html


@pytest.mark.django_db
def test_therapist_not_on_a_plan_of_the_patient_is_refused(client, therapist_not_on_plan, plan):
    client.force_login(therapist_not_on_plan)
    response = client.get(detail_url(plan.patient))
    assert response.status_code == 403


@pytest.mark.django_db
def test_phone_numbers_are_typed_on_a_number_pad_and_called_with_a_tap(client, front_desk):
    patient = factories.PatientFactory(
        phone="+91 98300 12345", family_contact_name="Asha", family_contact_phone="0484 220 100"
    )
    client.force_login(front_desk)
    form = client.get(REGISTER_URL).content.decode()
    assert re.search(r'<input type="tel" name="phone"', form)
    assert re.search(r'<input type="tel" name="family_contact_phone"', form)
    detail = client.get(detail_url(patient)).content.decode()
    assert '<a href="tel:+919830012345">+91 98300 12345</a>' in detail
    assert '<a href="tel:0484220100">0484 220 100</a>' in detail
    listing = client.get(reverse("patients:list")).content.decode()
    assert '<a href="tel:+919830012345">+91 98300 12345</a>' in listing


@pytest.mark.django_db
def test_detail_shows_only_the_last_ten_sessions(client, physician, plan, physiotherapist):
    log_sessions(plan, physiotherapist, 12)
    client.force_login(physician)
    response = client.get(detail_url(plan.patient))
    assert len(response.context["sessions"]) == 10
    assert "The last 10 sessions, newest first." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("plans", [1, 4])
def test_detail_query_count_does_not_grow_with_plans(
    client, physician, physiotherapist, occupational_therapist, django_assert_max_num_queries, plans
):
    patient = factories.PatientFactory()
    protocol = factories.published_protocol(author=physician)
    for number in range(plans):
        diagnosis = factories.DiagnosisFactory(patient=patient, is_primary=number == 0)
        plan = services.start_plan(
            patient=patient,
            diagnosis=diagnosis,
            protocol=protocol,
            lead_physician=physician,
            start_date=TODAY() - datetime.timedelta(days=7),
            primary_concern="both",
            physiotherapist=physiotherapist,
            occupational_therapist=occupational_therapist,
        )
        log_sessions(plan, physiotherapist, 3)
    client.force_login(physician)
    # The patient page's own 12, and the timetable panel's 2.
    with django_assert_max_num_queries(14):
        response = client.get(detail_url(patient))
    assert response.status_code == 200
    assert len(response.context["plan_rows"]) == plans
    assert RehabPlan.objects.filter(patient=patient).count() == plans


@pytest.mark.django_db
def test_detail_refuses_post_and_anonymous_visitors(client, physician):
    patient = factories.PatientFactory()
    response = client.get(detail_url(patient))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(physician)
    assert client.post(detail_url(patient)).status_code == 405


@pytest.mark.django_db
def test_the_search_reads_trigram_indexes_on_postgresql_and_the_table_on_sqlite():
    """A name or record number matched anywhere: on PostgreSQL, GIN trigram indexes of
    the same expressions serve it (migration patients 0003); SQLite has none."""
    trigram = {"patients_name_trgm_idx", "patients_record_trgm_idx"}
    factories.PatientFactory.create_batch(30)
    rao = factories.PatientFactory(full_name="Meera Rao")
    with connection.cursor() as cursor:
        indexes = set(connection.introspection.get_constraints(cursor, "patients_patient"))
    search = patient_views.search_patients(Patient.objects.all(), "rao")
    if connection.vendor == "postgresql":
        assert trigram <= indexes
        with transaction.atomic(), connection.cursor() as cursor:
            # A test's registry is small enough to read whole, or in name order by its
            # B-tree: rule both out to ask whether the trigram indexes serve the match.
            for scan in ("seqscan", "indexscan", "indexonlyscan"):
                cursor.execute(f"SET LOCAL enable_{scan} = off")
            plan = search.explain()
        assert "patients_name_trgm_idx" in plan and "patients_record_trgm_idx" in plan, plan
    else:
        assert not trigram & indexes
    assert rao in search
