"""Help pages for coordinators, written once in ``docs/`` and served in the browser (a
coordinator cannot open a file of the repository)."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt

from directory.paths import PROJECT_ROOT

HELP_PAGES = {"csv": ("CSV.md", "Colonnes du fichier CSV")}


@lru_cache(maxsize=8)
def help_html(name: str) -> tuple[str, str]:
    """(title, HTML) of a help page; ``KeyError`` for an unknown one. Raw HTML in the
    Markdown is escaped, never passed through."""
    file, title = HELP_PAGES[name]
    text = (PROJECT_ROOT / "docs" / file).read_text(encoding="utf-8")
    return title, MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
