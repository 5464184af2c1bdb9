"""Fail loudly when a PostgreSQL URL is given and the server does not answer."""

from __future__ import annotations

import sys

import dj_database_url
import psycopg


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else ""
    if not url:
        print("dbcheck: no database URL given", file=sys.stderr)
        return 2
    cfg = dj_database_url.parse(url)
    try:
        with psycopg.connect(
            host=cfg["HOST"] or None,
            port=cfg["PORT"] or None,
            user=cfg["USER"] or None,
            password=cfg["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=5,
        ) as conn:
            version = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error as exc:
        print(
            f"dbcheck: PostgreSQL at {cfg['HOST']}:{cfg['PORT']} unreachable: {exc}",
            file=sys.stderr,
        )
        return 1
    where = f"{cfg['HOST']}:{cfg['PORT']}"
    print(f"dbcheck: PostgreSQL {version[0] if version else '?'} reachable at {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
