"""twinchat's own entry points read without importlib.metadata: the same entries it reads, and
never when another distribution declares the group (importlib.metadata then reads them all)."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from twinchat.units.entry_points import own_entry_points
from twinchat.units.slot_sources import GROUP, collect, slot_sources

GROUPS = ("twinchat.slot_sources", "twinchat.tools", "twinchat.formats")


def test_without_plugins_the_own_entries_are_those_importlib_metadata_reads():
    for group in GROUPS:
        own = own_entry_points(group)
        assert own is not None, group
        read = metadata.entry_points(group=group)
        assert sorted((e.name, e.value, e.group) for e in own) == sorted((e.name, e.value, e.group) for e in read)
        assert {e.dist.name for e in own} == {e.dist.name for e in read} == {"twinchat"}
    by_own = collect(own_entry_points(GROUP))
    assert by_own == collect(metadata.entry_points(group=GROUP))


def _plugin(root, group: str, line: str) -> None:
    info = root / "plates-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plates\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{group}]\n{line}\n", encoding="utf-8")


def test_a_distribution_declaring_the_group_leaves_the_reading_to_importlib_metadata(tmp_path, monkeypatch):
    _plugin(tmp_path, GROUP, "plates = plates_module:PLATES")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert own_entry_points(GROUP) is None
    assert own_entry_points("twinchat.tools") is not None  # another group: twinchat's own alone


def test_a_zip_on_the_path_leaves_the_reading_to_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "lib.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    monkeypatch.syspath_prepend(str(archive))
    assert own_entry_points(GROUP) is None


def test_a_process_without_plugins_does_not_import_importlib_metadata_for_its_slot_sources(tmp_path):
    code = ("import sys; from twinchat.units.slot_sources import slot_sources; names = list(slot_sources()); "
            "print(names[0], 'importlib.metadata' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.split() == ["choice", "False"]


def test_the_first_distribution_of_a_name_hides_the_others_as_in_importlib_metadata(tmp_path, monkeypatch):
    """A second twinchat further down the path is never read; a plugin hidden behind an earlier
    distribution of its name is not either, by either reader."""
    info = tmp_path / "first" / "plates-2.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plates\nVersion: 2.0\n", encoding="utf-8")
    _plugin(tmp_path / "later", GROUP, "plates = plates_module:PLATES")
    monkeypatch.syspath_prepend(str(tmp_path / "later"))
    monkeypatch.syspath_prepend(str(tmp_path / "first"))
    assert "plates" not in {e.name for e in metadata.entry_points(group=GROUP)}
    assert own_entry_points(GROUP) is not None


def test_twinchats_own_sources_are_imported_when_first_asked_for(tmp_path):
    code = ("import sys; from twinchat.units.slot_sources import slot_sources; s = slot_sources(); "
            "s['choice']; print(len(s), 'twinchat.composer.engine.sources.place' in sys.modules); "
            "s['place']; print('twinchat.composer.engine.sources.place' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.split() == ["8", "False", "True"]
    assert collect(own_entry_points(GROUP)) == dict(slot_sources())
