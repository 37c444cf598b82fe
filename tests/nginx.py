"""A real nginx on a free loopback port, serving a built site with the generated redirect rules:
for the tests that hold the rules to what nginx itself makes of them (skipped where nginx is not
installed; .ci/run installs it)."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from migrate.redirects import redirect_map, render_redirects
from migrate.verify import build_site


def nginx_binary() -> str | None:
    return shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"]))


needs_nginx = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (.ci/run installs it)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def nginx_serving(site: Path, work: Path):
    """Build `site` with Hugo and serve it with its `redirects --format nginx` rules; yields the
    base URL. The configuration must pass `nginx -t` first."""
    port = free_port()
    build_site(site, work / "public", base_url=f"http://127.0.0.1:{port}/")
    rules = work / "redirects.conf"
    rules.write_text(render_redirects(redirect_map(site), "nginx"))
    prefix = work / "nginx"
    (prefix / "logs").mkdir(parents=True)
    config = prefix / "nginx.conf"
    config.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
error_log {prefix}/logs/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {rules};
    server {{
        listen 127.0.0.1:{port};
        root {work / "public"};
        if ($newsletter_migrate_target) {{ return 301 $newsletter_migrate_target; }}
    }}
}}
""")
    check = subprocess.run([nginx_binary(), "-t", "-p", str(prefix), "-c", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([nginx_binary(), "-p", str(prefix), "-c", str(config)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        nginx.terminate()
        nginx.wait(10)
