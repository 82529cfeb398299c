"""`make bench`: seed a clinic network into its own PostgreSQL database and measure it.

    BENCH_SCALE=0.02 .venv/bin/python -m bench.run     # a quick run
    .venv/bin/python -m bench.run                      # the full clinic

Steps: (re)create the database named by BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/rehab_bench; its name must contain "bench",
since it is dropped first), migrate it, then grow the clinic to 1%, 10% and 100%
of its size, counting every page's SQL queries at each size; at full size time
the pages against a bare page, the clinic-wide figures, EXPLAIN the hot queries
and log sessions through gunicorn. Prints a table and writes bench/results.json.
The database is kept afterwards for a look with psql; the next run drops it.
"""

import json
import os
import secrets
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rehab_bench"
SHARES = (0.01, 0.10, 1.0)
LABELS = ("1%", "10%", "100%")
RESULTS = Path(__file__).resolve().parent / "results.json"
SEED_SECONDS = 60.0


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value.strip() else default
    except ValueError:
        sys.exit(f"{name} must be a number, not {value!r}.")


def recreate_database(url: str) -> None:
    """Drop and create the benchmark database (never one whose name lacks 'bench')."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop {name!r}: the benchmark database's name must contain 'bench'.")
    admin = psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def say(text: str) -> None:
    print(text, flush=True)


def main() -> int:
    scale = env_float("BENCH_SCALE", 1.0)
    load_seconds = env_float("BENCH_LOAD_SECONDS", 20.0)
    repeat = int(env_float("BENCH_REPEAT", 20))
    url = os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    # One key for this process and the gunicorn it starts (sessions are signed with it).
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
    began = time.perf_counter()
    # WhiteNoise looks for collected static files; the benchmark never serves them.
    warnings.filterwarnings("ignore", message="No directory at")

    say(f"Benchmark database {urlsplit(url).path.lstrip('/')}: recreating and migrating…")
    recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    from bench import load, measure, seed

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_seconds = time.perf_counter() - started

    full = seed.Size.full(scale)
    say(
        f"Scale {scale:g}: {full.plans} patients and plans, {full.sessions} sessions, "
        f"{full.therapists} therapists, {full.physicians} physicians."
    )
    if seed.assessment_model() is not None:
        assessments_note = f"Assessments (outcomes.Assessment): {full.assessments} pain scores."
    else:
        assessments_note = "No outcomes.Assessment model in this project: assessments skipped."
    say(assessments_note)

    clinic = seed.start_clinic(full)
    pages = None
    sizes = []
    for share, label in zip(SHARES, LABELS, strict=True):
        target = full.fraction(share)
        step = seed.grow(clinic, target)
        sizes.append(
            {
                "size": label,
                "plans": clinic.plans,
                "sessions": clinic.sessions,
                "assessments": clinic.assessments,
                "seed_seconds": step["seconds"],
            }
        )
        phases = ", ".join(f"{name} {value:.1f}" for name, value in step["phases"].items())
        say(
            f"  {label:>4}: {clinic.plans} plans, {clinic.sessions} sessions, "
            f"{clinic.assessments} assessments (+{step['seconds']:.1f} s to seed: {phases})"
        )
        if pages is None:
            pages = measure.main_pages(clinic)
        measure.count_queries(pages, label)
        if label == LABELS[0]:
            # The small clinic's times, for how much each page slows as it grows.
            measure.time_pages(pages, max(repeat // 2, 3), label)

    say(f"Timing pages at full size ({repeat} requests each, fewer for a page over 15 s)…")
    measure.time_pages(pages, repeat)
    measure.database_time(pages)
    measure.slowest_queries(pages)
    figures = measure.clinic_figures()
    hot = measure.hot_queries(clinic)
    say(f"Logging sessions through gunicorn for {load_seconds:g} s…")
    load_result = load.run(clients=16, seconds=load_seconds, workers=4)

    present = [p for p in pages[1:] if p.present]
    targets = {
        "queries_flat_and_at_most_15": all(p.flat and p.within_query_target for p in present),
        "pages_within_3x_bare": all(
            p.ratio is not None and p.ratio <= measure.MAX_RATIO for p in present
        ),
        "demand_and_adherence_under_1s": figures["within_target"],
        "seed_under_60s": clinic.seconds < SEED_SECONDS,
        "no_lost_sessions": load_result.get("no_lost_sessions", False),
    }
    results = {
        "scale": scale,
        "database": urlsplit(url).path.lstrip("/"),
        "migrate_seconds": round(migrate_seconds, 1),
        "seed": {
            "seconds": round(clinic.seconds, 2),
            "target_seconds": SEED_SECONDS,
            "steps": clinic.steps,
        },
        "sizes": sizes,
        "assessments": assessments_note,
        "pages": [p.as_dict() for p in pages],
        "clinic_figures": figures,
        "hot_queries": hot,
        "load": load_result,
        "targets": targets,
        "total_seconds": round(time.perf_counter() - began, 1),
    }
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_report(results)
    return 0


def _mark(ok) -> str:
    return "–" if ok is None else ("ok" if ok else "MISSED")


def print_report(results: dict) -> None:
    say("")
    say(
        f"{'Page':<28} {'queries 1% / 10% / 100%':>24} {'ms at 1%':>9} {'median ms':>10} "
        f"{'in SQL':>7} {'× 1%':>6} {'bare ms':>8} {'× bare':>7}  target"
    )
    say("-" * 116)
    for page in results["pages"]:
        if not page["present"]:
            say(f"{page['name']:<28} {'not present':>24}")
            continue
        counts = " / ".join(str(page["queries"].get(label, "?")) for label in LABELS)
        bad = [s for s in page["statuses"].values() if s != 200]
        if bad:
            counts += f" (HTTP {bad[0]})"
        ratio = "" if page["ratio_to_bare"] is None else f"{page['ratio_to_bare']:.2f}"
        median = "" if page["median_ms"] is None else f"{page['median_ms']:.1f}"
        small = page["medians_ms"].get(LABELS[0])
        small = "" if small is None else f"{small:.1f}"
        growth = "" if page["growth"] is None else f"{page['growth']:.2f}"
        beside = page.get("bare_median_ms_beside")
        beside = "" if beside is None else f"{beside:.1f}"
        in_sql = page.get("database_ms")
        in_sql = "" if in_sql is None else f"{in_sql:.1f}"
        if page["ratio_to_bare"] is None:
            verdict = ""
        else:
            verdict = _mark(
                page["flat"] and page["within_query_target"] and page["within_ratio_target"]
            )
        say(
            f"{page['name']:<28} {counts:>24} {small:>9} {median:>10} {in_sql:>7} {growth:>6} "
            f"{beside:>8} {ratio:>7}  {verdict}"
        )
    figures = results["clinic_figures"]
    say("")
    demand, adherence = figures["clinic_demand"], figures["active_plan_adherence"]
    say(
        f"Weekly demand: {demand['median_ms']} ms ({demand['queries']} queries); "
        f"adherence of {adherence['plans']} active plans this week: "
        f"{adherence['median_ms']} ms ({adherence['queries']} query), "
        f"{adherence['below_75_percent']} under 75%. Together {figures['total_ms']} ms "
        f"(target < 1000): {_mark(figures['within_target'])}"
    )
    seed_info = results["seed"]
    say(
        f"Seeding: {seed_info['seconds']} s for {results['sizes'][-1]['plans']} plans and "
        f"{results['sizes'][-1]['sessions']} sessions "
        f"(target < {seed_info['target_seconds']:g} s): "
        f"{_mark(results['targets']['seed_under_60s'])}; migrations took "
        f"{results['migrate_seconds']} s"
    )
    load_result = results["load"]
    if "skipped" in load_result:
        say(f"Load: skipped ({load_result['skipped']})")
    else:
        say(
            f"Load ({load_result['server']}, {load_result['clients']} clients, "
            f"{load_result['seconds']} s): {load_result['sessions_per_second']} sessions/s, "
            f"median {load_result['median_ms']} ms, p95 {load_result['p95_ms']} ms; "
            f"{load_result['answered_302']} answered 302, {load_result['stored']} stored, "
            f"{load_result['lost']} lost, {load_result['answered_200_refused']} refused, "
            f"{load_result['errors']} errors: {_mark(load_result['no_lost_sessions'])}"
        )
        for problem in load_result["problems"]:
            say(f"  problem: {problem}")
    say("")
    say("Hot queries at full size (EXPLAIN ANALYZE):")
    for name, report in results["hot_queries"].items():
        say(f"  {name}: {report['ms']} ms — {'; '.join(report['scans'])}")
    say("Slowest query of each page:")
    for page in results["pages"]:
        if page.get("slowest_sql"):
            report = page["slowest_sql"]
            say(f"  {page['name']}: {report['ms']} ms — {'; '.join(report['scans'][:4])}")
    say("")
    say("Targets: " + ", ".join(f"{k} {_mark(v)}" for k, v in results["targets"].items()))
    say(f"{results['assessments']}")
    say(f"Wrote {RESULTS} in {results['total_seconds']} s.")


if __name__ == "__main__":
    sys.exit(main())
