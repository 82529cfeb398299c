"""/api/v1/: the REST API, its OpenAPI schema, the documentation page and tokens."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from interop import api_views, token_views

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# JSON only: no ".json" suffix routes (the custom actions do not take a format).
router.include_format_suffixes = False
router.register("patients", api_views.PatientViewSet, basename="patient")
router.register("conditions", api_views.ConditionViewSet, basename="condition")
router.register("protocols", api_views.ProtocolViewSet, basename="protocol")
router.register("plans", api_views.PlanViewSet, basename="plan")
router.register("sessions", api_views.TherapySessionViewSet, basename="session")
router.register("assessments", api_views.AssessmentViewSet, basename="assessment")
router.register("goals", api_views.GoalViewSet, basename="goal")

urlpatterns = [
    path("", api_views.ApiIndex.as_view(), name="index"),
    path("", include(router.urls)),
    path("auth/token/", token_views.ObtainToken.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # A person reading the docs signs in through the web page first.
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    # Last: any other address under /api/v1/ (a missing final slash, a typo).
    re_path(r"^(?P<rest>.*)$", api_views.not_found, name="not_found"),
]
