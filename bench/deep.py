"""CPU time of pages nested thousands deep (a measurement, not a test):

    .venv/bin/python bench/deep.py [--levels 12500,25000,50000,200000]

Hostile or broken HTML can nest an element inside another hundreds of thousands of times (an
unclosed tag repeated). For each depth it times, in this process, on one thread:
- `render`: one issue whose body is that many unclosed <div>s around a line of text, through
  the whole cleaning chain (without images) and the converter: what `revue-api`, Buttondown,
  Mailchimp and Substack issues go through;
- `page`: a saved Revue issue page with the nesting inside its content, read by `revue-pages`
  (parse, selectors, fields) and then rendered: what a saved page or a Wayback capture goes
  through.
CPU time is the process's user + system time (`resource.getrusage`); no other process is
started. Linear means the time per level stays flat as the depth grows.
"""
from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from migrate.fetchers.revue_pages import PageReader  # noqa: E402
from migrate.mappings import load_mappings  # noqa: E402
from migrate.record import Issue  # noqa: E402
from migrate.render import Chain, RenderSpec  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def nested(levels: int) -> str:
    return "<p>Before the trap.</p>" + "<div>" * levels + "deep text" + "</div>" * levels + "<p>After the trap.</p>"


def saved_page(levels: int) -> str:
    return ('<!DOCTYPE html><html><head><title>Deep | Revue</title>'
            '<link rel="canonical" href="https://www.getrevue.co/profile/deep/issues/deep-700001"></head><body>'
            '<section id="issue-header"><h1 class="issue-title">Deep</h1><time datetime="2020-05-03T08:00:00.000Z">2020-05-03</time>'
            f'</section><div id="issue-frame"><div class="revue-p">{nested(levels)}</div></div></body></html>')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="12500,25000,50000,200000")
    args = parser.parse_args()
    mappings = load_mappings()
    chain = Chain(RenderSpec(None, "revue", images=False), mappings)
    reader = PageReader(mappings.platform("revue"))
    print(f"{'levels':>8} {'html':>9} {'render CPU':>11} {'per 1k levels':>14} {'page CPU':>9} {'per 1k levels':>14}  output")
    for levels in (int(n) for n in args.levels.split(",")):
        html = nested(levels)
        issue = Issue("revue", "1", html)
        start = cpu()
        prepared = chain.prepare(issue)
        issue, text = chain.finish(issue, prepared.cleaned)
        render = cpu() - start
        assert "deep text" in text and "After the trap." in text, text[:500]
        page = saved_page(levels)
        start = cpu()
        read = reader.read(page.encode(), "deep.html", 0, None)
        prepared = chain.prepare(read)
        read, page_text = chain.finish(read, prepared.cleaned)
        page_cpu = cpu() - start
        assert "deep text" in page_text and read.title == "Deep", page_text[:500]
        print(f"{levels:>8,} {len(html) / 1024:>7.0f}KB {render:>10.2f}s {1000 * render / levels:>13.3f}s "
              f"{page_cpu:>8.2f}s {1000 * page_cpu / levels:>13.3f}s  {len(text)} bytes, warning: {issue.warnings[-1][:60]}...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
