"""The two demo source schemas: the national portal (French) and CEET's legacy system.

They differ on purpose (names, key types, status vocabularies, region coding) so the
demo exercises the SQL mapping of config/demo.toml for real.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

PORTAIL_FILE = "portail.db"
CEET_FILE = "ceet.db"

PORTAIL_DDL = """
CREATE TABLE regions (code TEXT PRIMARY KEY, nom TEXT NOT NULL);
CREATE TABLE dossiers (
    numero TEXT PRIMARY KEY, code_demarche TEXT NOT NULL, date_depot TEXT, canal TEXT NOT NULL,
    code_region TEXT, agent_instructeur TEXT, statut_courant TEXT NOT NULL, maj_le TEXT NOT NULL);
CREATE INDEX ix_dossiers_maj ON dossiers (maj_le);
CREATE INDEX ix_dossiers_statut ON dossiers (statut_courant);
CREATE TABLE historique_statuts (
    id INTEGER PRIMARY KEY, numero TEXT NOT NULL, statut TEXT NOT NULL, horodatage TEXT NOT NULL, maj_le TEXT NOT NULL);
CREATE INDEX ix_historique_maj ON historique_statuts (maj_le);
"""

CEET_DDL = """
CREATE TABLE REQ_MASTER (
    REQ_NO INTEGER PRIMARY KEY, SVC_CODE TEXT NOT NULL, CREATED_ON TEXT, ORIGIN TEXT NOT NULL,
    AGENCY TEXT, OFFICER TEXT, CUR_STATE TEXT NOT NULL, LAST_MOD TEXT NOT NULL);
CREATE INDEX IX_REQ_LAST_MOD ON REQ_MASTER (LAST_MOD);
CREATE INDEX IX_REQ_STATE ON REQ_MASTER (CUR_STATE);
CREATE TABLE REQ_STATUS_LOG (
    LOG_ID INTEGER PRIMARY KEY, REQ_NO INTEGER NOT NULL, STATE TEXT NOT NULL, STATE_TS TEXT NOT NULL,
    LAST_MOD TEXT NOT NULL);
CREATE INDEX IX_LOG_LAST_MOD ON REQ_STATUS_LOG (LAST_MOD);
"""

#: canonical status -> each source's own word for it.
PORTAIL_STATUS = {
    "submitted": "DEPOSE",
    "in_review": "EN_INSTRUCTION",
    "awaiting_applicant": "EN_ATTENTE_PIECES",
    "approved": "ACCORDE",
    "rejected": "REFUSE",
    "withdrawn": "ABANDONNE",
}
CEET_STATUS = {
    "submitted": "NEW",
    "in_review": "ASSIGNED",
    "awaiting_applicant": "HOLD_CUST",
    "approved": "DONE",
    "rejected": "DENIED",
    "withdrawn": "CANCELLED",
}
PORTAIL_REGIONS = {"Maritime": "MAR", "Plateaux": "PLA", "Centrale": "CEN", "Kara": "KAR", "Savanes": "SAV"}
#: CEET codes its agencies by town; the mapping SQL folds towns into regions.
CEET_AGENCIES = {
    "Maritime": ["LOME-CENTRE", "LOME-AGOE", "TSEVIE", "ANEHO"],
    "Plateaux": ["ATAKPAME", "KPALIME"],
    "Centrale": ["SOKODE", "TCHAMBA"],
    "Kara": ["KARA", "BASSAR"],
    "Savanes": ["DAPAONG", "MANGO"],
}
#: CEET's own service codes for the catalogue's CEET procedures.
CEET_SERVICES = {"CEET-BT": "BT01", "CEET-MT": "MT01", "CEET-ABO": "ABN", "CEET-PUI": "PUI", "CEET-RES": "RES", "CEET-REC": "REC"}
#: a channel per source: portal "EN_LIGNE"/"GUICHET", CEET "W" (web) / "A" (agency).
PORTAIL_CHANNEL = {"online": "EN_LIGNE", "counter": "GUICHET"}
CEET_CHANNEL = {"online": "W", "counter": "A"}


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def create_portail(path: Path) -> sqlite3.Connection:
    conn = connect(path)
    conn.executescript(PORTAIL_DDL)
    conn.executemany("INSERT INTO regions VALUES (?, ?)", [(c, n) for n, c in PORTAIL_REGIONS.items()])
    return conn


def create_ceet(path: Path) -> sqlite3.Connection:
    conn = connect(path)
    conn.executescript(CEET_DDL)
    return conn
