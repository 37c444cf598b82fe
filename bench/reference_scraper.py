"""The kind of one-file scraper the tool replaces, as the bar its CPU per page is held to.

    .venv/bin/python bench/reference_scraper.py PAGE.html [...] --out FOLDER

Written for the benchmark in the shape of a newsletter's own Revue scraper (requests +
BeautifulSoup with `html.parser` + html2text): read a saved issue page, pick Revue's content
blocks in order, convert each with html2text, and write Markdown with front matter. It does
none of what the tool does beyond that (no chrome, tracking or unsafe-markup cleaning, no
images, no aliases beyond the canonical path): it is a cost reference, not a second tool.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import html2text
import yaml
from bs4 import BeautifulSoup

BLOCKS = ("revue-p", "header-text", "revue-blockquote")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“])")


def converter() -> html2text.HTML2Text:
    h = html2text.HTML2Text()
    h.body_width = 0          # no hard wrapping: one paragraph, one line
    h.ignore_images = False
    return h


def blocks_of(soup: BeautifulSoup):
    """Revue's paragraphs, headers, quotes, lists and images, in page order, each once."""
    root = soup.select_one("#issue-frame") or soup.body or soup
    for el in root.find_all(["div", "p", "blockquote", "ul", "ol", "img"]):
        classes = set(el.get("class") or ())
        if classes & set(BLOCKS) or el.name in ("ul", "ol") and not el.find_parent(["ul", "ol"]) or (
                el.name == "img" and int(el.get("width") or 600) > 100):
            yield el


def markdown_of(el, h: html2text.HTML2Text) -> str:
    if el.name == "img":
        alt = el.get("alt", "")
        return f"![{alt}]({el.get('src', '')})\n\n_{alt}_" if alt else f"![]({el.get('src', '')})"
    text = h.handle(str(el)).strip()
    if "header-text" in (el.get("class") or ()):
        return "## " + text.lstrip("# ")
    return SENTENCE_END.sub("\n", text)


def scrape(page: Path) -> str:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    title = (soup.title.string or "").replace(" | Revue", "") if soup.title else page.stem
    fields = {"title": title.strip()}
    time_el = soup.find("time", datetime=True)
    if time_el:
        fields["date"] = time_el["datetime"][:10]
    number = re.search(r"#(\d+)", title)
    if number:
        fields["number"] = int(number.group(1))
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        fields["aliases"] = [urlsplit(canonical["href"]).path]
    h = converter()
    body = "\n\n".join(md for md in (markdown_of(el, h) for el in blocks_of(soup)) if md)
    return "---\n" + yaml.safe_dump(fields, allow_unicode=True, sort_keys=False) + "---\n\n" + body + "\n"


def main(argv: list[str]) -> int:
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    pages = [Path(a) for a in argv if a.endswith((".html", ".htm"))]
    for page in pages:
        text = scrape(page)
        if out:
            out.mkdir(parents=True, exist_ok=True)
            (out / (page.stem + ".md")).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
