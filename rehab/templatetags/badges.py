"""`{% status_badge status label %}`: a plan's, stage's or protocol's status as a badge.

A tag rather than an included template: lists show one on every row, and an
include per row costs more than the badge itself.
"""

from django import template
from django.utils.html import format_html

register = template.Library()

GREEN = {"active", "published", "current"}
AMBER = {"on_hold", "draft"}


@register.simple_tag
def status_badge(status: str, label: str) -> str:
    if status in GREEN:
        colour = "text-bg-success"
    elif status in AMBER:
        colour = "text-bg-warning"
    elif status == "upcoming":
        colour = "text-bg-light border"
    else:
        colour = "text-bg-secondary"
    return format_html('<span class="badge status-{} {}">{}</span>', status, colour, label)
