"""The permission matrix: every URL the project serves, and what each person gets.

`MATRIX` has one row per URL pattern (from the URL resolver, admin and the API
included) giving the answer to GET and to an empty POST for: an anonymous
visitor, a physician, the plan's physiotherapist, the plan's occupational
therapist, the front desk, and a physiotherapist who is not allocated to the
plan. URL arguments are filled from a small clinic built for each row. A URL
without a row fails the suite, naming it: add its row when you add the URL.

Answers: a status code, or LOGIN (a redirect to the sign-in page),
ADMIN_LOGIN (a redirect to admin's sign-in page).
"""

import datetime
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from outcomes import services as outcome_services
from plans import services
from scheduling import services as scheduling_services
from scheduling.models import ClinicHoliday, Leave

LOGIN = "login"
ADMIN_LOGIN = "admin login"
ROLES = (
    "anonymous",
    "physician",
    "physiotherapist",
    "occupational_therapist",
    "front_desk",
    "therapist_not_on_plan",
)
# Namespaces whose URLs this matrix knows; a URL in any other namespace fails
# with a message asking for its rows.
KNOWN_NAMESPACES = {None, "patients", "plans", "admin", "api", "fhir", "outcomes", "scheduling"}


@dataclass(frozen=True)
class Row:
    """Expected answers in ROLES order, and which clinic object fills each URL argument."""

    get: tuple
    post: tuple
    args: dict = field(default_factory=dict)


def row(get, post=None, **args) -> Row:
    """`row((LOGIN, 200, ...), (...), pk="plan")`; post defaults to 405 for the signed in."""
    if post is None:
        post = (get[0], 405, 405, 405, 405, 405)
    assert len(get) == len(post) == len(ROLES)
    return Row(tuple(get), tuple(post), args)


def everyone(answer, anonymous=LOGIN) -> tuple:
    return (anonymous, answer, answer, answer, answer, answer)


# physician, physiotherapist, occupational therapist, front desk, therapist not on plan
PLAN_READERS = (LOGIN, 200, 200, 200, 403, 403)
PHYSICIAN_ONLY = (LOGIN, 200, 403, 403, 403, 403)
PHYSICIAN_ONLY_POST = (LOGIN, 200, 403, 403, 403, 403)
REGISTRY = (LOGIN, 200, 403, 403, 200, 403)
CLINICIANS = (LOGIN, 200, 200, 200, 403, 200)
# Who books timetables: physicians and the front desk.
BOOKERS = (LOGIN, 200, 403, 403, 200, 403)
BOOKERS_REDIRECT = (LOGIN, 302, 403, 403, 302, 403)
# The API answers an anonymous client 401 (with how to authenticate), not a redirect.
API_ANONYMOUS = 401
API_NO_POST = everyone(405, API_ANONYMOUS)
API_NO_GET = everyone(405, API_ANONYMOUS)
API_CLINICIANS = (API_ANONYMOUS, 200, 200, 200, 403, 200)
API_PHYSICIAN_WRITE = (API_ANONYMOUS, 415, 403, 403, 403, 403)

MATRIX: dict[str, Row] = {
    # --- Home and signing in -------------------------------------------------------------
    "home": row((LOGIN, 200, 200, 200, 302, 200)),
    "login": row(everyone(200, anonymous=200), everyone(200, anonymous=200)),
    # Signing out sends everyone to the sign-in page.
    "logout": row(everyone(405), everyone(LOGIN)),
    "password_change": row(everyone(200), everyone(200)),
    "password_change_done": row(everyone(200)),
    "password_reset": row(everyone(200, anonymous=200), everyone(200, anonymous=200)),
    "password_reset_done": row(everyone(200, anonymous=200), everyone(405, anonymous=405)),
    "password_reset_confirm": row(
        everyone(200, anonymous=200), everyone(200, anonymous=200), uidb64="MQ", token="x-y"
    ),
    "password_reset_complete": row(everyone(200, anonymous=200), everyone(405, anonymous=405)),
    # --- Patients ---------------------------------------------------------------------------
    "patients:list": row(REGISTRY),
    "patients:register": row(REGISTRY, REGISTRY),
    "patients:detail": row((LOGIN, 200, 200, 200, 200, 403), pk="patient"),
    "patients:edit": row(REGISTRY, REGISTRY, pk="patient"),
    # --- Protocols --------------------------------------------------------------------------
    "plans:protocol_list": row(CLINICIANS),
    "plans:protocol_create": row(PHYSICIAN_ONLY, PHYSICIAN_ONLY_POST),
    "plans:protocol_detail": row(CLINICIANS, pk="protocol"),
    "plans:protocol_edit": row(
        (LOGIN, 302, 403, 403, 403, 403), (LOGIN, 302, 403, 403, 403, 403), pk="protocol"
    ),
    "plans:protocol_publish": row(
        (LOGIN, 405, 405, 405, 405, 405), (LOGIN, 302, 403, 403, 403, 403), pk="protocol"
    ),
    "plans:protocol_new_version": row(
        (LOGIN, 405, 405, 405, 405, 405), (LOGIN, 302, 403, 403, 403, 403), pk="protocol"
    ),
    "plans:protocol_retire": row(
        (LOGIN, 405, 405, 405, 405, 405), (LOGIN, 302, 403, 403, 403, 403), pk="protocol"
    ),
    # --- A patient's plan -------------------------------------------------------------------
    "plans:plan_start": row(PHYSICIAN_ONLY, PHYSICIAN_ONLY_POST, diagnosis_pk="diagnosis"),
    "plans:attention": row(PHYSICIAN_ONLY),
    "plans:plan_detail": row(PLAN_READERS, pk="plan"),
    "plans:plan_allocate": row(PHYSICIAN_ONLY, (LOGIN, 302, 403, 403, 403, 403), pk="plan"),
    "plans:plan_individualise": row(
        PHYSICIAN_ONLY, PHYSICIAN_ONLY_POST, pk="plan", stage_pk="stage"
    ),
    "plans:plan_advance": row(
        (LOGIN, 405, 405, 405, 405, 405), (LOGIN, 302, 403, 403, 403, 403), pk="plan"
    ),
    "plans:plan_status": row(
        (LOGIN, 405, 405, 405, 405, 405), (LOGIN, 200, 403, 403, 403, 403), pk="plan"
    ),
    "plans:family_summary": row((LOGIN, 200, 200, 200, 200, 403), pk="plan"),
    # --- Therapy sessions ---------------------------------------------------------------------
    "plans:session_log": row(
        (LOGIN, 403, 200, 200, 403, 403), (LOGIN, 403, 200, 200, 403, 403), pk="plan"
    ),
    "plans:session_missed": row(
        # An empty POST names no attendance: a bad request, after the role check.
        (LOGIN, 405, 405, 405, 405, 405),
        (LOGIN, 403, 400, 400, 403, 403),
        pk="plan",
    ),
    "plans:session_edit": row(
        (LOGIN, 200, 200, 403, 403, 403), (LOGIN, 200, 200, 403, 403, 403), pk="session"
    ),
    # --- Outcomes (assessments and goals) ---------------------------------------------------
    "outcomes:assessment_choose": row(PLAN_READERS, pk="plan"),
    "outcomes:assessment_record": row(PLAN_READERS, PLAN_READERS, pk="plan", measure_key="barthel"),
    "outcomes:goal_create": row(PLAN_READERS, PLAN_READERS, pk="plan"),
    "outcomes:assessment_detail": row(PLAN_READERS, pk="assessment"),
    "outcomes:goal_edit": row(PLAN_READERS, PLAN_READERS, pk="goal"),
    # The clinic's protocol is published: its exit rules are read only (back to its page).
    "outcomes:stage_exit_rules": row(
        (LOGIN, 302, 403, 403, 403, 403),
        (LOGIN, 302, 403, 403, 403, 403),
        pk="protocol",
        order="1",
    ),
    # --- Scheduling (timetables) -----------------------------------------------------------
    "scheduling:plan_timetable": row(BOOKERS, BOOKERS, pk="plan"),
    # An empty POST when there is nothing to review: a conflict, after the role check.
    "scheduling:plan_review": row(BOOKERS, (LOGIN, 409, 403, 403, 409, 403), pk="plan"),
    "scheduling:my_week": row(everyone(302)),
    "scheduling:therapist_week": row((LOGIN, 200, 200, 403, 200, 403), pk="physiotherapist"),
    "scheduling:patient_week": row((LOGIN, 200, 200, 200, 200, 403), pk="patient"),
    "scheduling:patient_preference": row(
        everyone(405), (LOGIN, 302, 403, 403, 302, 403), pk="patient"
    ),
    "scheduling:clinic_week": row(BOOKERS),
    "scheduling:clinic_calendar": row(BOOKERS),
    # Adding refuses an empty form on the calendar page (200); removing needs a confirm
    # and otherwise sends the person back to the calendar (302).
    "scheduling:holiday_add": row(everyone(405), BOOKERS),
    "scheduling:leave_add": row(everyone(405), BOOKERS),
    "scheduling:holiday_remove": row(everyone(405), BOOKERS_REDIRECT, pk="holiday"),
    "scheduling:leave_remove": row(everyone(405), BOOKERS_REDIRECT, pk="leave"),
    "scheduling:working_hours": row(BOOKERS, BOOKERS, pk="physiotherapist"),
    # The appointment is the plan physiotherapist's, booked by the front desk.
    "scheduling:appointment_detail": row(
        (LOGIN, 200, 200, 403, 200, 403), (LOGIN, 200, 200, 403, 200, 403), pk="appointment"
    ),
    "scheduling:appointment_missed": row(
        (LOGIN, 405, 405, 405, 405, 405), (LOGIN, 400, 400, 403, 400, 403), pk="appointment"
    ),
    # A future appointment cannot be marked attended yet (409) by those who may mark it.
    "scheduling:appointment_attended": row(
        (LOGIN, 200, 200, 403, 403, 403), (LOGIN, 409, 409, 403, 403, 403), pk="appointment"
    ),
    "scheduling:calendar_address": row(
        (LOGIN, 403, 200, 200, 403, 200), (LOGIN, 403, 400, 400, 403, 400)
    ),
    # The feed is read by calendar apps with a secret in the address, never a session.
    "scheduling:feed": row(everyone(404, 404), everyone(405, 405), secret="not-a-real-secret"),
    # --- REST API (JSON only: an empty form POST is 415 where the role may write) -----------
    "api:patient-list": row(
        (API_ANONYMOUS, 200, 200, 200, 200, 200), (API_ANONYMOUS, 415, 403, 403, 415, 403)
    ),
    "api:patient-detail": row((API_ANONYMOUS, 200, 200, 200, 200, 403), API_NO_POST, pk="patient"),
    "api:patient-diagnoses": row(
        API_NO_GET, (API_ANONYMOUS, 415, 403, 403, 415, 403), pk="patient"
    ),
    "api:condition-list": row(everyone(200, API_ANONYMOUS), API_NO_POST),
    "api:condition-detail": row(everyone(200, API_ANONYMOUS), API_NO_POST, pk="condition"),
    "api:protocol-list": row(API_CLINICIANS, (API_ANONYMOUS, 415, 403, 403, 403, 403)),
    "api:protocol-detail": row(API_CLINICIANS, API_NO_POST, pk="protocol"),
    "api:protocol-new-version": row(
        API_NO_GET, (API_ANONYMOUS, 201, 403, 403, 403, 403), pk="protocol"
    ),
    # Publishing a published protocol is refused (400) after the role check.
    "api:protocol-publish": row(
        API_NO_GET, (API_ANONYMOUS, 400, 403, 403, 403, 403), pk="protocol"
    ),
    "api:protocol-retire": row(API_NO_GET, (API_ANONYMOUS, 200, 403, 403, 403, 403), pk="protocol"),
    "api:plan-list": row(
        (API_ANONYMOUS, 200, 200, 200, 403, 200), (API_ANONYMOUS, 415, 403, 403, 403, 403)
    ),
    "api:plan-detail": row((API_ANONYMOUS, 200, 200, 200, 403, 403), API_NO_POST, pk="plan"),
    "api:plan-advance": row(API_NO_GET, API_PHYSICIAN_WRITE, pk="plan"),
    "api:plan-allocate": row(API_NO_GET, API_PHYSICIAN_WRITE, pk="plan"),
    "api:plan-change-status": row(API_NO_GET, API_PHYSICIAN_WRITE, pk="plan"),
    "api:plan-individualise": row(API_NO_GET, API_PHYSICIAN_WRITE, pk="plan"),
    "api:session-list": row((API_ANONYMOUS, 200, 200, 200, 403, 200), everyone(415, API_ANONYMOUS)),
    "api:session-detail": row((API_ANONYMOUS, 200, 200, 200, 403, 403), API_NO_POST, pk="session"),
    "api:assessment-list": row(
        (API_ANONYMOUS, 200, 200, 200, 403, 200), everyone(415, API_ANONYMOUS)
    ),
    "api:assessment-detail": row(
        (API_ANONYMOUS, 200, 200, 200, 403, 403), API_NO_POST, pk="assessment"
    ),
    "api:goal-list": row((API_ANONYMOUS, 200, 200, 200, 403, 200), API_NO_POST),
    "api:goal-detail": row((API_ANONYMOUS, 200, 200, 200, 403, 403), API_NO_POST, pk="goal"),
    # Exchanging a username and password for a token: POST only, open to anyone.
    "api:token": row(everyone(405, 405), everyone(400, 400)),
    "api:schema": row(everyone(200, API_ANONYMOUS), API_NO_POST),
    "api:docs": row(everyone(200)),
    "api:index": row(everyone(200, API_ANONYMOUS), API_NO_POST),
    # Any other address under the API: a JSON 404 for everyone, signed in or not.
    "api:not_found": row(everyone(404, 404), everyone(404, 404), rest="nothing/here/"),
    # --- FHIR R4 read API -------------------------------------------------------------------
    "fhir:metadata": row(everyone(200, 200), everyone(405, 405)),
    "fhir:read": row(
        (API_ANONYMOUS, 200, 200, 200, 200, 403),
        API_NO_POST,
        resource_type="Patient",
        resource_id="patient",
    ),
    "fhir:search": row(everyone(200, API_ANONYMOUS), API_NO_POST, resource_type="Patient"),
}

# Every admin page needs a staff member: nobody in the six columns is one, so
# the signed in are sent to admin's sign-in, and the anonymous to the site's.
ADMIN_ROW = row(everyone(ADMIN_LOGIN), everyone(ADMIN_LOGIN))
# Admin's own pages (not a model's) send the anonymous to admin's sign-in.
ADMIN_SITE_ROW = row(everyone(ADMIN_LOGIN, ADMIN_LOGIN), everyone(ADMIN_LOGIN, ADMIN_LOGIN))
ADMIN_EXCEPTIONS = {
    "admin:login": row(everyone(200, anonymous=200), everyone(200, anonymous=200)),
    # Signing out of admin without being staff goes back to admin's start.
    "admin:logout": row(everyone(302, ADMIN_LOGIN), everyone(302, ADMIN_LOGIN)),
    **{
        f"admin:{name}": ADMIN_SITE_ROW
        for name in (
            "index",
            "password_change",
            "password_change_done",
            "autocomplete",
            "jsi18n",
            "view_on_site",
            "app_list",
        )
    },
    "<admin/(?P<url>.*)$>": ADMIN_SITE_ROW,
}


# --- Enumerating the URLs ------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    key: str  # the URL name, or "<route>" for a pattern without a name
    namespace: str | None
    route: str
    arguments: tuple[str, ...]
    pattern: URLPattern
    positional: int = 0  # unnamed groups of a regex route, filled with "1"


def _arguments(pattern) -> tuple[str, ...]:
    compiled = pattern.pattern.regex
    return tuple(compiled.groupindex)


def served_urls(patterns=None, prefix="", namespace=None, argument_names=()) -> list[Served]:
    """Every URL pattern of the project, walked recursively through includes."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found += served_urls(
                entry.url_patterns,
                prefix + str(entry.pattern),
                inner,
                argument_names + _arguments(entry),
            )
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            arguments = argument_names + _arguments(entry)
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
                if "format" in arguments:
                    key += " (format suffix)"
            else:
                key = f"<{route}>"
            regex = entry.pattern.regex
            positional = regex.groups - len(regex.groupindex)
            found.append(Served(key, namespace, route, arguments, entry, positional))
    return found


def expected_row(served: Served) -> Row | None:
    top = (served.namespace or "").split(":")[0] or None
    if top == "admin":
        return ADMIN_EXCEPTIONS.get(served.key, ADMIN_ROW)
    base = served.key.removesuffix(" (format suffix)")
    return MATRIX.get(base)


def test_every_served_url_has_a_row():
    missing, unknown = [], []
    for served in served_urls():
        top = (served.namespace or "").split(":")[0] or None
        if top not in KNOWN_NAMESPACES:
            unknown.append(f"{served.key}  ({served.route})")
        elif expected_row(served) is None:
            missing.append(f"{served.key}  ({served.route})")
    message = []
    if unknown:
        message.append(
            "URLs in a namespace the permission matrix does not know; add the namespace to "
            "KNOWN_NAMESPACES and a row for each URL in tests/test_permission_matrix.py:\n  "
            + "\n  ".join(unknown)
        )
    if missing:
        message.append(
            "URLs without a row in the permission matrix (tests/test_permission_matrix.py); "
            "add what each role gets:\n  " + "\n  ".join(missing)
        )
    assert not message, "\n".join(message)


def test_matrix_has_no_rows_for_urls_that_are_gone():
    served = {s.key.removesuffix(" (format suffix)") for s in served_urls()}
    stale = sorted(set(MATRIX) - served)
    assert not stale, f"Rows for URLs the project no longer serves: {stale}"


# --- The clinic the rows are tried on --------------------------------------------------------


@pytest.fixture
def clinic(
    plan, physician, physiotherapist, occupational_therapist, front_desk, therapist_not_on_plan
):
    session = services.log_session(
        plan=plan,
        therapist=physiotherapist,
        logged_by=physiotherapist,
        date=timezone.localdate() - datetime.timedelta(days=1),
        duration_minutes=45,
    )
    assessment = outcome_services.record_assessment(
        plan=plan,
        measure_key="nprs",
        assessor=physiotherapist,
        date=timezone.localdate(),
        item_scores={"pain": 4},
    )
    goal = outcome_services.save_goal(
        plan=plan,
        by=physician,
        discipline="PT",
        family="move_better",
        description="Walk to the bathroom",
        target_date=timezone.localdate() + datetime.timedelta(weeks=4),
    )
    monday = timezone.localdate() + datetime.timedelta(days=7 - timezone.localdate().weekday())
    (appointment,) = scheduling_services.book_appointments(
        plan=plan,
        slots=[
            scheduling_services.Slot(
                "PT",
                physiotherapist.pk,
                timezone.make_aware(datetime.datetime.combine(monday, datetime.time(10))),
                45,
            )
        ],
        by=front_desk,
    )
    return SimpleNamespace(
        holiday=ClinicHoliday.objects.create(
            date=monday + datetime.timedelta(days=1), name="Diwali"
        ),
        leave=Leave.objects.create(
            therapist=occupational_therapist, start_date=monday, end_date=monday
        ),
        assessment=assessment,
        goal=goal,
        appointment=appointment,
        plan=plan,
        condition=plan.diagnosis.condition,
        physiotherapist=physiotherapist,
        patient=plan.patient,
        diagnosis=plan.diagnosis,
        protocol=plan.protocol,
        stage=plan.stages.get(order=2),
        session=session,
        users={
            "anonymous": None,
            "physician": physician,
            "physiotherapist": physiotherapist,
            "occupational_therapist": occupational_therapist,
            "front_desk": front_desk,
            "therapist_not_on_plan": therapist_not_on_plan,
        },
    )


# Arguments that mean the same whatever the URL.
COMMON_ARGUMENTS = {
    "format": "json",
    "app_label": "plans",
    "content_type_id": "1",
    "object_id": "1",
    "id": "1",
    "history_id": "1",
    "url": "no-such-page/",
}


def argument_value(name: str, served: Served, expected: Row, clinic) -> str:
    if name in expected.args:
        value = expected.args[name]
        obj = getattr(clinic, value, None)
        return str(obj.pk) if obj is not None else str(value)
    if name in COMMON_ARGUMENTS:
        return COMMON_ARGUMENTS[name]
    raise AssertionError(f"{served.key}: say which clinic object fills <{name}> in its row")


def address(served: Served, expected: Row, clinic) -> str:
    values = {name: argument_value(name, served, expected, clinic) for name in served.arguments}
    if served.pattern.name:
        name = served.key.removesuffix(" (format suffix)")
        if served.positional:
            return reverse(name, args=["1"] * served.positional)
        return reverse(name, kwargs=values)
    # A pattern without a name: fill its route by hand.
    path = served.route
    for name, value in values.items():
        path = re.sub(rf"<(\w+:)?{name}>|\(\?P<{name}>[^)]*\)", value, path)
    return "/" + path.replace("^", "").replace("$", "")


def answer(response) -> object:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
    return response.status_code


def served_with_rows():
    return [s for s in served_urls() if expected_row(s) is not None]


@pytest.mark.django_db
@pytest.mark.parametrize("served", served_with_rows(), ids=lambda served: served.key)
def test_each_role_gets_the_expected_answer(client, clinic, served):
    expected = expected_row(served)
    url = address(served, expected, clinic)
    observed_get, observed_post = [], []
    # The refusals first, so an allowed POST (which may change the plan) comes last.
    order = sorted(range(len(ROLES)), key=lambda i: expected.post[i] not in (403, LOGIN))
    results = {}
    for index in order:
        user = clinic.users[ROLES[index]]
        client.logout()
        if user is not None:
            client.force_login(user)
        results[index] = (answer(client.get(url)), answer(client.post(url, {})))
    observed_get = tuple(results[i][0] for i in range(len(ROLES)))
    observed_post = tuple(results[i][1] for i in range(len(ROLES)))
    assert (observed_get, observed_post) == (expected.get, expected.post), (
        f"{served.key} ({url}) in order {ROLES}:\n"
        f"  GET  expected {expected.get}\n       got      {observed_get}\n"
        f"  POST expected {expected.post}\n       got      {observed_post}"
    )
