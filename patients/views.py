"""Placeholder: being written."""

from django.http import Http404


def patient_list(request, **kwargs):
    raise Http404


def patient_register(request, **kwargs):
    raise Http404


def patient_detail(request, **kwargs):
    raise Http404


def patient_edit(request, **kwargs):
    raise Http404
