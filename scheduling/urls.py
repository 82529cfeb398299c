from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    # A plan's timetable: preview, adjust and confirm; review after the mix moves.
    path("plans/<int:pk>/", views.plan_timetable, name="plan_timetable"),
    path("plans/<int:pk>/review/", views.plan_review, name="plan_review"),
    # One appointment: move it, or mark what happened.
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/missed/", views.appointment_missed, name="appointment_missed"),
    path(
        "appointments/<int:pk>/attended/", views.appointment_attended, name="appointment_attended"
    ),
    # Week views.
    path("", views.my_week, name="my_week"),
    path("therapists/<int:pk>/", views.therapist_week, name="therapist_week"),
    path("patients/<int:pk>/", views.patient_week, name="patient_week"),
    path("patients/<int:pk>/preference/", views.patient_preference, name="patient_preference"),
    path("clinic/", views.clinic_week, name="clinic_week"),
    # The clinic calendar: holidays, leave and working hours.
    path("calendar/", views.clinic_calendar, name="clinic_calendar"),
    path("calendar/holidays/", views.holiday_add, name="holiday_add"),
    path("calendar/holidays/<int:pk>/remove/", views.holiday_remove, name="holiday_remove"),
    path("calendar/leave/", views.leave_add, name="leave_add"),
    path("calendar/leave/<int:pk>/remove/", views.leave_remove, name="leave_remove"),
    path("calendar/therapists/<int:pk>/hours/", views.working_hours, name="working_hours"),
    # A therapist's private calendar address, and the feed it opens (no sign-in).
    path("my-calendar/", views.calendar_address, name="calendar_address"),
    path("feed/<str:secret>.ics", views.feed, name="feed"),
]
