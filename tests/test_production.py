"""Production settings: `check --deploy` is clean, HTTPS-only cookies, HSTS, a content
security policy without inline script, whitenoise, gunicorn and the README's guide."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)
# The documented environment of a clinic server (README, "Running it for the clinic").
PRODUCTION_ENV = {
    "PATH": "/usr/bin:/bin",
    "DEBUG": "0",
    "SECRET_KEY": "k3y-for-the-deploy-check-" + "x7Qp2Lm9Zr4Tn8Vb" * 3,
    "ALLOWED_HOSTS": "rehab.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://rehab.example.org",
}


def run_python(*arguments, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=BASE_DIR,
        env={**PRODUCTION_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def production_settings(*names) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: repr(getattr(settings, n)) for n in {list(names)!r}}}))"
    )
    result = run_python("-c", code, env={"DJANGO_SETTINGS_MODULE": "rehab.settings"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_secret_key_of_the_documented_environment_is_long_enough():
    assert len(PRODUCTION_ENV["SECRET_KEY"]) >= 50


def test_check_deploy_reports_nothing_with_the_documented_environment():
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_complains_about_a_short_secret_key():
    result = run_python(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", env={"SECRET_KEY": "short"}
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_cookies_are_https_only_with_hsts_and_whitenoise():
    values = production_settings(
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "STORAGES",
        "MIDDLEWARE",
        "DEBUG",
    )
    assert values["DEBUG"] == "False"
    for name in (
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    ):
        assert values[name] == "True", name
    assert int(values["SECURE_HSTS_SECONDS"]) >= 365 * 24 * 60 * 60
    assert "whitenoise.storage.CompressedManifestStaticFilesStorage" in values["STORAGES"]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in values["MIDDLEWARE"]
    assert "csp.middleware.CSPMiddleware" in values["MIDDLEWARE"]


def test_gunicorn_loads_the_application_with_the_production_environment():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [str(gunicorn), "--check-config", "rehab.wsgi:application"],
        cwd=BASE_DIR,
        env=PRODUCTION_ENV,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_serve_runs_gunicorn_and_logs_no_query_strings():
    makefile = (BASE_DIR / "Makefile").read_text()
    serve = makefile[makefile.index("\nserve:") :].split("\n\n")[0]
    assert "gunicorn rehab.wsgi:application" in serve
    assert "collectstatic --noinput" in serve
    # %(U)s is the path without the query string: a patient search stays out of the log.
    assert '"%(m)s %(U)s"' in makefile and "%(r)s" not in makefile
    assert "gunicorn" in (BASE_DIR / "pyproject.toml").read_text()


def test_readme_has_a_production_section():
    readme = (BASE_DIR / "README.md").read_text()
    section = readme[readme.index("## Running it for the clinic") :]
    for words in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "postgres://",
        "make serve",
        "make backup",
        "make restore FILE=",
        "createsuperuser",
        "check --deploy",
        "axes_reset_username",
    ):
        assert words in section, words


# --- Content security policy ------------------------------------------------------------


@pytest.mark.django_db
def test_pages_send_a_content_security_policy_without_inline_script(client, physician, plan):
    client.force_login(physician)
    for url in (
        reverse("home"),
        reverse("plans:plan_detail", args=[plan.pk]),
        reverse("plans:family_summary", args=[plan.pk]),
        reverse("patients:detail", args=[plan.patient_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        directives = dict(
            (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
        )
        assert directives["script-src"] == "'self'", url
        assert directives["default-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in directives["style-src-elem"]


@pytest.mark.django_db
def test_sign_in_page_has_the_policy_too(client):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]


TEMPLATE_DIRS = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style[\s>]", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def project_templates():
    for directory in TEMPLATE_DIRS:
        if ".venv" in directory.parts:
            continue
        yield from sorted(directory.rglob("*.html"))


def test_no_template_needs_inline_script_or_a_style_block():
    """The policy allows scripts and style sheets only from static files."""
    offenders = []
    for template in project_templates():
        text = template.read_text()
        for pattern, what in (
            (INLINE_SCRIPT, "an inline <script>"),
            (EVENT_HANDLER, "an on…= event handler"),
            (STYLE_BLOCK, "a <style> block"),
            (JAVASCRIPT_URL, "a javascript: link"),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(
                    f"{template.relative_to(BASE_DIR)}:{line} has {what}; "
                    "move it to a static file (see rehab/static/rehab/)"
                )
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db
def test_print_button_works_through_a_static_script(client, physician, plan):
    client.force_login(physician)
    text = client.get(reverse("plans:family_summary", args=[plan.pk])).content.decode()
    assert "data-print-page" in text
    assert "/static/rehab/print-button.js" in text
    script = (BASE_DIR / "rehab/static/rehab/print-button.js").read_text()
    assert "window.print()" in script
    css = (BASE_DIR / "rehab/static/rehab/site.css").read_text()
    assert ".family-sheet" in css
