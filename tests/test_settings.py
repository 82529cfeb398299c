import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from rehab.settings import env_bool, env_int, env_list


def test_env_bool_refuses_a_value_it_cannot_read(monkeypatch):
    monkeypatch.setenv("DEBUG_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG_X must be true or false"):
        env_bool("DEBUG_X", False)
    monkeypatch.setenv("DEBUG_X", "on")
    assert env_bool("DEBUG_X", False) is True


def test_env_int_refuses_words(monkeypatch):
    monkeypatch.setenv("AGE_X", "two hours")
    with pytest.raises(ImproperlyConfigured, match="AGE_X must be a whole number"):
        env_int("AGE_X", 1)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS_X", "rehab.example.org, localhost")
    assert env_list("HOSTS_X", []) == ["rehab.example.org", "localhost"]


def run_settings(env: dict) -> subprocess.CompletedProcess:
    code = "import rehab.settings as s; print(s.DEBUG, s.TIME_ZONE, s.USE_TZ)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_secret_key_is_required_without_debug():
    result = run_settings({"DEBUG": "0", "ALLOWED_HOSTS": "rehab.example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_has_a_development_key_and_indian_time():
    result = run_settings({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "Asia/Kolkata", "True"]


def test_production_needs_allowed_hosts():
    result = run_settings({"DEBUG": "0", "SECRET_KEY": "x" * 50})
    assert "ALLOWED_HOSTS must name the server's host" in result.stderr
