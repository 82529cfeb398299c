"""Signals that let capabilities built on plans follow them without plans
importing them (the timetable re-proposes appointments when the mix moves).

Each is sent once the transaction that made the change has committed, except
`session_logged`, which is sent inside it, and `stage_exit_outstanding`, a
question the stage change asks before it is made.
"""

from django.dispatch import Signal

# A plan's weekly PT/OT mix changed: its stage advanced (or went back), or a
# stage's mix was individualised. Arguments: plan, stage (the stage affected), by.
plan_mix_changed = Signal()

# Asked inside advance_stage before a plan moves on from its current stage (not
# when it goes back). Receivers return what the stage's exit rules still lack, as
# short sentences (an empty list when they are met or measure nothing): moving on
# against them needs the physician's reason. Arguments: plan, stage (the current
# stage), on (the date of the change).
stage_exit_outstanding = Signal()

# A plan was put on hold, resumed, completed or discontinued. Arguments: plan, by.
plan_status_changed = Signal()

# One discipline of a plan's current and upcoming stages went to another therapist.
# Arguments: plan, discipline, therapist (the new one, or None: nobody yet), by.
plan_therapist_changed = Signal()

# A therapy session was logged (attended or missed). Sent inside log_session's
# transaction, so what a receiver writes (the appointment it matches) is saved or
# undone with the session. Arguments: session.
session_logged = Signal()

# A logged session was corrected. Sent inside correct_session's transaction, like
# session_logged. Arguments: session (as corrected), attendance_before, date_before.
session_corrected = Signal()

# `manage.py seed_demo` has loaded the demo clinic (inside its transaction).
# Arguments: users (demo staff by username). Receivers add their own demo data,
# idempotently, and may return lines for the summary.
demo_clinic_seeded = Signal()
