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


def contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of a #rrggbb colour against white."""

    def channel(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


def test_the_discipline_and_stage_colours_can_be_read_as_text_and_under_white():
    from outcomes.templatetags.outcomes_tags import STAGE_COLOUR
    from rehab.templatetags.charts import OT_COLOUR, PT_COLOUR

    for colour in (PT_COLOUR, OT_COLOUR, STAGE_COLOUR):
        assert contrast_on_white(colour) >= 4.5, colour
    # The badges and text of the pages use the charts' colours.
    css = Path(settings.BASE_DIR, "rehab", "static", "rehab", "site.css").read_text()
    assert f".badge-ot {{ background: {OT_COLOUR}; }}" in css
    assert f".ot {{ color: {OT_COLOUR}; }}" in css
    assert f".badge-pt {{ background: {PT_COLOUR}; }}" in css
