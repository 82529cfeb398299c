"""Each role's home page after signing in."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from plans import dashboards


@require_GET
def home(request):
    user = request.user
    if user.is_physician:
        return dashboards.physician_home(request)
    if user.is_therapist:
        return dashboards.therapist_home(request)
    if user.is_front_desk:
        return redirect("patients:list")
    if user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied
