"""`newsletter-migrate`: a thin command line over the library.

Exit status: 0 when everything went through, 1 when an issue, image or entry failed (or `check`
found something), 2 when the input or setup is wrong (a one-sentence error says what to do).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__
from .config import RunOptions, load_config
from .errors import UserError
from .urls import Remap

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def _platform_help() -> str:
    from .fetchers import FETCHERS, platform_names

    return "; ".join(f"{name}: {FETCHERS[name].help}" for name in platform_names())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsletter-migrate", description="Move a newsletter archive into a Hugo site, keeping every old URL alive.")
    parser.add_argument("--version", action="version", version=f"newsletter-migrate {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request and decision")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="migrate an archive into a site folder")
    run.add_argument("--platform", help=f"the source's form ({_platform_help()})")
    run.add_argument("--source", help="file, folder or URL to read the archive from")
    run.add_argument("--site", type=Path, help="the Hugo site folder to write (default: output/)")
    run.add_argument("--config", type=Path, help="a migrate.yaml with options, remaps and overrides")
    run.add_argument("--remap", action="append", default=[], metavar="FROM=TO", help="fetch URLs under FROM from TO instead (repeatable)")
    run.add_argument("--allow-host", action="append", default=[], metavar="HOST", help="allow fetching from this host even if its address is private")
    run.add_argument("--mappings", type=Path, help="the mappings folder (default: the project's mappings/)")
    run.add_argument("--dry-run", action="store_true", help="fetch and convert, but write nothing and download no image")
    run.add_argument("--sentence-per-line", action="store_true", default=None, help="write one sentence per line")
    run.add_argument("--no-images", action="store_true", help="leave images remote")
    run.add_argument("--concurrency", type=int, help="parallel downloads and conversions (default: 8)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    check = commands.add_parser("check", help="lint a migrated site before publishing")
    check.add_argument("site", type=Path, nargs="?", default=Path("output"), help="the site folder (default: output/)")
    check.add_argument("--mappings", type=Path, help="the mappings folder (default: the project's mappings/)")
    check.add_argument("--json", action="store_true", help="print findings as JSON")
    return parser


def options_from_args(args: argparse.Namespace) -> RunOptions:
    options = RunOptions()
    if args.config:
        load_config(args.config, options)
    if args.platform:
        options.platform = args.platform
    if args.source:
        options.source = args.source
    if args.site:
        options.site = args.site
    if args.mappings:
        options.mappings_dir = args.mappings
    options.remaps.extend(Remap.parse(spec) for spec in args.remap)
    options.allow_hosts.extend(args.allow_host)
    options.dry_run = args.dry_run
    if args.sentence_per_line:
        options.sentence_per_line = True
    if args.no_images:
        options.download_images = False
    if args.concurrency is not None:
        if not 1 <= args.concurrency <= 64:
            raise UserError("--concurrency must be between 1 and 64.")
        options.concurrency = args.concurrency
    options.progress = not args.quiet and sys.stderr.isatty()
    if not options.platform:
        from .fetchers import platform_names

        raise UserError(f"Say which form the archive is in with --platform ({', '.join(platform_names())}).")
    if not options.source:
        raise UserError("Say where the archive is with --source (a file, a folder or a URL).")
    return options


def cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import Migration, print_report

    options = options_from_args(args)
    migration = Migration.prepare(options)
    progress = None
    if options.progress:
        from tqdm import tqdm

        progress = tqdm(desc="issues", unit=" issue", file=sys.stderr, dynamic_ncols=True)
    try:
        report = migration.run(on_issue=(lambda _issue: progress.update(1)) if progress else None)
    finally:
        if progress:
            progress.close()
    print_report(report)
    if not options.dry_run:
        print(f"Report: {Path(options.site) / '.migrate' / 'report.json'}")
    return EXIT_OK if report.ok else EXIT_FAILURES


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check_site, format_findings

    findings = check_site(args.site, args.mappings)
    print(format_findings(findings, as_json=args.json, site=args.site))
    return EXIT_FAILURES if findings else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return {"run": cmd_run, "check": cmd_check}[args.command](args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the output was piped into something that stopped reading
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
