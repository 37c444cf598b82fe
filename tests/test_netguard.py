"""The tests' own network guard holds in every Python process they start, so that no test, and
no process a test starts, can send a packet anywhere but 127.0.0.1. Checked without a lookup:
the real resolver is replaced by one that fails the test if anything reaches it."""
import multiprocessing
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

CHILD = """
import socket, sys
import sitecustomize as guard
guard._real["getaddrinfo"] = lambda host, *args, **kwargs: (
    [(2, 1, 6, "", (host, 80))] if host == "127.0.0.1" else sys.exit(f"a lookup of {host} got past the guard"))
assert socket.socket.connect is guard._guarded_connect and socket.socket.sendto is guard._guarded_sendto
try:
    socket.getaddrinfo("example.com", 80)
except socket.gaierror as refused:
    print(refused)
print(socket.getaddrinfo("127.0.0.1", 80)[0][4][0])
"""


def test_a_python_subprocess_loads_the_guard():
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[Errno -2] test network guard: no lookups of 'example.com'", "127.0.0.1"]


def guard_in_this_process() -> bool:
    import socket

    import sitecustomize
    return socket.getaddrinfo is sitecustomize.guarded_getaddrinfo and socket.socket.connect is sitecustomize._guarded_connect


def test_worker_processes_started_like_the_renderers_load_the_guard():
    context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        assert pool.submit(guard_in_this_process).result(timeout=60)
