"""The protocol library and authoring pages: drafts, stages, publishing, versions."""

import re
from html.parser import HTMLParser

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils.html import escape

from plans import services
from plans.models import Protocol, ProtocolStage
from plans.protocol_forms import ProtocolForm, stage_formset
from plans.protocol_views import READ_ONLY_MESSAGE, _show_service_error
from tests import factories

LIST_URL = reverse("plans:protocol_list")
CREATE_URL = reverse("plans:protocol_create")


def url(name, protocol):
    return reverse(f"plans:protocol_{name}", args=[protocol.pk])


def error_on_field(response, field_id: str, message: str) -> bool:
    """The message is in the error block crispy renders right under that field."""
    field = re.escape(field_id)
    pattern = rf'id="error_\d+_id_{field}"[^>]*>\s*<strong>{re.escape(escape(message))}'
    return re.search(pattern, response.content.decode()) is not None


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
        kind = attrs.get("type")
        if tag == "input" and name and kind not in ("submit", "button"):
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.values[name] = attrs.get("value") or ("on" if kind == "checkbox" else "")
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


def stage(name, pt, ot, **overrides) -> dict:
    fields = {
        "name": name,
        "goal": f"{name}: move and live more independently.",
        "typical_weeks": 4,
        "pt_sessions_per_week": pt,
        "ot_sessions_per_week": ot,
        "pt_minutes_per_session": 45,
        "ot_minutes_per_session": 45,
        "pt_focus_areas": "standing\nwalking",
        "ot_focus_areas": "dressing",
        "exit_criteria": "Berg 45 or more",
    }
    fields.update(overrides)
    return fields


# An untouched blank stage, as the browser posts it: the defaults.
BLANK_STAGE = {
    "typical_weeks": 4,
    "pt_sessions_per_week": 0,
    "ot_sessions_per_week": 0,
    "pt_minutes_per_session": 45,
    "ot_minutes_per_session": 45,
}

STROKE_STAGES = [
    stage("Early mobilisation", 6, 2),
    stage("Early subacute", 5, 5),
    stage("Daily living", 3, 5),
]


def page_data(condition, stages, *, initial: int = 0, name="Stroke pathway", **protocol) -> dict:
    """The authoring page as posted: the protocol, then each stage with its
    position (ORDER, defaulting to its place) and remove box (DELETE)."""
    data = {
        "condition": str(condition.pk),
        "name": name,
        "summary": protocol.get("summary", "Neuro pathway: PT-led early, OT-central late."),
        "rationale": protocol.get("rationale", "Illustrative."),
        "stages-TOTAL_FORMS": str(len(stages)),
        "stages-INITIAL_FORMS": str(initial),
    }
    for index, fields in enumerate(stages):
        fields = {"ORDER": index + 1, **fields}
        if fields.pop("DELETE", False):
            fields["DELETE"] = "on"
        data.update({f"stages-{index}-{key}": str(value) for key, value in fields.items()})
    return data


def stored_stages(protocol):
    return [
        (s.order, s.name, s.pt_sessions_per_week, s.ot_sessions_per_week)
        for s in protocol.stages.order_by("order")
    ]


@pytest.fixture
def stroke():
    return factories.ConditionFactory()


@pytest.fixture
def draft(physician, stroke):
    """A draft with the three stroke stages, saved through the service."""
    return services.save_protocol_draft(
        protocol=Protocol(condition=stroke, name="Stroke pathway"),
        stages=[dict(s) for s in STROKE_STAGES],
        author=physician,
    )


# --- Creating a draft -------------------------------------------------------


@pytest.mark.django_db
def test_create_page_offers_one_blank_stage_and_the_add_and_preview_buttons(client, physician):
    client.force_login(physician)
    response = client.get(CREATE_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="stages-TOTAL_FORMS" value="1"' in html
    assert 'name="stages-0-ORDER"' in html and 'name="stages-0-DELETE"' in html
    assert 'name="add_stage"' in html and "Add a stage" in html
    assert 'name="preview"' in html and "Preview chart" in html
    assert "A new protocol starts as draft version 1." in html


@pytest.mark.django_db
def test_create_saves_a_draft_with_three_stages_in_order(client, physician, stroke):
    client.force_login(physician)
    data = page_data(stroke, [*STROKE_STAGES, BLANK_STAGE])  # the blank stage is left out
    response = client.post(CREATE_URL, {**data, "save": "1"}, follow=True)
    protocol = Protocol.objects.get()
    assert response.redirect_chain == [(url("detail", protocol), 302)]
    assert (protocol.status, protocol.version, protocol.author) == ("draft", 1, physician)
    assert (protocol.condition, protocol.name) == (stroke, "Stroke pathway")
    assert stored_stages(protocol) == [
        (1, "Early mobilisation", 6, 2),
        (2, "Early subacute", 5, 5),
        (3, "Daily living", 3, 5),
    ]
    assert protocol.stages.get(order=1).pt_focus_list == ["standing", "walking"]
    assert "Saved the draft Stroke pathway v1 with 3 stages." in response.content.decode()


@pytest.mark.django_db
def test_create_follows_the_positions_given(client, physician, stroke):
    client.force_login(physician)
    reordered = [
        {**STROKE_STAGES[0], "ORDER": 3},
        {**STROKE_STAGES[1], "ORDER": 1},
        {**STROKE_STAGES[2], "ORDER": 2},
    ]
    response = client.post(CREATE_URL, page_data(stroke, reordered))
    assert response.status_code == 302
    assert [name for _, name, _, _ in stored_stages(Protocol.objects.get())] == [
        "Early subacute",
        "Daily living",
        "Early mobilisation",
    ]


@pytest.mark.django_db
def test_add_a_stage_shows_one_more_blank_stage_and_saves_nothing(client, physician, stroke):
    client.force_login(physician)
    data = page_data(stroke, STROKE_STAGES[:1])
    response = client.post(CREATE_URL, {**data, "add_stage": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="stages-TOTAL_FORMS" value="2"' in html
    assert 'name="stages-1-name"' in html
    assert 'value="Early mobilisation"' in html  # what was typed stays
    assert not Protocol.objects.exists()
    # The blank stage is not a mistake: no error on it.
    assert 'id="error_1_id_stages-1-name"' not in html


@pytest.mark.django_db
def test_a_physician_builds_a_protocol_stage_by_stage_as_in_a_browser(client, physician, stroke):
    client.force_login(physician)
    data = form_values(client.get(CREATE_URL))
    data.update({"condition": str(stroke.pk), "name": "Stroke pathway"})
    data.update({f"stages-0-{k}": str(v) for k, v in STROKE_STAGES[0].items()})
    page = client.post(CREATE_URL, {**data, "add_stage": "1"})
    data = form_values(page)
    assert data["stages-TOTAL_FORMS"] == "2"
    assert (data["stages-1-ORDER"], data["stages-1-pt_minutes_per_session"]) == ("2", "45")
    assert "Stage 1: PT 6, OT 2" in page.content.decode()  # the chart so far
    data.update({f"stages-1-{k}": str(v) for k, v in STROKE_STAGES[1].items()})
    page = client.post(CREATE_URL, {**data, "add_stage": "1"})
    data = form_values(page)  # a third, blank stage is left untouched
    response = client.post(CREATE_URL, {**data, "save": "1"})
    assert response.status_code == 302
    assert stored_stages(Protocol.objects.get()) == [
        (1, "Early mobilisation", 6, 2),
        (2, "Early subacute", 5, 5),
    ]


@pytest.mark.django_db
def test_preview_draws_the_chart_of_the_stages_as_entered_without_saving(client, physician, stroke):
    client.force_login(physician)
    reordered = [{**STROKE_STAGES[0], "ORDER": 2}, {**STROKE_STAGES[1], "ORDER": 1}]
    response = client.post(CREATE_URL, {**page_data(stroke, reordered), "preview": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    assert "Stage 1: PT 5, OT 5; Stage 2: PT 6, OT 2" in html  # the chart's description
    assert '<th scope="row">Stage 1: Early subacute</th><td>5</td><td>5</td>' in html
    assert not Protocol.objects.exists()


@pytest.mark.django_db
def test_chart_leaves_out_a_stage_with_a_mistake_and_shows_the_rest(client, physician, stroke):
    client.force_login(physician)
    stages = [STROKE_STAGES[0], {**STROKE_STAGES[1], "pt_sessions_per_week": 20}]
    response = client.post(CREATE_URL, {**page_data(stroke, stages), "preview": "1"})
    html = response.content.decode()
    assert "a stage with a mistake is left out of the chart" in html
    assert "Stage 1: PT 6, OT 2" in html and "PT 20" not in html
    assert error_on_field(
        response, "stages-1-pt_sessions_per_week", "At most 14 PT sessions a week."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pt_sessions_per_week", 15, "At most 14 PT sessions a week."),
        ("ot_sessions_per_week", 15, "At most 14 OT sessions a week."),
        ("pt_minutes_per_session", 10, "A PT session lasts at least 15 minutes."),
        ("pt_minutes_per_session", 181, "A PT session lasts at most 180 minutes."),
        ("ot_minutes_per_session", 14, "An OT session lasts at least 15 minutes."),
        ("ot_minutes_per_session", 200, "An OT session lasts at most 180 minutes."),
        ("typical_weeks", 0, "A stage lasts at least one week."),
        ("typical_weeks", 105, "A stage lasts at most 104 weeks."),
        ("name", "", "This field is required."),
        ("goal", "", "This field is required."),
    ],
)
def test_each_dose_rule_is_shown_next_to_its_field_and_nothing_is_saved(
    client, physician, stroke, field, value, message
):
    client.force_login(physician)
    stages = [STROKE_STAGES[0], {**STROKE_STAGES[1], field: value}]
    response = client.post(CREATE_URL, page_data(stroke, stages))
    assert response.status_code == 200
    assert error_on_field(response, f"stages-1-{field}", message)
    assert "Nothing was saved" in response.content.decode()
    assert not Protocol.objects.exists() and not ProtocolStage.objects.exists()


@pytest.mark.django_db
def test_a_stage_needs_at_least_one_session_a_week(client, physician, stroke):
    client.force_login(physician)
    stages = [{**STROKE_STAGES[0], "pt_sessions_per_week": 0, "ot_sessions_per_week": 0}]
    response = client.post(CREATE_URL, page_data(stroke, stages))
    assert response.status_code == 200
    assert error_on_field(
        response,
        "stages-0-pt_sessions_per_week",
        "A stage needs at least one PT or OT session a week.",
    )
    assert not Protocol.objects.exists()


@pytest.mark.django_db
def test_every_mistake_in_every_stage_shows_at_once(client, physician, stroke):
    client.force_login(physician)
    stages = [
        {**STROKE_STAGES[0], "pt_sessions_per_week": 15, "typical_weeks": 0},
        STROKE_STAGES[1],
        {**STROKE_STAGES[2], "ot_minutes_per_session": 5},
    ]
    response = client.post(CREATE_URL, page_data(stroke, stages, name=""))
    assert response.status_code == 200
    assert error_on_field(response, "name", "This field is required.")
    assert error_on_field(
        response, "stages-0-pt_sessions_per_week", "At most 14 PT sessions a week."
    )
    assert error_on_field(response, "stages-0-typical_weeks", "A stage lasts at least one week.")
    assert error_on_field(
        response, "stages-2-ot_minutes_per_session", "An OT session lasts at least 15 minutes."
    )
    assert not Protocol.objects.exists()


@pytest.mark.django_db
def test_a_second_protocol_with_the_same_name_for_the_condition_is_refused_on_the_name(
    client, physician, protocol
):
    client.force_login(physician)
    data = page_data(protocol.condition, STROKE_STAGES, name=protocol.name.upper())
    response = client.post(CREATE_URL, data)
    assert response.status_code == 200
    message = (
        f"There is already a protocol called “{protocol.name.upper()}” for Stroke; "
        "open it and make a new version instead."
    )
    assert error_on_field(response, "name", message)
    assert Protocol.objects.count() == 1


@pytest.mark.django_db
def test_the_same_name_for_another_condition_is_fine(client, physician, protocol):
    knee = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    client.force_login(physician)
    response = client.post(CREATE_URL, page_data(knee, STROKE_STAGES, name=protocol.name))
    assert response.status_code == 302
    assert Protocol.objects.filter(name=protocol.name, condition=knee, version=1).exists()


@pytest.mark.django_db
def test_service_refusals_land_on_the_name_or_above_the_stages(stroke):
    form = ProtocolForm({"condition": stroke.pk, "name": "Stroke pathway"})
    formset = stage_formset({"stages-TOTAL_FORMS": "0", "stages-INITIAL_FORMS": "0"})
    assert form.is_valid() and formset.is_valid()
    # Two physicians saving the same new name at once: the version clash.
    _show_service_error(
        form,
        formset,
        ValidationError({NON_FIELD_ERRORS: ["This protocol already has that version."]}),
    )
    assert form.errors["name"] == ["This protocol already has that version."]
    _show_service_error(
        form, formset, ValidationError({"pt_sessions_per_week": ["At most 14 PT sessions a week."]})
    )
    assert formset.non_form_errors() == ["At most 14 PT sessions a week."]


# --- Editing a draft --------------------------------------------------------


@pytest.mark.django_db
def test_edit_page_shows_the_stages_and_their_chart(client, physician, draft):
    client.force_login(physician)
    response = client.get(url("edit", draft))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="stages-TOTAL_FORMS" value="4"' in html  # three stages and a blank
    assert 'name="stages-INITIAL_FORMS" value="3"' in html
    assert 'name="stages-2-ORDER" value="3"' in html
    assert "Stage 1: PT 6, OT 2; Stage 2: PT 5, OT 5; Stage 3: PT 3, OT 5" in html


@pytest.mark.django_db
def test_edit_page_posted_back_unchanged_keeps_the_stages(client, physician, draft):
    before = stored_stages(draft)
    client.force_login(physician)
    data = form_values(client.get(url("edit", draft)))
    response = client.post(url("edit", draft), {**data, "save": "1"})
    assert response.status_code == 302
    assert stored_stages(draft) == before
    assert draft.stages.get(order=1).ot_focus_areas == "dressing"


@pytest.mark.django_db
def test_edit_reorders_removes_and_adds_stages(client, physician, draft):
    client.force_login(physician)
    stages = [
        {**STROKE_STAGES[0], "ORDER": 2},
        {**STROKE_STAGES[1], "DELETE": True},
        {**STROKE_STAGES[2], "ORDER": 3},
        {**stage("Community", 1, 3), "ORDER": 1},
    ]
    data = page_data(draft.condition, stages, initial=3, summary="Revised.")
    response = client.post(url("edit", draft), data, follow=True)
    assert response.redirect_chain == [(url("detail", draft), 302)]
    draft.refresh_from_db()
    assert (draft.summary, draft.status, draft.version) == ("Revised.", "draft", 1)
    assert stored_stages(draft) == [
        (1, "Community", 1, 3),
        (2, "Early mobilisation", 6, 2),
        (3, "Daily living", 3, 5),
    ]


@pytest.mark.django_db
def test_a_refused_edit_keeps_the_stored_draft_as_it_was(client, physician, draft):
    before = stored_stages(draft)
    client.force_login(physician)
    stages = [STROKE_STAGES[0], {**STROKE_STAGES[1], "ot_sessions_per_week": 30}]
    response = client.post(url("edit", draft), page_data(draft.condition, stages, initial=3))
    assert response.status_code == 200
    assert error_on_field(
        response, "stages-1-ot_sessions_per_week", "At most 14 OT sessions a week."
    )
    assert stored_stages(draft) == before


@pytest.mark.django_db
def test_renaming_a_draft_to_a_name_in_use_is_refused_on_the_name(client, physician, draft):
    factories.ProtocolFactory(condition=draft.condition, name="Stroke fast track")
    client.force_login(physician)
    data = form_values(client.get(url("edit", draft)))
    data["name"] = "Stroke fast track"
    response = client.post(url("edit", draft), data)
    assert response.status_code == 200
    assert error_on_field(
        response,
        "name",
        "There is already a protocol called “Stroke fast track” for Stroke; "
        "open it and make a new version instead.",
    )
    draft.refresh_from_db()
    assert draft.name == "Stroke pathway"


@pytest.mark.django_db
def test_a_later_version_keeps_its_condition_and_name(client, physician, protocol):
    draft = protocol.new_version(author=physician)
    client.force_login(physician)
    response = client.get(url("edit", draft))
    html = response.content.decode()
    assert re.search(r'name="name"[^>]*disabled', html)
    other = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    data = form_values(response)
    data.update({"condition": str(other.pk), "name": "Renamed", "summary": "v2 summary"})
    assert client.post(url("edit", draft), data).status_code == 302
    draft.refresh_from_db()
    assert (draft.condition, draft.name) == (protocol.condition, protocol.name)
    assert draft.summary == "v2 summary"


@pytest.mark.django_db
def test_editing_a_published_version_sends_you_to_its_page_and_changes_nothing(
    client, physician, protocol
):
    before = stored_stages(protocol)
    client.force_login(physician)
    response = client.get(url("edit", protocol), follow=True)
    assert response.redirect_chain == [(url("detail", protocol), 302)]
    assert READ_ONLY_MESSAGE in response.content.decode()
    data = page_data(protocol.condition, STROKE_STAGES[:1], initial=3, name=protocol.name)
    response = client.post(url("edit", protocol), data)
    assert response.status_code == 302 and response.url == url("detail", protocol)
    protocol.refresh_from_db()
    assert protocol.status == "published" and stored_stages(protocol) == before


@pytest.mark.django_db
def test_editing_a_retired_version_is_read_only_too(client, physician, protocol):
    services.retire_protocol(protocol=protocol, by=physician)
    client.force_login(physician)
    response = client.get(url("edit", protocol), follow=True)
    assert response.redirect_chain == [(url("detail", protocol), 302)]
    assert READ_ONLY_MESSAGE in response.content.decode()


# --- Publishing, new versions, retiring ------------------------------------------


@pytest.mark.django_db
def test_draft_page_offers_edit_and_publish_to_physicians(client, physician, draft):
    client.force_login(physician)
    response = client.get(url("detail", draft))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Draft — not yet available to plans." in html
    assert f'href="{url("edit", draft)}"' in html
    assert f'action="{url("publish", draft)}"' in html
    assert url("new_version", draft) not in html and url("retire", draft) not in html


@pytest.mark.django_db
def test_publish_makes_the_draft_read_only_and_says_so(client, physician, draft):
    client.force_login(physician)
    response = client.post(url("publish", draft), follow=True)
    assert response.redirect_chain == [(url("detail", draft), 302)]
    draft.refresh_from_db()
    assert draft.status == "published" and draft.published_at is not None
    html = response.content.decode()
    assert "Stroke pathway v1 is published: plans can now follow it." in html
    published_on = draft.published_at.astimezone().strftime("%-d %b %Y")
    assert f"Published {published_on} — read-only; plans pin this version." in html
    assert "Edit draft" not in html and "Make new version" in html


@pytest.mark.django_db
def test_publishing_a_protocol_without_stages_is_refused_with_a_message(client, physician, stroke):
    empty = services.save_protocol_draft(
        protocol=Protocol(condition=stroke, name="Empty"), stages=[], author=physician
    )
    client.force_login(physician)
    response = client.post(url("publish", empty), follow=True)
    assert response.redirect_chain == [(url("detail", empty), 302)]
    assert (
        "Not published: A protocol needs at least one stage before it is published."
        in response.content.decode()
    )
    empty.refresh_from_db()
    assert empty.status == "draft" and empty.published_at is None


@pytest.mark.django_db
def test_publishing_twice_is_refused_with_a_message(client, physician, protocol):
    client.force_login(physician)
    response = client.post(url("publish", protocol), follow=True)
    assert "Not published: Only a draft can be published" in response.content.decode()
    protocol.refresh_from_db()
    assert protocol.status == "published"


@pytest.mark.django_db
def test_publishing_a_new_version_reminds_that_the_old_one_is_still_offered(
    client, physician, protocol
):
    draft = protocol.new_version(author=physician)
    client.force_login(physician)
    response = client.post(url("publish", draft), follow=True)
    assert "Version 1 is still offered to new plans" in response.content.decode()


@pytest.mark.django_db
def test_new_version_copies_the_stages_into_a_draft_and_opens_it(client, other_physician, protocol):
    client.force_login(other_physician)
    response = client.post(url("new_version", protocol), follow=True)
    draft = Protocol.objects.get(status="draft")
    assert response.redirect_chain == [(url("edit", draft), 302)]
    assert (draft.name, draft.version, draft.author) == (protocol.name, 2, other_physician)
    assert stored_stages(draft) == stored_stages(protocol)
    assert "Version 2 is a draft copy of version 1." in response.content.decode()
    protocol.refresh_from_db()
    assert protocol.status == "published"


@pytest.mark.django_db
def test_new_version_while_one_is_drafted_opens_that_draft(client, physician, protocol):
    existing = protocol.new_version(author=physician)
    client.force_login(physician)
    response = client.post(url("new_version", protocol), follow=True)
    assert response.redirect_chain == [(url("edit", existing), 302)]
    assert "Version 2 is already being drafted; carry on with it." in response.content.decode()
    assert Protocol.objects.count() == 2


@pytest.mark.django_db
def test_new_version_of_a_draft_is_refused(client, physician, draft):
    client.force_login(physician)
    response = client.post(url("new_version", draft), follow=True)
    assert "A new version is made from a published version." in response.content.decode()
    assert Protocol.objects.count() == 1


@pytest.mark.django_db
def test_retire_needs_the_confirmation(client, physician, protocol):
    client.force_login(physician)
    response = client.post(url("retire", protocol), follow=True)
    assert "Confirm that this version should be retired." in response.content.decode()
    protocol.refresh_from_db()
    assert protocol.status == "published"


@pytest.mark.django_db
def test_retire_stops_new_plans_and_keeps_existing_ones(client, physician, plan):
    protocol = plan.protocol
    client.force_login(physician)
    response = client.post(url("retire", protocol), {"confirm": "yes"}, follow=True)
    assert response.redirect_chain == [(url("detail", protocol), 302)]
    protocol.refresh_from_db()
    plan.refresh_from_db()
    assert protocol.status == "retired" and plan.protocol == protocol
    html = response.content.decode()
    assert "new plans cannot follow it; plans already on it carry on" in html
    assert "1 plan</strong> follows this version." in html
    assert "Make new version" not in html


@pytest.mark.django_db
def test_retiring_a_draft_is_refused_with_a_message(client, physician, draft):
    client.force_login(physician)
    response = client.post(url("retire", draft), {"confirm": "yes"}, follow=True)
    assert "Not retired: Only a published protocol can be retired." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


# --- Reading ----------------------------------------------------------------


@pytest.mark.django_db
def test_library_groups_by_condition_with_the_mix_in_words(client, physician, protocol, draft):
    knee = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    factories.published_protocol(mix=[(2, 1), (1, 1)], condition=knee, author=physician)
    client.force_login(physician)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Knee osteoarthritis") < html.index("Stroke <span")
    assert "6/2 → 5/5 → 3/5 PT/OT" in html and "2/1 → 1/1 PT/OT" in html
    assert "Dr. Anita Rao" in html
    assert "status-draft" in html and url("detail", draft) in html
    assert f'href="{CREATE_URL}"' in html


@pytest.mark.django_db
def test_detail_shows_goal_dose_focus_chips_exit_criteria_and_the_chart(
    client, physiotherapist, protocol
):
    client.force_login(physiotherapist)
    response = client.get(url("detail", protocol))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stand and walk safely." in html
    assert "6 sessions a week, 45 minutes each" in html
    assert '<span class="focus-chip">balance</span>' in html
    assert "Stage 1: PT 6, OT 2" in html and "<svg" in html
    assert "6/2 → 5/5 → 3/5 PT/OT" in html
    assert "No plan follows this version yet." in html
    for action in ("publish", "new_version", "retire", "edit"):
        assert url(action, protocol) not in html


@pytest.mark.django_db
def test_therapists_read_the_library_without_drafts(
    client, occupational_therapist, protocol, draft
):
    client.force_login(occupational_therapist)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert url("detail", protocol) in html
    assert url("detail", draft) not in html
    assert "New protocol" not in html
    assert client.get(url("detail", draft)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 8])
def test_library_query_count_does_not_grow_with_protocols(
    client, physician, django_assert_max_num_queries, count
):
    for number in range(count):
        condition = factories.ConditionFactory(
            name=f"Condition {number}", icd10_code=f"G{number:02d}"
        )
        factories.published_protocol(condition=condition, author=physician)
    client.force_login(physician)
    # Session, user, groups, protocols, their stages; saving the session.
    with django_assert_max_num_queries(8):
        response = client.get(LIST_URL)
    assert response.status_code == 200
    assert sum(len(protocols) for _, protocols in response.context["groups"]) == count


# --- Who may do what ----------------------------------------------------------


@pytest.mark.django_db
def test_therapist_cannot_create_or_change_protocols(client, physiotherapist, protocol, draft):
    client.force_login(physiotherapist)
    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, page_data(draft.condition, STROKE_STAGES)).status_code == 403
    assert client.get(url("edit", draft)).status_code == 403
    assert client.post(url("edit", draft), {}).status_code == 403
    assert client.post(url("publish", draft)).status_code == 403
    assert client.post(url("new_version", protocol)).status_code == 403
    assert client.post(url("retire", protocol), {"confirm": "yes"}).status_code == 403
    protocol.refresh_from_db()
    draft.refresh_from_db()
    assert (protocol.status, draft.status) == ("published", "draft")
    assert Protocol.objects.count() == 2


@pytest.mark.django_db
def test_front_desk_has_no_part_in_protocols(client, front_desk, protocol, draft):
    client.force_login(front_desk)
    for page in (LIST_URL, CREATE_URL, url("detail", protocol), url("edit", draft)):
        response = client.get(page)
        assert response.status_code == 403
        assert "You cannot open this page" in response.content.decode()
    assert client.post(url("publish", draft)).status_code == 403
    assert client.post(url("new_version", protocol)).status_code == 403
    assert client.post(url("retire", protocol), {"confirm": "yes"}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft" and Protocol.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["publish", "new_version", "retire"])
def test_actions_refuse_get(client, physician, protocol, action):
    client.force_login(physician)
    assert client.get(url(action, protocol)).status_code == 405
    protocol.refresh_from_db()
    assert protocol.status == "published" and Protocol.objects.count() == 1


@pytest.mark.django_db
def test_pages_refuse_other_methods(client, physician, draft):
    client.force_login(physician)
    assert client.post(LIST_URL).status_code == 405
    assert client.post(url("detail", draft)).status_code == 405
    assert client.put(CREATE_URL).status_code == 405
    assert client.delete(url("edit", draft)).status_code == 405


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, protocol):
    login = reverse("login")
    for page in (LIST_URL, CREATE_URL, url("detail", protocol), url("edit", protocol)):
        response = client.get(page)
        assert response.status_code == 302 and response.url == f"{login}?next={page}"
    for action in ("publish", "new_version", "retire"):
        response = client.post(url(action, protocol))
        assert response.status_code == 302 and response.url.startswith(login)
    protocol.refresh_from_db()
    assert protocol.status == "published"
