"""`{% load audit_history %}{% audit_history plan %}`: the History section of a page.

The section opens on request (`?history=1`, its "Show the history" link) so the
page itself costs no query for it; opened, it costs a fixed few, however long
the history (see audit.history).
"""

from django import template

from audit.history import history_of

register = template.Library()
OPEN_PARAMETER = "history"


@register.inclusion_tag("audit/history.html", takes_context=True)
def audit_history(context, obj):
    """Who changed what and when, for a patient or a plan (the page checked access)."""
    request = context.get("request")
    is_open = request is not None and request.GET.get(OPEN_PARAMETER) == "1"
    history = history_of(obj) if is_open else None
    return {
        "is_open": is_open,
        "history": history,
        "entries": history.entries if history else [],
        "open_parameter": OPEN_PARAMETER,
    }
