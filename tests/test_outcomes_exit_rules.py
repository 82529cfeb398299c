"""A draft protocol's measured exit rules, set by physicians stage by stage on the
protocol's pages (outcomes.services.set_stage_exit_rules)."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from outcomes import services
from outcomes.models import StageExitCriterion, StageProgressionRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(protocol, physician):
    """A new draft version of the stroke pathway; its stage 1 asks Berg ≥ 45 after a week."""
    stage = protocol.stages.get(order=1)
    StageProgressionRule.objects.create(protocol_stage=stage, minimum_weeks=1)
    StageExitCriterion.objects.create(
        protocol_stage=stage, measure="berg", comparison=">=", value=45
    )
    return protocol.new_version(author=physician)


def rules_url(protocol, order=1) -> str:
    return reverse("outcomes:stage_exit_rules", args=[protocol.pk, order])


def rows(*criteria, minimum="0") -> dict:
    data = {
        "minimum_weeks": minimum,
        "criteria-TOTAL_FORMS": str(len(criteria)),
        "criteria-INITIAL_FORMS": "0",
    }
    for index, criterion in enumerate(criteria):
        for field, value in criterion.items():
            data[f"criteria-{index}-{field}"] = value
    return data


def rules_of(stage) -> list[str]:
    return sorted(c.describe() for c in StageExitCriterion.objects.filter(protocol_stage=stage))


def test_a_physician_sets_a_draft_stages_exit_rules(client, physician, draft):
    stage = draft.stages.get(order=1)
    client.force_login(physician)
    form = client.get(rules_url(draft))
    assert form.status_code == 200
    assert form.context["minimum_form"].initial == {"minimum_weeks": 1}
    assert [f.initial for f in form.context["formset"].initial_forms] == [
        {"measure": "berg", "comparison": ">=", "value": Decimal("45.00")}
    ]
    response = client.post(
        rules_url(draft),
        rows(
            {"measure": "berg", "comparison": ">=", "value": "45", "DELETE": "on"},
            {"measure": "tug", "comparison": "<=", "value": "13.5"},
            {"measure": "ten_metre_walk", "comparison": ">=", "value": "0.8"},
            {"measure": ""},  # an empty row adds nothing
            minimum="2",
        ),
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("plans:protocol_detail", args=[draft.pk]))
    assert rules_of(stage) == ["10-Metre Walk Test ≥ 0.80 m/s", "Timed Up and Go ≤ 13.5 s"]
    assert StageProgressionRule.objects.get(protocol_stage=stage).minimum_weeks == 2
    page = client.get(reverse("plans:protocol_detail", args=[draft.pk])).content.decode()
    assert "Timed Up and Go ≤ 13.5 s" in page
    assert rules_url(draft, 2) in page  # every stage of the draft has its Change link


def test_a_score_outside_the_measure_or_a_half_row_is_refused_next_to_it(client, physician, draft):
    stage = draft.stages.get(order=1)
    client.force_login(physician)
    response = client.post(
        rules_url(draft),
        rows(
            {"measure": "berg", "comparison": ">=", "value": "80"},
            {"measure": "tug", "comparison": "", "value": ""},
            minimum="2",
        ),
    )
    assert response.status_code == 200
    first, second = response.context["formset"].forms
    assert first.errors == {"value": ["Berg Balance Scale runs from 0 to 56."]}
    assert second.errors == {
        "value": ["Give the score the stage asks for."],
        "comparison": ["Say whether the score must be at least or at most this."],
    }
    assert rules_of(stage) == ["Berg Balance Scale ≥ 45"]
    assert StageProgressionRule.objects.get(protocol_stage=stage).minimum_weeks == 1


def test_a_rule_the_wrong_way_round_a_score_without_a_measure_or_too_long_a_minimum(
    client, physician, draft
):
    stage = draft.stages.get(order=1)  # typically two weeks
    client.force_login(physician)
    response = client.post(
        rules_url(draft),
        rows(
            {"measure": "nprs", "comparison": ">=", "value": "3"},
            {"measure": "", "comparison": ">=", "value": "12"},
            minimum="2",
        ),
    )
    pain, orphan = response.context["formset"].forms
    assert pain.errors == {
        "comparison": [
            "Lower Numeric Pain Rating Scale scores are better: a stage is left when the "
            "score is at most a value."
        ]
    }
    assert orphan.errors == {"measure": ["Choose the measure this score is for."]}
    too_long = client.post(
        rules_url(draft), rows({"measure": "nprs", "comparison": "<=", "value": "3"}, minimum="60")
    )
    assert too_long.status_code == 200
    assert too_long.context["minimum_form"].errors == {
        "minimum_weeks": [
            "At most the stage's typical 2 weeks: a plan past its typical time is already "
            "flagged for a look."
        ]
    }
    assert rules_of(stage) == ["Berg Balance Scale ≥ 45"]
    assert StageProgressionRule.objects.get(protocol_stage=stage).minimum_weeks == 1


def test_the_same_condition_twice_is_refused_and_nothing_changes(client, physician, draft):
    stage = draft.stages.get(order=1)
    client.force_login(physician)
    twice = {"measure": "tug", "comparison": "<=", "value": "13.5"}
    response = client.post(rules_url(draft), rows(twice, twice, minimum="2"))
    assert response.status_code == 200
    assert response.context["refusals"] == [
        "A measure can have one 'at least' and one 'at most' criterion, not two alike."
    ]
    assert rules_of(stage) == ["Berg Balance Scale ≥ 45"]
    assert StageProgressionRule.objects.get(protocol_stage=stage).minimum_weeks == 1


def test_a_published_versions_rules_are_read_only(client, physician, draft, protocol):
    published = protocol.stages.get(order=1)
    client.force_login(physician)
    response = client.post(
        rules_url(protocol), rows({"measure": "tug", "comparison": "<=", "value": "12"})
    )
    assert response.status_code == 302
    assert "its exit rules change in a new version" in str(
        list(get_messages(response.wsgi_request))[-1]
    )
    assert rules_of(published) == ["Berg Balance Scale ≥ 45"]
    with pytest.raises(ValidationError) as excinfo:
        services.set_stage_exit_rules(
            protocol_stage=published, minimum_weeks=0, criteria=[], by=physician
        )
    assert excinfo.value.code == "protocol_not_editable"
    page = client.get(reverse("plans:protocol_detail", args=[protocol.pk])).content.decode()
    assert rules_url(protocol) not in page


def test_only_physicians_set_exit_rules(
    client, draft, physiotherapist, occupational_therapist, front_desk, physician
):
    stage = draft.stages.get(order=1)
    data = rows({"measure": "tug", "comparison": "<=", "value": "12"})
    for user in (physiotherapist, occupational_therapist, front_desk):
        client.force_login(user)
        assert client.get(rules_url(draft)).status_code == 403
        assert client.post(rules_url(draft), data).status_code == 403
    assert rules_of(stage) == ["Berg Balance Scale ≥ 45"]
    client.force_login(physician)
    assert client.put(rules_url(draft)).status_code == 405
    assert client.get(rules_url(draft, 9)).status_code == 404
