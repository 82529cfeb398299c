from django.contrib import admin

from scheduling.models import (
    Appointment,
    CalendarFeedToken,
    ClinicHoliday,
    Leave,
    PatientPreference,
    TimetableReview,
    WorkingHours,
)


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["therapist", "weekday", "start", "end"]
    list_filter = ["weekday"]
    list_select_related = ["therapist"]


@admin.register(ClinicHoliday)
class ClinicHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"


@admin.register(Leave)
class LeaveAdmin(admin.ModelAdmin):
    list_display = ["therapist", "start_date", "end_date", "reason"]
    list_select_related = ["therapist"]


@admin.register(PatientPreference)
class PatientPreferenceAdmin(admin.ModelAdmin):
    list_display = ["patient", "time_of_day"]
    list_select_related = ["patient"]
    autocomplete_fields = []


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read here; bookings and moves go through the timetable pages, which check conflicts."""

    list_display = ["start", "end", "discipline", "therapist", "plan", "status"]
    list_filter = ["status", "discipline"]
    list_select_related = ["therapist", "plan__patient"]
    date_hierarchy = "start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TimetableReview)
class TimetableReviewAdmin(admin.ModelAdmin):
    list_display = ["plan", "reason", "requested_at", "resolved_at", "resolved_by"]
    list_select_related = ["plan__patient", "resolved_by"]


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(admin.ModelAdmin):
    list_display = ["therapist", "created_at", "revoked_at"]
    list_select_related = ["therapist"]
    readonly_fields = ["therapist", "created_at"]

    def has_add_permission(self, request):
        return False
