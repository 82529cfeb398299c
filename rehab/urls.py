from django.contrib import admin
from django.urls import include, path

from rehab import views

admin.site.site_header = "Rehab plans administration"
admin.site.site_title = "Rehab plans admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("patients/", include("patients.urls")),
    path("", include("plans.urls")),
    path("", include("outcomes.urls")),
    path("timetable/", include("scheduling.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("interop.api_urls")),
    path("fhir/", include("interop.fhir_urls")),
]
