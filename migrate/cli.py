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
from .config import RunOptions, load_config, parse_platform_option
from .errors import UserError
from .redirects import FORMATS
from .report import REPORT_PATH
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
    # The global options are also accepted after the command (`sync ... -v`); SUPPRESS keeps a
    # command's parser from resetting what was given before the command.
    global_options = argparse.ArgumentParser(add_help=False)
    global_options.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log every request and decision")

    source_options = argparse.ArgumentParser(add_help=False)
    source_options.add_argument("--platform", help=f"the source's form ({_platform_help()})")
    source_options.add_argument("--source", help="file, folder or URL to read the archive from")
    source_options.add_argument("--site", type=Path, help="the Hugo site folder to write (default: output/)")
    source_options.add_argument("--config", type=Path, help="a migrate.yaml with options, remaps and overrides")
    source_options.add_argument("--remap", action="append", default=[], metavar="FROM=TO", help="fetch URLs under FROM from TO instead (repeatable)")
    source_options.add_argument("--platform-option", action="append", default=[], metavar="NAME=VALUE",
                                help="an option of the platform's fetcher, such as drafts=skip (repeatable; see the README's platform sections)")
    source_options.add_argument("--allow-host", action="append", default=[], metavar="HOST", help="allow fetching from this host even if its address is private")
    source_options.add_argument("--mappings", type=Path, help="the mappings folder (default: the project's mappings/)")
    source_options.add_argument("--sentence-per-line", action="store_true", default=None, help="write one sentence per line")
    source_options.add_argument("--no-images", action="store_true", help="leave images remote")

    def writing_options(shown: bool) -> argparse.ArgumentParser:
        """Options that only matter to a run that writes. `status` (a dry sync) accepts them, so a
        sync's command line works there as it is, but does not list them in its help."""
        options = argparse.ArgumentParser(add_help=False)

        def add(*flags, help, **kwargs):
            options.add_argument(*flags, help=help if shown else argparse.SUPPRESS, **kwargs)

        add("--dry-run", action="store_true", help="fetch and convert, but write nothing and download no image")
        add("--force", action="store_true", help="overwrite files edited by hand instead of writing <file>.incoming")
        add("--wayback-images", action="store_true", default=None,
            help="try an image whose host is gone (refused, unknown, 404, 410) once more from the Wayback Machine")
        add("--concurrency", type=int, help="parallel downloads and conversions (default: 8)")
        add("--processes", type=int, help="worker processes for cleaning and converting (default: one per core; 0: none)")
        add("--quiet", action="store_true", help="no progress bar")
        return options

    writing = writing_options(shown=True)
    commands.add_parser("run", parents=[source_options, writing, global_options], help="migrate a whole archive into a site folder")
    commands.add_parser("sync", parents=[source_options, writing, global_options], help="bring the site up to date with the source: only what changed")
    commands.add_parser("retry-failed", parents=[source_options, writing, global_options], help="retry only the images that failed before")

    # --sentence-per-line and --no-images stay listed: they shape the output, so a status compared
    # with the source must be given them as the site is synced, or every issue counts as to be written again.
    status = commands.add_parser("status", parents=[source_options, writing_options(shown=False), global_options],
                                 help="what the site holds compared with what the tool last wrote "
                                 "(with --platform and --source, also what changed at the source)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")

    redirects = commands.add_parser("redirects", parents=[global_options], help="server-side 301 rules from every old path to its new page")
    redirects.add_argument("--site", type=Path, default=Path("output"), help="the site folder (default: output/)")
    redirects.add_argument("--format", required=True, choices=FORMATS,
                           help="the host's rule format")
    redirects.add_argument("--out", type=Path, help="write the rules here (default: print them)")

    verify = commands.add_parser("verify", parents=[global_options], help="prove every old path leads to its issue: a Hugo build and/or a running server")
    verify.add_argument("--site", type=Path, default=Path("output"), help="the site folder (default: output/)")
    verify.add_argument("--build", action="store_true", help="build the site with Hugo and check every alias page")
    verify.add_argument("--base-url", metavar="URL", help="check a running server: each old path must redirect (301/308) to its page")

    check = commands.add_parser("check", parents=[global_options], help="lint a migrated site before publishing")
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
    options.platform_options.update(parse_platform_option(spec) for spec in args.platform_option)
    options.dry_run = args.dry_run
    if args.sentence_per_line:
        options.sentence_per_line = True
    if args.no_images:
        options.download_images = False
    if args.wayback_images:
        options.wayback_images = True
    if args.concurrency is not None:
        if not 1 <= args.concurrency <= 64:
            raise UserError("--concurrency must be between 1 and 64.")
        options.concurrency = args.concurrency
    if args.processes is not None:
        if not 0 <= args.processes <= 64:
            raise UserError("--processes must be between 0 and 64.")
        options.processes = args.processes
    options.progress = not args.quiet and sys.stderr.isatty()
    if not options.platform:
        from .fetchers import platform_names

        raise UserError(f"Say which form the archive is in with --platform ({', '.join(platform_names())}).")
    if not options.source:
        from .fetchers import get_fetcher

        options.source = get_fetcher(options.platform).default_source() or ""
    if not options.source:
        raise UserError("Say where the archive is with --source (a file, a folder or a URL).")
    return options


def cmd_migrate(args: argparse.Namespace) -> int:
    """run, sync and retry-failed: the same migration in three modes."""
    from .pipeline import Mode, print_report, run

    options = options_from_args(args)
    progress = None
    if options.progress:
        from tqdm import tqdm

        progress = tqdm(desc="issues", unit=" issue", file=sys.stderr, dynamic_ncols=True)
    try:
        report = run(options, Mode(args.command), force=args.force,
                     on_issue=(lambda _issue: progress.update(1)) if progress is not None else None)
    finally:
        if progress is not None:  # a bar without a total refuses bool()
            progress.close()
    print_report(report)
    if not options.dry_run:
        print(f"Report: {Path(options.site) / REPORT_PATH}")
    return EXIT_OK if report.ok else EXIT_FAILURES


def cmd_status(args: argparse.Namespace) -> int:
    from .status import format_status, site_status

    site = args.site or Path("output")
    options = None
    if args.platform or args.source:
        args.site = site
        options = options_from_args(args)
    status = site_status(site, options)
    print(format_status(status, as_json=args.json))
    return EXIT_OK


# The file each host reads its rules from, to suggest when --out names a folder.
_RULES_FILE = {"netlify": "_redirects", "cloudflare": "_redirects", "nginx": "redirects.conf", "apache": ".htaccess",
               "vercel": "vercel.json", "csv": "redirects.csv", "json": "redirects.json"}


def cmd_redirects(args: argparse.Namespace) -> int:
    from .files import atomic_write
    from .redirects import host_advice, redirect_map, render_redirects

    if args.out and args.out.is_dir():
        raise UserError(f"--out names a folder ({args.out}); give a file name such as {args.out / _RULES_FILE[args.format]}.")
    rules = redirect_map(args.site)
    text = render_redirects(rules, args.format)
    if args.out:
        try:
            atomic_write(args.out, text.encode("utf-8"))
        except OSError as exc:  # a folder that is not one, or a place that cannot be written
            raise UserError(f"cannot write --out {args.out} ({exc.strerror or exc}); name a file in a folder you can write to.") from None
        print(f"{len(rules.redirects)} redirect(s) written to {args.out}.", file=sys.stderr)
    else:
        sys.stdout.write(text)
    for clash in rules.clashes:
        print(f"CLASH {clash}", file=sys.stderr)
    if rules.nothing:
        print(rules.nothing, file=sys.stderr)
    for line in host_advice(rules.old_hosts, rules.platform_hosts):
        print(line, file=sys.stderr)
    if rules.unserved and not rules.nothing:  # else `nothing` has said so
        print(f"{len(rules.unserved)} old URL(s) cannot be served by a path rule (their identity is in a query string, or they "
              "are short links on the platform's own host); --format json lists them under `unserved`.", file=sys.stderr)
    return EXIT_FAILURES if rules.clashes else EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from .verify import verify

    reports = verify(args.site, build=args.build, base_url=args.base_url)
    for report in reports:
        for line in report.lines():
            print(line)
        report.write(args.site)
    return EXIT_OK if all(report.ok for report in reports) else EXIT_FAILURES


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check_site, format_findings

    findings = check_site(args.site, args.mappings)
    print(format_findings(findings, as_json=args.json, site=args.site))
    return EXIT_FAILURES if findings else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose:
        # The tool's own steps and its HTTP requests; not every library's inner workings (a
        # Markdown parser's debug output alone is thousands of lines).
        for name in ("migrate", "urllib3"):
            logging.getLogger(name).setLevel(logging.DEBUG)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        commands = {"run": cmd_migrate, "sync": cmd_migrate, "retry-failed": cmd_migrate,
                    "status": cmd_status, "redirects": cmd_redirects, "verify": cmd_verify, "check": cmd_check}
        return commands[args.command](args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the output was piped into something that stopped reading
        return EXIT_OK
    except OSError as exc:  # the disk, not the input: full, read-only, or gone
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}; check that the site folder is writable and the disk has room.", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
