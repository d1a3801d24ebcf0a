"""``qa_pairs``: an export format from a third party — one ``{"question", "answer"}`` record per user
turn and the assistant reply that answers it (tool traffic left out)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twinchat.composer.export.formats import Converter, Format, Record, RuleViolation, annotate, gold_item


class QAPairsConverter(Converter):
    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = annotate(turns)
        records: list[Record] = []
        asked: int | None = None  # the user turn awaiting its answer
        for i, turn in enumerate(turns):
            if turn.get("role") == "user":
                asked = i
            elif turn.get("role") == "assistant" and not turn.get("tool_calls") and asked is not None:
                question, answer = turns[asked].get("content"), turn.get("content")
                item = gold_item("reply", meta[i], question, answer)
                records.append(Record({"question": question, "answer": answer}, f"{session['id']}@{asked}",
                                      f"{question}\n{answer}", (meta[asked][1],), [item]))
                asked = None
        return records


def check_qa_pair(record: Mapping[str, Any]) -> None:
    """Both the question and the answer are non-empty strings, and nothing else is there."""
    if set(record) != {"question", "answer"}:
        raise RuleViolation("bad keys", f"keys {sorted(record)} are not question and answer")
    for key in ("question", "answer"):
        if not isinstance(record[key], str) or not record[key].strip():
            raise RuleViolation("empty field", f"{key} is not a non-empty string")


QA_PAIRS = Format(
    name="qa_pairs", converter=QAPairsConverter, check=check_qa_pair, calls=False,
    loading="Question answering: each line is one `{\"question\", \"answer\"}` pair, a customer's words "
            "and the reply that answered them (qa_pairs, from the twinchat demo plugin).")
