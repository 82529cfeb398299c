"""`{% page_query param number %}`: the address's query string with one page number
changed, so moving through one list keeps a search and the other lists' pages."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, param: str, number: int) -> str:
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"
