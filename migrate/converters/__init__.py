"""Converters: an issue's cleaned body to Markdown, its fields to front matter, and its path.

The names are imported on first use (PEP 562), so `config`, which needs only the path layout,
does not bring markdownify and bs4 into a command such as `--help`."""
from importlib import import_module

_WHERE = {"front_matter_fields": "frontmatter", "render_document": "frontmatter", "IssueConverter": "markdown",
          "to_markdown": "markdown", "PathLayout": "paths", "break_sentences": "sentences"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
