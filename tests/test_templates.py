"""What Django's template language would otherwise show a family or a clinician."""

from pathlib import Path

from django.conf import settings


def test_template_comments_close_on_their_line():
    """`{# #}` is a one-line comment: over two lines Django prints it on the page
    (it printed on every family summary). Longer ones use {% comment %}."""
    unclosed = []
    for template in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        for number, line in enumerate(template.read_text().splitlines(), start=1):
            if "{#" in line and "#}" not in line[line.index("{#") :]:
                unclosed.append(f"{template.relative_to(settings.BASE_DIR)}:{number}")
    assert not unclosed, f"comments left open: {unclosed}"
