"""`make bench`: throughput and memory of the real tool on a synthetic 1,000-issue Revue archive.

    .venv/bin/python bench/run.py [--issues N] [--latency S] [--quick] [--json PATH] [--profile]

1. A synthetic account (bench/synthetic.py: ~40 KB of Revue API html per issue, ~5 content
   images, ~3 link cards with thumbnails, ~40 tracked links) is served by migrate.standin in a
   process of its own, with a fixed latency per request, so the tool's memory is measured alone.
2. The tool runs as the user runs it (`python -m migrate run ... --quiet`) in a subprocess, once
   per scenario: revue-pages on the profile archive (archive pages, then every issue page and
   image), revue-api on the same account, and revue-pages again on a quarter of the issues so
   that "memory is flat in the number of issues" is shown by two numbers.
3. Re-sync: after a bulk revue-api run, a `sync` with nothing changed (timed against the bulk
   run) and a `sync` after 1% of the issues changed at the source (10 of 1,000: exactly that
   many content files may be touched).
4. Conversion alone: the tool's parse + clean + convert path against bare markdownify, on the
   same bodies, without network.

Everything listens on and connects to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import multiprocessing.connection
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import markdownify  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

import synthetic  # noqa: E402
from migrate.cleaners import CleanContext, build_chain  # noqa: E402
from migrate.config import RunOptions  # noqa: E402
from migrate.converters import to_markdown  # noqa: E402
from migrate.mappings import load_mappings  # noqa: E402
from migrate.record import Issue  # noqa: E402
from migrate.standin import Account, StandinServer  # noqa: E402

TOKEN = "bench-token-not-a-secret"
RSS_TARGET_MB = 200
WALL_TARGET_FACTOR = 1.5
CONCURRENCY = RunOptions().concurrency  # the tool's default; the benchmark does not change it


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


CHANGED_NOTE = "<p><p>Correction: this issue was revised after it was sent.</p></p>\n"


def _serve(total: int, latency: float, conn) -> None:
    """The stand-in's process: serve until told to stop, then send back what it saw.

    Between runs it can be told to change the first N issues (`("change", N)`), as an author
    fixing old issues would; the archive's ETag changes with it.
    """
    changed = {"count": 0}

    def issues():
        for index, issue in enumerate(synthetic.archive(total)):
            if index < changed["count"]:
                issue = dict(issue, html=issue["html"] + CHANGED_NOTE)
            yield issue

    # The default `images` callable answers every other path with tiny_png(sha256(path)): a
    # small PNG, different for each path, so every image is stored as a file of its own.
    account = Account(issues=issues, profile=synthetic.PROFILE, token=TOKEN, latency=latency,
                      version=lambda: f"{total}-{changed['count']}")
    with StandinServer(account) as server:
        conn.send(server.port)
        while True:
            command = conn.recv()
            if command == "stop":
                break
            changed["count"] = command[1]
            conn.send("changed")
    counts: dict[str, int] = {}
    for path, hits in account.hits.items():  # keyed by path: the ?page=N pages share one key
        kind = _kind(path)
        counts[kind] = counts.get(kind, 0) + hits
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send({"requests": counts, "cpu_seconds": usage.ru_utime + usage.ru_stime, "not_modified": account.not_modified})


@contextmanager
def standin(total: int, latency: float) -> Iterator[tuple[str, dict, "Control"]]:
    """A stand-in serving `total` synthetic issues in its own process; yields its base URL, a
    dict that holds the server's request counts and CPU time once the block ends, and a handle
    to change issues between runs."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, none of this one's memory
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(total, latency, theirs), name="standin", daemon=True)
    process.start()
    stats: dict = {}
    try:
        # Wait for the port, or for the process to die (then there is nothing to wait for).
        if ours not in multiprocessing.connection.wait([ours, process.sentinel], timeout=60):
            raise RuntimeError("the stand-in did not start (see its traceback above)")
        yield f"http://127.0.0.1:{ours.recv()}", stats, Control(ours)
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


@dataclass
class Control:
    conn: object

    def change(self, count: int) -> None:
        """Change the first `count` issues at the source (and so the archive's ETag)."""
        self.conn.send(("change", count))
        self.conn.recv()


def _tree_pss_kb(pid: int) -> int:
    """Memory of a process and all its descendants (the tool's worker processes), as PSS: pages
    the processes share (the worker's imported libraries) are split among them, not counted once
    per process as RSS would."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


# ---------------------------------------------------------------------------- one run of the tool
@dataclass
class Result:
    """What one run of the tool measured; `figures` derives the rates and the verdicts."""

    scenario: str
    platform: str
    issues: int
    latency: float
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    requests: dict[str, int]        # by kind, as the stand-in counted them
    server_cpu_seconds: float
    images_downloaded: int
    tree_peak_pss_mb: float = 0.0   # the tool and its worker processes together (PSS), sampled
    concurrency: int = CONCURRENCY

    @property
    def figures(self) -> dict:
        total_requests = sum(self.requests.values())
        # If every request cost exactly the latency and `concurrency` of them were always in flight.
        floor = total_requests * self.latency / self.concurrency
        return {
            "requests_total": total_requests,
            "issues_per_second": self.issues / self.wall_seconds,
            "images_per_second": self.requests.get("images", 0) / self.wall_seconds,
            "cpu_seconds_per_issue": self.cpu_seconds / self.issues,
            "cpu_share_of_wall": self.cpu_seconds / self.wall_seconds,
            "latency_floor_seconds": floor,
            "wall_over_floor": self.wall_seconds / floor if floor else None,
            "wall_target_met": bool(floor) and self.wall_seconds <= WALL_TARGET_FACTOR * floor,
            "rss_target_met": self.peak_rss_mb <= RSS_TARGET_MB,
        }


@dataclass
class Measured:
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    tree_peak_pss_mb: float
    summary: dict


def measure(command: list[str], site: Path, log_path: Path) -> Measured:
    """Run one tool command and measure that process (and, for memory, its workers)."""
    import threading

    with open(log_path, "wb") as log:
        started = time.perf_counter()
        tool = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "REVUE_API_TOKEN": TOKEN},
                                stdout=log, stderr=subprocess.STDOUT)
        peak = {"kb": 0}
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak["kb"] = max(peak["kb"], _tree_pss_kb(tool.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4 gives this one child's rusage: its CPU time (with the workers it reaped) and its
        # own peak RSS (ru_maxrss, KB on Linux), untouched by the stand-in's or other runs'.
        _, status, usage = os.wait4(tool.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        tool.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait
    if tool.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(command[2:4])}: the tool exited with {tool.returncode}:\n{tail}")
    summary = json.loads((site / ".migrate" / "report.json").read_text(encoding="utf-8"))["summary"]
    return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak["kb"] / 1024, summary)


def tool_command(verb: str, tool_platform: str, base: str, site: Path) -> list[str]:
    source = f"{base}/profile/{synthetic.PROFILE}" if tool_platform == "revue-pages" else base
    return [sys.executable, "-m", "migrate", verb, "--platform", tool_platform, "--source", source,
            "--site", str(site), "--remap", f"https://s3.amazonaws.com={base}/s3.amazonaws.com", "--quiet"]


def run_tool(scenario: str, tool_platform: str, total: int, latency: float, workdir: Path) -> Result:
    """Serve `total` issues, migrate them with the real command line, and measure that process."""
    site = workdir / f"site-{scenario}"
    with standin(total, latency) as (base, server, _control):
        measured = measure(tool_command("run", tool_platform, base, site), site, workdir / f"{scenario}.log")
    summary = measured.summary
    if summary["issues_written"] != total or summary["images_failed"]:
        raise RuntimeError(f"{scenario}: expected {total} issues written and no failed image, got {summary}")
    return Result(scenario=scenario, platform=tool_platform, issues=total, latency=latency,
                  wall_seconds=measured.wall_seconds, cpu_seconds=measured.cpu_seconds, peak_rss_mb=measured.peak_rss_mb,
                  requests=server.get("requests", {}), server_cpu_seconds=server.get("cpu_seconds", 0.0),
                  images_downloaded=summary["images_downloaded"], tree_peak_pss_mb=measured.tree_peak_pss_mb)


# ---------------------------------------------------------------------------- re-sync
def content_state(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_mtime_ns for p in (site / "content").rglob("*") if p.is_file()}


def run_sync(total: int, latency: float, changes: int, workdir: Path) -> dict:
    """A bulk run, a sync with nothing changed, and a sync after `changes` issues changed at the
    source, all against the same stand-in; times each and counts the content files touched."""
    site = workdir / "site-sync"
    figures: dict = {"issues": total, "changes": changes}
    with standin(total, latency) as (base, server, control):
        bulk = measure(tool_command("run", "revue-api", base, site), site, workdir / "sync-bulk.log")
        figures["bulk_wall_seconds"] = bulk.wall_seconds
        before = content_state(site)
        noop = measure(tool_command("sync", "revue-api", base, site), site, workdir / "sync-noop.log")
        after = content_state(site)
        figures["noop_wall_seconds"] = noop.wall_seconds
        figures["noop_cpu_seconds"] = noop.cpu_seconds
        figures["noop_files_touched"] = sum(1 for path, mtime in after.items() if before.get(path) != mtime)
        figures["noop_images_downloaded"] = noop.summary["images_downloaded"]
        control.change(changes)
        before = after
        changed = measure(tool_command("sync", "revue-api", base, site), site, workdir / "sync-changed.log")
        after = content_state(site)
        figures["changed_wall_seconds"] = changed.wall_seconds
        figures["changed_files_touched"] = sum(1 for path, mtime in after.items() if before.get(path) != mtime)
        figures["changed_issues_rewritten"] = changed.summary["files_changed"]
        figures["changed_images_downloaded"] = changed.summary["images_downloaded"]
    figures["not_modified_answers"] = server.get("not_modified", 0)
    figures["noop_share_of_bulk"] = figures["noop_wall_seconds"] / figures["bulk_wall_seconds"]
    return figures


def print_sync(figures: dict) -> None:
    share = figures["noop_share_of_bulk"]
    print(f"\n== re-sync: revue-api, {figures['issues']} issues, after a bulk run of {figures['bulk_wall_seconds']:.1f} s")
    print(f"  no-op sync        {figures['noop_wall_seconds']:.2f} s ({figures['noop_cpu_seconds']:.2f} s CPU), "
          f"{figures['noop_files_touched']} files touched, {figures['noop_images_downloaded']} images downloaded, "
          f"{figures['not_modified_answers']} answer(s) 304 Not Modified")
    print(f"                    {share:.1%} of the bulk run's wall time (target < 5%: {'met' if share < 0.05 else 'NOT met'})")
    print(f"  after {figures['changes']} changes   {figures['changed_wall_seconds']:.2f} s, {figures['changed_files_touched']} files touched "
          f"(target: exactly {figures['changes']}: {'met' if figures['changed_files_touched'] == figures['changes'] else 'NOT met'}), "
          f"{figures['changed_images_downloaded']} images downloaded")


# ---------------------------------------------------------------------------- conversion alone
def conversion(count: int, profile: bool = False) -> dict:
    """ms per issue of bare markdownify against the tool's parse + clean + convert path."""
    bodies = [synthetic.issue_html(i) for i in range(count)]
    mappings = load_mappings()
    context = CleanContext(mappings, mappings.platform("revue"))
    chain = build_chain(mappings, context, {"images"})  # no network: images stay as they are
    steps = ["parse", *(cleaner.name for cleaner in chain), "convert"]

    def tool_path(index: int, html: str, spent: dict[str, float]) -> None:
        """What the pipeline does to one issue body, minus images and writing; adds up time per step."""
        issue = Issue(platform="revue", source_id=str(index), html=html)
        started = time.perf_counter()
        doc = BeautifulSoup(html, "lxml")
        spent["parse"] += time.perf_counter() - started
        for cleaner in chain:
            started = time.perf_counter()
            cleaner.clean(doc, issue)
            spent[cleaner.name] += time.perf_counter() - started
        started = time.perf_counter()
        to_markdown(doc)
        spent["convert"] += time.perf_counter() - started

    # One untimed pass of each first: imports, regex compilation and lazy caches.
    markdownify.markdownify(bodies[0])
    tool_path(0, bodies[0], dict.fromkeys(steps, 0.0))

    started = time.perf_counter()
    for html in bodies:
        markdownify.markdownify(html)
    bare = time.perf_counter() - started

    spent = dict.fromkeys(steps, 0.0)
    for index, html in enumerate(bodies):
        tool_path(index, html, spent)
    tool = sum(spent.values())

    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for index, html in enumerate(bodies):
            tool_path(index, html, dict.fromkeys(steps, 0.0))
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        print(f"\ncProfile of the tool's path over {count} bodies: top functions by own time")
        stats.sort_stats("tottime").print_stats(15)
        print("... and the project's own functions by cumulative time")
        stats.sort_stats("cumulative").print_stats(r"/migrate/", 15)

    return {
        "issues": count,
        "mean_html_chars": sum(map(len, bodies)) / count,
        "markdownify_ms": bare / count * 1000,
        "tool_ms": tool / count * 1000,
        "tool_steps_ms": {step: seconds / count * 1000 for step, seconds in spent.items()},
        "ratio": tool / bare,
    }


# ---------------------------------------------------------------------------- output
def machine() -> dict:
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "arch": platform.machine(),
            "system": f"{platform.system()} {platform.release()}"}


def busy_share(seconds: float = 1.0) -> float | None:
    """The share of all CPUs' time spent busy over the next `seconds` (Linux /proc/stat).

    Taken before the first scenario: the tool is CPU-bound, so other work on the machine shows up
    directly in its wall time. (The load average would also count the previous run's threads.)
    """
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


def print_result(result: Result) -> None:
    f = result.figures
    r = result.requests
    print(f"\n== {result.scenario}: {result.platform}, {result.issues} issues, latency {result.latency * 1000:.0f} ms/request")
    print(f"  requests          {f['requests_total']} (archive pages {r.get('archive_pages', 0)}, api {r.get('api', 0)}, "
          f"issue pages {r.get('issue_pages', 0)}, images {r.get('images', 0)})")
    print(f"  wall time         {result.wall_seconds:.1f} s")
    print(f"  issues/s          {f['issues_per_second']:.1f}")
    print(f"  images/s          {f['images_per_second']:.1f}")
    print(f"  CPU               {result.cpu_seconds:.1f} s = {f['cpu_seconds_per_issue'] * 1000:.1f} ms per issue, "
          f"{f['cpu_share_of_wall']:.0%} of one core over the wall time (stand-in process: {result.server_cpu_seconds:.1f} s)")
    print(f"  peak RSS          {result.peak_rss_mb:.1f} MB (target <= {RSS_TARGET_MB} MB: "
          f"{'met' if f['rss_target_met'] else 'NOT met'}); with its worker processes {result.tree_peak_pss_mb:.1f} MB (PSS)")
    if f["latency_floor_seconds"]:
        print(f"  latency floor     {f['requests_total']} requests x {result.latency * 1000:.0f} ms / concurrency {result.concurrency} "
              f"= {f['latency_floor_seconds']:.1f} s; wall is {f['wall_over_floor']:.2f}x it "
              f"(target <= {WALL_TARGET_FACTOR}x: {'met' if f['wall_target_met'] else 'NOT met'})")
    else:
        print("  latency floor     none at zero latency: the wall time is the tool's own work")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the migration of a synthetic Revue archive.")
    parser.add_argument("--issues", type=int, default=1000, help="issues in the archive (default: 1000)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the stand-in waits per request (default: 0.02)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 100 issues, 50 bodies for the conversion")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the conversion path")
    args = parser.parse_args(argv)
    total = 100 if args.quick else args.issues
    if total < 4:
        parser.error("--issues must be at least 4")
    small = total // 4
    bodies = min(total, 50 if args.quick else 200)

    info = machine()
    print(f"newsletter-migrate benchmark: {total} synthetic issues, stand-in latency {args.latency * 1000:.0f} ms, "
          f"tool concurrency {CONCURRENCY} (its default)")
    print(f"machine: {info['nproc']} CPUs, {info['arch']}, {info['system']}, Python {info['python']}")
    busy = busy_share()
    if busy is not None:
        print(f"CPU busy before the start: {busy:.0%} of the machine"
              + ("  (other work is running: the figures will be slower)" if busy > 0.1 else ""))

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="nm-bench-") as tmp:
        for scenario, tool_platform, count in (("pages", "revue-pages", total), ("api", "revue-api", total),
                                               ("pages-small", "revue-pages", small)):
            result = run_tool(scenario, tool_platform, count, args.latency, Path(tmp))
            results.append(result)
            print_result(result)

        sync = run_sync(total, args.latency, max(1, total // 100), Path(tmp))
        print_sync(sync)

    big, quarter = results[0], results[2]
    print(f"\n== flatness: peak RSS {quarter.peak_rss_mb:.1f} MB at {quarter.issues} issues, "
          f"{big.peak_rss_mb:.1f} MB at {big.issues} issues ({big.peak_rss_mb / quarter.peak_rss_mb:.2f}x for "
          f"{big.issues / quarter.issues:.0f}x the issues); with worker processes (PSS) {quarter.tree_peak_pss_mb:.1f} MB "
          f"and {big.tree_peak_pss_mb:.1f} MB")

    conv = conversion(bodies, profile=args.profile)
    print(f"\n== conversion alone, {conv['issues']} bodies of {conv['mean_html_chars'] / 1000:.1f} KB on average, one thread")
    print(f"  markdownify.markdownify(html)        {conv['markdownify_ms']:.1f} ms/issue")
    print(f"  tool: parse + clean + convert        {conv['tool_ms']:.1f} ms/issue")
    for step, ms in conv["tool_steps_ms"].items():
        print(f"    {step:<34} {ms:.1f} ms")
    print(f"  ratio tool / markdownify             {conv['ratio']:.2f}x")

    if args.json:
        figures = {"date": time.strftime("%Y-%m-%d"), "machine": info, "latency": args.latency,
                   "busy_before_start": busy,
                   "concurrency": CONCURRENCY, "runs": [{**asdict(r), **r.figures} for r in results], "sync": sync,
                   "flatness": {"small": quarter.issues, "small_rss_mb": quarter.peak_rss_mb,
                                "large": big.issues, "large_rss_mb": big.peak_rss_mb},
                   "conversion": conv}
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
