"""The therapists' worklist and the physician's home page."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from outcomes.templatetags import outcomes_tags
from plans import dashboards, services
from plans.models import TherapySession
from tests import factories

TODAY = timezone.localdate
HOME = "/"
ATTENTION = reverse("plans:attention")


def days_ago(days):
    return TODAY() - datetime.timedelta(days=days)


def log(plan, therapist, day=None, attendance="attended", count=1):
    for _ in range(count):
        services.log_session(
            plan=plan,
            therapist=therapist,
            logged_by=therapist,
            date=day or TODAY(),
            duration_minutes=45,
            attendance=attendance,
        )


def section(page, heading, next_heading=None):
    """The part of the page from one heading to the next, to check where a row sits."""
    start = page.index(heading)
    end = page.index(next_heading, start) if next_heading else len(page)
    return page[start:end]


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# --- Therapist worklist ----------------------------------------------------


@pytest.mark.django_db
def test_worklist_lists_my_patient_with_stage_focus_and_actions(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    response = client.get(HOME)
    page = response.content.decode()
    assert response.status_code == 200
    assert "My worklist" in page
    assert plan.patient.full_name in page and plan.patient.record_number in page
    assert "Stroke" in page and "Stage 1" in page
    assert "0 of 6 this week" in page
    for area in ("standing", "walking", "balance"):
        assert f'<span class="focus-chip">{area}</span>' in page
    assert "dressing" not in page
    log_link = reverse("plans:session_log", args=[plan.pk]) + "?next=/"
    assert log_link in page
    assert reverse("plans:session_missed", args=[plan.pk]) in page
    assert 'value="patient_absent"' in page and 'value="cancelled_by_clinic"' in page
    assert "Patient absent" in page and "Cancelled by clinic" in page
    assert reverse("plans:plan_detail", args=[plan.pk]) in page
    assert [row.plan for row in response.context["rows"]] == [plan]


@pytest.mark.django_db
def test_worklist_count_moves_from_one_to_two_after_logging(client, plan, physiotherapist):
    log(plan, physiotherapist)
    client.force_login(physiotherapist)
    page = client.get(HOME).content.decode()
    assert "1 of 6 this week" in page
    response = client.post(
        reverse("plans:session_log", args=[plan.pk]) + "?next=/",
        {"date": TODAY().isoformat(), "duration_minutes": "45", "attendance": "attended"},
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain == [(HOME, 302)]
    assert "2 of 6 this week" in page
    assert f"Session logged for {plan.patient.full_name}" in page
    assert TherapySession.objects.filter(plan=plan, discipline="PT").count() == 2


@pytest.mark.django_db
def test_worklist_counts_only_attended_sessions_of_my_discipline_this_week(
    client, plan, physiotherapist, occupational_therapist
):
    log(plan, occupational_therapist, count=2)  # OT sessions are not mine to count
    log(plan, physiotherapist, attendance="patient_absent")  # a no-show is not delivered
    if TODAY().weekday() > 0:
        log(plan, physiotherapist, day=days_ago(1))  # earlier this week: counted
    log(plan, physiotherapist, day=days_ago(7 + TODAY().weekday()))  # last week: not counted
    client.force_login(physiotherapist)
    response = client.get(HOME)
    page = response.content.decode()
    expected = 1 if TODAY().weekday() > 0 else 0
    assert f"{expected} of 6 this week" in page
    # Today's only session of mine was a no-show: recorded, but not given.
    assert "Missed session recorded today" in page
    assert "Session logged today" not in page
    client.force_login(occupational_therapist)
    ot_page = client.get(HOME).content.decode()
    assert "2 of 2 this week" in ot_page
    assert "Week done" in ot_page


@pytest.mark.django_db
def test_worklist_shows_patients_still_due_first(client, protocol, physician, physiotherapist):
    done = factories.start_plan(
        protocol=protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        patient=factories.PatientFactory(full_name="Aarav Done"),
    )
    due = factories.start_plan(
        protocol=protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        patient=factories.PatientFactory(full_name="Zoya Due"),
    )
    log(done, physiotherapist, count=6)
    client.force_login(physiotherapist)
    response = client.get(HOME)
    page = response.content.decode()
    assert [row.plan for row in response.context["rows"]] == [due, done]
    assert page.index("Zoya Due") < page.index("Aarav Done")
    assert "6 of 6 this week" in page and "0 of 6 this week" in page


@pytest.mark.django_db
def test_worklist_leaves_out_plans_not_mine_now(
    client, plan, protocol, physician, physiotherapist, therapist_not_on_plan
):
    # Another therapist's patient.
    other = factories.start_plan(
        protocol=protocol, lead_physician=physician, physiotherapist=therapist_not_on_plan
    )
    # A plan on hold.
    held = factories.start_plan(
        protocol=protocol, lead_physician=physician, physiotherapist=physiotherapist
    )
    services.change_plan_status(plan=held, status="on_hold", by=physician, reason="Admitted")
    # Mine only from the next stage on.
    later = factories.start_plan(protocol=protocol, lead_physician=physician)
    later.stages.get(order=2).allocations.filter(discipline="PT").update(therapist=physiotherapist)
    client.force_login(physiotherapist)
    response = client.get(HOME)
    page = response.content.decode()
    assert [row.plan for row in response.context["rows"]] == [plan]
    for hidden in (other, held, later):
        assert hidden.patient.full_name not in page


@pytest.mark.django_db
def test_worklist_lists_my_sessions_logged_today_with_a_correct_link(
    client, plan, physiotherapist, occupational_therapist
):
    log(plan, physiotherapist)
    log(plan, occupational_therapist)
    mine = TherapySession.objects.get(therapist=physiotherapist)
    client.force_login(physiotherapist)
    response = client.get(HOME)
    part = section(response.content.decode(), "Sessions I logged today")
    assert plan.patient.full_name in part
    assert reverse("plans:session_edit", args=[mine.pk]) in part
    assert "Correct" in part
    other = TherapySession.objects.get(therapist=occupational_therapist)
    assert reverse("plans:session_edit", args=[other.pk]) not in part


@pytest.mark.django_db
def test_worklist_shows_a_no_show_logged_today_without_minutes_given(client, plan, physiotherapist):
    services.record_missed_session(
        plan=plan, therapist=physiotherapist, attendance="patient_absent"
    )
    client.force_login(physiotherapist)
    response = client.get(HOME)
    assert response.status_code == 200
    part = section(response.content.decode(), "Sessions I logged today")
    row = part[part.index("<tbody>") : part.index("</tbody>")]
    assert "Patient absent" in row
    # The planned minutes are kept for the record, but the table does not count them as given.
    assert "<td>45</td>" not in row
    assert '— <span class="small text-nowrap">(45 planned)</span>' in row
    log(plan, physiotherapist)  # and then the patient came after all
    page = client.get(HOME).content.decode()
    assert "Session logged today" in page
    assert "Missed session recorded today" not in page


@pytest.mark.django_db
def test_worklist_with_no_patients_says_so(client, therapist_not_on_plan):
    client.force_login(therapist_not_on_plan)
    page = client.get(HOME).content.decode()
    assert "No active plan has you as its physiotherapy therapist" in page
    assert "You have not logged a session today yet." in page


def make_worklist_plans(protocol, physician, physiotherapist, count):
    for _ in range(count):
        plan = factories.start_plan(
            protocol=protocol, lead_physician=physician, physiotherapist=physiotherapist
        )
        log(plan, physiotherapist)


@pytest.mark.django_db
def test_worklist_query_count_does_not_grow_with_patients(
    client, django_assert_max_num_queries, protocol, physician, physiotherapist
):
    make_worklist_plans(protocol, physician, physiotherapist, 2)
    client.force_login(physiotherapist)
    with_two = queries_for(client, HOME)
    make_worklist_plans(protocol, physician, physiotherapist, 6)
    with django_assert_max_num_queries(with_two):
        response = client.get(HOME)
    assert len(response.context["rows"]) == 8
    assert with_two <= 12


# --- Physician home --------------------------------------------------------


@pytest.fixture
def clinic(protocol, physician, other_physician, physiotherapist, occupational_therapist):
    """An overdue plan, a low-delivery plan, a healthy plan, and a colleague's overdue plan."""

    def start(name, start_days_ago, lead=physician):
        return factories.start_plan(
            protocol=protocol,
            lead_physician=lead,
            physiotherapist=physiotherapist,
            occupational_therapist=occupational_therapist,
            start_date=days_ago(start_days_ago),
            patient=factories.PatientFactory(full_name=name),
        )

    overdue = start("Omar Overdue", 29)
    log(overdue, physiotherapist, day=days_ago(1), count=12)  # delivery is fine
    low = start("Lata Lowdose", 14)
    log(low, physiotherapist, day=days_ago(2), count=4)  # 4 of 16 in two weeks
    healthy = start("Hari Healthy", 6)
    log(healthy, physiotherapist, day=days_ago(1), count=6)  # 6 of 8
    colleagues = start("Chitra Colleague", 29, lead=other_physician)
    log(colleagues, physiotherapist, day=days_ago(1), count=12)
    return {"overdue": overdue, "low": low, "healthy": healthy, "colleagues": colleagues}


@pytest.mark.django_db
def test_physician_sees_their_plans_that_need_them_with_reasons(client, physician, clinic):
    client.force_login(physician)
    response = client.get(HOME)
    page = response.content.decode()
    assert response.status_code == 200
    attention = section(page, "Plans that need you", "Ready to move on")
    assert "Omar Overdue" in attention
    assert "Overdue: week 5 of a typical 2" in attention
    assert "Lata Lowdose" in attention
    assert "Delivered 4 of 16 sessions in two weeks" in attention
    assert "Hari Healthy" not in attention
    # A colleague's plan is theirs to look at: the clinic's list is one link away.
    assert "Chitra Colleague" not in attention
    assert f'href="{ATTENTION}"' in attention
    rows = response.context["need_attention"]
    assert [row.plan for row in rows] == [clinic["low"], clinic["overdue"]]  # by patient name


@pytest.mark.django_db
def test_colleagues_plan_that_needs_attention_is_on_the_clinics_list_with_its_lead(
    client, physician, other_physician, clinic
):
    client.force_login(physician)
    page = client.get(ATTENTION).content.decode()
    row = section(page, "Chitra Colleague", "</tr>")
    assert other_physician.display_name in row
    assert "Overdue: week 5 of a typical 2" in row
    mine = section(page, "Omar Overdue", "</tr>")
    assert "You" in mine


@pytest.mark.django_db
def test_home_shows_the_first_of_my_plans_that_need_me_and_links_to_the_clinics(
    client, physician, clinic, monkeypatch
):
    monkeypatch.setattr(dashboards, "ATTENTION_ON_HOME", 1)
    client.force_login(physician)
    response = client.get(HOME)
    page = response.content.decode()
    attention = section(page, "Plans that need you", "Ready to move on")
    # By patient name: Lata Lowdose before Omar Overdue.
    assert [row.plan for row in response.context["need_attention"]] == [clinic["low"]]
    assert response.context["need_attention_count"] == 2
    assert "Omar Overdue" not in attention and "Chitra Colleague" not in attention
    assert "The first 1 of your 2." in attention
    assert f'href="{ATTENTION}"' in attention
    # The board of plans past their typical time is cut the same way, and is mine only.
    overdue = section(page, "Past the typical time", "My active plans")
    assert "Omar Overdue" in overdue and "Chitra Colleague" not in overdue
    assert "Lead physician" not in overdue
    assert "The whole clinic's plans ready to move on or past their time" in overdue


@pytest.mark.django_db
def test_attention_page_lists_every_plan_that_needs_a_physician_a_page_at_a_time(
    client, physician, clinic, monkeypatch
):
    monkeypatch.setattr(dashboards, "ATTENTION_PER_PAGE", 2)
    client.force_login(physician)
    first = client.get(ATTENTION)
    second = client.get(ATTENTION + "?page=2")
    assert first.status_code == second.status_code == 200
    assert [row.plan for row in first.context["rows"]] == [clinic["low"], clinic["overdue"]]
    assert [row.plan for row in second.context["rows"]] == [clinic["colleagues"]]
    text = first.content.decode()
    assert "3 active plans need a look today." in text
    assert "Delivered 4 of 16 sessions in two weeks" in text
    assert "Page 1 of 2" in text and "Hari Healthy" not in text
    colleague = section(second.content.decode(), "Chitra Colleague", "</tr>")
    assert "Overdue: week 5 of a typical 2" in colleague
    # The whole board of plans past their typical time is here too.
    assert "Chitra Colleague" in section(text, "Past the typical time")


@pytest.mark.django_db
def test_attention_pages_the_clinics_board_of_plans_past_their_time(
    client, physician, clinic, monkeypatch
):
    monkeypatch.setattr(outcomes_tags, "BOARD_PER_PAGE", 1)
    client.force_login(physician)
    first = section(client.get(ATTENTION).content.decode(), "Past the typical time")
    second = section(
        client.get(ATTENTION + "?overdue_page=2").content.decode(), "Past the typical time"
    )
    # Mine first: Omar Overdue, then the colleague's.
    assert "Omar Overdue" in first and "Chitra Colleague" not in first
    assert "Chitra Colleague" in second and "Omar Overdue" not in second
    assert "Page 1 of 2" in first
    assert '?overdue_page=2#overdue-heading"' in first
    # Moving through the board keeps the page of the list above it.
    kept = client.get(ATTENTION + "?page=1").content.decode()
    assert '?page=1&amp;overdue_page=2#overdue-heading"' in kept


@pytest.mark.django_db
def test_attention_page_past_the_last_page_or_not_a_number_shows_a_real_page(
    client, physician, clinic, monkeypatch
):
    monkeypatch.setattr(dashboards, "ATTENTION_PER_PAGE", 2)
    client.force_login(physician)
    past = client.get(ATTENTION + "?page=9")
    garbled = client.get(ATTENTION + "?page=two")
    assert past.status_code == garbled.status_code == 200
    assert past.context["page"].number == 2
    assert [row.plan for row in past.context["rows"]] == [clinic["colleagues"]]
    assert garbled.context["page"].number == 1
    assert garbled.context["page"].paginator.count == 3


@pytest.mark.django_db
def test_attention_page_with_nothing_to_do_says_so(client, physician):
    client.force_login(physician)
    response = client.get(ATTENTION)
    assert response.status_code == 200
    assert "No active plan needs a physician's look today." in response.content.decode()


@pytest.mark.django_db
def test_attention_page_is_for_physicians_and_only_read(
    client, physician, physiotherapist, front_desk, clinic
):
    client.force_login(physiotherapist)
    assert client.get(ATTENTION).status_code == 403
    client.force_login(front_desk)
    assert client.get(ATTENTION).status_code == 403
    client.force_login(physician)
    assert client.post(ATTENTION).status_code == 405


@pytest.mark.django_db
def test_attention_page_query_count_does_not_grow_with_plans(
    client, django_assert_max_num_queries, protocol, physician, other_physician, physiotherapist
):
    make_clinic_plans(protocol, physician, other_physician, physiotherapist, 2)
    client.force_login(physician)
    with_two = queries_for(client, ATTENTION)
    make_clinic_plans(protocol, physician, other_physician, physiotherapist, 6)
    with django_assert_max_num_queries(with_two):
        response = client.get(ATTENTION)
    # Overdue, or (started 10 days ago) one session delivered of about eleven.
    assert response.context["page"].paginator.count == 8
    assert with_two <= 15


@pytest.mark.django_db
def test_physician_home_lists_no_held_plans_when_none_is_held(
    client, physician, other_physician, clinic
):
    services.change_plan_status(
        plan=clinic["colleagues"], status="on_hold", by=other_physician, reason="Travelling"
    )
    client.force_login(physician)
    page = client.get(HOME).content.decode()
    assert "My plans on hold" not in page  # the colleague's held plan is theirs
    client.force_login(other_physician)
    assert "Travelling" in section(client.get(HOME).content.decode(), "My plans on hold")


@pytest.mark.django_db
def test_physician_sees_their_active_plans_with_stage_weeks_and_delivery(client, physician, clinic):
    services.change_plan_status(
        plan=clinic["low"], status="on_hold", by=physician, reason="Admitted to hospital"
    )
    client.force_login(physician)
    response = client.get(HOME)
    page = response.content.decode()
    mine = section(page, "My active plans", "My plans on hold")
    assert "Hari Healthy" in mine and "Omar Overdue" in mine
    assert "Chitra Colleague" not in mine  # another physician leads it
    assert "Lata Lowdose" not in mine  # on hold: listed apart, below
    held = section(page, "My plans on hold", "Protocol library")
    assert "1 plan waiting to resume or close" in held
    assert "Lata Lowdose" in held and "Admitted to hospital" in held
    assert date_format(timezone.localdate(), "j M Y") in held
    healthy = section(mine, "Hari Healthy", "</tr>")
    assert clinic["healthy"].protocol.name in healthy
    assert "Stage 1" in healthy
    assert "week 1 of a typical 2" in healthy
    assert "6 of 7 sessions" in healthy  # six days before today at 8 a week
    assert [row.plan.patient.full_name for row in response.context["my_rows"]] == [
        "Hari Healthy",
        "Omar Overdue",
    ]


@pytest.mark.django_db
def test_physician_home_links_to_the_clinics_therapy_this_week(client, physician):
    client.force_login(physician)
    page = client.get(HOME).content.decode()
    link = section(page, "The clinic's therapy this week", "</p>")
    assert reverse("scheduling:clinic_week") in page[page.index("The clinic's therapy") - 80 :]
    assert "on the clinic week" in link


@pytest.mark.django_db
def test_physician_sees_my_active_plans_a_page_at_a_time(
    client, physician, protocol, physiotherapist, monkeypatch
):
    monkeypatch.setattr(dashboards, "MY_PLANS_PER_PAGE", 2)
    for name in ("Asha A", "Bela B", "Chen C"):
        factories.start_plan(
            protocol=protocol,
            lead_physician=physician,
            physiotherapist=physiotherapist,
            patient=factories.PatientFactory(full_name=name),
        )
    client.force_login(physician)
    first = client.get(HOME)
    second = client.get(HOME + "?page=2")
    assert first.status_code == second.status_code == 200
    names = [row.plan.patient.full_name for row in first.context["my_rows"]]
    assert names == ["Asha A", "Bela B"]
    assert [row.plan.patient.full_name for row in second.context["my_rows"]] == ["Chen C"]
    mine = section(first.content.decode(), "My active plans", "Protocol library")
    assert "You lead 3 active plans, 1–2 shown" in mine and "Page 1 of 2" in mine


@pytest.mark.django_db
def test_physician_sees_the_published_protocols_with_their_mix_in_words(
    client, physician, protocol
):
    draft = factories.ProtocolStageFactory(protocol__name="Draft pathway").protocol
    client.force_login(physician)
    page = client.get(HOME).content.decode()
    library = section(page, "Protocol library")
    assert protocol.name in library
    assert "PT-led, then balanced, then OT-led" in library
    assert "6/2 → 5/5 → 3/5" in library
    assert reverse("plans:protocol_list") in library
    assert reverse("plans:protocol_detail", args=[protocol.pk]) in library
    assert draft.name not in library


@pytest.mark.django_db
def test_physician_home_with_nothing_to_do_says_so(client, physician):
    client.force_login(physician)
    page = client.get(HOME).content.decode()
    assert "None of your active plans needs a look today." in page
    assert "You lead no active plan at the moment." in page
    assert "No protocol is published yet." in page


def make_clinic_plans(protocol, physician, other_physician, therapist, count):
    for number in range(count):
        lead = physician if number % 2 else other_physician
        plan = factories.start_plan(
            protocol=protocol,
            lead_physician=lead,
            physiotherapist=therapist,
            start_date=days_ago(29 if number % 3 else 10),
        )
        log(plan, therapist, day=days_ago(1))


@pytest.mark.django_db
def test_physician_home_query_count_does_not_grow_with_plans(
    client,
    django_assert_max_num_queries,
    protocol,
    physician,
    other_physician,
    physiotherapist,
):
    make_clinic_plans(protocol, physician, other_physician, physiotherapist, 2)
    factories.published_protocol(author=physician)
    client.force_login(physician)
    with_two = queries_for(client, HOME)
    make_clinic_plans(protocol, physician, other_physician, physiotherapist, 6)
    factories.published_protocol(author=physician)
    with django_assert_max_num_queries(with_two):
        response = client.get(HOME)
    assert len(response.context["my_rows"]) == 4
    assert response.context["need_attention_count"] == 4
    assert len(response.context["protocols"]) == 3
    assert with_two <= 15


# --- Who sees which home ---------------------------------------------------


@pytest.mark.django_db
def test_front_desk_home_goes_to_the_patient_list(client, front_desk):
    client.force_login(front_desk)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url == reverse("patients:list")


@pytest.mark.django_db
def test_home_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["physician", "physiotherapist"])
def test_home_is_read_only(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(HOME).status_code == 405
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_the_menu_says_which_page_is_open(client, physician):
    client.force_login(physician)
    home = client.get(reverse("home")).content.decode()
    assert re.search(r'href="/"\s+aria-current="page">Home<', home)
    patients = client.get(reverse("patients:list")).content.decode()
    assert re.search(r'href="/patients/"\s+aria-current="page">Patients<', patients)
    assert patients.count('aria-current="page"') == 1
    protocols = client.get(reverse("plans:protocol_list")).content.decode()
    assert re.search(r'href="/protocols/"\s+aria-current="page">Protocols<', protocols)
