"""Vigie: composition root and command line. Nothing else lives here.

    python app.py [serve] [--config F] [--host H] [--port P]   run the dashboard (+ collectors)
    python app.py collect [--config F] [--once]                run the collectors alone
    python app.py sources [--config F]                         check each source's mapping
    python app.py kpis [--config F] [--as-of T] [--days N] [--collect] [--json]   the KPI document
    python app.py demo [--reset] [--seed N] [--cases N]        (re)build the demo portals
    python app.py report [--week 2026-W47] [--services A,B] [--out DIR] [--send]  a past week's PDF + XLSX report
    python app.py users add|remove|passwd|list|unlock|scope [NAME] [--role R] [--address IP]   accounts (password asked,
                       [--services A,B | --all]                or read from stdin; --services: the structures it sees)
    python app.py screens add|revoke|list [NAME] [--services S]  wall-screen tokens (a structure's wall) and heartbeats
    python app.py alerts list [--json] | ack ID --by NAME [--comment T] [--until DATE] | test CONTACT   alerts

Without --config, Vigie runs its demo: config/demo.toml over generated portal databases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.model import LOME_TZ

ROOT = Path(__file__).resolve().parent
DEMO_CONFIG = ROOT / "config" / "demo.toml"
DEMO_DIR = ROOT / "data" / "demo"
EXIT_CONFIG, EXIT_LOCKED = 2, 3

log = logging.getLogger("vigie")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="Vigie — salle de supervision (démo sans --config).")
    sub = parser.add_subparsers(dest="command")

    def config_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, help="fichier TOML des sources (défaut : la démo, config/demo.toml)")

    serve = sub.add_parser("serve", help="servir le tableau de bord (et les collecteurs intégrés)")
    config_arg(serve)
    serve.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (défaut 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8050, help="port (défaut 8050)")
    serve.add_argument("--no-collect", action="store_true", help="ne pas lancer les collecteurs dans ce processus")
    serve.add_argument(
        "--workers", type=int, default=1, help="processus serveurs (gunicorn) ; >1 : collecteurs dans un processus à part"
    )
    serve.add_argument("--log-json", action="store_true", help="journaux en lignes JSON (ou VIGIE_LOG_FORMAT=json)")

    collect = sub.add_parser("collect", help="lancer les collecteurs seuls (processus séparé en production)")
    config_arg(collect)
    collect.add_argument("--once", action="store_true", help="un seul passage sur toutes les sources, puis sortir")
    collect.add_argument("--log-json", action="store_true", help="journaux en lignes JSON (ou VIGIE_LOG_FORMAT=json)")

    sources = sub.add_parser("sources", help="vérifier chaque source : connexion, volumes, exemple, quarantaine")
    config_arg(sources)

    kpis = sub.add_parser("kpis", help="calculer les indicateurs depuis le magasin (document /api/kpis)")
    config_arg(kpis)
    kpis.add_argument("--as-of", help="instant T, ISO 8601 (naïf = UTC ; défaut : maintenant)")
    kpis.add_argument("--days", default="7", help="fenêtre [T - N jours, T) (défaut 7)")
    kpis.add_argument("--collect", action="store_true", help="interroger chaque source une fois avant le calcul")
    kpis.add_argument("--json", action="store_true", help="imprimer le document JSON complet")

    screens = sub.add_parser("screens", help="écrans muraux : jetons d'accès, et lesquels se sont tus")
    screens.add_argument(
        "action",
        choices=["add", "revoke", "list"],
        help="add/revoke : le jeton d'accès d'un écran ; list : chaque écran, son jeton, sa vue, sa dernière nouvelle",
    )
    screens.add_argument("name", nargs="?", help="nom de l'écran (add, revoke)")
    screens.add_argument(
        "--services", help="add : le mur ne montre que ces structures, séparées par des virgules (ex. CEET)"
    )
    config_arg(screens)

    report = sub.add_parser("report", help="rapport hebdomadaire (PDF + XLSX) d'une semaine passée")
    report.add_argument("--week", help="semaine ISO, ex. 2026-W47 (défaut : la dernière semaine terminée)")
    report.add_argument(
        "--services", help="le rapport de ces structures seulement (ex. CEET,ARSE), comme un compte limité à elles les voit"
    )
    report.add_argument("--out", type=Path, help="dossier des rapports (défaut : [reports] out_dir, data/reports)")
    report.add_argument("--send", action="store_true", help="l'envoyer aussi par e-mail ([reports.smtp])")
    config_arg(report)

    users = sub.add_parser("users", help="comptes : lecteur (viewer), gestionnaire (manager), administrateur (admin)")
    users.add_argument("action", choices=["add", "remove", "passwd", "list", "unlock", "scope"])
    users.add_argument("name", nargs="?", help="nom d'utilisateur (add, remove, passwd, unlock)")
    users.add_argument("--address", help="unlock : lever l'attente d'une adresse IP (après des échecs de connexion)")
    users.add_argument("--role", choices=["viewer", "manager", "admin"], default="viewer", help="rôle (add ; défaut viewer)")
    users.add_argument(
        "--services", help="add, scope : limiter le compte à ces structures (ex. CEET,ARSE) ; sans : tout le ministère"
    )
    users.add_argument("--all", action="store_true", dest="whole_ministry", help="scope : rendre tout le ministère au compte")
    config_arg(users)

    alerts = sub.add_parser("alerts", help="alertes : les lister, en prendre une en charge, tester un contact")
    alerts.add_argument("action", choices=["list", "ack", "test"])
    alerts.add_argument("target", nargs="?", help="ack : numéro de l'alerte ; test : nom du contact")
    alerts.add_argument("--json", action="store_true", help="list : en JSON")
    alerts.add_argument("--by", help="ack : qui la prend en charge")
    alerts.add_argument("--comment", help="ack : commentaire (« équipe envoyée »)")
    alerts.add_argument("--until", help="ack : prise en charge jusqu'à cette date (AAAA-MM-JJ, heure de Lomé)")
    config_arg(alerts)

    demo = sub.add_parser("demo", help="créer les bases du portail de démonstration dans data/demo/")
    demo.add_argument("--reset", action="store_true", help="régénérer la démo (efface aussi le magasin de démo)")
    demo.add_argument("--seed", type=int, default=2026, help="graine : même graine, même démo (défaut 2026)")
    demo.add_argument("--cases", type=int, default=45_000, help="nombre de dossiers d'historique (défaut 45 000)")
    demo.add_argument("--out", type=Path, default=DEMO_DIR, help="dossier des bases de démo (défaut data/demo)")
    return parser


def _settings(config: Path | None):  # type: ignore[no-untyped-def]
    """Settings from --config, or the demo's (its relative paths read from the repository)."""
    from domain.alert_settings import check_groups
    from domain.catalog import load_catalog
    from domain.config import load_settings
    from domain.report_settings import check_subscription_services
    from domain.target_settings import check_target_groups

    settings = load_settings(config) if config else load_settings(DEMO_CONFIG, base_dir=ROOT)
    catalog = load_catalog(settings.catalog_path)
    where = str(settings.path or DEMO_CONFIG)
    check_groups(settings.alerts, where, procedures=set(catalog["code"]), services=set(catalog["service"]))
    check_subscription_services(settings.reports.subscriptions, f"{where} [reports]", set(catalog["service"]))
    check_target_groups(settings.targets, where, procedures=set(catalog["code"]), services=set(catalog["service"]))
    return settings, catalog


def _ensure_demo(
    catalog,
    out: Path = DEMO_DIR,
    *,
    reset: bool = False,
    seed: int = 2026,  # type: ignore[no-untyped-def]
    cases: int = 45_000,
) -> None:
    from collectors.demo.build import build_demo

    lome_now = dt.datetime.now(ZoneInfo(LOME_TZ)).replace(tzinfo=None)
    counts = build_demo(out, catalog, now=lome_now, seed=seed, n_cases=cases, reset=reset)
    if counts:
        print(f"Démo créée dans {out} : " + ", ".join(f"{k} {v} dossiers" for k, v in counts.items()))


def _store(settings):  # type: ignore[no-untyped-def]
    """The store, its tables created; an unusable [store] url stops the command with one line (exit 2)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from domain.config import ConfigError
    from store.engines import create_store_engine
    from store.writer import Store

    try:
        shown = make_url(settings.store_url).render_as_string(hide_password=True)
    except ArgumentError:
        raise ConfigError("[store] url : adresse illisible (exemple : sqlite:///data/vigie.db)") from None
    try:
        store = Store(create_store_engine(settings.store_url))
        store.create()
    except NoSuchModuleError:
        raise ConfigError(
            f"[store] url : type de base inconnu dans « {shown} » (attendu : sqlite, postgresql+psycopg, mysql+pymysql)"
        ) from None
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else type(exc).__name__
        raise ConfigError(f"magasin injoignable ({shown}) : {reason}") from None
    return store


def _collector(settings, catalog, store, *, demo: bool, scheduler=None, kpis=None, lock=None):  # type: ignore[no-untyped-def]
    """Collectors (+ the demo simulator, + the weekly report job) on ``scheduler`` when given.

    The report job runs where the collectors run: exactly one process holds the writer lock.
    """
    import functools

    from collectors.collector import Collector
    from collectors.scheduler import schedule_collector, schedule_every
    from domain.clock import utc_now
    from reports.schedule import schedule_reports

    collector = Collector(settings, store, catalog)
    if scheduler is not None:
        schedule_collector(scheduler, collector, lock)
        service = (lambda: kpis) if kpis is not None else functools.cache(lambda: _kpi_service(settings, catalog, store))
        schedule_reports(scheduler, settings.reports, service, utc_now, settings.server.public_url, settings.targets)
        if settings.alerts.enabled:
            from alerts.jobs import AlertJobs

            AlertJobs(settings, catalog, store.engine, service, utc_now, lock).schedule(scheduler)
        if demo:
            from collectors.demo.simulate import Simulator

            schedule_every(scheduler, "demo-simulator", 4, Simulator(DEMO_DIR, catalog).step)
    return collector


def cmd_collect(args: argparse.Namespace) -> int:
    from collectors.collector import summary
    from store.lock import WriterLock, WriterLockBusy

    settings, catalog = _settings(args.config)
    demo = args.config is None
    if demo:
        _ensure_demo(catalog)
    store = _store(settings)
    lock = WriterLock(store.engine)
    try:
        lock.acquire()
    except WriterLockBusy as exc:
        print(f"Collecteur non démarré : {exc}", file=sys.stderr)
        return EXIT_LOCKED
    try:
        if args.once:
            logging.getLogger("collectors").setLevel(logging.WARNING)  # the summary is printed below
            collector = _collector(settings, catalog, store, demo=demo)
            results = collector.poll_all()
            for r in results:
                print(f"{r.source} : {summary(r)}")
            collector.close()
            return 1 if any(r.error for r in results) else 0
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler(timezone=LOME_TZ)
        _collector(settings, catalog, store, demo=demo, scheduler=scheduler, lock=lock)
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
        print(f"Collecteurs actifs sur {len(settings.sources)} source(s). Ctrl-C pour arrêter.")
        try:
            scheduler.start()
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        lock.release()


def cmd_sources(args: argparse.Namespace) -> int:
    from collectors.check import check_source, render

    settings, catalog = _settings(args.config)
    if args.config is None:
        _ensure_demo(catalog)
    codes = frozenset(catalog["code"])
    checks = [check_source(s, codes) for s in settings.sources]
    for check in checks:
        print(render(check))
    return 0 if all(c.ok for c in checks) else 1


def _kpi_service(settings, catalog, store):  # type: ignore[no-untyped-def]
    from domain.business_days import BusinessCalendar
    from domain.clock import utc_now
    from service.kpi_service import KpiService
    from store.reader import Reader

    reader = Reader(store.engine, settings.snapshot_dir)
    return KpiService(reader, catalog, BusinessCalendar(settings.country, settings.extra_closures), utc_now)


def cmd_kpis(args: argparse.Namespace) -> int:
    import json

    from domain.clock import utc_now
    from kpis.document import KpiParameterError, parse_as_of, parse_days

    try:
        as_of = parse_as_of(args.as_of, utc_now()) if args.as_of else None
        days = parse_days(args.days)
    except KpiParameterError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_CONFIG
    settings, catalog = _settings(args.config)
    if args.config is None:
        _ensure_demo(catalog)
    store = _store(settings)
    if args.collect:
        from store.lock import WriterLock, WriterLockBusy

        logging.getLogger("collectors").setLevel(logging.WARNING)
        try:
            with WriterLock(store.engine):
                collector = _collector(settings, catalog, store, demo=False)
                collector.poll_all()
                collector.close()
        except WriterLockBusy as exc:
            print(f"Collecte ignorée : {exc}", file=sys.stderr)
    document = _kpi_service(settings, catalog, store).document(as_of, days)
    if args.json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        o = document["overall"]
        print(f"Indicateurs au {document['as_of']} sur {document['window_days']} jours :")
        for key in (
            "backlog",
            "inflow",
            "outflow",
            "median_processing_days",
            "sla_compliance_pct",
            "breached_open",
            "at_risk_open",
        ):
            print(f"  {key} : {o[key]}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from dashboard.auth.accounts import AccountError, parse_services
    from domain.clock import utc_now
    from domain.config import ConfigError
    from reports.build import ReportError, generate
    from reports.mail import send_report
    from reports.week import WeekError, last_complete_week, parse_week

    settings, catalog = _settings(args.config)
    if args.config is None:
        _ensure_demo(catalog)
    try:
        week = parse_week(args.week, utc_now()) if args.week else last_complete_week(utc_now())
        services = parse_services(args.services, catalog["service"]) if args.services is not None else None
    except (WeekError, AccountError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.send and settings.reports.smtp is None:
        raise ConfigError("--send demande une section [reports.smtp] dans la configuration")
    kpis = _kpi_service(settings, catalog, _store(settings))
    logging.getLogger("vigie.reports").setLevel(logging.WARNING)  # what was written is printed below; failures still log
    try:
        out = args.out or settings.reports.out_dir
        files = generate(kpis, kpis.reader, week, out, utc_now, attempts=2, wait_seconds=1, services=services,
                         targets=settings.targets)
    except ReportError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    print(f"Rapport {week.label}, {files.report.scope} (données arrêtées au {files.report.data_until}) :")
    print(f"  {files.pdf}\n  {files.xlsx}")
    if args.send:
        send_report(files, settings.reports.smtp)
        print(f"Envoyé à {', '.join(settings.reports.smtp.recipients)}")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from dashboard.auth.cli import users_command
    from domain.clock import utc_now

    settings, catalog = _settings(args.config)
    return users_command(
        _store(settings).engine,
        args.action,
        args.name,
        args.role,
        utc_now(),
        address=args.address,
        services=args.services,
        whole_ministry=args.whole_ministry,
        structures=catalog["service"],
    )


def cmd_screens(args: argparse.Namespace) -> int:
    from dashboard.auth.cli import screens_command
    from domain.clock import utc_now

    settings, catalog = _settings(args.config)
    return screens_command(
        _store(settings).engine, args.action, args.name, utc_now(), services=args.services, structures=catalog["service"]
    )


def cmd_alerts(args: argparse.Namespace) -> int:
    from alerts.cli import alerts_command
    from domain.clock import utc_now

    settings, _ = _settings(args.config)
    store = _store(settings)
    return alerts_command(settings, store.engine, args.action, args.target, utc_now(), as_json=args.json, by=args.by,
                          comment=args.comment, until=args.until)  # fmt: skip


def cmd_demo(args: argparse.Namespace) -> int:
    _, catalog = _settings(None)
    if args.reset:
        # The demo store holds the old demo's cases: it goes with it.
        for path in [ROOT / "data" / "vigie.db", ROOT / "data" / "vigie.db-wal", ROOT / "data" / "vigie.db-shm"]:
            path.unlink(missing_ok=True)
        import shutil

        shutil.rmtree(ROOT / "data" / "snapshots", ignore_errors=True)
    _ensure_demo(catalog, args.out, reset=args.reset, seed=args.seed, cases=args.cases)
    return 0


def _secret(settings) -> str | None:  # type: ignore[no-untyped-def]
    """The session-signing secret from the environment; required when authentication is on."""
    import os

    from domain.config import ConfigError

    secret = os.environ.get(settings.auth.secret_env)
    if settings.auth.enabled and (not secret or len(secret) < 32):
        raise ConfigError(
            f"la variable d'environnement {settings.auth.secret_env} doit contenir le secret de signature des sessions "
            '(32 caractères au moins ; par exemple : python -c "import secrets; print(secrets.token_hex(32))")'
        )
    return secret or None


def _dashboard(settings, kpis, secret: str | None, boot: str | None = None):  # type: ignore[no-untyped-def]
    """The Dash app over ``kpis``, configured from ``settings``; ``boot`` names the release (see ``wsgi``)."""
    from dashboard import create_app
    from domain.clock import utc_now

    return create_app(
        kpis.reader,
        kpis,
        utc_now,
        settings.auth,
        secret,
        settings.reports.out_dir,
        boot,
        server=settings.server,
        explorer_settings=settings.explorer,
        alert_settings=settings.alerts,
        report_settings=settings.reports,
        public=settings.public,
        targets=settings.targets,
    )


def wsgi(config: str | None = None):  # type: ignore[no-untyped-def]
    """The WSGI app of one worker, without collectors: ``gunicorn "app:wsgi()"`` (config from VIGIE_CONFIG).

    Every worker keeps its own KPI cache, keyed by the store's data version, so all serve the
    same numbers; ``VIGIE_BOOT_ID`` (set once per release) keeps the wall screens' reload signal
    common to all workers and hosts.
    """
    import os

    from domain.config import ConfigError

    path = config or os.environ.get("VIGIE_CONFIG")
    settings, catalog = _settings(Path(path) if path else None)
    secret = _secret(settings)
    if secret is None:  # each worker would draw its own: one worker's cookies would be refused by the others
        raise ConfigError(f"{settings.auth.secret_env} est requis avec plusieurs processus (le même pour tous)")
    kpis = _kpi_service(settings, catalog, _store(settings))
    threading.Thread(target=kpis.reader.warm, name="warm-cache", daemon=True).start()
    return _dashboard(settings, kpis, secret, boot=os.environ.get("VIGIE_BOOT_ID")).server


def _serve_workers(args: argparse.Namespace) -> int:
    """``serve --workers N``: gunicorn with N workers, and the collectors in one separate ``collect`` process."""
    import os
    import secrets
    import subprocess

    from gunicorn.app.base import BaseApplication

    settings, catalog = _settings(args.config)
    _secret(settings)  # fail now, not in every worker
    if args.config is None:
        _ensure_demo(catalog)
    os.environ.setdefault("VIGIE_BOOT_ID", secrets.token_hex(8))
    # Workers must sign cookies alike (a CSRF token from one worker is checked by another): without a
    # configured secret (authentication off), one is drawn here for this run and shared through the environment.
    os.environ.setdefault(settings.auth.secret_env, secrets.token_hex(32))
    _store(settings)  # tables created once here, before the workers and the collector open the store
    collector = None
    if not args.no_collect:
        command = [sys.executable, str(ROOT / "app.py"), "collect", *(["--config", str(args.config)] if args.config else [])]
        collector = subprocess.Popen([*command, *(["--log-json"] if args.log_json else [])])

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("worker_class", "gthread")  # a wall's version check must not wait behind an export
            self.cfg.set("threads", 8)
            self.cfg.set("timeout", 120)  # the first request of a worker may build the history (seconds at 1 M cases)
            self.cfg.set("graceful_timeout", 20)

        def load(self):  # type: ignore[no-untyped-def]
            return wsgi(str(args.config) if args.config else None)

    print(f"Vigie sur http://{args.host}:{args.port}/ ({args.workers} processus)")
    try:
        Server().run()
    finally:
        if collector is not None:
            collector.terminate()
            collector.wait(timeout=20)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from apscheduler.schedulers.background import BackgroundScheduler

    from store.lock import WriterLock, WriterLockBusy

    if args.workers > 1:
        return _serve_workers(args)
    settings, catalog = _settings(args.config)
    secret = _secret(settings)  # before anything starts: a missing secret stops start-up
    demo = args.config is None
    if demo:
        _ensure_demo(catalog)
    store = _store(settings)
    scheduler = BackgroundScheduler(timezone=LOME_TZ)
    lock = WriterLock(store.engine)
    kpis = _kpi_service(settings, catalog, store)
    if not args.no_collect:
        try:
            lock.acquire()
            _collector(settings, catalog, store, demo=demo, scheduler=scheduler, kpis=kpis, lock=lock)
            scheduler.start()
        except WriterLockBusy as exc:
            log.warning("collecteurs non intégrés : %s", exc)
    threading.Thread(target=kpis.reader.warm, name="warm-cache", daemon=True).start()
    app = _dashboard(settings, kpis, secret)
    print(f"Vigie sur http://{args.host}:{args.port}/")
    try:
        app.run(host=args.host, port=args.port, debug=False)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        lock.release()
    return 0


def main(argv: list[str] | None = None) -> int:
    import os

    from domain.config import ConfigError
    from domain.logs import configure

    args = _parser().parse_args(argv)
    command = args.command or "serve"
    if args.command is None:
        args = _parser().parse_args(["serve", *(argv if argv is not None else sys.argv[1:])])
    configure(json_lines=getattr(args, "log_json", False) or os.environ.get("VIGIE_LOG_FORMAT") == "json")
    try:
        commands = {
            "serve": cmd_serve,
            "collect": cmd_collect,
            "sources": cmd_sources,
            "kpis": cmd_kpis,
            "screens": cmd_screens,
            "users": cmd_users,
            "alerts": cmd_alerts,
            "report": cmd_report,
            "demo": cmd_demo,
        }
        return commands[command](args)
    except ConfigError as exc:
        print(f"Erreur de configuration : {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
