"""The case-number index that replaced a dict of tuples (ten million cases in a few hundred MB)."""

from __future__ import annotations

import pandas as pd
import pytest

from kpis import case_keys
from kpis.case_keys import CaseKeys


def test_lookup_finds_every_case_and_only_them(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = pd.Series(["ceet", "portail", "ceet", "portail"], dtype="category")
    ids = pd.Series(["10", "P-2", "2", "10"], dtype="str")
    keys = CaseKeys(sources, ids)
    assert keys.lookup(["portail", "ceet", "ceet", "autre"], ["10", "10", "P-2", "10"]).tolist() == [3, 0, -1, -1]
    assert keys.get(("portail", "P-2")) == 1 and keys.get(("portail", "P-3")) is None
    monkeypatch.setattr(case_keys, "_MERGE_AT", 3)
    keys = keys.with_added(["portail", "ceet"], ["P-3", "é à"], [4, 5])  # kept aside, not merged yet
    assert keys.lookup(["portail", "ceet", "ceet"], ["P-3", "é à", "2"]).tolist() == [4, 5, 2]
    keys = keys.with_added(["neuve"], ["1"], [6])  # the third addition: merged into the sorted keys
    assert keys._extra == {} and len(keys) == 7  # merged, the key width grown for "neuve"
    assert keys.lookup(["neuve", "portail", "ceet", "ceet"], ["1", "P-3", "é à", "zz"]).tolist() == [6, 4, 5, -1]


def test_an_empty_index_knows_nothing() -> None:
    keys = CaseKeys(pd.Series([], dtype="str"), pd.Series([], dtype="str"))
    assert keys.lookup(["a"], ["1"]).tolist() == [-1] and len(keys) == 0
    keys = keys.with_added(["a"], ["1"], [0])
    assert keys.get(("a", "1")) == 0


def test_adding_leaves_the_previous_index_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request may still read the previous data version's index: extending it must not reach it."""
    monkeypatch.setattr(case_keys, "_MERGE_AT", 2)
    before = CaseKeys(pd.Series(["a", "a"]), pd.Series(["1", "2"]))
    kept_aside = before.with_added(["a"], ["3"], [2])
    merged = kept_aside.with_added(["b"], ["longer-id"], [3])
    assert len(before) == 2 and before.lookup(["a", "a"], ["3", "2"]).tolist() == [-1, 1]
    assert len(kept_aside) == 3 and kept_aside.get(("b", "longer-id")) is None
    assert merged.lookup(["a", "b", "a"], ["3", "longer-id", "1"]).tolist() == [2, 3, 0]
