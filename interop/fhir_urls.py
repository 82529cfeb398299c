"""/fhir/: the FHIR R4 read API (see interop.fhir_views)."""

from django.urls import path

from interop import fhir_views

app_name = "fhir"

urlpatterns = [
    path("metadata", fhir_views.MetadataView.as_view(), name="metadata"),
    path("<str:resource_type>/<str:resource_id>", fhir_views.ReadView.as_view(), name="read"),
    path("<str:resource_type>", fhir_views.SearchView.as_view(), name="search"),
]
