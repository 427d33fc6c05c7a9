# The compiled tables: read from the installed pyx12, cached on disk, rebuilt when the
# cache is cold, foreign or unwritable, and the same tree pyx12 builds from its maps.
from __future__ import annotations

import marshal
import os
import stat

import pytest

from edi_hit.validation.tr3map import cache, compile as tr3compile, source
from edi_hit.validation.tr3map.model import Comp, Ele, build_maps


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("EDI_HIT_CACHE_DIR", str(folder))
    cache.load_tables.cache_clear()
    yield folder
    cache.load_tables.cache_clear()


def test_key_names_pyx12_version_and_changes_with_a_map(monkeypatch):
    key, blobs = source.source_key(tr3compile.FORMAT)
    assert key.startswith(source.pyx12_version() + "-")
    assert set(blobs) == set(source.ALL_FILES)
    real = source.read_map
    monkeypatch.setattr(source, "read_map", lambda name: real(name) + (
        b"<!-- changed -->" if name == "837.5010.X222.A1.xml" else b""))
    assert source.source_key(tr3compile.FORMAT)[0] != key


def test_cold_cache_compiles_and_writes_then_warm_cache_is_read(cache_home, monkeypatch):
    tables = cache.load_tables()
    files = list(cache_home.iterdir())
    assert [f.name for f in files] == [f"tr3-tables-{tables['key']}.marshal"]
    assert set(tables["maps"]) == set(source.MAP_FILES) | {source.CONTROL_MAP}
    cache.load_tables.cache_clear()
    monkeypatch.setattr(cache, "compile_tables", lambda *a: pytest.fail("cache not used"))
    assert cache.load_tables() == tables


def test_foreign_or_truncated_cache_file_is_recompiled(cache_home):
    tables = cache.load_tables()
    path = cache_home / f"tr3-tables-{tables['key']}.marshal"
    for junk in (b"", b"\x00not marshal", marshal.dumps({"format": -1, "key": tables["key"]})):
        path.write_bytes(junk)
        cache.load_tables.cache_clear()
        assert cache.load_tables() == tables
        assert marshal.loads(path.read_bytes()) == tables   # and written again


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_cache_folder_only_costs_a_compile(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setenv("EDI_HIT_CACHE_DIR", str(folder / "edi-hit"))
    cache.load_tables.cache_clear()
    try:
        assert cache.load_tables()["maps"]
    finally:
        folder.chmod(stat.S_IRWXU)
        cache.load_tables.cache_clear()


def test_cache_path_that_is_a_file_only_costs_a_compile(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("EDI_HIT_CACHE_DIR", str(blocker))
    cache.load_tables.cache_clear()
    try:
        assert cache.load_tables()["maps"]
    finally:
        cache.load_tables.cache_clear()


def test_cache_folder_follows_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("EDI_HIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "edi-hit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "edi-hit"


def _pyx12_nodes(node):
    for pos in sorted(node.pos_map):
        for child in node.pos_map[pos]:
            yield child
            if child.is_loop():
                yield from _pyx12_nodes(child)


def _our_nodes(node):
    for child in node.children:
        yield child
        if child.is_loop():
            yield from _our_nodes(child)


@pytest.mark.parametrize("name", source.MAP_FILES)
def test_compiled_tree_is_pyx12s_tree(name):
    """Every loop and segment, in pyx12's order, with pyx12's path (its counter key),
    usage, position and repeat; every element with pyx12's type, lengths and codes."""
    import pyx12.map_if
    import pyx12.params
    theirs = list(_pyx12_nodes(pyx12.map_if.load_map_file(name, pyx12.params.params())))
    roots, _ = build_maps(tr3compile.compile_tables(*source.source_key(tr3compile.FORMAT)))
    ours = list(_our_nodes(roots[name]))
    assert len(ours) == len(theirs) > 20
    for a, b in zip(ours, theirs):
        assert (a.id, a.path, a.usage, a.pos) == (b.id, b.x12path.format(), b.usage, b.pos)
        assert a.max == b.get_max_repeat()
        if not a.is_loop():
            assert [x.id for x in a.elements] == [x.id for x in b.children]
            for x, y in zip(a.elements, b.children):
                assert (x.usage, x.seq) == (y.usage, y.seq)
                subs = zip(x.elements, y.children) if isinstance(x, Comp) else [(x, y)]
                for e, f in subs:
                    assert isinstance(e, Ele)
                    assert (e.type, e.min, e.max, e.codes, e.external) == \
                        (f.data_type, f.min_len, f.max_len, tuple(f.valid_codes), f.external_codes)
