"""Running the command line as a person does: in a pseudo-terminal, with Ctrl-C on the keyboard."""
from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Session:
    status: int
    screen: str  # everything the terminal showed, stdout and stderr together, with \r\n as \n

    @property
    def lines(self) -> list[str]:
        return self.screen.splitlines()


def in_terminal(argv: list[str], cwd: Path = ROOT, env: dict | None = None, timeout: float = 300,
                ctrl_c_when: "bytes | Callable[[bytes], bool] | None" = None, columns: int = 100) -> Session:
    """Run `argv` with a pseudo-terminal as its controlling terminal (stdin, stdout and stderr
    all on it), as a shell runs a command a person typed. With `ctrl_c_when`, Ctrl-C is typed as
    soon as the terminal shows those bytes: the terminal sends SIGINT to the whole foreground
    process group, worker processes included, as a real keyboard does. `ctrl_c_when` may also be
    a function of what the terminal showed so far that says when."""
    if isinstance(ctrl_c_when, bytes):
        wanted = ctrl_c_when
        ctrl_c_when = lambda screen: wanted in screen  # noqa: E731
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once (the parent has threads)
        try:
            os.chdir(cwd)
            # A shell gives a typed command Ctrl-C as the keyboard sends it, even when the suite
            # itself was started with SIGINT ignored (a background job, `nohup`).
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execvpe(argv[0], argv, env if env is not None else os.environ)
        finally:
            os._exit(127)
    # columns=0: a terminal that tells no size, as `script` gives a command run without one.
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40 if columns else 0, columns, 0, 0))
    screen = bytearray()
    typed = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:  # EIO: every process let go of the terminal
                break
            if not chunk:
                break
            screen += chunk
            if ctrl_c_when is not None and not typed and ctrl_c_when(bytes(screen)):
                os.write(fd, b"\x03")
                typed = True
        else:
            os.kill(pid, signal.SIGKILL)
            raise TimeoutError(f"{argv} did not finish in {timeout}s; the terminal showed:\n{screen.decode(errors='replace')}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return Session(os.waitstatus_to_exitcode(status), screen.decode("utf-8", errors="replace").replace("\r\n", "\n"))


def tool(*args: str) -> list[str]:
    """The command line of the tool, as this checkout's interpreter runs it."""
    return [sys.executable, "-m", "migrate", *args]
