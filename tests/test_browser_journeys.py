"""End-to-end journeys in a real headless Chromium, against the live server."""

import os
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

from patients.models import Diagnosis
from plans.models import Protocol, RehabPlan, TherapySession
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, screenshot

DEMO_PASSWORD = "rehab-demo-2026"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def chromium():
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: run 'apt-get install -y chromium'"
    # Playwright's sync API keeps an event loop in this thread while it runs; the
    # ORM calls the tests and their database teardown make are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        viewport={"width": 1024, "height": 768}, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def demo_clinic():
    call_command("seed_demo", quiet=True)


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_sign_in_page_and_front_desk_lands_on_patients(page, demo_clinic):
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to Rehab plans")).to_be_visible()
    screenshot(page, "sign-in")
    sign_in(page, "desk.roy")
    assert page.url.endswith("/patients/")


def test_therapist_logs_a_session_from_the_worklist_and_sees_the_count_move(page, demo_clinic):
    sign_in(page, "pt.sharma")
    expect(page.get_by_role("heading", name="My worklist")).to_be_visible()
    screenshot(page, "therapist-worklist")
    card = page.locator("article.card").first
    patient = card.locator("h3").inner_text().split(" RH-")[0]
    count = card.get_by_text(re.compile(r"\d+ of \d+ this week"))
    before, allocated = (int(n) for n in re.findall(r"\d+", count.inner_text()))

    card.get_by_role("link", name=re.compile("^Log session")).click()
    expect(page.get_by_role("heading", name="Log a physiotherapy session")).to_be_visible()
    page.locator("input[name=focus_areas]").first.check()
    page.get_by_label("Subjective").fill("Feels steadier on the stairs")
    page.get_by_label("Pain before (0–10)").fill("4")
    page.get_by_label("Pain after (0–10)").fill("3")
    screenshot(page, "log-session")
    page.get_by_role("button", name="Log session").click()

    expect(page.get_by_text(f"Session logged for {patient}.")).to_be_visible()
    card = page.locator("article.card", has_text=patient)
    expect(card.get_by_text(f"{before + 1} of {allocated} this week")).to_be_visible()
    expect(card.get_by_text("Session logged today")).to_be_visible()
    session = TherapySession.objects.filter(plan__patient__full_name=patient).latest("created_at")
    assert session.subjective == "Feels steadier on the stairs"
    assert (session.pain_before, session.pain_after, session.discipline) == (4, 3, "PT")


def test_family_summary_renders_and_prints_without_staff_notes(page, demo_clinic):
    plan = RehabPlan.objects.filter(status="active", sessions__isnull=False).distinct().first()
    notes = TherapySession.objects.filter(plan=plan).exclude(subjective="").first().subjective
    sign_in(page, plan.lead_physician.username)
    page.goto(f"/plans/{plan.pk}/")
    expect(page.get_by_role("heading", name=re.compile(plan.patient.full_name))).to_be_visible()
    screenshot(page, "plan-page")
    page.get_by_role("link", name="Family summary").click()

    expect(
        page.get_by_role("heading", name=f"Rehab plan for {plan.patient.full_name}")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Why both therapies matter")).to_be_visible()
    assert notes not in page.content()
    screenshot(page, "family-summary")

    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.get_by_role("heading", name="What each therapy does at this stage")).to_be_visible()
    screenshot(page, "family-summary-print")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (ARTIFACTS / "family-summary.pdf").write_bytes(pdf)


def fill_stage(page, index: int, name: str, pt: int, ot: int, goal: str) -> None:
    page.locator(f"[name=stages-{index}-name]").fill(name)
    page.locator(f"[name=stages-{index}-goal]").fill(goal)
    page.locator(f"[name=stages-{index}-typical_weeks]").fill("3")
    page.locator(f"[name=stages-{index}-pt_sessions_per_week]").fill(str(pt))
    page.locator(f"[name=stages-{index}-ot_sessions_per_week]").fill(str(ot))
    page.locator(f"[name=stages-{index}-pt_focus_areas]").fill("posture\nwalking pattern")
    page.locator(f"[name=stages-{index}-ot_focus_areas]").fill("pacing the day\noffice work")


def test_physician_authors_a_protocol_and_starts_a_plan_with_it(page, demo_clinic):
    diagnosis = Diagnosis.objects.select_related("patient").get(condition__icd10_code="M54.5")
    patient = diagnosis.patient
    sign_in(page, "dr.rao")
    screenshot(page, "physician-home")

    page.goto("/protocols/new/")
    page.get_by_label("Condition").select_option(label=str(diagnosis.condition))
    page.locator("[name=name]").fill("Low back pain programme")
    page.locator("[name=summary]").fill("Illustrative: education and graded exercise.")
    fill_stage(page, 0, "Settle the pain", 3, 1, "Move with less pain")
    page.get_by_role("button", name="Add a stage").click()
    fill_stage(page, 1, "Back to work", 1, 2, "Manage work and home tasks")
    page.get_by_role("button", name="Preview chart").click()
    expect(page.locator("svg.chart")).to_be_visible()
    screenshot(page, "protocol-authoring")
    page.get_by_role("button", name="Save draft").last.click()

    protocol = Protocol.objects.get(name="Low back pain programme")
    assert [s.mix.total for s in protocol.stages.all()] == [4, 3]
    page.goto(f"/protocols/{protocol.pk}/")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("read-only")).to_be_visible()
    protocol.refresh_from_db()
    assert protocol.status == "published"

    page.goto(f"/patients/{patient.pk}/")
    screenshot(page, "patient-page")
    page.get_by_role("link", name="Start a plan").click()
    page.get_by_label("Pain and movement").check()
    page.get_by_label(re.compile("Low back pain programme")).check()
    page.get_by_label("Physiotherapist").select_option(label="Rahul Sharma")
    page.get_by_label("Occupational therapist").select_option(label="Lakshmi Menon")
    screenshot(page, "start-plan")
    page.get_by_role("button", name="Start the plan").click()

    expect(page.get_by_role("heading", name=re.compile(patient.full_name))).to_be_visible()
    plan = RehabPlan.objects.get(diagnosis=diagnosis, status="active")
    assert plan.protocol == protocol
    assert plan.primary_concern == "pain_movement"
    assert plan.allocated_therapist("PT").username == "pt.sharma"
    screenshot(page, "new-plan-page")


def test_a_missing_score_is_shown_beside_its_row_of_buttons(page, demo_clinic):
    plan = RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE).order_by("pk").first()
    sign_in(page, "dr.rao")
    page.goto(f"/plans/{plan.pk}/assessments/new/nprs/")
    page.get_by_role("button", name="Save the assessment").click()
    expect(page.get_by_text("Some items need another look")).to_be_visible()
    # The page opens on its summary of what went wrong, for the keyboard and screen readers.
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"
    expect(page.get_by_text(re.compile(r"Pain now .*: choose a score\."))).to_be_visible()
    screenshot(page, "assessment-missing-score")


def test_a_physicians_menu_fits_a_tablet_held_upright(page, demo_clinic):
    sign_in(page, "dr.rao")
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto("/")
    # Too narrow for the physician's links beside their name: the menu folds away.
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    page.get_by_role("button", name="Show menu").click()
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    box = sign_out.bounding_box()
    assert box["x"] + box["width"] <= 820
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    screenshot(page, "physician-menu-tablet")


def test_front_desk_sees_the_spinal_cord_fields_only_for_a_spinal_cord_injury(page, demo_clinic):
    sign_in(page, "desk.roy")
    page.goto("/patients/new/")
    level = page.get_by_label("Spinal-cord level")
    expect(level).to_be_hidden()
    condition = page.get_by_label("Condition")
    condition.select_option(label="Spinal cord injury (T09.3)")
    expect(level).to_be_visible()
    level.fill("T10")
    page.get_by_label("ASIA impairment grade").select_option("A")
    screenshot(page, "register-spinal-cord-injury")
    # A spinal cord injury affects no side: the side is answered for the desk.
    side = page.get_by_label("Affected side")
    assert side.input_value() == "not_applicable"
    # Another condition has no level: the fields go, and what was typed with them.
    condition.select_option(label="Stroke (cerebral infarction) (I63.9)")
    expect(level).to_be_hidden()
    assert level.input_value() == ""
    assert page.get_by_label("ASIA impairment grade").input_value() == ""
    # A stroke affects a side: the desk chooses which.
    assert side.input_value() == ""


@pytest.mark.parametrize(
    ("username", "addresses"),
    [
        ("dr.rao", ["/", "/plans/attention/", "plan", "patient", "/timetable/clinic/"]),
        ("pt.sharma", ["/", "plan", "/timetable/"]),
        ("desk.roy", ["/patients/", "patient", "/timetable/clinic/"]),
    ],
)
def test_pages_fit_a_phone_and_their_tables_scroll_inside_them(
    page, demo_clinic, username, addresses
):
    plan = RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE).order_by("pk").first()
    places = {"plan": f"/plans/{plan.pk}/", "patient": f"/patients/{plan.patient_id}/"}
    sign_in(page, username)
    page.set_viewport_size({"width": 390, "height": 844})
    for address in addresses:
        page.goto(places.get(address, address))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{address} is {width} px wide for {username}"
    screenshot(page, f"phone-{username}")
