from django import forms
from django.contrib import admin

from outcomes import measures
from outcomes.models import (
    Assessment,
    Goal,
    MeasureSetting,
    StageExitCriterion,
    StageExitRules,
    StageProgressionRule,
)
from rehab.admin import ClinicalRecordAdmin


class MeasureChoiceForm(forms.ModelForm):
    """Pick a measure by name rather than typing its key."""

    measure = forms.ChoiceField(choices=measures.MEASURE_CHOICES)


@admin.register(MeasureSetting)
class MeasureSettingAdmin(admin.ModelAdmin):
    form = MeasureChoiceForm
    list_display = ["measure_name", "enabled", "updated_at"]
    list_editable = ["enabled"]
    list_display_links = ["measure_name"]

    @admin.display(description="measure", ordering="measure")
    def measure_name(self, obj):
        measure = measures.get(obj.measure)
        return measure.name if measure else obj.measure


def _draft_stage(stage) -> bool:
    """A published version's exit rules are read only, like its prescription."""
    return stage is None or stage.protocol.is_editable


class DraftOnlyInline:
    def has_add_permission(self, request, obj=None):
        return _draft_stage(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _draft_stage(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _draft_stage(obj) and super().has_delete_permission(request, obj)


class StageProgressionRuleInline(DraftOnlyInline, admin.StackedInline):
    model = StageProgressionRule
    extra = 1
    max_num = 1
    can_delete = False


class StageExitCriterionInline(DraftOnlyInline, admin.TabularInline):
    model = StageExitCriterion
    form = MeasureChoiceForm
    extra = 1


@admin.register(StageExitRules)
class StageExitRulesAdmin(admin.ModelAdmin):
    """Each protocol stage's minimum weeks and measured exit criteria: changed on a
    draft version only (physicians do it on the protocol page too).

    The stage's prescription stays read-only here: it belongs to the protocol.
    """

    list_display = ["__str__", "typical_weeks", "minimum_weeks", "criteria"]
    list_filter = ["protocol__status", "protocol__condition"]
    search_fields = ["name", "protocol__name"]
    list_select_related = ["protocol", "progression_rule"]
    readonly_fields = ["protocol", "order", "name", "typical_weeks", "exit_criteria"]
    fields = readonly_fields
    inlines = [StageProgressionRuleInline, StageExitCriterionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("measured_exit_criteria")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Only the inlines change; the stage row itself is left as it is.
        pass

    @admin.display(description="minimum weeks")
    def minimum_weeks(self, obj):
        rule = getattr(obj, "progression_rule", None)
        return rule.minimum_weeks if rule else "—"

    @admin.display(description="measured criteria")
    def criteria(self, obj):
        return "; ".join(c.describe() for c in obj.measured_exit_criteria.all()) or "—"


@admin.register(Assessment)
class AssessmentAdmin(ClinicalRecordAdmin):
    """Read-only: assessments are recorded on the plan's pages, which compute the total."""

    list_display = ["plan", "measure", "date", "total", "assessor"]
    list_filter = ["measure", "date"]
    search_fields = ["plan__patient__full_name", "plan__patient__record_number"]
    list_select_related = ["plan__patient", "plan__protocol", "assessor"]
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # clinical records are kept


@admin.register(Goal)
class GoalAdmin(ClinicalRecordAdmin):
    list_display = ["description", "plan", "discipline", "family", "status", "target_date"]
    list_filter = ["discipline", "family", "status"]
    search_fields = ["description", "plan__patient__full_name"]
    list_select_related = ["plan__patient", "plan__protocol"]
    raw_id_fields = ["plan", "created_by"]

    def has_delete_permission(self, request, obj=None):
        return False  # clinical records are kept; discontinue a goal instead
