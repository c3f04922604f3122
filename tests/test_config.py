from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from domain.catalog import load_catalog
from domain.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent

GOOD = """
[store]
url = "sqlite:///data/vigie.db"
[catalog]
path = "data/procedures.csv"
[calendar]
country = "TG"
extra_closures = ["2026-06-22", 2026-07-01]
[[sources]]
name = "portail"
url = "${PORTAIL_DB_URL}"
every_seconds = 30
timezone = "Africa/Lome"
cases_sql = "SELECT a AS case_id FROM t WHERE u >= :since"
events_sql = "SELECT a AS case_id FROM e WHERE u >= :since"
[sources.status_map]
DEPOSE = "submitted"
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "vigie.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_contract_example_loads_with_env_expansion(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), env={"PORTAIL_DB_URL": "postgresql://u:secret@h/db"}, base_dir=tmp_path)
    source = settings.sources[0]
    assert source.url == "postgresql://u:secret@h/db"
    assert source.status_map == {"DEPOSE": "submitted"}
    assert settings.extra_closures == (dt.date(2026, 6, 22), dt.date(2026, 7, 1))
    assert settings.store_url == f"sqlite:///{tmp_path}/data/vigie.db"
    assert settings.catalog_path == tmp_path / "data" / "procedures.csv"


def test_demo_config_uses_the_contract_format() -> None:
    settings = load_settings(ROOT / "config" / "demo.toml", env={}, base_dir=ROOT)
    assert [s.name for s in settings.sources] == ["portail", "ceet"]
    assert all(s.events_sql and ":since" in s.cases_sql for s in settings.sources)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda s: s.replace('name = "portail"\n', ""), ["clé obligatoire manquante : name"]),
        (lambda s: s.replace('DEPOSE = "submitted"', 'DEPOSE = "filed"'), ["portail", "status_map.DEPOSE", "filed"]),
        (lambda s: s.replace('WHERE u >= :since"\nevents', '"\nevents'), ["portail", "cases_sql", ":since"]),
        (lambda s: s.replace("every_seconds = 30", "every_secs = 30"), ["portail", "clé inconnue : every_secs"]),
        (lambda s: s.replace('timezone = "Africa/Lome"', 'timezone = "Afrique/Lome"'), ["portail", "timezone"]),
        (lambda s: s.replace("${PORTAIL_DB_URL}", "${NOPE}"), ["portail", "url", "${NOPE}"]),
        (lambda s: s.replace('[store]\nurl = "sqlite:///data/vigie.db"\n', "[store]\n"), ["[store]", "url"]),
        (lambda s: s.replace('"2026-06-22"', '"22/06/2026"'), ["extra_closures", "22/06/2026"]),
        (lambda s: s + '\n[[sources]]\nname = "portail"\nurl = "x"\ncases_sql = "select :since"\n', ["double", "portail"]),
    ],
)
def test_errors_name_file_source_and_key(tmp_path: Path, edit, expected: list[str]) -> None:
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={"PORTAIL_DB_URL": "sqlite://"}, base_dir=tmp_path)
    message = str(err.value)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TOML invalide"):
        load_settings(write(tmp_path, "[store\n"), env={})
    with pytest.raises(ConfigError, match="introuvable"):
        load_settings(tmp_path / "absent.toml", env={})


def test_catalogue_ships_29_procedures() -> None:
    catalog = load_catalog(ROOT / "data" / "procedures.csv")
    assert len(catalog) == 29
    assert {"CEET", "ARSE", "AT2ER", "Direction générale de l'énergie", "Direction générale des mines et de la géologie"} <= set(
        catalog["service"]
    )
    assert (catalog["sla_days"] > 0).all()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("code,name,service\nA,x,y\n", "colonnes manquantes"),
        ("code,name,service,sla_days\nA,x,y,10\nA,z,y,5\n", "en double"),
        ("code,name,service,sla_days\nA,x,y,dix\n", "ligne 2"),
        (b"\xff\xfe\x00bad", "illisible"),
    ],
)
def test_unreadable_catalogue_is_a_config_error(tmp_path: Path, body, expected: str) -> None:
    path = tmp_path / "procedures.csv"
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    with pytest.raises(ConfigError, match=expected) as err:
        load_catalog(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite:////base/data/x.db"),
        ("sqlite:////abs/x.db", "sqlite:////abs/x.db"),
        ("sqlite:///file:/abs/x.db?mode=ro&uri=true", "sqlite:///file:/abs/x.db?mode=ro&uri=true"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_relative_sqlite_paths_are_read_from_the_base_dir(url: str, expected: str) -> None:
    from domain.config import _absolute_sqlite

    assert _absolute_sqlite(url, Path("/base")) == expected
