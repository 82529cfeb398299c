"""The measure definitions: items, allowed values, totals, bands and the GAS T-score."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from outcomes import measures
from outcomes.measures import MEASURES

D = Decimal


def refusal(measure, items) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        measure.score(items)
    return caught.value.message_dict


def barthel(**overrides):
    items = {item.key: item.allowed_values[-1] for item in measures.BARTHEL.items}
    items.update(overrides)
    return items


def berg(value=4, **overrides):
    items = {item.key: value for item in measures.BERG.items}
    items.update(overrides)
    return items


# --- Every definition is complete ---------------------------------------------------


@pytest.mark.parametrize("measure", MEASURES.values(), ids=lambda m: m.key)
def test_every_measure_carries_its_citation_licence_and_direction(measure):
    assert measure.citation and measure.licence
    assert measure.direction in (measures.HIGHER_IS_BETTER, measures.LOWER_IS_BETTER)
    assert measure.total in ("sum", "single", "speed_10m")
    assert set(measure.disciplines) <= {"PT", "OT"}
    assert measure.total_min < measure.total_max
    keys = [item.key for item in measure.items]
    assert len(keys) == len(set(keys))
    for band in measure.bands:
        assert band.low <= band.high


def test_barthel_ships_the_medchi_notice_and_the_1965_citation():
    assert "MedChi" in measures.BARTHEL.licence
    assert "non-commercial" in measures.BARTHEL.licence
    assert "Mahoney" in measures.BARTHEL.citation and "1965" in measures.BARTHEL.citation
    assert measures.BARTHEL.loinc == "96761-2"


def test_licensed_instruments_are_not_shipped():
    names = " ".join(m.name for m in MEASURES.values())
    assert "FIM" not in names and "Canadian Occupational" not in names


# --- Barthel Index -------------------------------------------------------------


def test_barthel_items_allow_exactly_the_published_values():
    allowed = {item.key: item.allowed_values for item in measures.BARTHEL.items}
    assert allowed == {
        "feeding": [0, 5, 10],
        "bathing": [0, 5],
        "grooming": [0, 5],
        "dressing": [0, 5, 10],
        "bowels": [0, 5, 10],
        "bladder": [0, 5, 10],
        "toilet_use": [0, 5, 10],
        "transfers": [0, 5, 10, 15],
        "mobility": [0, 5, 10, 15],
        "stairs": [0, 5, 10],
    }


def test_barthel_every_item_at_its_top_gives_100_independent():
    stored, total = measures.BARTHEL.score(barthel())
    assert total == 100
    assert measures.BARTHEL.band(total).label == "Independent"
    assert stored["transfers"] == 15


def test_barthel_every_item_at_zero_gives_0_total_dependency():
    _, total = measures.BARTHEL.score(dict.fromkeys(barthel(), 0))
    assert total == 0
    assert measures.BARTHEL.band(total).label == "Total dependency"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (20, "Total dependency"),
        (21, "Severe dependency"),
        (60, "Severe dependency"),
        (61, "Moderate dependency"),
        (90, "Moderate dependency"),
        (91, "Slight dependency"),
        (99, "Slight dependency"),
        (100, "Independent"),
    ],
)
def test_barthel_band_edges(total, band):
    assert measures.BARTHEL.band(total).label == band


def test_barthel_example_a_patient_needing_some_help():
    # Continent, feeds and grooms, needs help dressing, walks with one helper.
    items = barthel(dressing=5, bathing=0, transfers=10, mobility=10, stairs=5, toilet_use=5)
    _, total = measures.BARTHEL.score(items)
    assert total == 10 + 0 + 5 + 5 + 10 + 10 + 5 + 10 + 10 + 5 == 70
    assert measures.BARTHEL.band(total).family == "needs some help with daily tasks"


def test_barthel_refuses_a_value_the_item_does_not_allow_naming_the_item():
    errors = refusal(measures.BARTHEL, barthel(feeding=7))
    assert errors == {"feeding": ["Feeding: 7 is not an allowed score; choose 0, 5 or 10."]}


def test_barthel_refuses_15_on_an_item_that_stops_at_10():
    errors = refusal(measures.BARTHEL, barthel(stairs=15))
    assert errors["stairs"] == ["Stairs: 15 is not an allowed score; choose 0, 5 or 10."]


def test_barthel_reports_every_missing_item_at_once():
    errors = refusal(measures.BARTHEL, {"feeding": 10})
    assert len(errors) == 9
    assert errors["bathing"] == ["Bathing: choose a score."]


def test_barthel_accepts_the_values_a_form_sends_as_text():
    stored, total = measures.BARTHEL.score({k: str(v) for k, v in barthel().items()})
    assert total == 100 and stored["feeding"] == 10


def test_an_unknown_item_is_refused():
    with pytest.raises(ValidationError) as caught:
        measures.BARTHEL.score(barthel(walking=5))
    assert "Barthel Index has no item called walking." in caught.value.messages


# --- Berg Balance Scale --------------------------------------------------------------


def test_berg_has_14_items_scored_0_to_4():
    assert len(measures.BERG.items) == 14
    assert all(item.allowed_values == [0, 1, 2, 3, 4] for item in measures.BERG.items)


@pytest.mark.parametrize(("value", "total"), [(0, 0), (4, 56), (3, 42)])
def test_berg_totals_at_the_limits(value, total):
    assert measures.BERG.score(berg(value))[1] == total


@pytest.mark.parametrize(
    ("total", "concern"), [(44, True), (45, False), (20, True), (41, True), (56, False)]
)
def test_berg_below_45_is_an_increased_fall_risk(total, concern):
    band = measures.BERG.band(total)
    assert band.concern is concern
    assert ("fall risk" in band.label.lower()) is concern


def test_berg_refuses_5_on_an_item():
    errors = refusal(measures.BERG, berg(one_leg_stance=5))
    assert errors == {
        "one_leg_stance": [
            "Standing on one leg: 5 is not an allowed score; choose 0, 1, 2, 3 or 4."
        ]
    }


def test_berg_refuses_minus_one_and_text():
    errors = refusal(measures.BERG, berg(turn_360=-1, look_behind="good"))
    assert errors["turn_360"] == [
        "Turning 360 degrees: -1 is not an allowed score; choose 0, 1, 2, 3 or 4."
    ]
    assert errors["look_behind"] == [
        "Turning to look behind: good is not an allowed score; choose 0, 1, 2, 3 or 4."
    ]


# --- Timed Up and Go ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "concern"), [("13.4", False), ("13.5", True), ("9.0", False), ("30.2", True)]
)
def test_tug_13_5_seconds_or_more_is_flagged_as_a_fall_risk(seconds, concern):
    _, total = measures.TUG.score({"seconds": seconds})
    assert total == D(seconds)
    assert measures.TUG.band(total).concern is concern


@pytest.mark.parametrize("seconds", ["1.0", "300.0"])
def test_tug_accepts_the_ends_of_its_range(seconds):
    assert measures.TUG.score({"seconds": seconds})[1] == D(seconds)


@pytest.mark.parametrize("seconds", ["0.9", "300.1", "abc", "nan"])
def test_tug_refuses_a_time_outside_its_range(seconds):
    errors = refusal(measures.TUG, {"seconds": seconds})
    assert errors["seconds"] == [
        "Time to rise, walk 3 metres, turn, walk back and sit: enter a number from 1.0 to "
        "300.0 seconds."
    ]


def test_tug_refuses_hundredths_of_a_second():
    errors = refusal(measures.TUG, {"seconds": "12.25"})
    assert errors["seconds"] == [
        "Time to rise, walk 3 metres, turn, walk back and sit: give at most 1 decimal place."
    ]


def test_tug_lower_is_better_and_knee_osteoarthritis_has_its_own_meaningful_change():
    assert not measures.TUG.higher_is_better
    assert measures.TUG.mcid_for("I63.9") == D("3.2")
    assert measures.TUG.mcid_for("M17.9") == D("1.1")


# --- 10-Metre Walk Test ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "speed", "band"),
    [
        ("26.00", D("0.38"), "Household walker"),
        ("25.00", D("0.40"), "Limited community walker"),
        ("12.50", D("0.80"), "Limited community walker"),
        ("12.34", D("0.81"), "Community walker"),
        ("8.00", D("1.25"), "Community walker"),
    ],
)
def test_gait_speed_is_computed_from_the_time_and_banded(seconds, speed, band):
    stored, total = measures.TEN_METRE_WALK.score({"pace": "comfortable", "seconds": seconds})
    assert total == speed
    assert measures.TEN_METRE_WALK.band(total).label == band
    assert stored == {"pace": "comfortable", "seconds": seconds}


def test_gait_speed_records_the_pace_but_does_not_score_it():
    comfortable = measures.TEN_METRE_WALK.score({"pace": "comfortable", "seconds": "10"})[1]
    fast = measures.TEN_METRE_WALK.score({"pace": "fast", "seconds": "10"})[1]
    assert comfortable == fast == D("1.00")


def test_gait_speed_refuses_an_unknown_pace_and_a_missing_time():
    errors = refusal(measures.TEN_METRE_WALK, {"pace": "brisk"})
    assert errors["pace"] == ["Pace: brisk is not an allowed score; choose comfortable or fast."]
    assert errors["seconds"] == ["Time to walk the middle 10 metres: enter the seconds."]


@pytest.mark.parametrize("seconds", ["2.00", "300.00"])
def test_gait_speed_accepts_the_ends_of_the_time_range(seconds):
    total = measures.TEN_METRE_WALK.score({"pace": "fast", "seconds": seconds})[1]
    assert total == (D(10) / D(seconds)).quantize(D("0.01"))


def test_gait_speed_refuses_a_time_under_two_seconds():
    errors = refusal(measures.TEN_METRE_WALK, {"pace": "fast", "seconds": "1.99"})
    assert errors["seconds"] == [
        "Time to walk the middle 10 metres: enter a number from 2.00 to 300.00 seconds."
    ]


# --- Numeric Pain Rating Scale and Modified Rankin Scale ---------------------------------


@pytest.mark.parametrize("pain", [0, 10, 4])
def test_pain_is_scored_0_to_10(pain):
    assert measures.NPRS.score({"pain": pain})[1] == pain


def test_pain_of_11_is_refused():
    errors = refusal(measures.NPRS, {"pain": 11})
    assert errors["pain"] == [
        "Pain now (0 no pain, 10 worst imaginable): 11 is not an allowed score; "
        "choose 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 or 10."
    ]


def test_pain_meaningful_change_is_two_points_and_lower_is_better():
    assert measures.NPRS.mcid == 2 and not measures.NPRS.higher_is_better
    assert measures.NPRS.loinc == "72514-3"


@pytest.mark.parametrize(("grade", "good"), [(0, True), (2, True), (3, False), (6, False)])
def test_modified_rankin_grades_0_to_6_with_0_to_2_a_good_outcome(grade, good):
    _, total = measures.MODIFIED_RANKIN.score({"grade": grade})
    assert total == grade
    assert (not measures.MODIFIED_RANKIN.band(total).concern) is good


def test_modified_rankin_refuses_grade_7():
    errors = refusal(measures.MODIFIED_RANKIN, {"grade": 7})
    assert errors["grade"] == ["Grade: 7 is not an allowed score; choose 0, 1, 2, 3, 4, 5 or 6."]


# --- Goal Attainment Scaling -------------------------------------------------------------


def test_gas_goals_met_as_expected_score_50():
    assert measures.gas_t_score([(0, 1), (0, 1), (0, 1)]) == D("50.0")


def test_gas_one_goal_is_50_plus_10_times_its_score():
    assert measures.gas_t_score([(-2, 1)]) == D("30.0")
    assert measures.gas_t_score([(2, 1)]) == D("70.0")


def test_gas_three_goals_somewhat_better_than_expected():
    # 50 + 10·3 / √(0.7·3 + 0.3·9) = 50 + 30 / √4.8 = 63.69
    assert measures.gas_t_score([(1, 1), (1, 1), (1, 1)]) == D("63.7")


def test_gas_weights_count():
    # 50 + 10·(2·1 + 1·−1) / √(0.7·(4+1) + 0.3·9) = 50 + 10 / √6.2 = 54.02
    assert measures.gas_t_score([(1, 2), (-1, 1)]) == D("54.0")


def test_gas_without_scored_goals_has_no_t_score():
    assert measures.gas_t_score([]) is None


def test_gas_is_not_recorded_as_a_form():
    assert not measures.GOAL_ATTAINMENT.recordable
