"""Placeholder: being written."""

from django.http import Http404


def protocol_list(request, **kwargs):
    raise Http404


def protocol_create(request, **kwargs):
    raise Http404


def protocol_detail(request, **kwargs):
    raise Http404


def protocol_edit(request, **kwargs):
    raise Http404


def protocol_publish(request, **kwargs):
    raise Http404


def protocol_new_version(request, **kwargs):
    raise Http404


def protocol_retire(request, **kwargs):
    raise Http404
