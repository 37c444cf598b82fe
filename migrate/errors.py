"""Errors a user can act on.

Each carries one sentence that says what went wrong and what to do; the CLI prints it without a
traceback and exits with status 2.
"""
import difflib


class UserError(Exception):
    """A problem with the user's input or setup, described in one actionable sentence."""


class ConfigError(UserError):
    """The configuration or mappings are invalid; `problems` lists every error found at once."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} has {len(self.problems)} problem(s); fix them and run again:\n{lines}")


def did_you_mean(name, known) -> str:
    """"did you mean `x`?" for the known name closest to a misspelled one, or "" when none is close."""
    close = difflib.get_close_matches(str(name), sorted(map(str, known)), n=1)
    return f"did you mean `{close[0]}`?" if close else ""


class NotConfigured(Exception):
    """Raised by a cleaner's `from_config` when the configuration switches it off."""
