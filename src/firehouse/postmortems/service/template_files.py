"""The Markdown postmortem templates shipped as package data, parsed into sections.

A template is a `# heading` followed by `## Section {#key flags}` blocks. Flags: `required`
(publishing needs text in it), `prefill` (its text is made from the incident record, with
`{{placeholders}}`), `public` (it may go into the customer-facing review). The text under a
section without `prefill` is guidance for the writer, not content.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from firehouse.errors import Invalid

TEMPLATES = {
    "full_rca": "Full root cause analysis",
    "lessons_learned": "Lightweight lessons learned",
    "security_review": "Security incident review",
}
_HEADING = re.compile(r"^## (?P<title>.+?)\s*\{#(?P<key>[a-z_]+)(?P<flags>[a-z_ ]*)\}\s*$")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    text: str
    required: bool
    prefill: bool
    public: bool


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    heading: str
    sections: tuple[SectionSpec, ...]


def parse(key: str, source: str) -> Template:
    heading = ""
    sections: list[SectionSpec] = []
    current: dict[str, object] | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None:
            flags = str(current["flags"]).split()
            sections.append(
                SectionSpec(
                    key=str(current["key"]),
                    title=str(current["title"]),
                    text="\n".join(lines).strip(),
                    required="required" in flags,
                    prefill="prefill" in flags,
                    public="public" in flags,
                )
            )

    for line in source.splitlines():
        match = _HEADING.match(line)
        if match:
            close()
            current, lines = match.groupdict(), []
        elif line.startswith("# ") and current is None:
            heading = line[2:].strip()
        elif current is not None:
            lines.append(line)
    close()
    return Template(
        key=key, name=TEMPLATES.get(key, key), heading=heading, sections=tuple(sections)
    )


@functools.cache
def load(key: str) -> Template:
    if key not in TEMPLATES:
        raise Invalid(f"unknown template {key!r}; one of {', '.join(TEMPLATES)}", field="template")
    source = resources.files("firehouse.postmortems").joinpath("templates", f"{key}.md")
    return parse(key, source.read_text(encoding="utf-8"))


def fill(text: str, values: dict[str, str]) -> str:
    """Replace `{{name}}` with its value; an unknown placeholder is left visible."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text).strip()


def choose(*, type_key: str, postmortem_required: bool) -> str:
    """Security incidents get the security review; severities that require a postmortem the
    full RCA; the rest the lightweight lessons-learned."""
    if type_key == "security":
        return "security_review"
    return "full_rca" if postmortem_required else "lessons_learned"
