"""Inserting templates into unit files as text: everything else stays byte for byte; ids continue."""

from __future__ import annotations

import pytest

from twinchat.composer.paraphrase.unit_file import UnitFileError, insert_templates, next_template_id, write_unit_text
from twinchat.units.loader import load_unit_file
from twinchat.units.spec import Template

HEAD = "id: u\ntitle: t\nslots:\n  a: {source: choice, values: [x]}\n"
NEW = Template(id="t2", text="再说{{ a }}", source="paraphrase")


def test_next_ids_follow_the_pattern_of_the_original():
    assert next_template_id("t03", {"t01", "t02", "t03", "t15"}) == "t16"
    assert next_template_id("ask2", {"ask1", "ask2", "t9"}) == "ask3"
    assert next_template_id("f1", {"f1", "f09"}) == "f10"
    assert next_template_id("states", {"states", "states_p1"}) == "states_p2"


def test_inserted_before_the_blank_lines_and_comments_that_lead_to_the_next_key():
    text = HEAD + "templates:\n  - id: t1\n    text: \"说{{ a }}\"  # same line\n\n# the label\nlabel: {}\n"
    out = insert_templates(text, [NEW], "u.yaml")
    assert out == HEAD + ("templates:\n  - id: t1\n    text: \"说{{ a }}\"  # same line\n"
                          "  - id: t2\n    text: \"再说{{ a }}\"\n    source: paraphrase\n\n# the label\nlabel: {}\n")


def test_templates_last_in_a_file_without_a_final_newline():
    text = HEAD + "templates:\n- id: t1\n  text: 说{{ a }}"
    out = insert_templates(text, [NEW], "u.yaml")
    assert out == HEAD + "templates:\n- id: t1\n  text: 说{{ a }}\n- id: t2\n  text: \"再说{{ a }}\"\n  source: paraphrase\n"


def test_crlf_files_stay_crlf_and_multiline_text_is_a_literal_block():
    text = (HEAD + "templates:\n  - id: t1\n    text: |\n      说\n      {{ a }}\n").replace("\n", "\r\n")
    two = Template(id="t2", text="再说\n{{ a }}\n", missing=["x-y"], label={"on": "a"}, source="paraphrase")
    out = insert_templates(text, [two], "u.yaml")
    assert out.endswith("\r\n  - id: t2\r\n    text: |\r\n      再说\r\n      {{ a }}\r\n"
                        "    missing: [x-y]\r\n    label:\r\n      \"on\": \"a\"\r\n    source: paraphrase\r\n")
    assert "\n" not in out.replace("\r\n", "")


def test_a_flow_list_of_templates_is_refused():
    with pytest.raises(UnitFileError, match=r"^u.yaml:5: `templates:` is a flow list \[...\]; write it as a block "
                                            r"list \(one `- id: …` per item\) to add templates to it$"):
        insert_templates(HEAD + "templates: [{id: t1, text: x}]\n", [NEW], "u.yaml")


def test_write_refuses_a_result_that_is_not_the_same_unit(tmp_path):
    # a keep-chomped block scalar (|+) owns its trailing blank lines: inserting before them would change it
    path = tmp_path / "u.yaml"
    text = HEAD + "templates:\n  - id: t1\n    text: |+\n      说{{ a }}\n\n\nlabel: {}\n"
    path.write_text(text, encoding="utf-8")
    unit = load_unit_file(path).unit
    with pytest.raises(UnitFileError, match=r"^.*u.yaml: adding the templates as text would change other parts of "
                                            r"the unit; it is left as it was$"):
        write_unit_text(path, text, unit, [NEW])
    assert path.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["u.yaml"]       # no temporary file left behind


def test_write_keeps_the_file_mode(tmp_path):
    path = tmp_path / "u.yaml"
    text = HEAD + "templates:\n  - id: t1\n    text: 说{{ a }}\n"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o640)
    write_unit_text(path, text, load_unit_file(path).unit, [NEW])
    assert path.stat().st_mode & 0o777 == 0o640
    assert [t.id for t in load_unit_file(path).unit.templates] == ["t1", "t2"]
