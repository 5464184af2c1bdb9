"""List pages at 50,000 schools: server time of the school list, region drill-down and
home page, against a bare page with the same layout (the 404 page) measured in the same
run. Prints the machine, medians, p95 and the ratio to the reference.

    uv run python bench/lists.py [--schools 50000] [--requests 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import sqlite3

    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="eduplus-bench-")
    os.environ["EDUPLUS_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
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
    call_command("migrate", verbosity=0)
    from eduplus.accounts.models import RoleAssignment, User
    from eduplus.regions.models import Region
    from eduplus.schools.models import School

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
    print(f"{'page':42} {'median ms':>10} {'p95 ms':>8} {'ratio':>7}")
    reference = None
    for label, c, url in cases:
        c.get(url)  # warm
        times = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = c.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code in (200, 404), (url, response.status_code)
        times.sort()
        median = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        reference = reference or median
        print(f"{label:42} {median:10.1f} {p95:8.1f} {median / reference:7.2f}")


if __name__ == "__main__":
    main()
