"""Placeholder: being written."""

from django.http import Http404


def plan_start(request, **kwargs):
    raise Http404


def plan_detail(request, **kwargs):
    raise Http404


def plan_allocate(request, **kwargs):
    raise Http404


def plan_individualise(request, **kwargs):
    raise Http404


def plan_advance(request, **kwargs):
    raise Http404


def plan_status(request, **kwargs):
    raise Http404


def family_summary(request, **kwargs):
    raise Http404
