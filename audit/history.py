"""The audit history of a patient or a plan: who changed what, and when.

Rows come from django-simple-history's tables (one per clinical model). A page
shows them as entries with field-by-field differences, computed here from
consecutive history rows of each record, in a fixed number of queries however
long the history is (one per model, one for the names of the people involved).
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats, timezone

from patients.models import Condition, Diagnosis, Patient
from plans.models import PlanStage, RehabPlan, SessionAllocation, TherapySession

# The most recent changes a page shows; the admin's History button has the rest.
HISTORY_LIMIT = 50
# Bookkeeping that changes with every save and says nothing to a clinician.
IGNORED_FIELDS = {"id", "created_at", "updated_at", "entered_at", "version"}
ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}
EMPTY = "—"


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    action: str
    subject: str
    changes: list[FieldChange] = field(default_factory=list)
    reason: str = ""


@dataclass
class History:
    entries: list[HistoryEntry]
    total: int

    @property
    def is_truncated(self) -> bool:
        return self.total > len(self.entries)


@dataclass(frozen=True)
class Source:
    """One model's history rows for the page, and how an entry names the record."""

    model: type[models.Model]
    rows: models.QuerySet
    subject: Callable[[object, "Names"], str]


class Names:
    """Display names of the people and conditions history rows point to.

    Read from the related rows each history query joins (no query of its own).
    """

    def __init__(self, rows: Iterable) -> None:
        self.users, self.conditions = {}, {}
        for row in rows:
            if row.history_user_id:
                self.users[row.history_user_id] = row.history_user.display_name
            for model_field in _shown_relations(row.instance_type):
                related = getattr(row, model_field.name)
                if related is None:
                    continue
                if model_field.related_model is Condition:
                    self.conditions[related.pk] = related.name
                else:
                    self.users[related.pk] = related.display_name

    def of(self, model_field, value) -> str | None:
        """The name a related value stands for, or None for relations not shown."""
        if model_field.related_model is get_user_model():
            return self.users.get(value, f"user #{value}")
        if model_field.related_model is Condition:
            return self.conditions.get(value, f"condition #{value}")
        return None


def _shown_relations(model: type[models.Model]) -> list:
    """The record's links to people and conditions, whose names an entry shows."""
    return [
        model_field
        for model_field in model._meta.concrete_fields
        if model_field.is_relation and model_field.related_model in (get_user_model(), Condition)
    ]


def _shown_fields(model: type[models.Model]) -> list:
    """The fields whose changes an entry lists, in the model's order."""
    shown = []
    for model_field in model._meta.concrete_fields:
        if model_field.name in IGNORED_FIELDS:
            continue
        if model_field.is_relation and model_field.related_model not in (
            get_user_model(),
            Condition,
        ):
            continue  # a record's owner (its plan, patient or stage) never changes
        shown.append(model_field)
    return shown


def _label(model_field) -> str:
    label = str(model_field.verbose_name)
    return label[:1].upper() + label[1:]


def _display(model_field, value, names: Names) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if model_field.is_relation:
        return names.of(model_field, value) or str(value)
    if model_field.flatchoices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "j M Y H:i")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "j M Y")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or EMPTY
    return str(value)


def _entries(source: Source, names: Names, rows: list) -> list[HistoryEntry]:
    fields = _shown_fields(source.model)
    by_record = defaultdict(list)
    for row in rows:
        by_record[row.id].append(row)
    entries = []
    for record_rows in by_record.values():
        record_rows.sort(key=lambda row: (row.history_date, row.history_id))
        previous = None
        for row in record_rows:
            changes = []
            if row.history_type == "~" and previous is not None:
                for model_field in fields:
                    before = getattr(previous, model_field.attname)
                    after = getattr(row, model_field.attname)
                    if before != after:
                        changes.append(
                            FieldChange(
                                _label(model_field),
                                _display(model_field, before, names),
                                _display(model_field, after, names),
                            )
                        )
                if not changes:
                    previous = row
                    continue  # saved without a visible change
            entries.append(
                HistoryEntry(
                    when=row.history_date,
                    who=names.users.get(row.history_user_id, "the system")
                    if row.history_user_id
                    else "the system",
                    action=ACTIONS.get(row.history_type, row.history_type),
                    subject=source.subject(row, names),
                    changes=changes,
                    reason=row.history_change_reason or "",
                )
            )
            previous = row
    return entries


def _collect(sources: list[Source], limit: int) -> History:
    fetched = [(source, list(source.rows)) for source in sources]
    names = Names(row for _, rows in fetched for row in rows)
    entries = [entry for source, rows in fetched for entry in _entries(source, names, rows)]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return History(entries=entries[:limit], total=len(entries))


def _rows(model: type[models.Model], **lookup) -> models.QuerySet:
    """One query: the model's history rows with who made them and the people they name."""
    related = ["history_user", *(f.name for f in _shown_relations(model))]
    return (
        model.history.filter(**lookup)
        .select_related(*related)
        .order_by("history_date", "history_id")
    )


def patient_history(patient: Patient, limit: int = HISTORY_LIMIT) -> History:
    """Changes to the patient's details and diagnoses."""
    return _collect(
        [
            Source(Patient, _rows(Patient, id=patient.pk), lambda row, names: "Patient details"),
            Source(
                Diagnosis,
                _rows(Diagnosis, patient_id=patient.pk),
                lambda row, names: (
                    "Diagnosis: " + names.conditions.get(row.condition_id, "condition")
                ),
            ),
        ],
        limit,
    )


def plan_history(plan: RehabPlan, limit: int = HISTORY_LIMIT) -> History:
    """Changes to the plan, its stages, who gives each stage's therapy, and its sessions."""
    # The plan's stages are prefetched by the plan page (selectors.plan_with_stages).
    stage_orders = {stage.pk: stage.order for stage in plan.stages.all()}

    def allocation_subject(row, names) -> str:
        return f"{row.discipline} allocation, stage {stage_orders.get(row.plan_stage_id, '?')}"

    def session_subject(row, names) -> str:
        return f"{row.discipline} session of {formats.date_format(row.date, 'j M Y')}"

    return _collect(
        [
            Source(RehabPlan, _rows(RehabPlan, id=plan.pk), lambda row, names: "Plan"),
            Source(
                PlanStage,
                _rows(PlanStage, plan_id=plan.pk),
                lambda row, names: f"Stage {row.order}: {row.name}",
            ),
            Source(
                SessionAllocation,
                _rows(SessionAllocation, plan_stage_id__in=list(stage_orders)),
                allocation_subject,
            ),
            Source(TherapySession, _rows(TherapySession, plan_id=plan.pk), session_subject),
        ],
        limit,
    )


def history_of(obj) -> History:
    if isinstance(obj, Patient):
        return patient_history(obj)
    if isinstance(obj, RehabPlan):
        return plan_history(obj)
    raise TypeError(f"No audit history page for {type(obj).__name__}.")
