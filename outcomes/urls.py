from django.urls import path

from outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("plans/<int:pk>/assessments/new/", views.assessment_choose, name="assessment_choose"),
    path(
        "plans/<int:pk>/assessments/new/<slug:measure_key>/",
        views.assessment_record,
        name="assessment_record",
    ),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("plans/<int:pk>/goals/new/", views.goal_create, name="goal_create"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path(
        "protocols/<int:pk>/stages/<int:order>/exit-rules/",
        views.stage_exit_rules,
        name="stage_exit_rules",
    ),
]
