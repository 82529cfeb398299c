"""Pages, their SQL and their time; the clinic-wide figures; EXPLAIN of hot queries.

Pages are requested in-process with Django's test client (signed in with
force_login), through the whole middleware stack, against the benchmark database.
"""

import datetime
import json
import re
import statistics
import time
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import (
    NoReverseMatch,
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    resolve,
    reverse,
)
from django.utils import timezone

from bench import seed
from patients.models import Patient
from patients.views import search_patients
from plans import dashboards, selectors
from plans.models import RehabPlan, SessionAllocation, TherapySession
from rehab.models import Discipline, User

MAX_QUERIES = 15
MAX_RATIO = 3.0
AGGREGATE_SECONDS = 1.0


@dataclass
class Page:
    name: str
    path: str | None  # None: not present in this project
    user: object = None
    queries: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    median_ms: float | None = None
    # Median per request at each size (1% and 100%): the time must not grow with the history.
    medians: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    ratio: float | None = None
    # The bare page's median over the requests made between this page's.
    bare_median_ms: float | None = None
    # Of a request at full size, the milliseconds spent waiting on PostgreSQL.
    database_ms: float | None = None
    slowest_sql: dict | None = None

    @property
    def present(self) -> bool:
        return self.path is not None

    @property
    def flat(self) -> bool | None:
        counts = list(self.queries.values())
        return None if not counts else max(counts) == min(counts)

    @property
    def within_query_target(self) -> bool | None:
        counts = list(self.queries.values())
        return None if not counts else max(counts) <= MAX_QUERIES

    @property
    def growth(self) -> float | None:
        """Median at full size over median at 1%: how much the page slowed as the
        clinic grew a hundredfold."""
        small, full = self.medians.get("1%"), self.medians.get("100%")
        return round(full / small, 2) if small and full else None

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "path": self.path,
            "as": getattr(self.user, "username", None),
            "present": self.present,
            "queries": self.queries,
            "statuses": self.statuses,
            "flat": self.flat,
            "max_queries": MAX_QUERIES,
            "within_query_target": self.within_query_target,
            "median_ms": self.median_ms,
            "medians_ms": self.medians,
            "growth": self.growth,
            "timed_requests": self.requests,
            "ratio_to_bare": self.ratio,
            "bare_median_ms_beside": self.bare_median_ms,
            "database_ms": self.database_ms,
            "within_ratio_target": None if self.ratio is None else self.ratio <= MAX_RATIO,
            "slowest_sql": self.slowest_sql,
        }


# --- Which pages exist ------------------------------------------------------------


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield route, f"{namespace}:{pattern.name}" if namespace else pattern.name


def api_list_paths() -> list[tuple[str, str]]:
    """(name, path) of each REST list under /api/v1/ that needs no argument."""
    found = {}
    for route, name in _walk(get_resolver().url_patterns):
        if not route.lstrip("^").startswith("api/v1/") or not name.endswith("-list"):
            continue
        try:
            path = reverse(name)
        except NoReverseMatch:
            continue
        found.setdefault(path, name)
    return sorted((name, path) for path, name in found.items())


def fhir_careplan_path() -> str | None:
    """The FHIR CarePlan search (a Bundle of every plan) when /fhir/ serves it."""
    for path in ("/fhir/CarePlan", "/fhir/CarePlan/"):
        try:
            resolve(path)
        except Resolver404:
            continue
        return path
    return None


def main_pages(clinic: seed.Clinic) -> list[Page]:
    """The pages to measure, as the people who use them. Plan number 0 is active
    and exists at every size, so its physician and therapists always have rows."""
    first = RehabPlan.objects.select_related("lead_physician").get(pk=1)
    physician = first.lead_physician
    physiotherapist = (
        SessionAllocation.objects.filter(plan_stage__plan=first, discipline=Discipline.PT)
        .select_related("therapist")
        .first()
        .therapist
    )
    busiest = (
        RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE)
        .annotate(n=Count("sessions"))
        .order_by("-n", "pk")
        .values_list("pk", "patient_id")
        .first()
    )
    plan_pk, patient_pk = busiest
    protocol = clinic.protocols[0]
    # A family name that plan 0's patient has, so the search finds someone at every size.
    surname = Patient.objects.get(pk=first.patient_id).full_name.split()[-1]
    pages = [
        Page("Bare page (base template)", reverse("bench_bare"), physician),
        Page("Physician home", reverse("home"), physician),
        Page("Plans that need a physician", reverse("plans:attention"), physician),
        Page("Therapist worklist", reverse("home"), physiotherapist),
        Page("Plan page", reverse("plans:plan_detail", args=[plan_pk]), physician),
        Page("Patient list", reverse("patients:list"), physician),
        Page("Patient search", reverse("patients:list") + f"?q={surname}", physician),
        Page("Patient page", reverse("patients:detail", args=[patient_pk]), physician),
        Page("Protocol page", reverse("plans:protocol_detail", args=[protocol.pk]), physician),
    ]
    lists = api_list_paths()
    if lists:
        pages += [Page(f"API {name.split(':')[-1]}", path, physician) for name, path in lists]
    else:
        pages.append(Page("API lists (/api/v1/)", None, physician))
    pages.append(Page("FHIR CarePlan bundle", fhir_careplan_path(), physician))
    return pages


# --- Requests ----------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(pages: list[Page], label: str) -> None:
    """SQL queries of one request to each page (after one warm-up request)."""
    for page in pages:
        if not page.present:
            continue
        client = _client(page.user)
        client.get(page.path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.path)
        page.queries[label] = len(captured)
        page.statuses[label] = response.status_code


def time_pages(
    pages: list[Page], repeat: int, label: str = "100%", budget_seconds: float = 15.0
) -> None:
    """Median milliseconds per request at the size `label`; at full size ("100%")
    also each page's ratio to the bare page, the first of `pages`.

    `repeat` requests per page, or fewer (at least 3) when a slow page would
    take more than `budget_seconds`, so the run stays within its ten minutes.
    At full size each request to a page is followed by one to the bare page and
    the ratio is of the two medians: a slower spell of a shared machine then
    weighs on both sides alike instead of on whichever page it fell.
    """
    bare = pages[0]
    bare_client = _client(bare.user)
    bare_client.get(bare.path)
    bare_times = []
    for page in pages:
        if not page.present:
            continue
        if label == "100%":
            print(f"  {page.name}…", flush=True)
        client = _client(page.user)
        client.get(page.path)
        times, beside = [], []
        spent = 0.0
        while len(times) < repeat and (len(times) < 3 or spent < budget_seconds):
            started = time.perf_counter()
            client.get(page.path)
            times.append(time.perf_counter() - started)
            spent += times[-1]
            if label == "100%" and page is not bare:
                started = time.perf_counter()
                bare_client.get(bare.path)
                beside.append(time.perf_counter() - started)
        page.medians[label] = round(statistics.median(times) * 1000, 2)
        if label != "100%":
            continue
        page.requests = len(times)
        page.median_ms = page.medians[label]
        if page is bare:
            bare_times += times
        else:
            bare_times += beside
            page.bare_median_ms = round(statistics.median(beside) * 1000, 2)
            page.ratio = round(statistics.median(times) / statistics.median(beside), 2)
    if label == "100%" and bare_times:
        # The bare page's own figure: every bare request of the run.
        bare.median_ms = bare.medians[label] = round(statistics.median(bare_times) * 1000, 2)
        bare.requests = len(bare_times)


class _DatabaseClock:
    """An execute wrapper that adds up the time spent in the database driver."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def database_time(pages: list[Page], repeat: int = 7) -> None:
    """Median milliseconds per request spent in the database driver (sending each
    query, PostgreSQL planning and running it, reading the rows back), apart from
    the timed requests so that measuring it does not slow them. What is left of a
    page's time is Python: the ORM building queries and rows, views, templates."""
    for page in pages:
        if not page.present:
            continue
        client = _client(page.user)
        client.get(page.path)
        spent = []
        for _ in range(repeat):
            clock = _DatabaseClock()
            with connection.execute_wrapper(clock):
                client.get(page.path)
            spent.append(clock.seconds)
        page.database_ms = round(statistics.median(spent) * 1000, 2)


def slowest_queries(pages: list[Page]) -> None:
    """EXPLAIN ANALYZE every query of each page; keep the slowest with its plan."""
    for page in pages[1:]:
        if not page.present:
            continue
        client = _client(page.user)
        with CaptureQueriesContext(connection) as captured:
            client.get(page.path)
        worst = None
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            report = explain(sql)
            if worst is None or report["ms"] > worst["ms"]:
                worst = report
        page.slowest_sql = worst


# --- EXPLAIN ------------------------------------------------------------------------


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def explain(sql: str) -> dict:
    """Execution time and the scans of a query, from EXPLAIN (ANALYZE, FORMAT JSON)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (result,) = cursor.fetchone()
    if isinstance(result, str):
        result = json.loads(result)
    top = result[0]
    scans = []
    for node in _nodes(top["Plan"]):
        kind = node["Node Type"]
        if kind == "Bitmap Index Scan":  # under a Bitmap Heap Scan: which index it read
            scans.append(f"{kind} using {node['Index Name']} ({node.get('Actual Rows', 0)} rows)")
        elif "Scan" in kind and "Relation Name" in node:
            where = node.get("Index Name")
            scans.append(
                f"{kind} on {node['Relation Name']}"
                + (f" using {where}" if where else "")
                + f" ({node.get('Actual Rows', 0)} rows)"
            )
    return {
        "ms": round(top["Execution Time"], 2),
        "scans": scans,
        "sql": re.sub(r"\s+", " ", sql)[:600],
    }


def hot_queries(clinic: seed.Clinic) -> dict[str, dict]:
    """The lookups the indexes are for, explained at full size."""
    plan = RehabPlan.objects.get(pk=1)
    therapist_id = (
        TherapySession.objects.filter(plan=plan).values_list("therapist_id", flat=True).first()
    )
    today = timezone.localdate()
    monday = selectors.week_start(today)
    surname = Patient.objects.get(pk=plan.patient_id).full_name.split()[-1]
    queries = {
        "Sessions of one therapist in one week (worklist, timetable)": (
            TherapySession.objects.filter(
                therapist_id=therapist_id,
                date__range=(monday, monday + datetime.timedelta(days=6)),
            )
        )
        .values("plan_id")
        .annotate(n=Count("pk")),
        "Sessions one therapist logged today (worklist)": (
            dashboards.sessions_logged_today(User(pk=therapist_id), today)
        ),
        "Sessions of one plan by date (plan page, adherence)": TherapySession.objects.filter(
            plan=plan
        ).order_by("-date", "-start_time", "-pk")[:20],
        "Active plans of one physician (physician home)": RehabPlan.objects.filter(
            lead_physician_id=plan.lead_physician_id, status=RehabPlan.Status.ACTIVE
        ),
        "Patients whose name holds a word, a page of 25 (patient search)": (
            search_patients(Patient.objects.all(), surname).order_by("full_name")[:25]
        ),
        "Newest sessions first, a page of 25 (API session list)": (
            TherapySession.objects.order_by("-date", "-start_time", "-pk")[:25]
        ),
        "Newest plans first, a page of 25 (API plan list)": (
            RehabPlan.objects.order_by("-start_date", "-pk")[:25]
        ),
    }
    assessment = seed.assessment_model()
    if assessment is not None:
        queries["Newest assessments first, a page of 25 (API assessment list)"] = (
            assessment.objects.order_by("-date", "-created_at", "-pk")[:25]
        )
    reports = {}
    for name, queryset in queries.items():
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            reports[name] = explain(cursor.mogrify(sql, params))
    return reports


# --- Clinic-wide figures -----------------------------------------------------------


def clinic_figures(repeat: int = 5) -> dict:
    """Weekly demand and every active plan's adherence this week: median time, queries."""
    today = timezone.localdate()
    results = {}
    for name, run in (
        ("clinic_demand", lambda: selectors.clinic_demand(today)),
        ("active_plan_adherence", lambda: selectors.active_plan_adherence(today)),
    ):
        run()
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                value = run()
                times.append(time.perf_counter() - started)
        results[name] = {
            "median_ms": round(statistics.median(times) * 1000, 2),
            "queries": len(captured),
        }
        if name == "active_plan_adherence":
            results[name]["plans"] = len(value)
            results[name]["below_75_percent"] = sum(
                1
                for row in value
                if row.adherence_percent is not None
                and row.adherence_percent < selectors.LOW_ADHERENCE_PERCENT
            )
    total = sum(figure["median_ms"] for figure in results.values())
    results["total_ms"] = round(total, 2)
    results["within_target"] = total / 1000 < AGGREGATE_SECONDS
    return results
