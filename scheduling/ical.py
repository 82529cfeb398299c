"""A therapist's appointments as iCalendar text (RFC 5545), for their phone."""

import datetime

from django.utils import timezone

PRODUCT = "-//Rehab plans//Timetable//EN"


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def short_name(full_name: str) -> str:
    """'Meena Kumari Iyer' -> 'Meena I.': enough to recognise, less on a lock screen."""
    words = full_name.split()
    if len(words) < 2:
        return full_name
    return f"{words[0]} {words[-1][0]}."


def calendar(therapist, appointments, host: str) -> str:
    now = utc(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape('Rehab timetable — ' + therapist.display_name)}",
    ]
    for appointment in appointments:
        patient = appointment.plan.patient
        status = "CANCELLED" if appointment.is_cancelled else "CONFIRMED"
        summary = f"{appointment.discipline} — {short_name(patient.full_name)}"
        if appointment.is_cancelled:
            summary += f" ({appointment.get_status_display().lower()})"
        lines += [
            "BEGIN:VEVENT",
            f"UID:appointment-{appointment.pk}@{host}",
            f"DTSTAMP:{now}",
            f"DTSTART:{utc(appointment.start)}",
            f"DTEND:{utc(appointment.end)}",
            f"SUMMARY:{escape(summary)}",
            f"DESCRIPTION:{escape('Record ' + patient.record_number)}",
            f"STATUS:{status}",
            f"LAST-MODIFIED:{utc(appointment.updated_at)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
