"""`newsletter-migrate`: a thin command line over the library.

Exit status: 0 when everything went through, 1 when an issue, image or entry failed (or `check`
found something), 2 when the input or setup is wrong (a one-sentence error says what to do).
"""
from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from . import __version__, troubles
from .config import RunOptions, load_config
from .errors import UserError
from .redirects import FORMATS
from .progress import RunProgress
from .settings import Resolved, Settings, resolve
from .urls import Remap

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


# One line of what each command does and one example, shown by `COMMAND --help`.
_COMMANDS = {
    "run": ("migrate a whole archive into a site folder (the site remembers how, for the commands below)",
            "newsletter-migrate run --platform substack-export --source export.zip --site mysite"),
    "sync": ("bring the site up to date with the source: only what is new or changed there",
             "newsletter-migrate sync --site mysite"),
    "retry-failed": ("fetch again only the images that failed before",
                     "newsletter-migrate retry-failed --site mysite"),
    "status": ("what the site holds, what needs attention, and (with --compare) what changed at the source",
               "newsletter-migrate status --site mysite"),
    "redirects": ("server-side 301 rules from every old path to its new page",
                  "newsletter-migrate redirects --site mysite --format netlify --out mysite/static/_redirects"),
    "verify": ("prove every old path leads to its issue: a Hugo build and/or a running server",
               "newsletter-migrate verify --site mysite --build"),
    "check": ("lint a migrated site before publishing",
              "newsletter-migrate check --site mysite"),
    "preview": ("build the site with Hugo and serve it on 127.0.0.1 to look at (Ctrl-C stops it)",
                "newsletter-migrate preview --site mysite"),
    "report": ("write the site's report page (SITE/.migrate/report.html) afresh and say where it is",
               "newsletter-migrate report --site mysite --open"),
    "starter": ("write the starter Hugo configuration and layout into a site, writing no file that exists",
                "newsletter-migrate starter --site mysite"),
}


def _platform_help() -> str:
    from .fetchers import FETCHERS, platform_names

    return "; ".join(f"{name}: {FETCHERS[name].help}" for name in platform_names())


class _WhenShown(str):
    """Help text made only when argparse shows it: the platforms' help needs every fetcher
    module imported, which `--help` and the commands that read no source never need."""

    def __new__(cls, make):
        text = super().__new__(cls, "%(platforms)s")
        text.make = make
        return text

    def __mod__(self, params):
        return self.make()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsletter-migrate", description="Move a newsletter archive into a Hugo site, keeping every old URL alive.",
        epilog="Start with `run`; after that `sync --site S`, `retry-failed --site S` and `status --site S` need nothing else.")
    parser.add_argument("--version", action="version", version=f"newsletter-migrate {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request and decision")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, parents: list) -> argparse.ArgumentParser:
        what, example = _COMMANDS[name]
        return commands.add_parser(name, parents=parents, help=what, description=what[0].upper() + what[1:] + ".",
                                   epilog=f"example: {example}", formatter_class=argparse.RawDescriptionHelpFormatter)

    # The global options are also accepted after the command (`sync ... -v`); SUPPRESS keeps a
    # command's parser from resetting what was given before the command.
    global_options = argparse.ArgumentParser(add_help=False)
    global_options.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log every request and decision")

    source_options = argparse.ArgumentParser(add_help=False)
    source_options.add_argument("--platform", help=_WhenShown(lambda: f"the source's form ({_platform_help()})"))
    source_options.add_argument("--source", help="file, folder or URL to read the archive from")
    source_options.add_argument("--site", type=Path, help="the Hugo site folder to write (default: output/)")
    source_options.add_argument("--config", type=Path, help="a migrate.yaml with options, remaps and overrides")
    source_options.add_argument("--remap", action="append", default=[], metavar="FROM=TO", help="fetch URLs under FROM from TO instead (repeatable)")
    source_options.add_argument("--platform-option", action="append", default=[], metavar="NAME=VALUE",
                                help="an option of the platform's fetcher, such as drafts=skip (repeatable; each platform's page in docs/ lists them)")
    source_options.add_argument("--allow-host", action="append", default=[], metavar="HOST", help="allow fetching from this host even if its address is private")
    source_options.add_argument("--mappings", type=Path, help="the mappings folder (default: the project's mappings/)")
    source_options.add_argument("--sentence-per-line", action="store_true", default=None, help="write one sentence per line")
    source_options.add_argument("--no-images", action="store_true", help="leave images remote")
    source_options.add_argument("--no-starter", action="store_true",
                                help="do not write a starter Hugo config and layout into a site that has none")

    def writing_options(shown: bool) -> argparse.ArgumentParser:
        """Options that only matter to a run that writes. `status` (a dry sync) accepts them, so a
        sync's command line works there as it is, but does not list them in its help."""
        options = argparse.ArgumentParser(add_help=False)

        def add(*flags, help, **kwargs):
            options.add_argument(*flags, help=help if shown else argparse.SUPPRESS, **kwargs)

        add("--dry-run", action="store_true", help="say what the run would write and download, and write nothing")
        add("--force", action="store_true", help="overwrite files edited by hand instead of writing <file>.incoming")
        add("--wayback-images", action="store_true", default=None,
            help="try an image whose host is gone (refused, unknown, 404, 410) once more from the Wayback Machine")
        add("--concurrency", type=int, help="parallel downloads and conversions (default: 8)")
        add("--processes", type=int, help="worker processes for cleaning and converting (default: one per core; 0: none)")
        add("-q", "--quiet", action="store_true", help="no progress bar (there is none anyway when stderr is not a terminal)")
        return options

    writing = writing_options(shown=True)
    for name in ("run", "sync", "retry-failed"):
        command(name, [source_options, writing, global_options])

    # --sentence-per-line and --no-images stay listed: they shape the output, so a status compared
    # with the source must be given them as the site is synced, or every issue counts as to be written again.
    status = command("status", [source_options, writing_options(shown=False), global_options])
    status.add_argument("--compare", action="store_true",
                        help="also ask the source what changed since the last run (a dry sync; implied by --platform or --source)")
    status.add_argument("--json", action="store_true", help="print the status as JSON")

    def site_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--site", type=Path, default=None, help="the site folder (default: output/)")

    redirects = command("redirects", [global_options])
    site_option(redirects)
    redirects.add_argument("--format", required=True, choices=FORMATS, help="the host's rule format")
    redirects.add_argument("--out", type=Path, help="write the rules here (default: print them)")

    verify = command("verify", [global_options])
    site_option(verify)
    verify.add_argument("--build", action="store_true", help="build the site with Hugo and check every alias page")
    verify.add_argument("--base-url", metavar="URL", help="check a running server: each old path must redirect (301/308) to its page")

    check = command("check", [global_options])
    site_option(check)
    check.add_argument("site_folder", type=Path, nargs="?", metavar="SITE", help="the site folder, as --site gives it")
    check.add_argument("--mappings", type=Path, help="the mappings folder (default: the project's mappings/)")
    check.add_argument("--json", action="store_true", help="print findings as JSON")

    preview = command("preview", [global_options])
    site_option(preview)
    preview.add_argument("--port", type=int, help="the port to serve on (default: a free one)")
    preview.add_argument("--drafts", action="store_true", help="show drafts too")

    report = command("report", [global_options])
    site_option(report)
    report.add_argument("--open", action="store_true", help="open the page in your browser")

    starter = command("starter", [global_options])
    site_option(starter)
    return parser


def _site_of(args: argparse.Namespace, quiet: bool = False) -> Path:
    """The site folder a command works on: --site, else the config's `site:`, else output/; a
    command that was not told says which folder it took."""
    site = getattr(args, "site", None) or getattr(args, "site_folder", None)
    if site is None and getattr(args, "config", None) is not None and args.config.is_file():
        peek = RunOptions()
        try:
            load_config(args.config, peek)
        except UserError:
            pass  # the command itself reads the config and says what is wrong with it
        if peek.site != RunOptions().site:
            site = peek.site
    if site is None:
        site = Path("output")
        if not quiet:
            print(f"No --site given: the site folder is {site}/.", file=sys.stderr)
    return Path(site)


def options_from_args(args: argparse.Namespace) -> RunOptions:
    return options_and_settings(args)[0]


def options_and_settings(args: argparse.Namespace, site: Path | None = None) -> tuple[RunOptions, Resolved]:
    """The run's options: the remembered settings of the site, what this command line gives over
    them, then the per-run choices; and where the settings came from."""
    site = site if site is not None else _site_of(args)
    resolved = resolve(Settings.from_args(args), Settings.load(site), args.command)
    chosen = resolved.settings
    options = RunOptions()
    if chosen.config:
        load_config(Path(chosen.config), options)
    options.site = site
    if chosen.platform:
        options.platform = chosen.platform
    if chosen.source:
        options.source = chosen.source
    if chosen.mappings:
        options.mappings_dir = Path(chosen.mappings)
    options.remaps.extend(Remap.parse(spec) for spec in chosen.remap)
    options.allow_hosts.extend(chosen.allow_host)
    options.platform_options.update(chosen.platform_option)
    if chosen.sentence_per_line:
        options.sentence_per_line = True
    if chosen.images is False:
        options.download_images = False
    if chosen.wayback_images:
        options.wayback_images = True
    if chosen.starter is False:
        options.starter = False
    options.dry_run = args.dry_run
    if args.concurrency is not None:
        if not 1 <= args.concurrency <= 64:
            raise UserError("--concurrency must be between 1 and 64.")
        options.concurrency = args.concurrency
    if args.processes is not None:
        if not 0 <= args.processes <= 64:
            raise UserError("--processes must be between 0 and 64.")
        options.processes = args.processes
    options.progress = not args.quiet
    if not options.platform:
        from .fetchers import platform_names

        raise UserError(f"Say which form the archive is in with --platform ({', '.join(platform_names())}); "
                        f"after a first `run` into {site}, the site remembers it.")
    if not options.source:
        from .fetchers import get_fetcher

        options.source = get_fetcher(options.platform).default_source() or ""
    if not options.source:
        raise UserError("Say where the archive is with --source (a file, a folder or a URL).")
    return options, resolved


def cmd_migrate(args: argparse.Namespace) -> int:
    """run, sync and retry-failed: the same migration in three modes."""
    from .loading import loaded

    loaded("migrate.pipeline")  # with the modules it needs, as loading.py says
    from .pipeline import Mode, print_report, run

    site = _site_of(args)
    options, resolved = options_and_settings(args, site)
    for line in resolved.lines(site):
        print(line, file=sys.stderr)
    remember = None
    if not options.dry_run and resolved.to_remember():
        def remember() -> None:
            for flag in resolved.to_save.save(site):
                print(f"{flag} holds a password or key, so the site does not remember it: give it again next time.", file=sys.stderr)

    with RunProgress(enabled=None if options.progress else False) as progress:
        report = run(options, Mode(args.command), force=args.force,
                     on_issue=lambda issue: progress.entry_done(sum(1 for i in issue.images if i.local) if issue else 0),
                     on_total=progress.expect if progress.enabled else None, on_started=remember)
    print_report(report)
    return EXIT_OK if report.ok else EXIT_FAILURES


def cmd_status(args: argparse.Namespace) -> int:
    from .status import format_status, site_status

    site = _site_of(args)
    options = None
    if args.compare or args.platform or args.source:
        options, resolved = options_and_settings(args, site)
        for line in resolved.lines(site):
            print(line, file=sys.stderr)
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
    rules = redirect_map(_site_of(args))
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

    site = _site_of(args)
    reports = verify(site, build=args.build, base_url=args.base_url)
    for report in reports:
        for line in report.lines():
            print(line)
        report.write(site)
    return EXIT_OK if all(report.ok for report in reports) else EXIT_FAILURES


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check_site, format_findings

    if args.site and args.site_folder and args.site.resolve() != args.site_folder.resolve():
        raise UserError(f"check was given two sites ({args.site_folder} and --site {args.site}); give one.")
    site = _site_of(args)
    mappings = args.mappings
    if mappings is None:  # the site's own mappings, if its run was given some
        remembered = Settings.load(site)
        mappings = Path(remembered.mappings) if remembered and remembered.mappings else None
    findings = check_site(site, mappings)
    print(format_findings(findings, as_json=args.json, site=site))
    return EXIT_FAILURES if findings else EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    from .preview import Preview

    if args.port is not None and not 1 <= args.port <= 65535:
        raise UserError("--port must be between 1 and 65535.")
    with Preview(_site_of(args), args.port, args.drafts) as preview:
        # The address is printed inside the try: a person may press Ctrl-C the moment they see it.
        try:
            print(f"The site is at {preview.url} (Hugo, from {preview.site}); Ctrl-C stops it.", flush=True)
            status = preview.wait(on_line=lambda line: print(line, file=sys.stderr))
        except KeyboardInterrupt:
            preview.stop()
            print("Preview stopped.")
            return EXIT_OK
    if status:
        raise UserError(f"Hugo stopped serving the site (exit status {status}); its last words are above.")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .report_page import write_report_page
    from .state import STATE_PATH, StateStore

    site = _site_of(args)
    state = StateStore.open_existing(site)
    if state is None:
        raise UserError(f"{site / STATE_PATH} does not exist; run `newsletter-migrate run` into this site first.")
    try:
        path = write_report_page(site, state)
    finally:
        state.close()
    print(path)
    if args.open:
        import webbrowser

        if not webbrowser.open(path.resolve().as_uri()):
            print(f"No browser could be started here; open {path} yourself.", file=sys.stderr)
    return EXIT_OK


def cmd_starter(args: argparse.Namespace) -> int:
    from .starter import write_starter

    site = _site_of(args)
    if not site.is_dir():
        raise UserError(f"{site} is not a folder; give starter the site folder (it writes into an existing site only).")
    outcome = write_starter(site)
    for name in outcome.written:
        print(f"wrote {name}")
    if outcome.kept:
        print(f"{len(outcome.kept)} file(s) were there already and are left as they are: {', '.join(outcome.kept)}")
    if outcome.written:
        print(f"Plain `hugo` in {site} builds with them; edit hugo.toml (baseURL, title) to make it yours.")
    return EXIT_OK


_MIGRATING = ("run", "sync", "retry-failed")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
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
    commands = {"run": cmd_migrate, "sync": cmd_migrate, "retry-failed": cmd_migrate,
                "status": cmd_status, "redirects": cmd_redirects, "verify": cmd_verify, "check": cmd_check,
                "preview": cmd_preview, "report": cmd_report, "starter": cmd_starter}
    stdout = sys.stdout
    sys.stdout = troubles.PrintableStream(stdout)
    try:
        return commands[args.command](args)
    except UserError as exc:
        print(troubles.shown(f"error: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the output was piped into something that stopped reading
        return EXIT_OK
    except KeyboardInterrupt:
        print(troubles.interrupted(_resume(args)), file=sys.stderr)
        return troubles.EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last word: never a traceback on the screen
        site = _named_site(args)
        explained = troubles.explain(exc, site, _resume(args))
        if explained:
            print(troubles.shown(f"error: {explained}"), file=sys.stderr)
            return EXIT_USAGE
        try:
            where = f"the full traceback is in {troubles.write_traceback(site, exc, list(argv))}"
        except OSError:
            where = "no file could take the traceback; run again with -v"
        print(troubles.shown(f"error: newsletter-migrate stopped on a bug ({type(exc).__name__}: {troubles.public_text(str(exc))[:200]}); {where}. "
                             "Please report it with that file."), file=sys.stderr)
        return troubles.EXIT_BUG
    finally:
        sys.stdout = stdout


def _named_site(args: argparse.Namespace) -> Path | None:
    """The site a command that stopped worked on, if there is one to keep its traceback in."""
    site = _site_of(args, quiet=True)
    return site if site.is_dir() else None


def _resume(args: argparse.Namespace) -> str | None:
    """The command that finishes an interrupted migration, once the site remembers its settings."""
    if args.command not in _MIGRATING or getattr(args, "dry_run", False):
        return None
    site = _site_of(args, quiet=True)
    try:
        remembered = Settings.load(site)
    except UserError:
        remembered = None
    if remembered is not None and not remembered.source_credential_removed:
        return "`newsletter-migrate sync --site " + shlex.quote(str(site)) + "`"
    return "the same command again"


if __name__ == "__main__":
    sys.exit(main())
