"""The timetable proposer on hand-built clinics, and a property test over random ones."""

import datetime
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.proposer import (
    AFTERNOON,
    MORNING,
    DisciplineNeed,
    ProposalRequest,
    ProposedAppointment,
    TherapistCalendar,
    propose,
    week_start,
)

MONDAY = datetime.date(2026, 3, 2)  # a Monday
NINE_TO_FIVE = {day: (datetime.time(9), datetime.time(17)) for day in range(6)}  # Mon–Sat
PT, OT = 1, 2


def calendars(**overrides) -> dict[int, TherapistCalendar]:
    pt = TherapistCalendar(PT, "Rahul Sharma", NINE_TO_FIVE)
    ot = TherapistCalendar(OT, "Lakshmi Menon", NINE_TO_FIVE)
    result = {PT: pt, OT: ot}
    for key, calendar in overrides.items():
        result[{"pt": PT, "ot": OT}[key]] = calendar
    return result


def request(pt=(6, 45), ot=(2, 45), weeks=2, **kwargs) -> ProposalRequest:
    return ProposalRequest(
        first_day=kwargs.pop("first_day", MONDAY),
        weeks=weeks,
        needs=(
            DisciplineNeed("PT", pt[0], pt[1], kwargs.pop("pt_therapist", PT)),
            DisciplineNeed("OT", ot[0], ot[1], kwargs.pop("ot_therapist", OT)),
        ),
        therapists=kwargs.pop("therapists", calendars()),
        **kwargs,
    )


def per_week(proposal, discipline) -> list[int]:
    mondays = sorted({week_start(a.start.date()) for a in proposal.appointments})
    return [proposal.count(discipline, monday) for monday in mondays]


def assert_no_overlap(appointments) -> None:
    ordered = sorted(appointments)
    for first, second in zip(ordered, ordered[1:], strict=False):
        assert first.end <= second.start, (first, second)


def test_each_week_gets_exactly_the_stage_mix():
    proposal = propose(request(pt=(6, 45), ot=(2, 60), weeks=2))
    assert per_week(proposal, "PT") == [6, 6]
    assert per_week(proposal, "OT") == [2, 2]
    assert proposal.unplaced == []
    assert {a.minutes for a in proposal.appointments if a.discipline == "OT"} == {60}
    assert {a.therapist_id for a in proposal.appointments if a.discipline == "PT"} == {PT}


def test_pt_and_ot_of_one_patient_never_overlap():
    proposal = propose(request(pt=(6, 60), ot=(6, 60), weeks=1))
    assert len(proposal.appointments) == 12
    assert_no_overlap(proposal.appointments)


def test_sessions_are_spread_one_a_day():
    proposal = propose(request(pt=(3, 45), ot=(2, 45), weeks=1))
    pt_days = [a.start.date() for a in proposal.appointments if a.discipline == "PT"]
    ot_days = [a.start.date() for a in proposal.appointments if a.discipline == "OT"]
    assert len(set(pt_days)) == 3 and len(set(ot_days)) == 2
    # Spread across the week, not bunched on consecutive days.
    assert [d.weekday() for d in sorted(pt_days)] == [0, 2, 4]


def test_two_of_one_discipline_a_day_only_when_the_week_needs_it():
    # Seven PT sessions over six working days: one day has two, never three.
    proposal = propose(request(pt=(7, 45), ot=(0, 45), weeks=1))
    counts = Counter(a.start.date() for a in proposal.appointments)
    assert sum(counts.values()) == 7
    assert sorted(counts.values()) == [1, 1, 1, 1, 1, 2]


def test_clinic_holidays_are_skipped():
    holiday = MONDAY + datetime.timedelta(days=2)  # Wednesday
    proposal = propose(request(pt=(5, 45), ot=(2, 45), weeks=1, holidays=frozenset({holiday})))
    assert holiday not in {a.start.date() for a in proposal.appointments}
    assert per_week(proposal, "PT") == [5]
    assert per_week(proposal, "OT") == [2]


def test_leave_is_skipped_and_the_other_discipline_still_books():
    on_leave = TherapistCalendar(
        OT, "Lakshmi Menon", NINE_TO_FIVE, leave=((MONDAY, MONDAY + datetime.timedelta(days=2)),)
    )
    proposal = propose(request(pt=(3, 45), ot=(3, 45), weeks=1, therapists=calendars(ot=on_leave)))
    ot_days = {a.start.date() for a in proposal.appointments if a.discipline == "OT"}
    assert ot_days and all(day.weekday() >= 3 for day in ot_days)
    assert len(ot_days) == 3


def test_working_hours_are_kept_and_days_off_skipped():
    part_time = TherapistCalendar(
        OT,
        "Anjali Pillai",
        {0: (datetime.time(10), datetime.time(13)), 3: (datetime.time(14), datetime.time(16))},
    )
    proposal = propose(request(pt=(0, 45), ot=(2, 60), weeks=1, therapists=calendars(ot=part_time)))
    assert len(proposal.appointments) == 2
    for appointment in proposal.appointments:
        start, end = part_time.hours[appointment.start.weekday()]
        assert appointment.start.time() >= start and appointment.end.time() <= end


def test_starts_fall_on_the_slot_step():
    proposal = propose(request(pt=(6, 50), ot=(6, 50), weeks=1, slot_minutes=15))
    assert all(a.start.minute % 15 == 0 for a in proposal.appointments)


def test_more_sessions_than_slots_are_listed_with_the_reason():
    short_day = {3: (datetime.time(9), datetime.time(10))}  # Thursdays 09:00–10:00 only
    ot = TherapistCalendar(OT, "Lakshmi Menon", short_day)
    proposal = propose(request(pt=(0, 45), ot=(3, 45), weeks=1, therapists=calendars(ot=ot)))
    assert len(proposal.appointments) == 1
    assert proposal.unplaced_total == 2
    [item] = proposal.unplaced
    assert item.discipline == "OT" and item.week_start == MONDAY
    assert "No OT free on Thursday 5 Mar" in item.reason


def test_a_busy_therapist_is_never_double_booked():
    # The physiotherapist is taken all Monday to Wednesday by other patients.
    busy = tuple(
        (
            datetime.datetime.combine(MONDAY + datetime.timedelta(days=n), datetime.time(9)),
            datetime.datetime.combine(MONDAY + datetime.timedelta(days=n), datetime.time(17)),
        )
        for n in range(3)
    )
    pt = TherapistCalendar(PT, "Rahul Sharma", NINE_TO_FIVE, busy=busy)
    proposal = propose(request(pt=(6, 45), ot=(0, 45), weeks=1, therapists=calendars(pt=pt)))
    pt_days = [a.start.date() for a in proposal.appointments]
    assert all(day.weekday() >= 3 for day in pt_days)
    # Six sessions over six working days: one a day, so the busy days go unplaced
    # rather than doubling up on the free ones.
    assert len(pt_days) == 3 and len(set(pt_days)) == 3
    [item] = proposal.unplaced
    assert item.count == 3
    assert "No PT free on Monday 2 Mar, Tuesday 3 Mar or Wednesday 4 Mar" in item.reason
    for appointment in proposal.appointments:
        assert all(not (appointment.start < e and s < appointment.end) for s, e in busy)


def test_the_patients_other_appointments_are_respected():
    patient_busy = ((datetime.datetime(2026, 3, 2, 9), datetime.datetime(2026, 3, 2, 12)),)
    proposal = propose(request(pt=(1, 45), ot=(0, 45), weeks=1, patient_busy=patient_busy))
    [appointment] = proposal.appointments
    assert appointment.start >= datetime.datetime(2026, 3, 2, 12)


def test_no_therapist_allocated_is_listed():
    proposal = propose(request(pt=(2, 45), ot=(2, 45), weeks=1, ot_therapist=None))
    assert per_week(proposal, "PT") == [2]
    [item] = proposal.unplaced
    assert item.count == 2 and "No OT therapist is allocated" in item.reason


def test_preferred_time_of_day_is_tried_first():
    morning = propose(request(pt=(3, 45), ot=(3, 45), weeks=1, preference=MORNING))
    afternoon = propose(request(pt=(3, 45), ot=(3, 45), weeks=1, preference=AFTERNOON))
    assert all(a.start.time() < datetime.time(13) for a in morning.appointments)
    assert all(a.start.time() >= datetime.time(13) for a in afternoon.appointments)


def test_a_week_under_way_gets_its_share_and_counts_what_is_booked():
    thursday = MONDAY + datetime.timedelta(days=3)
    # Thursday to Saturday is half the working week: 3 of the 6 PT sessions.
    proposal = propose(request(pt=(6, 45), ot=(2, 45), weeks=1, first_day=thursday))
    assert proposal.count("PT", MONDAY) == 3
    assert proposal.count("OT", MONDAY) == 1
    assert all(a.start.date() >= thursday for a in proposal.appointments)
    # One PT already booked on Friday counts towards the week.
    booked = (("PT", datetime.datetime(2026, 3, 6, 9)),)
    topped_up = propose(
        request(pt=(6, 45), ot=(0, 45), weeks=1, first_day=thursday, plan_booked=booked)
    )
    assert topped_up.count("PT", MONDAY) == 2
    assert topped_up.already_booked == {MONDAY: {"PT": 1}}  # said to the person booking
    assert proposal.already_booked == {}


def test_nothing_before_not_before():
    not_before = datetime.datetime(2026, 3, 2, 14)
    proposal = propose(request(pt=(6, 45), ot=(0, 45), weeks=1, not_before=not_before))
    assert all(a.start >= not_before for a in proposal.appointments)


def test_preferred_slots_are_kept_when_they_still_fit():
    kept = ProposedAppointment(
        datetime.datetime(2026, 3, 4, 15), datetime.datetime(2026, 3, 4, 15, 45), "PT", PT
    )
    proposal = propose(request(pt=(2, 45), ot=(0, 45), weeks=1, preferred=(kept,)))
    assert kept in proposal.appointments
    assert proposal.count("PT", MONDAY) == 2


def test_the_proposer_is_deterministic():
    assert propose(request()) == propose(request())


# --- Random clinics ----------------------------------------------------------------

times = st.integers(min_value=7 * 4, max_value=19 * 4).map(
    lambda quarters: datetime.time(quarters // 4, quarters % 4 * 15)
)


@st.composite
def working_week(draw):
    hours = {}
    for weekday in draw(st.sets(st.integers(0, 6), max_size=7)):
        start = draw(times)
        length = draw(st.integers(min_value=1, max_value=40)) * 15
        end_minutes = min(start.hour * 60 + start.minute + length, 23 * 60 + 45)
        if end_minutes <= start.hour * 60 + start.minute:
            continue
        hours[weekday] = (start, datetime.time(end_minutes // 60, end_minutes % 60))
    return hours


@st.composite
def clinics(draw):
    therapist_count = draw(st.integers(min_value=1, max_value=4))
    therapists = {}
    for pk in range(1, therapist_count + 1):
        leave_start = draw(st.integers(min_value=0, max_value=20))
        leave = (
            ((MONDAY + datetime.timedelta(days=leave_start),) * 2,) if draw(st.booleans()) else ()
        )
        therapists[pk] = TherapistCalendar(pk, f"Therapist {pk}", draw(working_week()), leave)
    holidays = frozenset(
        MONDAY + datetime.timedelta(days=n)
        for n in draw(st.sets(st.integers(min_value=0, max_value=20), max_size=3))
    )
    plans = draw(
        st.lists(
            st.tuples(
                st.integers(0, 14),  # PT sessions a week
                st.sampled_from([15, 30, 45, 60, 90]),
                st.integers(0, 14),  # OT sessions a week
                st.sampled_from([15, 30, 45, 60]),
                st.integers(1, therapist_count),
                st.integers(1, therapist_count),
                st.sampled_from(["morning", "afternoon", "any"]),
                st.integers(0, 4),  # first day, days after Monday
            ),
            min_size=1,
            max_size=6,
        )
    )
    return therapists, holidays, plans


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinics())
def test_random_clinics_never_overlap_and_keep_working_hours(clinic):
    therapists, holidays, plans = clinic
    booked: dict[int, list] = {pk: [] for pk in therapists}
    everything = []
    for patient, (pt, pt_min, ot, ot_min, pt_id, ot_id, preference, offset) in enumerate(plans):
        request = ProposalRequest(
            first_day=MONDAY + datetime.timedelta(days=offset),
            weeks=2,
            needs=(
                DisciplineNeed("PT", pt, pt_min, pt_id),
                DisciplineNeed("OT", ot, ot_min, ot_id),
            ),
            therapists={
                pk: TherapistCalendar(c.therapist_id, c.name, c.hours, c.leave, tuple(booked[pk]))
                for pk, c in therapists.items()
            },
            holidays=holidays,
            preference=preference,
        )
        proposal = propose(request)
        # One patient's appointments never overlap each other.
        assert_no_overlap(proposal.appointments)
        for appointment in proposal.appointments:
            calendar = therapists[appointment.therapist_id]
            day = appointment.start.date()
            start, end = calendar.hours[day.weekday()]
            assert start <= appointment.start.time() and appointment.end.time() <= end
            assert appointment.end.date() == day
            assert day not in holidays and not calendar.on_leave(day)
            assert day >= request.first_day
            booked[appointment.therapist_id].append((appointment.start, appointment.end))
            everything.append((patient, appointment))
        # Never more than the mix asks for; the rest is accounted for.
        for need in request.needs:
            for week in (MONDAY, MONDAY + datetime.timedelta(weeks=1)):
                assert proposal.count(need.discipline, week) <= need.sessions_per_week
    # No therapist is ever double-booked, across all the patients.
    for pk in therapists:
        assert_no_overlap(
            [appointment for _patient, appointment in everything if appointment.therapist_id == pk]
        )
