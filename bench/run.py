"""`make bench`: throughput and memory of the real tool on a synthetic 1,000-issue Revue archive.

    .venv/bin/python bench/run.py [--issues N] [--latency S] [--quick] [--json PATH] [--profile]

1. A synthetic account (bench/synthetic.py: ~40 KB of Revue API html per issue, ~5 content
   images, ~3 link cards with thumbnails, ~40 tracked links) is served by migrate.standin in a
   process of its own, with a fixed latency per request, so the tool's memory is measured alone.
2. The tool runs as the user runs it (`python -m migrate run ... --quiet`) in a subprocess, once
   per scenario: revue-pages on the profile archive (archive pages, then every issue page and
   image), revue-api on the same account, and revue-pages again on a quarter of the issues so
   that "memory is flat in the number of issues" is shown by two numbers.
3. Conversion alone: the tool's parse + clean + convert path against bare markdownify, on the
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
from migrate.standin import Account, StandinServer, _Handler  # noqa: E402

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


def _serve(total: int, latency: float, conn) -> None:
    """The stand-in's process: serve until told to stop, then send back what it saw."""
    # The stand-in writes each answer's headers and body in two sends. Without TCP_NODELAY, Nagle's
    # algorithm holds the body back until the client's delayed ACK of the headers, ~40 ms later on
    # Linux: every keep-alive request would cost ~44 ms on top of `latency`. Real servers (S3,
    # nginx) set TCP_NODELAY; so does the stand-in here, so that `latency` is the latency.
    _Handler.disable_nagle_algorithm = True
    # The default `images` callable answers every other path with tiny_png(sha256(path)): a
    # small PNG, different for each path, so every image is stored as a file of its own.
    account = Account(issues=lambda: synthetic.archive(total), profile=synthetic.PROFILE,
                      token=TOKEN, latency=latency)
    with StandinServer(account) as server:
        conn.send(server.port)
        conn.recv()
    counts: dict[str, int] = {}
    for path, hits in account.hits.items():  # keyed by path: the ?page=N pages share one key
        kind = _kind(path)
        counts[kind] = counts.get(kind, 0) + hits
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send({"requests": counts, "cpu_seconds": usage.ru_utime + usage.ru_stime})


@contextmanager
def standin(total: int, latency: float) -> Iterator[tuple[str, dict]]:
    """A stand-in serving `total` synthetic issues in its own process; yields its base URL and
    a dict that holds the server's request counts and CPU time once the block ends."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, none of this one's memory
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(total, latency, theirs), name="standin", daemon=True)
    process.start()
    stats: dict = {}
    try:
        # Wait for the port, or for the process to die (then there is nothing to wait for).
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


def run_tool(scenario: str, tool_platform: str, total: int, latency: float, workdir: Path) -> Result:
    """Serve `total` issues, migrate them with the real command line, and measure that process."""
    site = workdir / f"site-{scenario}"
    log_path = workdir / f"{scenario}.log"
    with standin(total, latency) as (base, server):
        source = f"{base}/profile/{synthetic.PROFILE}" if tool_platform == "revue-pages" else base
        command = [sys.executable, "-m", "migrate", "run", "--platform", tool_platform, "--source", source,
                   "--site", str(site), "--remap", f"https://s3.amazonaws.com={base}/s3.amazonaws.com", "--quiet"]
        with open(log_path, "wb") as log:
            started = time.perf_counter()
            tool = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "REVUE_API_TOKEN": TOKEN},
                                    stdout=log, stderr=subprocess.STDOUT)
            # wait4 gives this one child's own rusage: its CPU time and its peak RSS (ru_maxrss, KB
            # on Linux), untouched by the stand-in process or by the other scenarios' runs.
            _, status, usage = os.wait4(tool.pid, 0)
            wall = time.perf_counter() - started
            tool.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait
    if tool.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{scenario}: the tool exited with {tool.returncode}:\n{tail}")
    summary = json.loads((site / ".migrate" / "report.json").read_text(encoding="utf-8"))["summary"]
    if summary["issues_written"] != total or summary["images_failed"]:
        raise RuntimeError(f"{scenario}: expected {total} issues written and no failed image, got {summary}")
    return Result(scenario=scenario, platform=tool_platform, issues=total, latency=latency, wall_seconds=wall,
                  cpu_seconds=usage.ru_utime + usage.ru_stime, peak_rss_mb=usage.ru_maxrss / 1024,
                  requests=server.get("requests", {}), server_cpu_seconds=server.get("cpu_seconds", 0.0),
                  images_downloaded=summary["images_downloaded"])


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
          f"{'met' if f['rss_target_met'] else 'NOT met'})")
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

    big, quarter = results[0], results[2]
    print(f"\n== flatness: peak RSS {quarter.peak_rss_mb:.1f} MB at {quarter.issues} issues, "
          f"{big.peak_rss_mb:.1f} MB at {big.issues} issues ({big.peak_rss_mb / quarter.peak_rss_mb:.2f}x for "
          f"{big.issues / quarter.issues:.0f}x the issues)")

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
                   "concurrency": CONCURRENCY, "runs": [{**asdict(r), **r.figures} for r in results],
                   "flatness": {"small": quarter.issues, "small_rss_mb": quarter.peak_rss_mb,
                                "large": big.issues, "large_rss_mb": big.peak_rss_mb},
                   "conversion": conv}
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
