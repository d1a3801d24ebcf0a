"""Paraphrasing unit templates with an OpenAI-compatible model, safely.

For each template the model is asked for K rewrites that keep every ``{{ }}`` placeholder. Every
candidate is checked before it is proposed (the first failing check is its rejection reason):

``empty``            the reply has no text;
``too_long``         it is over 4 times as long as the original, or over 2,000 characters (see
                     :func:`~twinchat.composer.paraphrase.checks.length_problem`);
``lines``            it spans several lines where the original is one line (an explanation added);
``syntax``           it does not parse (or compile) in the sandbox;
``invented`` / ``altered`` / ``lost`` / ``statements`` / ``numbers``
                     its placeholders are not exactly the original's (see
                     :mod:`twinchat.composer.paraphrase.checks`), or it writes a number of its own;
``duplicate`` / ``near_duplicate``
                     it is (nearly) the same as a template of the unit or an earlier candidate;
``render`` / ``verification``
                     rendered on sample data it fails, or a sample fails verification (a label
                     value no longer grounded in the text).

Sample data: a few samples of the *original* template are drawn with the unit's generator (for a
unit that only occurs inside sessions, with contexts captured from composing the flows that play
it), and the ones that verify are kept. A candidate is rendered with exactly those slot values and
verified with the unit's verifier. That is the same as drawing with the candidate as the template:
the template is fixed, so drawing it consumes no randomness, and a candidate that passed the
placeholder check reads the same slots with the same missing fields and label overrides, so its
label is the original's.

Accepted candidates become templates with new ids (see :mod:`twinchat.composer.paraphrase.unit_file`) and
``source: paraphrase``, inserted into the unit file (or a new file with ``out``) without touching
the rest of it. Nothing is written when nothing is accepted, on ``dry_run``, or on any error.
"""

from __future__ import annotations

import os

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.alternatives import AlternativesError
from twinchat.composer.engine.generate import Sample, UnitGenerator
from twinchat.composer.paraphrase.checks import (
    NEAR_DUPLICATE, clean_reply, compare_shapes, fold_template_for_similarity, length_problem, shape_of, similarity)
from twinchat.composer.engine.render import TemplateCache, make_env
from twinchat.composer.paraphrase.unit_file import next_template_id, write_unit_text
from twinchat.composer.verify.samples import Verifier
from twinchat.units.errors import UnitError
from twinchat.units.loader import UnitSource, builtin_paths, did_you_mean
from twinchat.units.spec import ContextSlot, ReferenceSlot, Template

__all__ = ["Candidate", "ParaphraseReport", "Paraphraser", "ParaphraseError", "build_messages",
           "paraphrase_unit", "plan_output", "unit_file", "SOURCE"]

#: The ``source`` marker of templates written by paraphrasing.
SOURCE = "paraphrase"
_LANGUAGES = {"zh": "Simplified Chinese", "en": "English"}


class ParaphraseError(ComposerError):
    """A unit cannot be paraphrased as asked (built-in without -o, unknown template, no sample data)."""


@dataclass
class Candidate:
    """One rewrite proposed by the model, with the verdict of the checks."""

    original: str                    # id of the template it rewrites
    number: int                      # 1-based, per original template
    text: str
    code: str | None = None          # rejection code; None: passed every check
    reason: str | None = None        # one line saying why it was rejected
    previews: list[str] = field(default_factory=list)  # the candidate rendered on sample data
    new_id: str | None = None        # id it was (or, on a dry run, would be) written with
    edited: bool = False             # changed by a curator in review

    @property
    def name(self) -> str:
        return f"{self.original}#{self.number}"

    @property
    def passed(self) -> bool:
        return self.code is None


@dataclass
class ParaphraseReport:
    """What a paraphrase run did."""

    unit: str
    source: str                      # the unit file, as shown to the user
    candidates: list[Candidate] = field(default_factory=list)
    written: Path | None = None      # where the accepted templates went (None: nowhere)
    dry_run: bool = False
    reviewed: bool = False
    cancelled: bool = False          # the review was left without saving

    @property
    def accepted(self) -> list[Candidate]:
        return [c for c in self.candidates if c.passed]

    @property
    def rejected(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.passed]

    def reasons(self) -> Counter[str]:
        return Counter(c.code for c in self.rejected if c.code)


def build_messages(unit: Any, template: Template) -> list[dict[str, str]]:
    """The chat messages asking for one rewrite of ``template`` (the same messages for every rewrite)."""
    env = make_env()
    shape = shape_of(env, template.text)
    keep = ", ".join("{{ " + shape.shown.get(k, k) + " }}" + (f" ×{n}" if n > 1 else "")
                     for k, n in shape.placeholders.items())
    language = _LANGUAGES.get(unit.language, unit.language)
    others = "\n".join(f"- {t.text.strip()}" for t in unit.templates if t.id != template.id)
    system = (
        "You rewrite message templates for the training data of a customer-service assistant. A template "
        "is a Jinja2 template: text with placeholders such as {{ name }} that are filled in later. Rewrite "
        "the template the way another customer might say the same thing: change the wording, the word "
        f"order and the tone, and write in {language}.\n"
        "Rules:\n"
        "1. Keep every placeholder exactly as written, character for character, including everything "
        "inside {{ }}, and use each one as many times as the original does.\n"
        "2. Do not add placeholders or {% %} tags, and do not remove any.\n"
        "3. Do not add facts of your own: no numbers, names, places, products or dates.\n"
        "4. Reply with the rewritten template only: no quotes, no explanation, no numbering."
    )
    user = (
        f"Task of the message: {unit.title}" + (f" — {' '.join(unit.description.split())}" if unit.description else "")
        + f"\nPlaceholders to keep: {keep or 'none'}"
        + (f"\nTemplates that exist already (do not repeat them):\n{others}" if others else "")
        + f"\n\nRewrite this template:\n{template.text.strip()}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _session_only(src: UnitSource) -> bool:
    slots = list(src.unit.slots.values()) + [s for c in src.unit.cases for s in c.slots.values()]
    return any(isinstance(s, ReferenceSlot) or (isinstance(s, ContextSlot) and not s.fallback) for s in slots)


def _session_contexts(conn: sqlite3.Connection, unit_id: str, want: int, seed: int,
                      units_dirs: Sequence[str], sessions: int = 60) -> list[tuple[Any, dict[str, Any]]]:
    """(now, context) pairs with which sessions of the flows that play ``unit_id`` reach it."""
    from twinchat.composer.engine.compose import SessionComposer

    seen: list[tuple[Any, dict[str, Any]]] = []

    class _Tap:
        def __init__(self, gen: UnitGenerator) -> None:
            self.gen = gen

        def __getattr__(self, name: str) -> Any:  # everything but session_sample is the generator's own
            return getattr(self.gen, name)

        def session_sample(self, rng: Any, now: Any, context: dict[str, Any], call: Any) -> Sample:
            seen.append((now, dict(context)))
            return self.gen.session_sample(rng, now, context, call)

    class _Composer(SessionComposer):
        def generator(self, uid: str) -> Any:
            gen = super().generator(uid)
            return _Tap(gen) if uid == unit_id else gen

    composer = _Composer(conn, seed=seed, units_dirs=units_dirs)
    flows = sorted(fid for fid, f in composer.flows.items() if any(s.unit == unit_id for s in f.flow.steps))
    if not flows:
        raise ParaphraseError(f"unit {unit_id!r} is played only inside sessions and no flow plays it: "
                              f"there is no sample data to check paraphrases on")
    for index in range(sessions):
        for fid in flows:
            composer.compose(fid, index)
            if len(seen) >= want:
                return seen[:want]
    if not seen:
        raise ParaphraseError(f"unit {unit_id!r} is played only inside sessions and {sessions} sessions of "
                              f"{', '.join(flows)} never reached it: there is no sample data to check paraphrases on")
    return seen


class Paraphraser:
    """Checks candidate rewrites of one unit's templates against its shape, its other templates and
    its verification on sample data. Sample data are drawn once per template, on first use."""

    def __init__(self, src: UnitSource, conn: sqlite3.Connection, *, seed: int = 0, samples: int = 6,
                 threshold: float = NEAR_DUPLICATE, units_dirs: Sequence[str] = ()) -> None:
        self.src = src
        self.unit = src.unit
        self.conn = conn
        self.seed = seed
        self.samples = samples
        self.threshold = threshold
        self.units_dirs = tuple(units_dirs)
        self.env = make_env()
        self.cache = TemplateCache(self.env)
        self.gen = UnitGenerator(src, conn, seed=seed, templates=self.cache)
        self.verifier = Verifier(self.unit, replies=False)
        self._codes: dict[str, str] = {}
        self._shapes = {t.id: shape_of(self.env, t.text) for t in self.unit.templates}
        self._forms = [(f"template {t.id}", fold_template_for_similarity(t.text, self._shapes[t.id], self._codes))
                       for t in self.unit.templates]
        self._baseline: dict[str, list[Sample]] = {}
        self._contexts: list[tuple[Any, dict[str, Any]]] | None = None

    def template(self, template_id: str) -> Template:
        for t in self.unit.templates:
            if t.id == template_id:
                return t
        ids = [t.id for t in self.unit.templates]
        raise ParaphraseError(f"unit {self.unit.id!r} has no template {template_id!r}"
                              f"{did_you_mean(template_id, ids)}; templates: {', '.join(ids)}")

    def baseline(self, template_id: str) -> list[Sample]:
        """Samples of the original template that pass verification (their slots are the sample data)."""
        if template_id in self._baseline:
            return self._baseline[template_id]
        draws: list[tuple[Any, dict[str, Any] | None]] = [(None, None)] * self.samples
        if _session_only(self.src):
            if self._contexts is None:
                self._contexts = _session_contexts(self.conn, self.unit.id, self.samples, self.seed,
                                                   self.units_dirs)
            draws = list(self._contexts)
        kept: list[Sample] = []
        failures: Counter[str] = Counter()
        for i, (now, context) in enumerate(draws):
            try:
                sample = self.gen.sample(i, now=now, context=context, template_id=template_id)
            except ComposerError as exc:
                raise ParaphraseError(f"unit {self.unit.id!r}, template {template_id!r}: cannot draw sample "
                                      f"data: {exc}") from exc
            reasons = self.verifier(sample.to_json())
            failures.update(reasons)
            if not reasons:
                kept.append(sample)
        if not kept:
            why = ", ".join(sorted(failures)) or "no samples"
            raise ParaphraseError(f"unit {self.unit.id!r}, template {template_id!r}: the template itself fails "
                                  f"verification on sample data ({why}); fix it before paraphrasing it")
        self._baseline[template_id] = kept
        return kept

    def check(self, original: Template, text: str, others: Sequence[tuple[str, str]] = ()
              ) -> tuple[str | None, str | None, list[str]]:
        """``(code, reason, previews)`` of ``text`` as a rewrite of ``original``; code None = passed.

        ``others`` are (label, text) of candidates accepted so far, for the near-duplicate check.
        """
        if not text.strip():
            return "empty", "the reply has no text", []
        too_long = length_problem(original.text, text)
        if too_long:
            return "too_long", too_long, []
        lines = [line for line in text.strip().splitlines() if line.strip()]
        if len(lines) > 1 and len(original.text.strip().splitlines()) == 1:
            return "lines", f"spans {len(lines)} lines where the original is one (an explanation added?)", []
        try:
            shape = shape_of(self.env, text)
        except jinja2.TemplateSyntaxError as exc:
            return "syntax", f"does not parse: {exc.message} (line {exc.lineno})", []
        problem = compare_shapes(self._shapes[original.id], shape)
        if problem:
            return problem[0], problem[1], []
        try:
            self.env.from_string(text)
            variants = list(self.cache.alternatives(text).combinations(64))
        except jinja2.TemplateSyntaxError as exc:
            return "syntax", f"does not compile: {exc.message}", []
        except AlternativesError as exc:
            return "syntax", f"alternatives: {exc}", []
        form = fold_template_for_similarity(text, shape, self._codes)
        compared = self._forms + [(label, fold_template_for_similarity(t, shape_of(self.env, t), self._codes)) for label, t in others]
        for label, other in compared:
            score = similarity(form, other)
            if score == 1.0:
                return "duplicate", f"duplicates {label}", []
            if score >= self.threshold:
                return ("near_duplicate", f"is a near-duplicate of {label} (similarity {score:.2f}, "
                        f"threshold {self.threshold:.2f})", [])
        previews: list[str] = []
        failures: set[str] = set()
        failed, example = 0, ""
        samples = self.baseline(original.id)
        for k, sample in enumerate(samples):  # the samples render the variants in turn
            try:
                rendered = self.cache.render_text(text, sample.slots, choices=variants[k % len(variants)]).strip()
            except ComposerError as exc:
                return "render", f"does not render on sample data: {exc}", previews
            previews.append(rendered)
            reasons = self.verifier({**sample.to_json(), "text": rendered})
            if reasons:
                failed += 1
                example = example or rendered
                failures.update(reasons)
        if failed:
            return ("verification", f"fails verification on {failed} of {len(samples)} samples "
                    f"({', '.join(sorted(failures))}), e.g. {example!r}", previews)
        return None, None, previews

    def ask(self, client: Any, template: Template, n: int, *, temperature: float = 0.9,
            seed: int | None = None) -> list[str]:
        """``n`` rewrites of ``template`` from the model, cleaned of fences, quotes and reasoning."""
        return [clean_reply(c) for c in client.complete(build_messages(self.unit, template), n=n,
                                                        temperature=temperature, seed=seed)]


def unit_file(src: UnitSource) -> tuple[Path, bool]:
    """(the file a unit was loaded from, whether it is a built-in one)."""
    if src.path.startswith("<builtin>/"):
        name = src.path.split("/", 1)[1]
        return next(p for p in builtin_paths() if p.name == name), True
    return Path(src.path), False


def plan_output(src: UnitSource, out: str | Path | None, *, dry_run: bool = False) -> tuple[Path, Path | None]:
    """(the unit's file, the new file to write instead or None); refuses what cannot be written:
    a built-in unit without ``out`` (it lives inside the installed package), an existing ``out``."""
    path, builtin = unit_file(src)
    target = Path(out) if out is not None else None
    if builtin and target is None and not dry_run:
        raise ParaphraseError(f"unit {src.unit.id!r} is built in ({src.path}): pass -o FILE to write its "
                              f"paraphrases to a new file (or --dry-run to only see them)")
    if target is not None and target.exists():
        raise ParaphraseError(f"{target}: file exists; choose another -o")
    if target is not None and not target.parent.exists():
        raise ParaphraseError(f"{target.parent}: directory does not exist")
    folder = (target or path).parent
    if not dry_run and not os.access(folder, os.W_OK):
        raise ParaphraseError(f"{folder}: directory is not writable")  # said before the model is asked
    return path, target


#: review(paraphraser, candidates that passed) → {candidate name: final text} to write, or None to cancel.
Review = Callable[[Paraphraser, list[Candidate]], "dict[str, str] | None"]


def paraphrase_unit(src: UnitSource, *, conn: sqlite3.Connection, client: Any, template_ids: Sequence[str] = (),
                    n: int = 3, seed: int = 0, temperature: float = 0.9, out: str | Path | None = None,
                    dry_run: bool = False, review: Review | None = None, samples: int = 6,
                    units_dirs: Sequence[str] = (), progress: Callable[[str], None] | None = None
                    ) -> ParaphraseReport:
    """Ask ``client`` for ``n`` rewrites of each template (all, or ``template_ids``), check them,
    optionally let a curator ``review`` them, and write the accepted ones (unless ``dry_run``)."""
    path, target = plan_output(src, out, dry_run=dry_run)
    if n < 1:
        raise ParaphraseError(f"-n must be at least 1 (got {n})")
    try:
        loaded_text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UnitError(f"{src.path}: cannot read unit file: {exc}") from exc
    para = Paraphraser(src, conn, seed=seed, samples=samples, units_dirs=units_dirs)
    chosen = [para.template(t) for t in dict.fromkeys(template_ids)] or list(src.unit.templates)
    for t in chosen:
        para.baseline(t.id)  # fail before asking the model when there is nothing to check on
    report = ParaphraseReport(unit=src.unit.id, source=src.path, dry_run=dry_run)
    for t in chosen:
        if progress:
            progress(f"{src.unit.id}, template {t.id}: asking for {n} rewrite(s)…")
        for number, text in enumerate(para.ask(client, t, n, temperature=temperature, seed=seed), 1):
            cand = Candidate(original=t.id, number=number, text=text)
            others = [(f"candidate {c.name}", c.text) for c in report.accepted]
            cand.code, cand.reason, cand.previews = para.check(t, text, others)
            report.candidates.append(cand)
    if review is not None and report.accepted:
        report.reviewed = True
        decided = review(para, report.accepted)
        if decided is None:
            report.cancelled = True
            decided = {}
        kept: list[Candidate] = []
        for cand in report.accepted:
            if cand.name not in decided:
                cand.code, cand.reason = "curator", ("review left without saving" if report.cancelled
                                                     else "rejected in review")
                continue
            if decided[cand.name] != cand.text:
                cand.text, cand.edited = decided[cand.name], True
                others = [(f"candidate {c.name}", c.text) for c in kept]
                cand.code, cand.reason, cand.previews = para.check(para.template(cand.original), cand.text, others)
            if cand.passed:
                kept.append(cand)
    taken = {t.id for t in src.unit.templates}
    added: list[Template] = []
    for cand in report.accepted:
        original = para.template(cand.original)
        cand.new_id = next_template_id(original.id, taken)
        taken.add(cand.new_id)
        added.append(Template(id=cand.new_id, text=cand.text, missing=list(original.missing),
                              label=dict(original.label), source=SOURCE))
    if added and not dry_run:
        report.written = write_unit_text(path, loaded_text, src.unit, added, out=target,
                                         shown=str(target) if target else src.path)
    return report
