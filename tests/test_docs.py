"""The documentation says what the code declares: docs/detectors.md is generated from the
registry (``make docs``) and must be current."""

from __future__ import annotations

from pathlib import Path

from streamcheck.report.catalogue import markdown

ROOT = Path(__file__).resolve().parents[1]


def test_detector_docs_are_generated_from_the_declarations():
    written = (ROOT / "docs" / "detectors.md").read_text()
    assert written == markdown(), "docs/detectors.md is out of date: run make docs"


def test_every_detector_is_named_in_the_readme():
    from streamcheck.detectors import REGISTRY

    readme = (ROOT / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in REGISTRY)


def test_readme_is_what_a_newcomer_needs():
    """At most 20 KB (the rest is in docs/), no reference to the developers' media folder
    (a user of the package does not have it), and every command named."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) <= 20_000
    assert "shared/media" not in readme
    for command in ("scan", "watch", "diff", "report", "detectors", "selftest"):
        assert f"streamcheck {command}" in readme, command
    assert "--install-completion" in readme


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    import re

    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    import re

    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.DOTALL)  # no code blocks
    return {_slug(m) for m in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


def test_links_between_the_pages_lead_somewhere():
    """Every relative link of README.md and docs/*.md names a file that exists and, with an
    #anchor, a heading of that file."""
    import re

    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            file, _, anchor = target.partition("#")
            dest = (page.parent / file).resolve() if file else page
            if not dest.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken
