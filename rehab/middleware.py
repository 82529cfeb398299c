"""Middleware of the web pages."""

from django.shortcuts import render

# The API and FHIR answer a wrong method in their own formats.
MACHINE_PATHS = ("/api/", "/fhir/")


class MethodNotAllowedPageMiddleware:
    """A page that only takes a form's POST (advance a stage, log a no-show) answers
    an opened or reloaded address with a page that says so, not a blank 405."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not response.content
            and not request.path.startswith(MACHINE_PATHS)
        ):
            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
