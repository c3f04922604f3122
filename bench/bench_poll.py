"""Collector benchmark: a 1,000,000-case PostgreSQL source, first load and incremental polls.

    python bench/bench_poll.py [--cases 1000000] [--pg postgresql+psycopg://postgres@127.0.0.1/postgres]

Prints figures (quoted in the README); asserts nothing: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors.fetch import SourceFetcher  # noqa: E402
from collectors.poll import poll_source  # noqa: E402
from collectors.query import incremental_query  # noqa: E402
from domain.catalog import load_catalog  # noqa: E402
from domain.config import SourceSettings  # noqa: E402
from store.engines import create_source_engine, create_store_engine  # noqa: E402
from store.reader import Reader  # noqa: E402
from store.writer import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASES_SQL = """SELECT c.ref AS case_id, c.proc AS procedure_code, c.deposited AS submitted_at, c.chan AS channel,
                      c.reg AS region, c.officer AS agent, c.modified AS updated_at
               FROM src_cases c WHERE c.modified >= :since"""
EVENTS_SQL = """SELECT e.ref AS case_id, e.st AS status, e.happened AS at, e.id AS seq, e.modified AS updated_at
                FROM src_events e WHERE e.modified >= :since"""


def build_source(admin_url: str, n: int) -> str:
    name = "vigie_bench_source"
    admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            text("""CREATE TABLE src_cases (ref text PRIMARY KEY, proc text, deposited timestamp, chan text,
                             reg text, officer text, modified timestamp NOT NULL)""")
        )
        conn.execute(
            text("""CREATE TABLE src_events (id bigserial PRIMARY KEY, ref text, st text, happened timestamp,
                             modified timestamp NOT NULL)""")
        )
        conn.execute(
            text("""
            INSERT INTO src_cases
            SELECT 'C' || g, (ARRAY['CEET-BT','CEET-ABO','CEET-REC','MIN-EXP','AT2ER-CHQ'])[1 + g % 5],
                   timestamp '2025-11-01' + (g || ' seconds')::interval * 30,
                   CASE WHEN g % 3 = 0 THEN 'counter' ELSE 'online' END,
                   (ARRAY['Maritime','Plateaux','Centrale','Kara','Savanes'])[1 + g % 5],
                   CASE WHEN g % 4 = 0 THEN NULL ELSE 'Agent ' || (g % 40) END,
                   timestamp '2025-11-01' + (g || ' seconds')::interval * 30
            FROM generate_series(1, :n) g"""),
            {"n": n},
        )
        conn.execute(
            text("""INSERT INTO src_events (ref, st, happened, modified)
                             SELECT ref, 'DEP', deposited, modified FROM src_cases""")
        )
        conn.execute(text("CREATE INDEX ON src_cases (modified)"))
        conn.execute(text("CREATE INDEX ON src_events (modified)"))
        conn.execute(text("ANALYZE"))
    engine.dispose()
    admin.dispose()
    return url


def timed(func):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "data" / "procedures.csv")

    print(f"Source PostgreSQL : {args.cases:,} dossiers + {args.cases:,} événements…", flush=True)
    url, build_s = timed(lambda: build_source(args.pg, args.cases))
    print(f"  construite en {build_s:.1f} s")
    source = SourceSettings(
        name="bench",
        url=url,
        cases_sql=CASES_SQL,
        events_sql=EVENTS_SQL,
        status_map={"DEP": "submitted", "INS": "in_review"},
        timezone="Africa/Lome",
    )
    since = {"since": source.initial_since}
    query = incremental_query(CASES_SQL, ("case_id",))

    engine = create_source_engine(url, 60)
    with engine.connect() as conn:
        frame, plain_s = timed(lambda: pd.read_sql(query, conn, params=since))
    reader = SourceFetcher(engine, 60)
    frame2, ours_s = timed(lambda: reader.read(query, since))
    assert len(frame) == len(frame2) == args.cases
    print("\nLecture complète des dossiers (même requête, même run)")
    print(f"  pd.read_sql (SQLAlchemy + psycopg) : {len(frame) / plain_s:>12,.0f} lignes/s  ({plain_s:.2f} s)")
    print(f"  collecteur Vigie (ADBC, Arrow)     : {len(frame2) / ours_s:>12,.0f} lignes/s  ({ours_s:.2f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(create_store_engine(f"sqlite:///{tmp}/vigie.db"))
        store.create()
        now = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
        first, first_s = timed(lambda: poll_source(source, reader, store, catalog["code"], now=now))
        store.checkpoint()
        rows = first.rows_read
        print("\nPremier chargement complet, de la requête au magasin SQLite validé")
        print(
            f"  {rows:,} lignes (dossiers + événements) en {first_s:.1f} s : {rows / first_s:,.0f} lignes/s de bout en bout"
            f" ; dont lecture {first.read_ms / 1000:.2f} s ({rows / (first.read_ms / 1000):,.0f} lignes/s)"
        )

        src = create_engine(url, poolclass=NullPool)
        for label, spread in (
            ("horodatages étalés sur 30 s (cas courant)", True),
            ("tous au même horodatage (pire cas des ex æquo)", False),
        ):
            reads, totals = [], []
            for round_ in range(5):
                base = dt.datetime(2027, 1, 1, 0, 0) + dt.timedelta(hours=round_ + (0 if spread else 10))  # noqa: DTZ001
                step = "30 milliseconds" if spread else "0 seconds"
                with src.begin() as conn:
                    conn.execute(
                        text(f"""UPDATE src_cases SET officer = 'Agent X',
                                            modified = :t + (x.g * interval '{step}')
                                         FROM (SELECT g, 'C' || (g * 997 % :n + 1) AS ref FROM generate_series(1, :k) g) x
                                         WHERE src_cases.ref = x.ref"""),
                        {"t": base, "n": args.cases, "k": args.changed},
                    )
                    conn.execute(
                        text(f"""INSERT INTO src_events (ref, st, happened, modified)
                                         SELECT 'C' || (g * 997 % :n + 1), 'INS', :t + (g * interval '{step}'),
                                                :t + (g * interval '{step}')
                                         FROM generate_series(1, :k) g"""),
                        {"t": base, "n": args.cases, "k": args.changed},
                    )
                store.checkpoint()  # the scheduler does this every minute, between polls
                result = poll_source(source, reader, store, catalog["code"], now=now)
                assert result.updated_cases == args.changed and result.new_events == args.changed, result
                reads.append(result.read_ms)
                totals.append(result.total_ms)
            print(f"\nSondage incrémental : {args.changed:,} dossiers modifiés (+ {args.changed:,} événements), {label}, 5 tours")
            print(
                f"  lecture en base          : médiane {statistics.median(reads):6.1f} ms "
                f"(min {min(reads):.1f}, max {max(reads):.1f})"
            )
            print(
                f"  requête → magasin validé : médiane {statistics.median(totals):6.1f} ms "
                f"(min {min(totals):.1f}, max {max(totals):.1f})"
            )

        cold, cold_s = timed(lambda: Reader(store.engine, Path(tmp) / "snap", snapshot_every_seconds=0).frames())
        warm, warm_s = timed(lambda: Reader(store.engine, Path(tmp) / "snap").frames())
        print("\nRedémarrage du tableau de bord (lecture du magasin)")
        print(f"  sans instantané : {len(cold.cases):,} dossiers + {len(cold.events):,} événements en {cold_s:.2f} s")
        print(f"  avec instantané Parquet : {warm_s:.2f} s")
    reader.close()
    src.dispose()
    admin = create_engine(args.pg, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS vigie_bench_source WITH (FORCE)"))


if __name__ == "__main__":
    main()
