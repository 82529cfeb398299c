from django.urls import path

from plans import dashboards, protocol_views, session_views, views

app_name = "plans"

urlpatterns = [
    # Protocol library and authoring (physicians author; therapists read).
    path("protocols/", protocol_views.protocol_list, name="protocol_list"),
    path("protocols/new/", protocol_views.protocol_create, name="protocol_create"),
    path("protocols/<int:pk>/", protocol_views.protocol_detail, name="protocol_detail"),
    path("protocols/<int:pk>/edit/", protocol_views.protocol_edit, name="protocol_edit"),
    path("protocols/<int:pk>/publish/", protocol_views.protocol_publish, name="protocol_publish"),
    path(
        "protocols/<int:pk>/new-version/",
        protocol_views.protocol_new_version,
        name="protocol_new_version",
    ),
    path("protocols/<int:pk>/retire/", protocol_views.protocol_retire, name="protocol_retire"),
    # A patient's plan (physicians change it; allocated therapists read it).
    path("plans/start/<int:diagnosis_pk>/", views.plan_start, name="plan_start"),
    path("plans/attention/", dashboards.plans_needing_attention, name="attention"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/allocate/", views.plan_allocate, name="plan_allocate"),
    path(
        "plans/<int:pk>/stages/<int:stage_pk>/individualise/",
        views.plan_individualise,
        name="plan_individualise",
    ),
    path("plans/<int:pk>/advance/", views.plan_advance, name="plan_advance"),
    path("plans/<int:pk>/status/", views.plan_status, name="plan_status"),
    path("plans/<int:pk>/family-summary/", views.family_summary, name="family_summary"),
    # Therapy sessions (therapists allocated to the plan).
    path("plans/<int:pk>/sessions/new/", session_views.session_log, name="session_log"),
    path("plans/<int:pk>/sessions/missed/", session_views.session_missed, name="session_missed"),
    path("sessions/<int:pk>/edit/", session_views.session_edit, name="session_edit"),
]
