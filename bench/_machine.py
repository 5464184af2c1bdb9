"""The machine a benchmark ran on, printed with its figures."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

# The code beside this script, also when an installed copy of eduplus is importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

# Importing eduplus puts the platform's SQLite (sqlean.py, with the vsv reader) in
# sqlite3's place, as in the application, so that a benchmark's reference runs on the
# same SQLite as the code it is compared with. Scripts import sqlite3 only after this
# module (inside their functions).
import eduplus  # noqa: F401


def machine() -> str:
    import sqlite3

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
