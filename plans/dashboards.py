"""Placeholder: being written."""

from django.http import Http404


def physician_home(request):
    raise Http404


def therapist_home(request):
    raise Http404
