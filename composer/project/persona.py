"""The assistant's persona of a project: the system prompt, a Jinja2 template rendered in the
sandbox with the session clock, the shop's name and the channel; one per project, or per flow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import jinja2

from twinchat.composer.engine.render import make_env, variables_of
from twinchat.composer.project.load import LoadedProject, ProjectError
from twinchat.composer.project.model import PersonaConfig

__all__ = ["Personas", "PROMPT_NAMES"]

#: The names a system prompt template may use.
PROMPT_NAMES = {"now", "shop", "channel", "flow"}


@dataclass
class Personas:
    """The system prompts of a project, compiled once: ``for_flow(flow)`` → ``prompt(now)``."""

    shop: str
    default: PersonaConfig
    per_flow: dict[str, PersonaConfig] = field(default_factory=dict)
    where: str = "twinchat.yaml"

    def __post_init__(self) -> None:
        env = make_env()
        self._compiled: dict[str | None, Callable[[str], str] | None] = {}
        for flow, persona in [(None, self.default), *self.per_flow.items()]:
            self._compiled[flow] = self._compile(env, flow, persona)

    @classmethod
    def of(cls, project: LoadedProject) -> Personas:
        m = project.model
        return cls(m.shop, m.persona, dict(m.flow_personas), str(project.path))

    def _compile(self, env: jinja2.Environment, flow: str | None, persona: PersonaConfig) -> Callable[[str], str] | None:
        if persona.system_prompt is None:
            return None
        key = "persona.system_prompt" if flow is None else f"flow_personas.{flow}.system_prompt"
        try:
            names, _ = variables_of(env, persona.system_prompt)
            template = env.from_string(persona.system_prompt)
        except jinja2.TemplateSyntaxError as exc:
            raise ProjectError(f"{self.where}: key {key!r}: template syntax error: {exc.message}") from exc
        unknown = sorted(names - PROMPT_NAMES)
        if unknown:
            raise ProjectError(f"{self.where}: key {key!r}: unknown variable {unknown[0]!r}; "
                               f"a system prompt may use {', '.join(sorted(PROMPT_NAMES))}")
        shop, channel = self.shop, persona.channel

        def prompt(now: str) -> str:
            return template.render(now=now, shop=shop, channel=channel, flow=flow or "").strip()
        return prompt

    def for_flow(self, flow: str | None) -> Callable[[str], str] | None:
        """The prompt maker of ``flow`` (its own persona, else the project's), or None: the built-in prompt."""
        made = self._compiled.get(flow)
        return made if flow in self._compiled and made is not None else self._compiled[None]

    def describe(self) -> list[str]:
        """Lines for the dataset card."""
        lines = []
        if self.shop:
            lines.append(f"shop: {self.shop}")
        if self.default.system_prompt:
            lines.append(f"system prompt (template): {' '.join(self.default.system_prompt.split())}")
        for flow, persona in sorted(self.per_flow.items()):
            if persona.system_prompt:
                lines.append(f"system prompt of flow {flow} (template): {' '.join(persona.system_prompt.split())}")
        return lines
