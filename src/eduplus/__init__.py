"""EduPlus.

The embedded database runs on SQLite from the ``sqlean.py`` wheel (SQLite 3.50 with
extensions built in) rather than the interpreter's own ``sqlite3`` module, which here is
SQLite 3.40 and cannot load extensions. The platform needs one extension from it,
``vsv``: a CSV reader inside SQLite, through which the big set-based writes (an import
of millions of rows, a resolution run's golden records) go from DuckDB to SQLite at C
speed, not one Python tuple at a time (``governance.bulk.sqlite_copy``).

The module is put in ``sqlite3``'s place before Django loads its SQLite backend, so the
whole process uses one SQLite library (two libraries on one database file would break
each other's POSIX locks). Only ``vsv`` is switched on, not the other extensions
(file writing among them). ``vsv`` itself reads any file the process may read, through
SQL that names it: only the platform's own statements name files.

Without the wheel (it is a locked dependency) the interpreter's SQLite stays, and the
bulk writes refuse to run (``governance.bulk.sqlite_copy``) rather than fail midway.
"""

from __future__ import annotations

import os
import sys


def _use_sqlean() -> None:
    try:
        import sqlean  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a dependency; kept optional for tooling
        return
    os.environ.setdefault("SQLEAN_ENABLE_VSV", "1")
    sys.modules["sqlite3"] = sqlean
    sys.modules["sqlite3.dbapi2"] = sqlean.dbapi2


_use_sqlean()
