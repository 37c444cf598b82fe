"""Converters: an issue's cleaned body to Markdown, its fields to front matter, and its path."""
from .frontmatter import front_matter_fields, render_document
from .markdown import IssueConverter, to_markdown
from .paths import PathLayout
from .sentences import break_sentences

__all__ = ["IssueConverter", "PathLayout", "break_sentences", "front_matter_fields", "render_document", "to_markdown"]
