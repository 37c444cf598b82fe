"""How a site was made: the command line of its first run, remembered in the site.

`run` records the platform, source, config path and the flags that decide what is read and how it
is written in `SITE/.migrate/settings.yaml`, a file people can read and edit. After that `sync`,
`retry-failed` and `status` need only `--site`: what they are not told, they take from the file;
what they are told wins for that run, and the run says so. Nothing secret is ever written: tokens
and keys come from the environment, and a URL that carries a password or a key in its query is
stored without it (the run that needs it must be given it again).

A config file is remembered by its path, not its contents, so an edit to it (a new override)
counts at the next sync.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from .errors import UserError
from .files import atomic_write
from .urls import without_secrets

SETTINGS_PATH = ".migrate/settings.yaml"

_HEADER = ("# How this site was made, recorded by `newsletter-migrate run`. `sync`, `retry-failed` and\n"
           "# `status` read it, so they need only --site; a flag given on their command line wins for that\n"
           "# run. Edit it to change what later runs do. It never holds a token, key or password.\n")


@dataclass
class Settings:
    """What a command line said about the source and the output (never a per-run choice such as
    --dry-run, --force, --quiet or --concurrency)."""

    platform: str | None = None
    source: str | None = None
    config: str | None = None
    mappings: str | None = None
    remap: list[str] = field(default_factory=list)
    allow_host: list[str] = field(default_factory=list)
    platform_option: dict[str, str] = field(default_factory=dict)
    sentence_per_line: bool | None = None
    images: bool | None = None
    wayback_images: bool | None = None
    starter: bool | None = None
    # The source held a credential, which was not recorded: the next run must be given --source.
    source_credential_removed: bool = False

    # The flag each field comes from, for messages.
    FLAGS = {"platform": "--platform", "source": "--source", "config": "--config", "mappings": "--mappings",
             "remap": "--remap", "allow_host": "--allow-host", "platform_option": "--platform-option",
             "sentence_per_line": "--sentence-per-line", "images": "--no-images", "wayback_images": "--wayback-images",
             "starter": "--no-starter"}

    @classmethod
    def from_args(cls, args) -> "Settings":
        """What this command line gave (fields it did not give stay empty)."""
        from .config import parse_platform_option

        def local(value):
            return str(Path(value).resolve()) if value else None

        source = args.source
        if source and not source.startswith(("http://", "https://")) and Path(source).exists():
            source = local(source)  # a later command may run from another folder
        return cls(platform=args.platform or None, source=source or None, config=local(args.config),
                   mappings=local(getattr(args, "mappings", None)), remap=list(args.remap), allow_host=list(args.allow_host),
                   platform_option=dict(parse_platform_option(spec) for spec in args.platform_option),
                   sentence_per_line=True if args.sentence_per_line else None,
                   images=False if args.no_images else None,
                   wayback_images=True if getattr(args, "wayback_images", None) else None,
                   starter=False if getattr(args, "no_starter", False) else None)

    def given(self) -> list[str]:
        """The names of the fields that hold something."""
        return [f.name for f in fields(self) if f.name != "source_credential_removed" and getattr(self, f.name) not in (None, [], {})]

    # ------------------------------------------------------------------ remembering
    @classmethod
    def load(cls, site: Path) -> "Settings | None":
        path = Path(site) / SETTINGS_PATH
        if not path.is_file():
            return None
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
            raise UserError(f"{path} cannot be read ({type(exc).__name__}); repair it, or delete it and give every option again.") from None
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise UserError(f"{path} is not a mapping of settings; repair it, or delete it and give every option again.")
        known = {f.name: f for f in fields(cls)}
        settings = cls()
        for key, value in data.items():
            if key not in known:
                raise UserError(f"{path} has an unknown setting {key!r}; remove it (known: {', '.join(sorted(cls.FLAGS))}).")
            if key in ("remap", "allow_host"):
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            elif key == "platform_option":
                ok = isinstance(value, dict) and all(isinstance(k, str) for k in value)
                value = {k: str(v) for k, v in value.items()} if ok else value
            elif key in ("sentence_per_line", "images", "wayback_images", "starter", "source_credential_removed"):
                ok = isinstance(value, bool) or value is None
            else:
                ok = isinstance(value, str) or value is None
            if not ok:
                raise UserError(f"{path}: {key} has a value of the wrong kind ({value!r}); repair it, or delete the file.")
            setattr(settings, key, value)
        return settings

    def public(self) -> tuple["Settings", list[str]]:
        """These settings as they may be written down, and the flags left out for a credential."""
        kept = Settings(**{f.name: getattr(self, f.name) for f in fields(self)})
        dropped: list[str] = []
        if kept.source:
            kept.source, removed = without_secrets(kept.source)
            if removed:
                kept.source_credential_removed = True
                dropped.append("--source")
        kept.remap = [spec for spec in self.remap if not any(without_secrets(side.strip())[1] for side in spec.split("=", 1))]
        if len(kept.remap) != len(self.remap):
            dropped.append("--remap")
        kept.platform_option = {name: value for name, value in self.platform_option.items() if not without_secrets(value)[1]}
        if len(kept.platform_option) != len(self.platform_option):
            dropped.append("--platform-option")
        return kept, dropped

    def save(self, site: Path) -> list[str]:
        """Write the settings into the site (atomically); returns the flags left out for a credential."""
        kept, dropped = self.public()
        data = {f.name: getattr(kept, f.name) for f in fields(kept) if getattr(kept, f.name) not in (None, [], {})}
        if not kept.source_credential_removed:
            del data["source_credential_removed"]
        text = _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
        atomic_write(Path(site) / SETTINGS_PATH, text.encode("utf-8"))
        return dropped


@dataclass
class Resolved:
    """The settings a run goes by, what the site should remember after it, and what to tell."""

    settings: Settings             # what this run uses
    remembered: Settings | None    # what the site remembered before it
    to_save: Settings              # what the site remembers if this run goes ahead
    taken: list[str] = field(default_factory=list)       # fields filled in from the remembered settings
    overridden: list[str] = field(default_factory=list)  # given with another value than the remembered one
    added: list[str] = field(default_factory=list)       # given, new to the site, and remembered from now on
    once: list[str] = field(default_factory=list)        # given, new to the site, for this run only
    dropped: list[str] = field(default_factory=list)     # remembered, and not in the command line a run records
    command: str = "run"

    def to_remember(self) -> bool:
        """Whether the run should write the settings: a `run` records how the site is made; the
        other commands add only what the site did not know (never a value that replaces one)."""
        return self.remembered is None or self.to_save != self.remembered

    def lines(self, site: Path) -> list[str]:
        """What the run tells about where its settings came from."""
        where = Path(site) / SETTINGS_PATH
        out = []
        if self.taken:
            shown = [_shown(name, getattr(self.settings, name)) for name in self.taken]
            out.append(f"Using the settings remembered in {where}: {', '.join(shown)}.")
        for name in self.overridden:
            flag = Settings.FLAGS[name]
            if self.command == "run":
                out.append(f"{flag} given: it replaces the remembered value, and {where} records it.")
            else:
                out.append(f"{flag} given: it replaces the remembered value for this run only "
                           f"(a `run` with it, or an edit of {where}, keeps it).")
        for name in self.once:
            out.append(f"{Settings.FLAGS[name]} given: for this run only (a `run` with it, or an edit of {where}, keeps it).")
        for name in self.added:
            out.append(f"{Settings.FLAGS[name]} given: new to this site, so {where} remembers it from now on.")
        if self.dropped:
            out.append(f"This run's command line is what {where} records now; it no longer holds "
                       f"{', '.join(Settings.FLAGS[name] for name in self.dropped)}.")
        return out


def _shown(name: str, value) -> str:
    from .http import _display

    flag = Settings.FLAGS[name]
    if name == "source" and isinstance(value, str) and value.startswith(("http://", "https://")):
        return f"{flag} {_display(value)}"
    if isinstance(value, list):
        return f"{flag} ({len(value)})" if len(value) > 1 else f"{flag} {value[0]}"
    if isinstance(value, dict):
        return ", ".join(f"{flag} {k}={v}" for k, v in value.items())
    if isinstance(value, bool):
        return flag
    return f"{flag} {value}"


def _remap_key(spec: str) -> str:
    return spec.split("=", 1)[0].strip().rstrip("/").lower()


# What `sync`, `retry-failed` or `status` may teach the site when the site did not know it: a
# remap for a host not remapped yet, a platform option not set yet, a config or mappings folder
# where there was none. Anything else they are given (a switch, an allowed host, a value that
# replaces a remembered one) holds for that run only.
_LEARNED = ("remap", "platform_option", "config", "mappings")


def _empty(value) -> bool:
    return value in (None, [], {})


def _merge(name: str, mine, theirs):
    """The value a run uses: `mine` (given) over `theirs` (remembered); lists and options item by item.
    Returns (value, whether mine clashes with theirs, what of mine is new)."""
    if name == "remap":
        by_from = {_remap_key(spec): spec for spec in theirs}
        clash = any(by_from.get(_remap_key(spec), spec) != spec for spec in mine)
        new = [spec for spec in mine if _remap_key(spec) not in by_from]
        return list({**by_from, **{_remap_key(spec): spec for spec in mine}}.values()), clash, new
    if name == "allow_host":
        new = [host for host in mine if host not in theirs]
        return theirs + new, False, new
    if name == "platform_option":
        clash = any(k in theirs and theirs[k] != v for k, v in mine.items())
        return {**theirs, **mine}, clash, {k: v for k, v in mine.items() if k not in theirs}
    if _empty(mine):
        return theirs, False, None
    return mine, not _empty(theirs) and mine != theirs, mine if _empty(theirs) else None


def resolve(given: Settings, remembered: Settings | None, command: str = "run") -> Resolved:
    """The settings a run goes by, and what the site remembers after it.

    - The first run into a site, and a `run` given a platform or a source, go by what they are
      given alone, and the site remembers exactly that: a run records its own command line.
    - Any other command fills in what it is not given from the remembered settings; a remap or a
      platform option replaces only the remembered one of the same FROM or name. A platform other
      than the remembered one is another source written into the same site: nothing of the
      remembered settings is used, and nothing is remembered of it.
    - What a command other than `run` is given holds for that run only, but for what the site did
      not know yet (see _LEARNED), which it remembers from then on."""
    if remembered is None or (command == "run" and (given.platform or given.source)):
        resolved = Resolved(given, remembered, given, command=command)
        if remembered is not None:
            resolved.overridden = [name for name in given.given() if getattr(given, name) != getattr(remembered, name)]
            resolved.dropped = [name for name in remembered.given() if _empty(getattr(given, name))]
        return resolved
    if given.platform and remembered.platform and given.platform != remembered.platform:
        return Resolved(given, remembered, remembered, command=command, overridden=["platform"])
    settings, to_save = Settings(), Settings(**{f.name: getattr(remembered, f.name) for f in fields(Settings)})
    resolved = Resolved(settings, remembered, to_save, command=command)
    for f in fields(Settings):
        name = f.name
        if name == "source_credential_removed":
            continue
        mine, theirs = getattr(given, name), getattr(remembered, name)
        merged, clash, new = _merge(name, mine, theirs)
        setattr(settings, name, merged)
        if command == "run":
            setattr(to_save, name, merged)
        elif not _empty(new) and name in _LEARNED:
            setattr(to_save, name, theirs + new if name == "remap" else {**theirs, **new} if name == "platform_option" else new)
            resolved.added.append(name)
        if clash:
            resolved.overridden.append(name)
        elif command != "run" and not _empty(new) and name not in _LEARNED:
            resolved.once.append(name)
        if _empty(mine) and not _empty(theirs):
            resolved.taken.append(name)
    if "source" in resolved.taken and remembered.source_credential_removed:
        raise UserError("the source of this site's first run held a password or key, which is never saved; give --source "
                        "again (and keep its key in the environment where the platform allows it).")
    return resolved
