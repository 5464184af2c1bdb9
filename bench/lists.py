"""List pages at 50,000 schools: server time of the school list, region drill-down and
home page, against a bare page with the same layout (the 404 page) measured in the same
run. Prints the machine, medians, p95 and the ratio to the reference.

    uv run python bench/lists.py [--schools 50000] [--requests 100]
    uv run python bench/lists.py --existing var/eduplus.sqlite3   # a seeded database,
        # e.g. after `eduplus seed --scale province`: adds the people lists (10M students)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _machine import machine  # bench/ is the script directory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--existing", help="measure this seeded SQLite database instead")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="eduplus-bench-")
    os.environ["EDUPLUS_SQLITE_PATH"] = args.existing or str(Path(tmp) / "bench.sqlite3")
    os.environ["EDUPLUS_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eduplus.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    from eduplus.accounts.models import RoleAssignment, User
    from eduplus.regions.models import Region
    from eduplus.schools.models import School

    if args.existing:
        measure_existing(args)
        return
    call_command("migrate", verbosity=0)

    counties = list(
        Region.objects.filter(level=3, code__startswith=settings.EDUPLUS_PROVINCE).values_list(
            "code", "name"
        )
    )
    types = ["211", "211", "211", "311", "342", "111", "218"]
    started = time.perf_counter()
    schools = []
    for i in range(args.schools):
        code, name = counties[i % len(counties)]
        t = types[i % len(types)]
        schools.append(
            School(
                code=f"{t[:2]}{settings.EDUPLUS_PROVINCE}{i + 1:06d}",
                name=f"{name}第{i // len(counties) + 1}学校",
                school_type=t,
                urban_rural="111" if i % 3 else "220",
                region_id=code,
                student_count=300 + i % 900,
                teacher_count=20 + i % 60,
            )
        )
    School.objects.bulk_create(schools, batch_size=5000)
    print(f"machine: {machine()}")
    print(f"setup: {args.schools:,} schools in {time.perf_counter() - started:.1f}s")

    user = User.objects.create(username="bench-province", display_name="基准")
    RoleAssignment.objects.create(
        user=user,
        role="province_officer",
        region=Region.objects.get(code=settings.EDUPLUS_PROVINCE),
    )
    county_user = User.objects.create(username="bench-county", display_name="基准县")
    RoleAssignment.objects.create(
        user=county_user, role="county_officer", region=Region.objects.get(code=counties[0][0])
    )
    client = Client()
    client.force_login(user)
    county_client = Client()
    county_client.force_login(county_user)
    last_page = (args.schools + 49) // 50
    cases = [
        ("reference: 404 page, same layout", client, "/schools/999999999/"),
        ("home (province officer)", client, "/"),
        ("school list page 1", client, "/schools/"),
        (f"school list page {last_page}", client, f"/schools/?page={last_page}"),
        ("school list, search 第7学校", client, "/schools/?q=%E7%AC%AC7%E5%AD%A6%E6%A0%A1"),
        ("school list, type+rural filter", client, "/schools/?type=211&ur=rural"),
        ("region drill-down: province", client, f"/regions/{settings.EDUPLUS_PROVINCE}/"),
        ("region drill-down: county", client, f"/regions/{counties[0][0]}/"),
        ("school list (county officer)", county_client, "/schools/"),
    ]
    run_cases(cases, args.requests)


def measure_existing(args: argparse.Namespace) -> None:
    """Time the demo accounts' pages on a seeded database (read-only use)."""
    from django.test import Client

    from eduplus.accounts.models import User
    from eduplus.people.models import Student
    from eduplus.schools.models import School

    print(f"machine: {machine()}")
    print(
        f"database: {args.existing}: {School.objects.count():,} schools, "
        f"{Student.objects.count():,} students"
    )
    clients = {}
    for username in ("province", "county", "school", "teacher"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        clients[username] = client
    p = clients["province"]
    cases = [
        ("reference: 404 page, same layout", p, "/schools/999999999/"),
        ("home (province officer)", p, "/"),
        ("region drill-down: province", p, "/regions/41/"),
        ("school list page 1 (province)", p, "/schools/"),
        ("students page 1 (province, 10M)", p, "/people/students/"),
        ("students page 100 (province)", p, "/people/students/?page=100"),
        ("students name search (province)", p, "/people/students/?q=%E5%BC%A0%E4%BC%9F"),
        ("teachers page 1 (province)", p, "/people/teachers/"),
        ("home (county officer)", clients["county"], "/"),
        ("students page 1 (county officer)", clients["county"], "/people/students/"),
        ("students page 1 (school admin)", clients["school"], "/people/students/"),
        ("students page 1 (teacher)", clients["teacher"], "/people/students/"),
    ]
    run_cases(cases, args.requests)


def run_cases(cases: list[tuple[str, object, str]], requests: int) -> None:
    print(f"{'page':42} {'median ms':>10} {'p95 ms':>8} {'ratio':>7}")
    reference = None
    for label, c, url in cases:
        c.get(url)  # type: ignore[attr-defined]  # warm
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            response = c.get(url)  # type: ignore[attr-defined]
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code in (200, 404), (url, response.status_code)
        times.sort()
        median = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        reference = reference or median
        print(f"{label:42} {median:10.1f} {p95:8.1f} {median / reference:7.2f}")


if __name__ == "__main__":
    main()
