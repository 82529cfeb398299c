"""Pagination for the API's lists."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=2&page_size=50`; 25 a page unless asked, at most 100."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class CursorPagination(pagination.CursorPagination):
    """`next` and `previous` links and no `count`: for the therapy-session log and
    the assessments, which grow with every session and review of every clinic,
    counting them for every page would cost more than the page itself. Follows
    the view's `?ordering=`, newest first by default."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    # Each view's `ordering` (through the ordering filter) decides; this is only the
    # fallback for a view without one, and fits any model. The session log's own
    # ("-date", "-start_time", "-pk") would fail on assessments, which have no time.
    ordering = "-pk"
