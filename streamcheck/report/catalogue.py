"""The detector catalogue as people read it, from the registry's declarations: ``streamcheck
detectors`` (a rich table of every detector, parameter, effective value, unit and the option
it mirrors) and ``docs/detectors.md`` (the same as Markdown, with each detector's module
docstring as its description: ``python -m streamcheck.report.catalogue > docs/detectors.md``,
``make docs``; a test checks that the file is up to date)."""

from __future__ import annotations

import dataclasses
import inspect
import sys

from rich.console import Console
from rich.table import Table

from ..config import Config
from ..detectors import REGISTRY


def shown(value: object) -> str:
    """A parameter's value as people write it: a list parameter's values joined by commas,
    an empty list (not checked) as a dash."""
    if isinstance(value, tuple):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) or "—"
    return str(value)


def render_detectors(console: Console, config: Config) -> None:
    """Print every registered detector with its parameters' effective values in ``config``."""
    table = Table(title=f"streamcheck detectors (profile {config.profile})", title_justify="left")
    for col in ("detector", "kind", "parameter", "value", "unit", "mirrors", "meaning"):
        table.add_column(col, overflow="fold")
    for name, cls in REGISTRY.items():
        params = config.params_for(name)
        table.add_section()
        for i, f in enumerate(dataclasses.fields(params)):
            table.add_row(
                f"{name}\n[dim]{cls.description}[/dim]" if i == 0 else "",
                cls.kind if i == 0 else "",
                f.name,
                shown(getattr(params, f.name)),
                f.metadata.get("unit") or "",
                f.metadata.get("mirrors") or "",
                f.metadata.get("help", ""),
            )
    console.print(table)
    # list parameters (a delivery template's keys) that the profile or configuration sets
    template = [
        (f"{name}.{f.name}", shown(getattr(params, f.name)))
        for name in REGISTRY
        for params in [config.params_for(name)]
        for f in dataclasses.fields(params)
        if isinstance(getattr(params, f.name), tuple) and getattr(params, f.name)
    ]
    if template:
        listed = Table(title=f"delivery template of profile {config.profile}", title_justify="left")
        listed.add_column("key")
        listed.add_column("allowed")
        for key, value in template:
            listed.add_row(key, value)
        console.print(listed)


def markdown(config: Config | None = None) -> str:
    """docs/detectors.md: every detector's parameters (defaults, units, the FFmpeg/EBU option
    they mirror) and how it decides (its module's docstring)."""
    config = config or Config()
    lines = [
        "# Detectors",
        "",
        "Generated from the detectors' own declarations by `make docs` (`python -m "
        "streamcheck.report.catalogue`); `streamcheck detectors` prints the same table with a "
        "profile's or configuration's values. Kinds: `video` (the first video stream's "
        "pictures), `audio` (each audio track), `programme` (each audio programme: tracks "
        "measured together), `av` (both, each stream on its own), `pair` (the video stream "
        "and each audio track together), `file` (once per file; findings span the file).",
        "",
        "| detector | kind | parameter | default | unit | mirrors | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, cls in REGISTRY.items():
        params = config.params_for(name)
        for f in dataclasses.fields(params):
            md = f.metadata
            lines.append(
                f"| `{name}` | {cls.kind} | `{f.name}` | {shown(getattr(params, f.name))} | "
                f"{md.get('unit') or ''} | {md.get('mirrors') or ''} | {md.get('help', '')} |"
            )
    lines += ["", "## How each decides", ""]
    for name, cls in REGISTRY.items():
        own = cls.__dict__.get("__doc__")  # a class of a module of several detectors
        text = inspect.cleandoc(own or sys.modules[cls.__module__].__doc__ or cls.description)
        lines += [f"### {name}", "", text, ""]
        if not cls.fast_ok:
            lines += [f"Left out by `scan --fast`: it {cls.fast_note}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown())
