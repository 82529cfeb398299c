from django.contrib import admin

from patients.models import Condition, Diagnosis, Patient
from rehab.admin import ClinicalRecordAdmin, NeverDeletedAdmin


@admin.register(Condition)
class ConditionAdmin(NeverDeletedAdmin):
    never_deleted_message = (
        "Conditions stay on the clinic's list: diagnoses and protocols refer to them."
    )
    list_display = ["name", "icd10_code", "category", "has_side", "has_spinal_level"]
    list_filter = ["category", "has_side", "has_spinal_level"]
    search_fields = ["name", "icd10_code"]


class DiagnosisInline(admin.StackedInline):
    model = Diagnosis
    extra = 0
    autocomplete_fields = ["condition"]
    can_delete = False  # clinical history is never deleted


@admin.register(Patient)
class PatientAdmin(ClinicalRecordAdmin):
    never_deleted_message = (
        "Patients are never deleted, so their clinical history stays complete. "
        "To take a patient off the active list, untick 'active' and save."
    )
    list_display = ["record_number", "full_name", "date_of_birth", "sex", "phone", "is_active"]
    list_filter = ["is_active", "sex", "preferred_language"]
    search_fields = ["full_name", "record_number", "phone", "family_contact_phone"]
    readonly_fields = ["record_number", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [DiagnosisInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "record_number",
                    "full_name",
                    "date_of_birth",
                    "sex",
                    "phone",
                    "preferred_language",
                    "is_active",
                ]
            },
        ),
        (
            "Family contact",
            {"fields": ["family_contact_name", "family_contact_relation", "family_contact_phone"]},
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]


@admin.register(Diagnosis)
class DiagnosisAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "condition", "onset_date", "affected_side", "is_primary"]
    list_filter = ["is_primary", "affected_side", "condition"]
    search_fields = ["patient__full_name", "patient__record_number", "condition__name"]
    list_select_related = ["patient", "condition"]
    autocomplete_fields = ["patient", "condition"]
    date_hierarchy = "onset_date"
