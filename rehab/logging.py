"""Logging that keeps patients out of the logs.

A request error is logged with its path (never the query string or form data)
and a traceback whose exception messages are withheld: a message can quote a
value (a database error quotes the row it refused), and values here are names,
phone numbers and clinical notes. The exception's type and the code lines that
raised it stay, which is what finding the bug needs.
"""

import logging
import re
import traceback

from django.views.debug import SafeExceptionReporterFilter

WITHHELD = "[message withheld: it may hold patient data]"
QUERY_STRING = re.compile(r"\?[^\s\"]*")


def _exception_lines(exc_type, exc_value, exc_traceback, seen: set) -> list[str]:
    lines = []
    cause = exc_value.__cause__ or (
        None if exc_value.__suppress_context__ else exc_value.__context__
    )
    if cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        lines += _exception_lines(type(cause), cause, cause.__traceback__, seen)
        lines.append("\nThe above exception led to the following one:\n\n")
    lines.append("Traceback (most recent call last):\n")
    lines += traceback.format_tb(exc_traceback)
    name = f"{exc_type.__module__}.{exc_type.__qualname__}"
    lines.append(f"{name}: {WITHHELD}\n")
    return lines


class PrivateFormatter(logging.Formatter):
    """Tracebacks with exception types and code lines but no exception messages."""

    def formatException(self, ei) -> str:
        exc_type, exc_value, exc_traceback = ei
        if exc_value is None:
            return super().formatException(ei)
        return "".join(_exception_lines(exc_type, exc_value, exc_traceback, set())).rstrip("\n")


class DropQueryStrings(logging.Filter):
    """Cut query strings (a patient search) out of logged request lines and paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = QUERY_STRING.sub("", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                QUERY_STRING.sub("", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


class ClinicalDataReporterFilter(SafeExceptionReporterFilter):
    """Error reports (e-mailed to ADMINS, if set) without form data or local values."""

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
