"""Two people acting on the same plan at once never lose or double a change.

Two kinds of test:

* Stale pages (both databases): two people open the same page, both send it;
  the second is refused with a message instead of silently overwriting.
* Really at once (threads, each with its own database connection, released
  together by a barrier). On PostgreSQL the services' row locks
  (SELECT ... FOR UPDATE) are what serialise them: these tests assert
  PostgreSQL's behaviour and run in its CI job. SQLite has no row locks and
  refuses a second writer outright ("database table is locked"), so there the
  threads take turns through a Python lock that stands in for its whole-database
  write lock; the same outcomes are asserted on both.
"""

import contextlib
import datetime
import html
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plans import services
from plans.models import PlanStage, RehabPlan, SessionAllocation, StageTransition, TherapySession
from tests import factories

TODAY = timezone.localdate
CONCURRENT = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def role_groups(request):
    """A transactional test's flush empties the role groups a data migration made;
    put them back for the tests that commit for real."""
    if request.node.get_closest_marker("django_db").kwargs.get("transaction"):
        from rehab.roles import sync_roles

        request.getfixturevalue("transactional_db")
        sync_roles()


def page(response) -> str:
    return html.unescape(response.content.decode())


def current_order(plan) -> int:
    return plan.stages.get(status=PlanStage.Status.CURRENT).order


def run_at_once(actions) -> list[tuple[str, object]]:
    """Run each action in its own thread, all released at the same moment.

    Returns ("done", result), ("refused", ValidationError) or ("error", exception)
    for each action, in order.
    """
    barrier = threading.Barrier(len(actions))
    on_postgresql = connection.vendor == "postgresql"
    turns = contextlib.nullcontext() if on_postgresql else threading.Lock()
    outcomes: list = [None] * len(actions)

    def work(index, action):
        try:
            barrier.wait(timeout=60)
            with turns:
                outcomes[index] = ("done", action())
        except ValidationError as error:
            outcomes[index] = ("refused", error)
        except Exception as error:  # reported by the assertions below
            outcomes[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=work, args=(index, action)) for index, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(not thread.is_alive() for thread in threads), "a thread never finished"
    errors = [outcome for outcome in outcomes if outcome[0] == "error"]
    assert not errors, f"unexpected errors: {errors}"
    return outcomes


def codes(outcomes) -> list[str]:
    return sorted(
        outcome[1].error_list[0].code if outcome[0] == "refused" else "done" for outcome in outcomes
    )


# --- Two physicians advance the same plan ---------------------------------------------


@pytest.mark.django_db
def test_second_physician_on_the_same_old_page_is_told_the_plan_moved(
    client, plan, physician, other_physician
):
    url = reverse("plans:plan_detail", args=[plan.pk])
    client.force_login(physician)
    first_page = page(client.get(url))
    assert 'name="expected_stage_order" value="1"' in first_page
    other = Client()
    other.force_login(other_physician)
    assert 'name="expected_stage_order" value="1"' in page(other.get(url))

    advance = reverse("plans:plan_advance", args=[plan.pk])
    sent = {"to_order": "", "reason": "", "effective_date": "", "expected_stage_order": "1"}
    assert client.post(advance, sent).status_code == 302
    response = other.post(advance, sent)
    assert response.status_code == 200
    assert "The plan was moved by someone else; reload it." in page(response)
    assert current_order(plan) == 2
    assert StageTransition.objects.filter(plan=plan).count() == 2  # the start and one move


@pytest.mark.django_db
def test_advance_with_the_current_stage_still_works(plan, physician):
    stage = services.advance_stage(plan=plan, by=physician, expected_stage_order=1)
    assert stage.order == 2
    with pytest.raises(ValidationError) as refused:
        services.advance_stage(plan=plan, by=physician, expected_stage_order=1)
    assert refused.value.error_list[0].code == "stage_changed"
    assert current_order(plan) == 2


@CONCURRENT
def test_two_physicians_advancing_at_once_move_the_plan_exactly_once():
    physician = factories.physician(username="dr.a")
    colleague = factories.physician(username="dr.b")
    plan = factories.start_plan(lead_physician=physician)
    clients = []
    for user in (physician, colleague):
        browser = Client()
        browser.force_login(user)
        clients.append(browser)
    advance = reverse("plans:plan_advance", args=[plan.pk])
    sent = {"to_order": "", "reason": "", "effective_date": "", "expected_stage_order": "1"}

    outcomes = run_at_once(
        [lambda browser=browser: browser.post(advance, sent) for browser in clients]
    )

    statuses = sorted(outcome[1].status_code for outcome in outcomes)
    assert statuses == [200, 302]
    refused = next(outcome[1] for outcome in outcomes if outcome[1].status_code == 200)
    assert "The plan was moved by someone else; reload it." in page(refused)
    assert current_order(plan) == 2
    assert StageTransition.objects.filter(plan=plan).count() == 2
    assert PlanStage.objects.filter(plan=plan, status="done").count() == 1


@CONCURRENT
def test_two_advances_at_once_through_the_service_make_one_move():
    physician = factories.physician(username="dr.a")
    colleague = factories.physician(username="dr.b")
    plan = factories.start_plan(lead_physician=physician)
    outcomes = run_at_once(
        [
            lambda user=user: services.advance_stage(plan=plan, by=user, expected_stage_order=1)
            for user in (physician, colleague)
        ]
    )
    assert codes(outcomes) == ["done", "stage_changed"]
    assert current_order(plan) == 2
    assert StageTransition.objects.filter(plan=plan).count() == 2


# --- Twenty therapists log sessions at the same moment ------------------------------------


@CONCURRENT
def test_twenty_therapists_logging_at_once_are_all_stored():
    protocol = factories.published_protocol()
    pairs = []
    for number in range(10):
        physiotherapist = factories.physiotherapist(username=f"pt.{number}")
        occupational_therapist = factories.occupational_therapist(username=f"ot.{number}")
        plan = factories.start_plan(
            protocol=protocol,
            lead_physician=protocol.author,
            physiotherapist=physiotherapist,
            occupational_therapist=occupational_therapist,
        )
        pairs += [(plan, physiotherapist), (plan, occupational_therapist)]
    assert len(pairs) == 20

    def log(plan, therapist):
        return services.log_session(
            plan=plan,
            therapist=therapist,
            logged_by=therapist,
            date=TODAY(),
            start_time=datetime.time(10, 0),
            duration_minutes=45,
            subjective=f"Seen by {therapist.username}",
        )

    outcomes = run_at_once([lambda p=plan, t=therapist: log(p, t) for plan, therapist in pairs])

    assert codes(outcomes) == ["done"] * 20
    assert TherapySession.objects.count() == 20
    stored = set(TherapySession.objects.values_list("therapist__username", "plan_id"))
    assert stored == {(therapist.username, plan.pk) for plan, therapist in pairs}
    assert TherapySession.history.count() == 20
    assert all(row.history_user_id == row.therapist_id for row in TherapySession.history.all())


# --- Two people editing the same plan form (optimistic locking) -----------------------------


@pytest.mark.django_db
def test_plan_forms_carry_the_plan_version(client, plan, physician):
    client.force_login(physician)
    version = RehabPlan.objects.get(pk=plan.pk).version
    hidden = f'name="version" value="{version}"'
    assert hidden in page(client.get(reverse("plans:plan_allocate", args=[plan.pk])))
    stage = plan.stages.get(order=2)
    individualise = reverse("plans:plan_individualise", args=[plan.pk, stage.pk])
    assert hidden in page(client.get(individualise))
    assert hidden in page(client.get(reverse("plans:plan_detail", args=[plan.pk])))


@pytest.mark.django_db
def test_every_plan_service_counts_a_new_version(plan, physician, therapist_not_on_plan):
    def version():
        return RehabPlan.objects.get(pk=plan.pk).version

    start = version()
    services.allocate_therapist(
        plan=plan, discipline="PT", therapist=therapist_not_on_plan, by=physician
    )
    assert version() == start + 1
    services.individualise_stage_mix(
        stage=plan.stages.get(order=2),
        pt_sessions_per_week=4,
        ot_sessions_per_week=6,
        reason="Hands",
        by=physician,
    )
    assert version() == start + 2
    services.advance_stage(plan=plan, by=physician)
    assert version() == start + 3
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Ill")
    assert version() == start + 4


@pytest.mark.django_db
def test_second_allocation_on_the_same_old_form_is_refused(
    client, plan, physician, other_physician, therapist_not_on_plan
):
    url = reverse("plans:plan_allocate", args=[plan.pk])
    version = RehabPlan.objects.get(pk=plan.pk).version
    newcomer = factories.physiotherapist(username="pt.khan", first_name="Imran", last_name="Khan")
    client.force_login(physician)
    response = client.post(
        url,
        {
            "version": version,
            "physiotherapist": therapist_not_on_plan.pk,
            "occupational_therapist": "",
        },
    )
    assert response.status_code == 302
    other = Client()
    other.force_login(other_physician)
    response = other.post(
        url, {"version": version, "physiotherapist": newcomer.pk, "occupational_therapist": ""}
    )
    assert response.status_code == 200
    assert "changed by someone else" in page(response)
    current = SessionAllocation.objects.get(
        plan_stage__plan=plan, plan_stage__status="current", discipline="PT"
    )
    assert current.therapist == therapist_not_on_plan


@pytest.mark.django_db
def test_second_individualisation_on_the_same_old_form_is_refused(
    client, plan, physician, other_physician
):
    stage = plan.stages.get(order=2)
    url = reverse("plans:plan_individualise", args=[plan.pk, stage.pk])
    version = RehabPlan.objects.get(pk=plan.pk).version
    client.force_login(physician)
    sent = {"version": version, "pt_sessions_per_week": 4, "ot_sessions_per_week": 6}
    assert client.post(url, {**sent, "reason": "Hands"}).status_code == 302
    other = Client()
    other.force_login(other_physician)
    response = other.post(url, {**sent, "pt_sessions_per_week": 7, "reason": "Walking"})
    assert response.status_code == 200
    assert "changed by someone else" in page(response)
    stage.refresh_from_db()
    assert (stage.pt_sessions_per_week, stage.ot_sessions_per_week) == (4, 6)
    assert stage.mix_changes.count() == 1


@pytest.mark.django_db
def test_second_status_change_on_the_same_old_page_is_refused(
    client, plan, physician, other_physician
):
    url = reverse("plans:plan_status", args=[plan.pk])
    version = RehabPlan.objects.get(pk=plan.pk).version
    client.force_login(physician)
    sent = {"version": version, "status": "on_hold", "reason": "Chest infection"}
    assert client.post(url, sent).status_code == 302
    other = Client()
    other.force_login(other_physician)
    response = other.post(url, {**sent, "status": "discontinued", "reason": "Moved away"})
    assert response.status_code == 200
    assert "changed by someone else" in page(response)
    plan.refresh_from_db()
    assert plan.status == "on_hold"
    assert plan.status_reason == "Chest infection"


@pytest.mark.django_db
def test_a_tampered_version_is_refused_kindly(client, plan, physician):
    client.force_login(physician)
    response = client.post(
        reverse("plans:plan_status", args=[plan.pk]),
        {"version": "not-a-number", "status": "on_hold", "reason": "Ill"},
    )
    assert response.status_code == 200
    assert "This form is out of date; reload the plan and try again." in page(response)
    plan.refresh_from_db()
    assert plan.status == "active"


@CONCURRENT
def test_two_status_changes_at_once_keep_the_first_and_refuse_the_second():
    physician = factories.physician(username="dr.a")
    colleague = factories.physician(username="dr.b")
    plan = factories.start_plan(lead_physician=physician)
    version = RehabPlan.objects.get(pk=plan.pk).version
    wishes = [(physician, "on_hold", "Chest infection"), (colleague, "discontinued", "Moved")]
    outcomes = run_at_once(
        [
            lambda user=user, status=status, reason=reason: services.change_plan_status(
                plan=plan, status=status, by=user, reason=reason, expected_version=version
            )
            for user, status, reason in wishes
        ]
    )
    assert codes(outcomes) == ["done", "plan_changed"]
    refused = next(outcome[1] for outcome in outcomes if outcome[0] == "refused")
    assert "changed by someone else" in refused.messages[0]
    winner = next(outcome[1] for outcome in outcomes if outcome[0] == "done")
    stored = RehabPlan.objects.get(pk=plan.pk)
    assert stored.status == winner.status
    assert stored.version == version + 1
    # Exactly one status change is in the history.
    changes = RehabPlan.history.filter(id=plan.pk, history_type="~")
    assert changes.count() == 1
