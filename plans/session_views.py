"""Placeholder: being written."""

from django.http import Http404


def session_log(request, **kwargs):
    raise Http404


def session_missed(request, **kwargs):
    raise Http404


def session_edit(request, **kwargs):
    raise Http404
