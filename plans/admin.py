from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count

from plans import services
from plans.models import (
    PlanStage,
    PlanStatusChange,
    Protocol,
    ProtocolStage,
    RehabPlan,
    SessionAllocation,
    StageMixChange,
    StageTransition,
    TherapySession,
)
from rehab.admin import ClinicalRecordAdmin

# Staff are found by their name as well as their username.
THERAPIST_SEARCH = ["therapist__username", "therapist__first_name", "therapist__last_name"]


def report_errors(modeladmin, request, error: ValidationError, obj) -> None:
    for message in error.messages:
        modeladmin.message_user(request, f"{obj}: {message}", messages.ERROR)


class ProtocolStageInline(admin.StackedInline):
    model = ProtocolStage
    extra = 0
    ordering = ["order"]

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or obj.is_editable)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_editable)


@admin.register(Protocol)
class ProtocolAdmin(ClinicalRecordAdmin):
    never_deleted_message = (
        "Protocols are never deleted: plans follow them and their history stays complete. "
        "Retire a published protocol to stop offering it."
    )
    list_display = [
        "name",
        "version",
        "condition",
        "status",
        "author",
        "stage_count",
        "published_at",
    ]
    list_filter = ["status", "condition"]
    search_fields = ["name", "condition__name", "condition__icd10_code"]
    list_select_related = ["condition", "author"]
    autocomplete_fields = ["condition", "author"]
    date_hierarchy = "published_at"
    inlines = [ProtocolStageInline]
    readonly_fields = ["status", "published_at"]
    actions = ["publish", "make_new_version", "retire"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stage_total=Count("stages"))

    @admin.display(description="stages", ordering="stage_total")
    def stage_count(self, obj):
        return obj.stage_total

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            # Published and retired versions are read-only: plans pin them.
            return [f.name for f in self.model._meta.fields]
        return self.readonly_fields

    @admin.action(description="Publish selected drafts")
    def publish(self, request, queryset):
        for protocol in queryset:
            try:
                services.publish_protocol(protocol=protocol, by=request.user)
                self.message_user(request, f"Published {protocol}.", messages.SUCCESS)
            except ValidationError as error:
                report_errors(self, request, error, protocol)

    @admin.action(description="Make a new draft version")
    def make_new_version(self, request, queryset):
        for protocol in queryset:
            # An administrator who is not a physician keeps the original author.
            author = request.user if request.user.is_physician else protocol.author
            draft = protocol.new_version(author=author)
            self.message_user(request, f"Made draft {draft}.", messages.SUCCESS)

    @admin.action(description="Retire selected published protocols")
    def retire(self, request, queryset):
        for protocol in queryset:
            try:
                services.retire_protocol(protocol=protocol, by=request.user)
                self.message_user(request, f"Retired {protocol}.", messages.SUCCESS)
            except ValidationError as error:
                report_errors(self, request, error, protocol)


@admin.register(ProtocolStage)
class ProtocolStageAdmin(ClinicalRecordAdmin):
    list_display = [
        "protocol",
        "order",
        "name",
        "typical_weeks",
        "pt_sessions_per_week",
        "ot_sessions_per_week",
    ]
    list_filter = ["protocol__status", "protocol__condition"]
    search_fields = ["name", "protocol__name"]
    list_select_related = ["protocol"]
    autocomplete_fields = ["protocol"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.protocol.is_editable
        )


class PlanStageInline(admin.TabularInline):
    model = PlanStage
    extra = 0
    fields = [
        "order",
        "name",
        "status",
        "started_on",
        "ended_on",
        "pt_sessions_per_week",
        "ot_sessions_per_week",
    ]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # stages are copied from the protocol when the plan starts


class SessionAllocationInline(admin.TabularInline):
    model = SessionAllocation
    extra = 0
    autocomplete_fields = ["therapist"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # obj is the stage: a finished one's allocations are history.
        if obj is not None and obj.status == PlanStage.Status.DONE:
            return False
        return super().has_change_permission(request, obj)


@admin.register(RehabPlan)
class RehabPlanAdmin(ClinicalRecordAdmin):
    never_deleted_message = (
        "Plans are never deleted, so the clinical history stays complete. "
        "Discontinue the plan on its page instead."
    )
    list_display = [
        "patient",
        "protocol",
        "status",
        "current_stage_name",
        "lead_physician",
        "start_date",
    ]
    list_filter = ["status", "primary_concern", "protocol"]
    search_fields = [
        "patient__full_name",
        "patient__record_number",
        "patient__phone",
        "lead_physician__last_name",
        "lead_physician__first_name",
    ]
    list_select_related = ["patient", "protocol", "lead_physician"]
    autocomplete_fields = ["patient", "diagnosis", "lead_physician"]
    date_hierarchy = "start_date"
    inlines = [PlanStageInline]
    # The start date is the first stage's: set when the plan starts, never moved here.
    readonly_fields = ["protocol", "status", "start_date", "end_date", "status_reason"]
    actions = ["advance"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("stages")

    @admin.display(description="current stage")
    def current_stage_name(self, obj):
        stage = obj.current_stage
        return str(stage) if stage else "—"

    def has_add_permission(self, request):
        # A plan is started from a protocol (copying its stages): use the plan pages.
        return False

    @admin.action(description="Advance to the next stage")
    def advance(self, request, queryset):
        for plan in queryset:
            try:
                # No reason to give here: a plan whose stage has not met its measured
                # exit criteria is moved on from its page, where the physician says why.
                stage = services.advance_stage(plan=plan, by=request.user)
                self.message_user(request, f"{plan}: now in {stage}.", messages.SUCCESS)
            except ValidationError as error:
                report_errors(self, request, error, plan)


@admin.register(PlanStage)
class PlanStageAdmin(ClinicalRecordAdmin):
    list_display = [
        "plan",
        "order",
        "name",
        "status",
        "started_on",
        "pt_sessions_per_week",
        "ot_sessions_per_week",
    ]
    list_filter = ["status"]
    search_fields = ["plan__patient__full_name", "plan__patient__record_number", "name"]
    list_select_related = ["plan__patient", "plan__protocol"]
    readonly_fields = [
        "plan",
        "protocol_stage",
        "order",
        "status",
        "started_on",
        "ended_on",
        "entered_at",
        # The mix changes through "individualise" so the reason is recorded.
        "pt_sessions_per_week",
        "ot_sessions_per_week",
    ]
    inlines = [SessionAllocationInline]

    def get_readonly_fields(self, request, obj=None):
        # A finished stage is history: what it was and who gave it stay as they were.
        if obj is not None and obj.status == PlanStage.Status.DONE:
            return [field.name for field in PlanStage._meta.fields]
        return self.readonly_fields

    def has_add_permission(self, request):
        return False


@admin.register(SessionAllocation)
class SessionAllocationAdmin(ClinicalRecordAdmin):
    list_display = [
        "patient_name",
        "plan_stage",
        "discipline",
        "therapist",
        "sessions_per_week",
        "minutes_per_session",
    ]
    list_filter = ["discipline", "plan_stage__status"]
    search_fields = [
        "plan_stage__plan__patient__full_name",
        "plan_stage__plan__patient__record_number",
        *THERAPIST_SEARCH,
    ]
    list_select_related = ["plan_stage__plan__patient", "therapist"]
    autocomplete_fields = ["therapist"]
    readonly_fields = ["plan_stage", "discipline", "sessions_per_week"]

    @admin.display(description="patient", ordering="plan_stage__plan__patient__full_name")
    def patient_name(self, obj):
        return obj.plan_stage.plan.patient.full_name

    def get_readonly_fields(self, request, obj=None):
        # A finished stage is history: who gave its therapy stays as it was.
        if obj is not None and obj.plan_stage.status == PlanStage.Status.DONE:
            return [*self.readonly_fields, "therapist", "minutes_per_session"]
        return self.readonly_fields

    def has_add_permission(self, request):
        return False


class FocusAreasField(forms.CharField):
    """A session's focus areas, one a line (stored as a list), not JSON to type."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


class TherapySessionAdminForm(forms.ModelForm):
    """Checks a correction as the service will, so a refusal shows on the form."""

    focus_areas = FocusAreasField(required=False, help_text="One focus area a line.")

    corrected_by = None  # the signed-in admin, set by TherapySessionAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        changes = {
            field: cleaned[field]
            for field in self.changed_data
            if field in services.CORRECTABLE_FIELDS and field in cleaned
        }
        if changes and not self.errors:
            stored = TherapySession.objects.select_related("plan").get(pk=self.instance.pk)
            try:
                services.check_correction(session=stored, by=self.corrected_by, **changes)
            except ValidationError as refusal:
                self.add_error(None, refusal)
        return cleaned


@admin.register(TherapySession)
class TherapySessionAdmin(ClinicalRecordAdmin):
    form = TherapySessionAdminForm
    list_display = [
        "date",
        "patient_name",
        "discipline",
        "therapist",
        "attendance",
        "duration_minutes",
        "plan_stage",
    ]
    list_filter = ["discipline", "attendance", "date"]
    search_fields = ["plan__patient__full_name", "plan__patient__record_number", *THERAPIST_SEARCH]
    list_select_related = ["plan__patient", "therapist", "plan_stage"]
    date_hierarchy = "date"
    # Whose session it is stays as logged: correct_session changes what happened in it.
    readonly_fields = [
        "plan",
        "therapist",
        "discipline",
        "plan_stage",
        "logged_by",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="patient", ordering="plan__patient__full_name")
    def patient_name(self, obj):
        return obj.plan.patient.full_name

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.corrected_by = request.user
        return form

    def has_add_permission(self, request):
        # Sessions are logged by therapists on their worklist (allocation rules apply).
        return False

    def save_model(self, request, obj, form, change):
        services.correct_session(
            session=obj,
            by=request.user,
            **{
                field: form.cleaned_data[field]
                for field in form.changed_data
                if field in services.CORRECTABLE_FIELDS
            },
        )


class ChangeLogAdmin(admin.ModelAdmin):
    """A log of changes the plan services write (mix, stage, status): read only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # part of the clinical record


@admin.register(StageMixChange)
class StageMixChangeAdmin(ChangeLogAdmin):
    list_display = [
        "plan_stage",
        "pt_before",
        "pt_after",
        "ot_before",
        "ot_after",
        "changed_by",
        "changed_at",
    ]
    list_select_related = ["plan_stage", "changed_by"]
    date_hierarchy = "changed_at"


@admin.register(PlanStatusChange)
class PlanStatusChangeAdmin(ChangeLogAdmin):
    list_display = ["plan", "from_status", "to_status", "effective_date", "changed_by", "reason"]
    list_filter = ["to_status"]
    list_select_related = ["plan__patient", "plan__protocol", "changed_by"]
    search_fields = ["plan__patient__full_name", "plan__patient__record_number"]
    date_hierarchy = "changed_at"


@admin.register(StageTransition)
class StageTransitionAdmin(ChangeLogAdmin):
    list_display = ["plan", "from_stage", "to_stage", "effective_date", "changed_by", "reason"]
    list_select_related = [
        "plan__patient",
        "plan__protocol",
        "from_stage",
        "to_stage",
        "changed_by",
    ]
    search_fields = ["plan__patient__full_name", "plan__patient__record_number"]
    date_hierarchy = "changed_at"
