"""The detector catalogue as people read it: ``streamcheck detectors`` (a rich table of every
detector, parameter, effective value, unit and the option it mirrors), from the registry's
declarations and a configuration's values."""

from __future__ import annotations

import dataclasses

from rich.console import Console
from rich.table import Table

from ..config import Config
from ..detectors import REGISTRY


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
                str(getattr(params, f.name)),
                f.metadata.get("unit") or "",
                f.metadata.get("mirrors") or "",
                f.metadata.get("help", ""),
            )
    console.print(table)
