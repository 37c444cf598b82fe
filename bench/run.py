"""`make bench`: the tool's CPU, memory and wall time, every process counted, beside a reference.

    .venv/bin/python bench/run.py [--issues N] [--latency S] [--quick] [--json PATH] [--no-docs] [--repeats N]
    .venv/bin/python bench/run.py --sync-only [--repeats N]   # only the no-change sync at 100 issues

1. Real pages (../shared/corpus/revue-pages/pages and the golden Revue page; where ../shared is
   absent, the project's own saved-page fixtures): the tool beside `bench/reference_scraper.py`
   (a one-file scraper of the kind the tool replaces: BeautifulSoup with html.parser + html2text)
   on the same pages in the same run: CPU per page in this process, and as whole commands.
   Start-up: `newsletter-migrate --help` beside the scraper's imports.
2. A synthetic account (bench/synthetic.py: ~40 KB of Revue API html per issue, ~8 images) is
   served by migrate.standin in a process of its own, with a fixed latency per request. The tool
   runs as the user runs it (`python -m migrate run ... --quiet`): revue-pages and revue-api
   against a stand-in that keeps connections open, revue-api against one that closes every
   connection (as the shared asset server does), and revue-api without worker processes.
3. Re-sync: a bulk run, then a `sync` with nothing changed (the median of 5), at 100 and 1,000 issues.
4. Memory: revue-pages at 1,000 and at 10 x that many issues (no latency: only memory is read).

Every command runs under bench/reaper.py, a child subreaper that waits for every process the
command starts (a fork server, its workers) and reports the CPU of all of them and the peak PSS
of the whole process tree. The figures, each with its ratio and the command that produced it,
are written into docs/benchmarks.md between the `bench:begin` and `bench:end` markers.

Everything listens on and connects to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.connection
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import reference_scraper  # noqa: E402
import synthetic  # noqa: E402
from migrate.config import RunOptions  # noqa: E402
from migrate.standin import Account, StandinServer  # noqa: E402

TOKEN = "bench-token-not-a-secret"
CONCURRENCY = RunOptions().concurrency  # the tool's default; the benchmark does not change it
SHARED = ROOT.parent / "shared"
REAL_PAGES = sorted((SHARED / "corpus" / "revue-pages" / "pages").glob("*.html")) + [
    p for p in [SHARED / "golden" / "revue-dt-018" / "page.html"] if p.exists()]
FIXTURE_PAGES = sorted((ROOT / "tests" / "fixtures" / "revue").glob("page-*.html"))
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PY = ".venv/bin/python"  # as the commands are shown in the page

# The goals of issue 15, as ratios within one run.
GOALS = {
    "page_cpu_in_process": 1.0,     # tool / reference scraper, CPU per page in this process
    "pages_command_cpu": 1.5,       # tool / reference scraper, whole commands, every process
    "startup_cpu_ms": 150,          # the tool's --help, CPU of every process
    "noop_sync_share": 0.05,        # no-change sync / bulk run, at 100 issues
    "wall_over_floor": 1.3,         # bulk run / network floor at 20 ms latency
    "growth_kb_per_issue": 1.0,     # tree peak PSS growth per issue, 1,000 -> 10,000 issues
    "tree_pss_mb_at_large": 150,    # tree peak PSS at 10,000 issues
}


# ---------------------------------------------------------------------------- the stand-in process
def _kind(path: str) -> str:
    """Which part of Revue a request path belongs to, for the request count."""
    profile = f"/profile/{synthetic.PROFILE}"
    if path.rstrip("/") == "/api/v2/issues":
        return "api"
    if path.rstrip("/") == profile:
        return "archive_pages"
    if path.startswith(profile + "/issues/"):
        return "issue_pages"
    return "images"


def _serve(total: int, latency: float, close: bool, conn) -> None:
    """The stand-in's process: serve until told to stop, then send back what it saw."""
    import resource

    account = Account(issues=lambda: synthetic.archive(total), profile=synthetic.PROFILE, token=TOKEN, latency=latency,
                      version=lambda: str(total), close_connections=close)
    with StandinServer(account) as server:
        conn.send(server.port)
        conn.recv()  # "stop"
    counts: dict[str, int] = {}
    for path, hits in account.hits.items():  # keyed by path: the ?page=N pages share one key
        counts[_kind(path)] = counts.get(_kind(path), 0) + hits
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send({"requests": counts, "cpu_seconds": usage.ru_utime + usage.ru_stime, "not_modified": account.not_modified})


@contextmanager
def standin(total: int, latency: float, close: bool = False) -> Iterator[tuple[str, dict]]:
    """A stand-in serving `total` synthetic issues in its own process; yields its base URL and a
    dict that holds the server's request counts and CPU time once the block ends."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, none of this one's memory
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(total, latency, close, theirs), name="standin", daemon=True)
    process.start()
    stats: dict = {}
    try:
        if ours not in multiprocessing.connection.wait([ours, process.sentinel], timeout=60):
            raise RuntimeError("the stand-in did not start (see its traceback above)")
        yield f"http://127.0.0.1:{ours.recv()}", stats
    except BaseException:
        process.terminate()
        raise
    else:
        ours.send("stop")
        if ours.poll(60):
            stats.update(ours.recv())
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()


# ---------------------------------------------------------------------------- one command, every process
@dataclass
class Measured:
    command: list[str]
    wall_seconds: float
    cpu_seconds: float
    max_process_rss_mb: float
    tree_peak_pss_mb: float
    processes_reaped: int


def command_environment(extra: dict | None = None) -> dict:
    """The environment a user's command runs in: Python keeps its compiled bytecode (a session
    here may set PYTHONDONTWRITEBYTECODE, which would make every run compile every module)."""
    env = {**os.environ, **(extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(command: list[str], log_path: Path, env: dict | None = None) -> Measured:
    """Run a command under bench/reaper.py: the CPU of every process it starts, the tree's memory."""
    out = log_path.with_suffix(".figures.json")
    with open(log_path, "wb") as log:
        done = subprocess.run([sys.executable, str(HERE / "reaper.py"), str(out), "--", *command], cwd=ROOT,
                              env=command_environment(env), stdout=log, stderr=subprocess.STDOUT)
    figures = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"status": done.returncode}
    if figures["status"] != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{shown(command)}: exited with {figures['status']}:\n{tail}")
    return Measured(command, figures["wall_seconds"], figures["cpu_seconds"], figures["max_process_rss_mb"],
                    figures["tree_peak_pss_mb"], figures["processes_reaped"])


def shown(command: list[str]) -> str:
    """A command as the page shows it: paths relative to the project, the venv's python."""
    words = []
    for word in command:
        word = PY if word == sys.executable else word
        for base, name in ((str(ROOT) + "/", ""), (str(SHARED), "../shared")):
            word = word.replace(base, name)
        words.append(word)
    return " ".join(shlex.quote(w) if not w.startswith("<") else w for w in words)


def tool_command(verb: str, tool_platform: str, base: str, site: Path, *extra: str) -> list[str]:
    source = f"{base}/profile/{synthetic.PROFILE}" if tool_platform == "revue-pages" else base
    return [sys.executable, "-m", "migrate", verb, "--platform", tool_platform, "--source", source,
            "--site", str(site), "--remap", f"https://s3.amazonaws.com={base}/s3.amazonaws.com", "--quiet", *extra]


def summary_of(site: Path) -> dict:
    return json.loads((site / ".migrate" / "report.json").read_text(encoding="utf-8"))["summary"]


# ---------------------------------------------------------------------------- 1. real pages
def real_pages() -> tuple[list[Path], str]:
    if REAL_PAGES and all(p.exists() for p in REAL_PAGES):
        return REAL_PAGES, "real Revue pages: ../shared/corpus/revue-pages/pages/*.html and ../shared/golden/revue-dt-018/page.html"
    return FIXTURE_PAGES, "the project's own saved-page fixtures (tests/fixtures/revue/page-*.html): ../shared is absent"


def page_cpu_in_process(pages: list[Path], repeats: int) -> dict:
    """CPU per page in this process, one thread: the tool's whole path for one saved page (read
    the page, clean, convert, front matter; images off, as the scraper fetches none) beside the
    reference scraper's. Both are warmed once; the best of `repeats` rounds is kept for each."""
    from migrate.fetchers.revue_pages import PageReader
    from migrate.cleaners import load_checked
    from migrate.render import Chain, RenderSpec

    mappings = load_checked(platforms=["revue"])
    reader, chain = PageReader(mappings.platform("revue")), Chain(RenderSpec(None, "revue", images=False), mappings)
    datas = [(p, p.read_bytes()) for p in pages]

    def tool_round() -> float:
        started = time.process_time()
        for order, (path, data) in enumerate(datas):
            chain.render(reader.read(data, str(path), order, None))
        return time.process_time() - started

    def reference_round() -> float:
        started = time.process_time()
        for path, _ in datas:
            reference_scraper.scrape(path)
        return time.process_time() - started

    tool_round(), reference_round()
    tool, reference = [], []
    for _ in range(repeats):  # interleaved, so a busy moment of the machine hits both
        tool.append(tool_round())
        reference.append(reference_round())
    tool_ms, reference_ms = min(tool) / len(pages) * 1000, min(reference) / len(pages) * 1000
    return {"pages": len(pages), "repeats": repeats, "tool_ms": tool_ms, "reference_ms": reference_ms,
            "ratio": tool_ms / reference_ms, "steps_ms": tool_steps(reader, chain, datas, repeats)}


def tool_steps(reader, chain, datas: list, repeats: int) -> dict[str, float]:
    """Where the tool's CPU per page goes, step by step (the best round of each step): the same
    path as `Chain.render`, timed between its steps."""
    from migrate.cleaners.walk import Dispatch, run_step
    from migrate.converters import front_matter_fields, render_document, to_markdown
    from migrate.render import document_of

    best: dict[str, float] = {}
    for _ in range(repeats):
        spent: dict[str, float] = {}

        def tick(step: str, since: float) -> float:
            now = time.process_time()
            spent[step] = spent.get(step, 0.0) + now - since
            return now

        for order, (path, data) in enumerate(datas):
            now = time.process_time()
            soup = reader._parse(data, str(path), order)  # as the reader parses: bs4 + lxml, depth bounded
            now = tick("parse the page (bs4 + lxml)", now)
            issue = reader.from_soup(soup, str(path), order, None)
            now = tick("read its fields, hash its content", now)
            doc = document_of(issue)
            for step in chain.before.steps:
                run_step(step, doc, issue)
                now = tick(f"walk: {', '.join(c.name for c in step.cleaners)}" if isinstance(step, Dispatch) else step.name, now)
            asks = {c.answers_key: c.asks(doc, issue) for c in chain.asking}
            chain.after.run(doc, issue)
            now = tick("questions, then " + ", ".join(c.name for c in chain.after.cleaners), now)
            del asks
            markdown = to_markdown(doc)
            now = tick("convert (markdownify)", now)
            render_document(front_matter_fields(issue, "date"), markdown)
            tick("front matter", now)
        for step, seconds in spent.items():
            best[step] = min(best.get(step, seconds), seconds)
    return {step: seconds / len(datas) * 1000 for step, seconds in best.items()}


def pages_commands(pages: list[Path], workdir: Path, repeats: int) -> dict:
    """Whole commands over the same pages, every process counted: the tool (images off) and the
    reference scraper. The median of `repeats` runs of each."""
    folder = workdir / "pages"
    folder.mkdir()
    for page in pages:
        (folder / page.name).write_bytes(page.read_bytes())
    tool_runs, reference_runs = [], []
    for i in range(-1, repeats):  # run -1 warms up: bytecode written, files in the page cache
        site = workdir / f"pages-site-{i}"
        tool = [sys.executable, "-m", "migrate", "run", "--platform", "revue-pages", "--source", str(folder),
                "--site", str(site), "--no-images", "--quiet"]
        measured = measure(tool, workdir / f"pages-tool-{i}.log")
        if summary_of(site)["issues_written"] != len(pages):
            raise RuntimeError(f"the tool wrote {summary_of(site)['issues_written']} of {len(pages)} pages")
        reference = [sys.executable, str(HERE / "reference_scraper.py"), *map(str, sorted(folder.glob("*.html"))),
                     "--out", str(workdir / f"pages-ref-{i}")]
        measured_reference = measure(reference, workdir / f"pages-ref-{i}.log")
        if i >= 0:
            tool_runs.append(measured)
            reference_runs.append(measured_reference)
    tool_cpu = statistics.median(m.cpu_seconds for m in tool_runs)
    reference_cpu = statistics.median(m.cpu_seconds for m in reference_runs)
    example = tool_runs[0].command[:]
    example[example.index("--source") + 1] = "<folder of the pages>"
    example[example.index("--site") + 1] = "<site>"
    return {"pages": len(pages), "repeats": repeats, "tool_cpu_seconds": tool_cpu, "reference_cpu_seconds": reference_cpu,
            "ratio": tool_cpu / reference_cpu, "tool_processes": tool_runs[0].processes_reaped,
            "tool_command": shown(example),
            "reference_command": shown([sys.executable, "bench/reference_scraper.py", "<the pages>", "--out", "<folder>"])}


def startup(workdir: Path, repeats: int) -> dict:
    """CPU of `newsletter-migrate --help` (every process) beside the reference scraper's imports."""
    tool = [sys.executable, "-m", "migrate", "--help"]
    reference = [sys.executable, "-c", "import requests, bs4, html2text, yaml"]
    bare = [sys.executable, "-c", "pass"]
    runs = {name: [measure(command, workdir / f"startup-{name}-{i}.log").cpu_seconds for i in range(-1, repeats)][1:]
            for name, command in (("tool", tool), ("reference", reference), ("python", bare))}  # the first warms up
    medians = {name: statistics.median(values) * 1000 for name, values in runs.items()}
    return {"repeats": repeats, "tool_ms": medians["tool"], "reference_ms": medians["reference"],
            "python_ms": medians["python"], "ratio": medians["tool"] / medians["reference"],
            "tool_command": shown(tool), "reference_command": shown(reference), "python_command": shown(bare)}


# ---------------------------------------------------------------------------- 2. bulk runs
@dataclass
class Bulk:
    scenario: str
    platform: str
    issues: int
    latency: float
    close: bool
    measured: Measured
    requests: dict[str, int]
    server_cpu_seconds: float
    extra: list[str] = field(default_factory=list)

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())

    @property
    def floor_seconds(self) -> float:
        """If every request cost exactly the latency and `concurrency` of them were always in flight."""
        return self.requests_total * self.latency / CONCURRENCY

    @property
    def wall_over_floor(self) -> float | None:
        return self.measured.wall_seconds / self.floor_seconds if self.floor_seconds else None

    def as_dict(self) -> dict:
        return {"scenario": self.scenario, "platform": self.platform, "issues": self.issues, "latency": self.latency,
                "closes_connections": self.close, "extra": self.extra, "requests": self.requests,
                "requests_total": self.requests_total, "wall_seconds": self.measured.wall_seconds,
                "cpu_seconds": self.measured.cpu_seconds, "cpu_ms_per_issue": self.measured.cpu_seconds / self.issues * 1000,
                "max_process_rss_mb": self.measured.max_process_rss_mb, "tree_peak_pss_mb": self.measured.tree_peak_pss_mb,
                "processes_reaped": self.measured.processes_reaped, "server_cpu_seconds": self.server_cpu_seconds,
                "floor_seconds": self.floor_seconds, "wall_over_floor": self.wall_over_floor,
                "command": shown(self.measured.command)}


def bulk(scenario: str, tool_platform: str, total: int, latency: float, workdir: Path, close: bool = False,
         extra: tuple[str, ...] = ()) -> Bulk:
    site = workdir / f"site-{scenario}"
    with standin(total, latency, close) as (base, server):
        command = tool_command("run", tool_platform, base, site, *extra)
        measured = measure(command, workdir / f"{scenario}.log", {"REVUE_API_TOKEN": TOKEN})
    summary = summary_of(site)
    if summary["issues_written"] != total or summary["images_failed"]:
        raise RuntimeError(f"{scenario}: expected {total} issues written and no failed image, got {summary}")
    measured.command = [w.replace(base, "http://127.0.0.1:PORT").replace(str(site), "<site>") for w in command]
    return Bulk(scenario, tool_platform, total, latency, close, measured, server.get("requests", {}),
                server.get("cpu_seconds", 0.0), list(extra))


# ---------------------------------------------------------------------------- 3. re-sync
def resync(total: int, latency: float, workdir: Path, repeats: int = 5) -> dict:
    """A bulk run, then a sync with nothing changed, `repeats` times, against the same stand-in:
    each sync's figure is the median of those (one sync is a fifth of a second, so one busy
    moment of a shared machine would move a single measurement by a tenth)."""
    site = workdir / f"site-sync-{total}"
    with standin(total, latency) as (base, server):
        bulk_run = measure(tool_command("run", "revue-api", base, site), workdir / f"sync-{total}-run.log",
                           {"REVUE_API_TOKEN": TOKEN})
        syncs = [measure(tool_command("sync", "revue-api", base, site), workdir / f"sync-{total}-sync-{i}.log",
                         {"REVUE_API_TOKEN": TOKEN}) for i in range(repeats)]
    noop = summary_of(site)
    wall, cpu = statistics.median(m.wall_seconds for m in syncs), statistics.median(m.cpu_seconds for m in syncs)
    return {"issues": total, "bulk_wall_seconds": bulk_run.wall_seconds, "bulk_cpu_seconds": bulk_run.cpu_seconds,
            "noop_wall_seconds": wall, "noop_cpu_seconds": cpu, "noop_repeats": repeats,
            "noop_files_changed": noop["files_changed"], "not_modified_answers": server.get("not_modified", 0),
            "wall_share": wall / bulk_run.wall_seconds, "cpu_share": cpu / bulk_run.cpu_seconds,
            "command": shown([sys.executable, "-m", "migrate", "sync", "--platform", "revue-api", "--source",
                              "http://127.0.0.1:PORT", "--site", "<site>", "--remap", "...", "--quiet"])}


def sync_only(latency: float, repeats: int) -> int:
    """`--sync-only`: the no-change sync at 100 issues and nothing else, printed, not written into
    the page (a quick look while working on the sync's cost; `make bench` gives the figure)."""
    with tempfile.TemporaryDirectory(prefix="nm-bench-") as tmp:
        sync = resync(100, latency, Path(tmp), repeats)
    print(f"bulk run of 100 issues: {sync['bulk_wall_seconds']:.2f} s, {sync['bulk_cpu_seconds']:.2f} s CPU; "
          f"no-change sync (median of {repeats}): {sync['noop_wall_seconds'] * 1000:.0f} ms, "
          f"{sync['noop_cpu_seconds'] * 1000:.0f} ms CPU: {sync['wall_share']:.1%} of the wall time, "
          f"{sync['cpu_share']:.1%} of the CPU (goal < {GOALS['noop_sync_share']:.0%}); "
          f"{sync['noop_files_changed']} file(s) changed, {sync['not_modified_answers']} answer(s) 304")
    return 0


# ---------------------------------------------------------------------------- output
def machine() -> dict:
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "arch": platform.machine(),
            "system": f"{platform.system()} {platform.release()}"}


def busy_share(seconds: float = 1.0) -> float | None:
    """The share of all CPUs' time spent busy over the next `seconds` (Linux /proc/stat)."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:]]
        return ticks[3] + ticks[4], sum(ticks)  # idle + iowait, all

    try:
        idle_before, total_before = sample()
        time.sleep(seconds)
        idle_after, total_after = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle_after - idle_before) / max(1, total_after - total_before)


def verdict(value: float | None, goal: float) -> str:
    return "n/a" if value is None else ("**met**" if value <= goal else "**missed**")


def report(figures: dict) -> str:
    """The results as Markdown: every figure with its ratio, its goal and its command."""
    f = figures
    pages, cpu, cmd, start = f["pages_source"], f["page_cpu"], f["pages_commands"], f["startup"]
    lines = [
        f"Measured {f['date']} by `{f['command']}` (what `make bench` runs). Machine: {f['machine']['nproc']} CPUs, "
        f"{f['machine']['arch']}, {f['machine']['system']}, Python {f['machine']['python']}. "
        f"CPU busy before the start: {f['busy_before_start']:.0%} of the machine"
        + (" (**loaded**: other work was running; wall-clock figures are slower than on a quiet machine, "
           "CPU figures and ratios within the run less so)." if (f['busy_before_start'] or 0) > 0.1 else " (quiet)."),
        "",
        f"Pages: {pages}. Every command ran under `bench/reaper.py` (a child subreaper that waits for every "
        "process the command starts): CPU is user + system time of every process, memory the peak PSS of the "
        "whole process tree, sampled every 50 ms. Commands run as a user's do: with Python's bytecode cache "
        "(PYTHONDONTWRITEBYTECODE unset), after one untimed run of each.",
        "",
        "### Against the reference scraper, on the same pages in the same run",
        "",
        "| figure | tool | reference scraper | ratio | goal | |",
        "|---|---:|---:|---:|---:|---|",
        f"| CPU per page, in-process (best of {cpu['repeats']} rounds over {cpu['pages']} pages) | {cpu['tool_ms']:.1f} ms | "
        f"{cpu['reference_ms']:.1f} ms | {cpu['ratio']:.2f} | <= {GOALS['page_cpu_in_process']} | {verdict(cpu['ratio'], GOALS['page_cpu_in_process'])} |",
        f"| whole command, {cmd['pages']} pages, CPU of every process (median of {cmd['repeats']}) | {cmd['tool_cpu_seconds']:.2f} s | "
        f"{cmd['reference_cpu_seconds']:.2f} s | {cmd['ratio']:.2f} | <= {GOALS['pages_command_cpu']} | {verdict(cmd['ratio'], GOALS['pages_command_cpu'])} |",
        f"| start-up, CPU of every process (median of {start['repeats']}) | {start['tool_ms']:.0f} ms | {start['reference_ms']:.0f} ms | "
        f"{start['ratio']:.2f} | tool < {GOALS['startup_cpu_ms']} ms | {verdict(start['tool_ms'], GOALS['startup_cpu_ms'])} |",
        "",
        f"- In-process: `PageReader.read` then `Chain.render` (read the saved page, clean, convert, front matter; "
        f"no images) beside `reference_scraper.scrape`, both in the benchmark's own process, `time.process_time()`.",
        f"- Whole command: `{cmd['tool_command']}` ({cmd['tool_processes']} process(es) reaped) beside "
        f"`{cmd['reference_command']}`.",
        f"- Start-up: `{start['tool_command']}` beside `{start['reference_command']}` (the scraper's imports); "
        f"a bare `{start['python_command']}` takes {start['python_ms']:.0f} ms of it.",
        "",
        "Where the tool's CPU per page goes (same pages, same run; each step's best round):",
        "",
        "| step | ms per page |",
        "|---|---:|",
        *(f"| {step} | {ms:.2f} |" for step, ms in cpu["steps_ms"].items()),
        "",
        f"### Bulk runs: {f['issues']} synthetic issues, latency {f['latency'] * 1000:.0f} ms per request, concurrency {CONCURRENCY}",
        "",
        "| scenario | requests | wall | network floor | wall / floor | goal | CPU, every process | CPU per issue | tree peak PSS | largest process RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in f["bulk"]:
        ratio = run["wall_over_floor"]
        lines.append(
            f"| {run['scenario']} | {run['requests_total']:,} | {run['wall_seconds']:.1f} s | {run['floor_seconds']:.1f} s | "
            f"{ratio:.2f} | <= {GOALS['wall_over_floor']} | {run['cpu_seconds']:.1f} s | {run['cpu_ms_per_issue']:.1f} ms | "
            f"{run['tree_peak_pss_mb']:.0f} MB | {run['max_process_rss_mb']:.0f} MB |")
    lines += ["", "The network floor is requests x latency / concurrency: every request costing exactly the "
              f"latency, with the tool's {f['concurrency']} requests always in flight. Commands (the stand-in's port and the site "
              "folder shown as placeholders):", ""]
    for run in f["bulk"]:
        lines.append(f"- {run['scenario']}: `{run['command']}`" + (" (the stand-in closes every connection)" if run["closes_connections"] else ""))
    lines += ["", "### No-change sync", "", "| issues | bulk run | no-change sync | share of the bulk run (wall) | share (CPU) | goal | files changed |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for sync in f["sync"]:
        lines.append(f"| {sync['issues']:,} | {sync['bulk_wall_seconds']:.1f} s, {sync['bulk_cpu_seconds']:.1f} s CPU | "
                     f"{sync['noop_wall_seconds']:.2f} s, {sync['noop_cpu_seconds']:.2f} s CPU | {sync['wall_share']:.1%} | "
                     f"{sync['cpu_share']:.1%} | < {GOALS['noop_sync_share']:.0%} at 100 | {sync['noop_files_changed']} |")
    lines += ["", f"Command: `{f['sync'][0]['command']}` after a bulk `run` against the same stand-in, "
              f"{f['sync'][0]['noop_repeats']} times: the median sync is shown.", ""]
    mem = f["memory"]
    lines += ["### Memory", "", "| issues | tree peak PSS | largest process RSS | CPU per issue |", "|---:|---:|---:|---:|"]
    for run in (mem["small"], mem["large"]):
        lines.append(f"| {run['issues']:,} | {run['tree_peak_pss_mb']:.1f} MB | {run['max_process_rss_mb']:.1f} MB | {run['cpu_ms_per_issue']:.1f} ms |")
    lines += ["", f"Growth: {mem['growth_kb_per_issue']:.2f} KB per issue from {mem['small']['issues']:,} to {mem['large']['issues']:,} issues "
              f"(goal < {GOALS['growth_kb_per_issue']} KB: {verdict(mem['growth_kb_per_issue'], GOALS['growth_kb_per_issue'])}); "
              f"{mem['large']['tree_peak_pss_mb']:.0f} MB for the whole tree at {mem['large']['issues']:,} (goal < {GOALS['tree_pss_mb_at_large']} MB: "
              f"{verdict(mem['large']['tree_peak_pss_mb'], GOALS['tree_pss_mb_at_large'])}). Command: `{mem['large']['command']}` at latency 0 "
              "(revue-pages: a 10,000-issue API listing is 400 MB of JSON, over the tool's cap for one listing).", ""]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    page = DOCS.read_text(encoding="utf-8")
    if BEGIN not in page or END not in page:
        raise RuntimeError(f"{DOCS} has no {BEGIN} ... {END} block to write the figures into")
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOCS.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the tool against a reference scraper and a synthetic archive.")
    parser.add_argument("--issues", type=int, default=1000, help="issues in the bulk runs (default: 1000)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the stand-in waits per request (default: 0.02)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 100 issues, fewer repeats, memory at 100 and 400")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--no-docs", action="store_true", help="do not write the figures into docs/benchmarks.md")
    parser.add_argument("--sync-only", action="store_true",
                        help="only the no-change sync at 100 issues, printed (not written into docs/benchmarks.md)")
    parser.add_argument("--repeats", type=int, default=5, metavar="N", help="syncs measured after each bulk run (default: 5)")
    given = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(given)
    if args.sync_only:
        return sync_only(args.latency, args.repeats)
    total = 100 if args.quick else args.issues
    repeats = 3 if args.quick else 7
    started = time.perf_counter()

    figures: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
                     "command": "make bench" if not given else shown([sys.executable, "bench/run.py", *given]),
                     "issues": total, "latency": args.latency, "concurrency": CONCURRENCY}
    figures["busy_before_start"] = busy_share()
    print(f"newsletter-migrate benchmark: machine {figures['machine']}, CPU busy before the start: {figures['busy_before_start']:.0%}")
    with tempfile.TemporaryDirectory(prefix="nm-bench-") as tmp:
        workdir = Path(tmp)
        pages, source = real_pages()
        figures["pages_source"] = source
        print(f"\n== pages: {source}")
        figures["page_cpu"] = page_cpu_in_process(pages, repeats)
        print(f"  CPU per page in-process: tool {figures['page_cpu']['tool_ms']:.1f} ms, reference "
              f"{figures['page_cpu']['reference_ms']:.1f} ms, ratio {figures['page_cpu']['ratio']:.2f}")
        figures["pages_commands"] = pages_commands(pages, workdir, 3 if args.quick else 5)
        c = figures["pages_commands"]
        print(f"  whole command: tool {c['tool_cpu_seconds']:.2f} s, reference {c['reference_cpu_seconds']:.2f} s, ratio {c['ratio']:.2f}")
        figures["startup"] = startup(workdir, 3 if args.quick else 7)
        s = figures["startup"]
        print(f"  start-up: tool {s['tool_ms']:.0f} ms, reference {s['reference_ms']:.0f} ms, python alone {s['python_ms']:.0f} ms")

        runs = []
        for scenario, tool_platform, close, extra in (
                ("pages", "revue-pages", False, ()), ("api", "revue-api", False, ()),
                ("api, server closes every connection", "revue-api", True, ()),
                ("api, no worker process", "revue-api", False, ("--processes", "0"))):
            result = bulk(scenario, tool_platform, total, args.latency, workdir, close, extra)
            runs.append(result.as_dict())
            print(f"\n== {scenario}: wall {result.measured.wall_seconds:.1f} s, floor {result.floor_seconds:.1f} s "
                  f"({result.wall_over_floor:.2f}x), CPU {result.measured.cpu_seconds:.1f} s, tree PSS {result.measured.tree_peak_pss_mb:.0f} MB")
        figures["bulk"] = runs

        figures["sync"] = []
        for count in sorted({100, total}):
            sync = resync(count, args.latency, workdir, args.repeats)
            figures["sync"].append(sync)
            print(f"\n== no-change sync at {count}: {sync['wall_share']:.1%} of the bulk run's wall time, {sync['cpu_share']:.1%} of its CPU")

        small, large = (100, 400) if args.quick else (1000, 10 * 1000)
        memory = {}
        for name, count in (("small", small), ("large", large)):
            # revue-pages: a 10,000-issue API listing (400 MB of JSON) is over the tool's cap for one
            # listing, and pages are how a large dead archive is read anyway.
            memory[name] = bulk(f"memory-{count}", "revue-pages", count, 0.0, workdir).as_dict()
            print(f"\n== memory at {count}: tree PSS {memory[name]['tree_peak_pss_mb']:.1f} MB")
        memory["growth_kb_per_issue"] = (memory["large"]["tree_peak_pss_mb"] - memory["small"]["tree_peak_pss_mb"]) * 1024 / (large - small)
        figures["memory"] = memory
    figures["bench_minutes"] = (time.perf_counter() - started) / 60
    text = report(figures)
    print("\n" + text)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if not args.no_docs:
        write_docs(text)
        print(f"\nFigures written into {DOCS.relative_to(ROOT)} ({figures['bench_minutes']:.1f} minutes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
