"""The project's URLs plus one bare page, the yardstick for every page's time."""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from rehab.urls import urlpatterns as project_urlpatterns


@require_GET
def bare_page(request):
    """The base template and nothing else: what any signed-in page costs at least."""
    return render(request, "base.html")


urlpatterns = [
    path("bench/bare/", bare_page, name="bench_bare"),
    *project_urlpatterns,
]
