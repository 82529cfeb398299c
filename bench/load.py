"""Therapists logging sessions at once, through gunicorn on loopback.

gunicorn serves the project (4 workers, 127.0.0.1, a free port) against the
benchmark database. Each client is one allocated therapist with their own signed-in
session: it opens the session form once (for the CSRF token and cookie), then
posts the form on its patients' plans, as fast as the server answers, for a fixed
time. A 302 means "logged"; afterwards the database must hold exactly that many
new sessions.
"""

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plans.models import PlanStage, RehabPlan, SessionAllocation, TherapySession
from rehab.models import User

LOAD_NOTE = "Logged by the benchmark load test."
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Therapist:
    user: User
    plan_ids: list[int]
    cookies: dict[str, str] = field(default_factory=dict)


def therapists_with_plans(count: int) -> list[Therapist]:
    """The therapists with the most active plans in their current stage's allocation."""
    result = []
    for user in User.objects.filter(allocations__isnull=False).distinct().order_by("pk"):
        discipline = user.discipline
        mine = SessionAllocation.objects.filter(
            plan_stage__plan=OuterRef("pk"),
            plan_stage__status=PlanStage.Status.CURRENT,
            therapist=user,
            discipline=discipline,
        )
        plan_ids = list(
            RehabPlan.objects.filter(Exists(mine), status=RehabPlan.Status.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if plan_ids:
            result.append(Therapist(user, plan_ids))
    result.sort(key=lambda t: -len(t.plan_ids))
    return result[:count]


def signed_in_cookies(user) -> dict[str, str]:
    """A real signed-in session for the user, as the browser's cookie."""
    client = Client()
    client.force_login(user)
    return {name: morsel.value for name, morsel in client.cookies.items()}


class Server:
    """gunicorn running the project, started and stopped by the benchmark."""

    def __init__(self, workers: int = 4):
        self.port = free_port()
        self.workers = workers
        self.process = None

    def __enter__(self):
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "rehab.wsgi:application",
            "--config",
            "python:bench.gunicorn_config",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(settings.BASE_DIR),
        ]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {self.process.stderr.read()[-2000:]}")
            try:
                status, _, _ = self.request("GET", reverse("login"))
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not answer within 60 seconds")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def request(self, method, path, body=None, headers=None, connection=None):
        conn = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, response.getheader("Set-Cookie", ""), data
        finally:
            if connection is None:
                conn.close()


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _keep_cookies(cookies: dict[str, str], set_cookie: str) -> None:
    if not set_cookie:
        return
    jar = SimpleCookie()
    jar.load(set_cookie)
    for name, morsel in jar.items():
        # Flash messages are read by the next page a person opens; a client that
        # never opens one would carry them along forever.
        if name != "messages":
            cookies[name] = morsel.value


@dataclass
class ClientResult:
    logged: int = 0  # answered 302
    refused: int = 0  # answered 200: the form came back with an error
    errors: int = 0  # anything else
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Clock:
    """Every client opens its form first; the timed window starts when all have."""

    seconds: float
    started: float = 0.0
    until: float = 0.0

    def start(self) -> None:
        self.started = time.monotonic()
        self.until = self.started + self.seconds


def _log_sessions(server: Server, therapist: Therapist, ready, clock: Clock, out: ClientResult):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    cookies = dict(therapist.cookies)
    try:
        first = reverse("plans:session_log", args=[therapist.plan_ids[0]])
        status, set_cookie, body = server.request(
            "GET", first, headers={"Cookie": _cookie_header(cookies)}, connection=conn
        )
        _keep_cookies(cookies, set_cookie)
        match = TOKEN.search(body.decode())
        if status != 200 or not match:
            out.errors += 1
            out.problems.append(f"form {first}: {status}")
            ready.abort()
            return
        token = match.group(1)
        ready.wait()
        n = 0
        while time.monotonic() < clock.until:
            plan_id = therapist.plan_ids[n % len(therapist.plan_ids)]
            n += 1
            form = urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "date": timezone.localdate().isoformat(),
                    "duration_minutes": "45",
                    "attendance": TherapySession.Attendance.ATTENDED,
                    "subjective": LOAD_NOTE,
                    "next": "/",
                }
            )
            started = time.perf_counter()
            status, set_cookie, body = server.request(
                "POST",
                reverse("plans:session_log", args=[plan_id]),
                body=form,
                headers={
                    "Cookie": _cookie_header(cookies),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                connection=conn,
            )
            out.latencies.append(time.perf_counter() - started)
            _keep_cookies(cookies, set_cookie)
            if status == 302:
                out.logged += 1
            elif status == 200:
                out.refused += 1
            else:
                out.errors += 1
                if len(out.problems) < 3:
                    out.problems.append(f"POST plan {plan_id}: {status}")
    except (OSError, threading.BrokenBarrierError) as error:
        out.errors += 1
        out.problems.append(repr(error))
    finally:
        conn.close()


def run(clients: int = 16, seconds: float = 20.0, workers: int = 4) -> dict:
    therapists = therapists_with_plans(clients)
    if not therapists:
        return {"skipped": "no therapist has an active plan"}
    # More clients than therapists: a therapist signs in on a second tablet.
    sessions = [
        Therapist(therapists[n % len(therapists)].user, therapists[n % len(therapists)].plan_ids)
        for n in range(clients)
    ]
    for therapist in sessions:
        therapist.cookies = signed_in_cookies(therapist.user)
    before = TherapySession.objects.filter(subjective=LOAD_NOTE).count()
    with Server(workers=workers) as server:
        results = [ClientResult() for _ in sessions]
        clock = Clock(seconds)
        ready = threading.Barrier(len(sessions), action=clock.start)
        threads = [
            threading.Thread(target=_log_sessions, args=(server, therapist, ready, clock, result))
            for therapist, result in zip(sessions, results, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - clock.started if clock.started else 0.0
    stored = TherapySession.objects.filter(subjective=LOAD_NOTE).count() - before
    logged = sum(r.logged for r in results)
    latencies = [t for r in results for t in r.latencies]
    return {
        "server": f"gunicorn, {workers} workers, 127.0.0.1:{server.port}",
        "clients": clients,
        "therapists": len(therapists),
        "seconds": round(elapsed, 2),
        "answered_302": logged,
        "answered_200_refused": sum(r.refused for r in results),
        "errors": sum(r.errors for r in results),
        "problems": [p for r in results for p in r.problems][:5],
        "stored": stored,
        "lost": logged - stored,
        "sessions_per_second": round(stored / elapsed, 1) if elapsed else None,
        "median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": (
            round(statistics.quantiles(latencies, n=20)[-1] * 1000, 1)
            if len(latencies) >= 20
            else None
        ),
        "no_lost_sessions": logged == stored and logged > 0,
    }
