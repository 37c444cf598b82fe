"""Errors a user can act on.

Each carries one sentence that says what went wrong and what to do; the CLI prints it without a
traceback and exits with status 2.
"""


class UserError(Exception):
    """A problem with the user's input or setup, described in one actionable sentence."""


class ConfigError(UserError):
    """The configuration or mappings are invalid; `problems` lists every error found at once."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} has {len(self.problems)} problem(s); fix them and run again:\n{lines}")


class NotConfigured(Exception):
    """Raised by a cleaner's `from_config` when the configuration switches it off."""
