"""Run options: the command line over an optional `--config migrate.yaml`, validated up front."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .converters.paths import DEFAULT_TEMPLATE, check_template
from .errors import ConfigError, UserError, did_you_mean
from .mappings import Overrides, Problems, load_overrides_data, load_yaml
from .urls import Remap


@dataclass
class RunOptions:
    platform: str = ""
    source: str = ""
    site: Path = Path("output")
    remaps: list[Remap] = field(default_factory=list)
    allow_hosts: list[str] = field(default_factory=list)
    old_hosts: list[str] = field(default_factory=list)   # hosts the old issues lived on, when the source does not say
    mappings_dir: Path | None = None
    dry_run: bool = False
    section: str = "issues"
    path_template: str = DEFAULT_TEMPLATE
    number_width: int = 3
    sentence_per_line: bool = False
    date_format: str = "date"
    embeds: str = "link"
    download_images: bool = True
    wayback_images: bool = False      # an image whose host failed for good is tried once more from the Wayback Machine
    wayback_cdx: str = ""             # with wayback_images, on a platform other than `wayback`: the CDX server and
    wayback_captures: str = ""        # captures base of the archive to ask (default: the public one, never sent a credential)
    images_dir: str = "static/images"
    images_url: str = "/images"
    concurrency: int = 8
    processes: int | None = None      # worker processes for cleaning and converting; None: one per core
    max_issue_mb: float = 5.0         # larger issue bodies are skipped with a reason (a parse costs ~20x in memory)
    max_image_mb: float = 20.0        # one image larger than this is refused and left remote
    max_images_run_mb: float = 10_000.0  # once a run has downloaded this much, further images wait for `retry-failed`
    timeout: float = 30.0
    deadline: float = 180.0           # seconds one request may take in all, retries and every byte included
    attempts: int = 4
    profile: str | None = None
    overrides: Overrides = field(default_factory=Overrides)
    # Options of the chosen platform's fetcher (each fetcher lists its own in `platform_options`).
    platform_options: dict[str, str] = field(default_factory=dict)
    progress: bool = True
    starter: bool = True              # write a starter Hugo config and layout into a site that has none
    config: Path | None = None        # the config file read, if any: where the author's overrides live


def _option_text(value) -> str:
    """A platform option's value as the command line would give it (YAML reads 2023-01-18 as a date)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def parse_platform_option(spec: str) -> tuple[str, str]:
    name, sep, value = spec.partition("=")
    if not sep or not name.strip():
        raise UserError(f"--platform-option {spec!r} needs the form NAME=VALUE, for example drafts=skip.")
    return name.strip(), value.strip()


def megabytes(amount: float) -> int:
    return int(amount * 1024 * 1024)


# key in migrate.yaml -> (attribute, expected type(s), allowed values or None)
_SCALARS: dict[str, tuple[str, tuple, tuple | None]] = {
    "platform": ("platform", (str,), None),
    "source": ("source", (str,), None),
    "site": ("site", (str,), None),
    "mappings": ("mappings_dir", (str,), None),
    "section": ("section", (str,), None),
    "path": ("path_template", (str,), None),
    "number_width": ("number_width", (int,), None),
    "sentence_per_line": ("sentence_per_line", (bool,), None),
    "date_format": ("date_format", (str,), ("date", "datetime")),
    "embeds": ("embeds", (str,), ("link", "shortcode")),
    "images": ("download_images", (bool,), None),
    "starter": ("starter", (bool,), None),
    "wayback_images": ("wayback_images", (bool,), None),
    "wayback_cdx": ("wayback_cdx", (str,), None),
    "wayback_captures": ("wayback_captures", (str,), None),
    "images_dir": ("images_dir", (str,), None),
    "images_url": ("images_url", (str,), None),
    "concurrency": ("concurrency", (int,), None),
    "processes": ("processes", (int,), None),
    "max_issue_mb": ("max_issue_mb", (int, float), None),
    "max_image_mb": ("max_image_mb", (int, float), None),
    "max_images_run_mb": ("max_images_run_mb", (int, float), None),
    "timeout": ("timeout", (int, float), None),
    "deadline": ("deadline", (int, float), None),
    "retries": ("attempts", (int,), None),
    "profile": ("profile", (str,), None),
}
_LISTS = {"remap", "allow_hosts", "old_hosts", "overrides", "platform_options"}


def _beside(config: Path, attr: str, value: str):
    """A path written in a config file, read from the file's own folder (as `overrides:` is), so
    that a later command run from anywhere finds the same files; a URL stays as it is."""
    found = config.resolve().parent / value  # an absolute value stays itself
    if attr != "source":
        return found
    # A source is a path only where one is there: else a URL, or a Wayback URL prefix, as written.
    return str(found) if not value.startswith(("http://", "https://")) and found.exists() else value


def load_config(path: Path, options: RunOptions) -> None:
    """Apply a migrate.yaml to `options`. Every problem is reported at once."""
    if not path.is_file():
        raise UserError(f"The config file {path} does not exist; check the --config path.")
    options.config = path.resolve()
    problems = Problems()
    data = load_yaml(path, problems)
    problems.raise_if_any(str(path))
    if data is None:
        return
    if not isinstance(data, dict):
        raise ConfigError(str(path), ["the file must be a mapping of option names to values"])
    for key, value in data.items():
        if key in _SCALARS:
            attr, types, allowed = _SCALARS[key]
            if isinstance(value, bool) and bool not in types:
                problems.add(key, f"must be {' or '.join(t.__name__ for t in types)}, not true/false")
            elif not isinstance(value, types):
                problems.add(key, f"must be {' or '.join(t.__name__ for t in types)}")
            elif allowed and value not in allowed:
                problems.add(key, f"must be one of {', '.join(allowed)}, not {value!r}")
            else:
                setattr(options, attr, _beside(path, attr, value) if attr in ("site", "mappings_dir", "source") else value)
        elif key == "remap":
            items = value.items() if isinstance(value, dict) else [(None, v) for v in (value or [])] if isinstance(value, list) else None
            if items is None:
                problems.add(key, "must map FROM URLs to TO URLs, or list FROM=TO strings")
                continue
            for source, target in items:
                spec = f"{source}={target}" if source is not None else str(target)
                try:
                    options.remaps.append(Remap.parse(spec))
                except UserError as exc:
                    problems.add(key, str(exc))
        elif key in ("allow_hosts", "old_hosts"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.add(key, "must be a list of host names")
            else:
                getattr(options, key).extend(value)
        elif key == "platform_options":
            if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, (str, int, float, bool, dt.date))
                                                      for k, v in value.items()):
                problems.add(key, "must map option names to plain values, such as `drafts: skip`")
            else:
                options.platform_options.update({k: _option_text(v) for k, v in value.items()})
        elif key == "overrides":
            where = f"{path.name} overrides"
            if isinstance(value, str):
                override_path = (path.parent / value)
                if not override_path.is_file():
                    problems.add(key, f"names {override_path}, which does not exist")
                    continue
                value, where = load_yaml(override_path, problems), override_path.name
            options.overrides.merge(load_overrides_data(value, where, problems))
        else:
            known = set(_SCALARS) | _LISTS
            hint = did_you_mean(key, known)
            problems.add(key, f"is not an option{'; ' + hint if hint else ''} (known: {', '.join(sorted(known))})")
    if options.concurrency < 1 or options.concurrency > 64:
        problems.add("concurrency", "must be between 1 and 64")
    for key in ("max_issue_mb", "max_image_mb", "max_images_run_mb", "timeout", "deadline"):
        if getattr(options, key) <= 0:
            problems.add(key, "must be a number above 0")
    if options.number_width < 0 or options.number_width > 9:
        problems.add("number_width", "must be between 0 and 9")
    try:
        check_template(options.path_template)
    except UserError as exc:
        problems.add("path", str(exc))
    folder = Path(options.images_dir)
    if folder.is_absolute() or ".." in folder.parts or not folder.parts:
        problems.add("images_dir", f"must be a folder inside the site, such as static/images, not {options.images_dir!r}")
    if not options.images_url.startswith("/") or ".." in options.images_url.split("/"):
        problems.add("images_url", f"must be the site path the images folder is served at, such as /images, not {options.images_url!r}")
    problems.raise_if_any(str(path))

