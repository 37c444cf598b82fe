#!/usr/bin/env python3
"""Migrate every shared corpus, build each with Hugo, and screenshot migrated pages beside the
originals, to look at what a reader would call broken or lost.

    ../shared/tools/offline .venv/bin/python bench/visual.py [--out .bench/visual] [--pages 3] [--no-screenshots]

Run it inside ../shared/tools/offline (loopback only). It starts the shared image stand-in
(../shared/tools/asset_server.py), migrates each folder of ../shared/corpus and the golden page
with the command line as a user would (remapping only content hosts), runs `newsletter-migrate
check` on each site, counts its images by what their bytes are, and prints one line per corpus
with the commands it ran. With Chromium installed (`apt-get install chromium`), it builds each
site with Hugo, serves the built site and the original pages (their images remapped to the
stand-in) from 127.0.0.1, and writes `<out>/<corpus>/<page>.png`: the original on the left, the
migrated page on the right. Screenshots are artefacts: `.bench/` is not committed.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
sys.path.insert(0, str(ROOT))

from migrate.assets import sniff_image  # noqa: E402
from migrate.imageformats import BROWSER_FORMATS  # noqa: E402
from migrate.verify import build_site  # noqa: E402

CLI = [sys.executable, "-m", "migrate"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--hide-scrollbars", "--window-size=900,2200"]


def corpora() -> list[dict]:
    """Each archive: its platform, source, content hosts to remap, and overrides a user would add."""
    revue_truth = json.loads((CORPUS / "revue-pages" / "truth.json").read_text())
    return [
        {"name": "revue-api", "platform": "revue-api", "source": CORPUS / "revue-api" / "issues.json",
         "hosts": ["s3.amazonaws.com"]},
        {"name": "revue-pages", "platform": "revue-pages", "source": CORPUS / "revue-pages" / "pages",
         "hosts": ["s3.amazonaws.com"],
         # The 2016-17 pages carry no date: their author's dates, as an overrides file would give them.
         "overrides": {t["old_paths"][-1].rsplit("/", 1)[1]: {"date": t["author_date"][:10]} for t in revue_truth}},
        {"name": "golden", "platform": "revue-pages", "source": SHARED / "golden" / "revue-dt-018" / "page.html",
         "hosts": ["s3.amazonaws.com"]},
        {"name": "substack-export", "platform": "substack-export", "source": CORPUS / "substack-export" / "export",
         "hosts": ["substack-post-media.s3.amazonaws.com", "bucketeer-e05bbc84-baa3-437e-9518-adb32be77984.s3.amazonaws.com",
                   "substackcdn.com"]},
        {"name": "mailchimp-export", "platform": "mailchimp-export", "source": CORPUS / "mailchimp-export" / "export",
         "hosts": content_image_hosts(CORPUS / "mailchimp-export" / "export", chrome={"cdn-images.mailchimp.com"})},
        {"name": "buttondown-export", "platform": "buttondown-export", "source": CORPUS / "buttondown-export" / "export",
         "hosts": ["example.com"]},
    ]


def content_image_hosts(folder: Path, chrome: set[str]) -> list[str]:
    """The hosts of the campaigns' pictures; the platform's icons are chrome and are not fetched."""
    hosts = {urlsplit(img["src"]).hostname for path in folder.glob("*.html")
             for img in BeautifulSoup(path.read_bytes(), "lxml").find_all("img", src=True) if img["src"].startswith("http")}
    return sorted(h for h in hosts - chrome if h)


def start_asset_server() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, str(SHARED / "tools" / "asset_server.py"), "--port", "0", "--max-seconds", "3000"],
                               stdout=subprocess.PIPE, text=True)
    port = int(process.stdout.readline().split()[-1])
    return process, f"http://127.0.0.1:{port}"


def migrate_corpus(corpus: dict, out: Path, assets: str) -> dict:
    site = out / corpus["name"] / "site"
    shutil.rmtree(site, ignore_errors=True)
    site.parent.mkdir(parents=True, exist_ok=True)
    command = [*CLI, "run", "--platform", corpus["platform"], "--source", str(corpus["source"]), "--site", str(site), "--quiet"]
    for host in corpus["hosts"]:
        command += ["--remap", f"https://{host}={assets}/{host}"]
    if corpus.get("overrides"):
        config = out / corpus["name"] / "migrate.yaml"
        config.write_text(yaml.safe_dump({"overrides": corpus["overrides"]}))
        command += ["--config", str(config)]
    ran = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    checked = subprocess.run([*CLI, "check", str(site), "--json"], capture_output=True, text=True, cwd=ROOT)
    findings = json.loads(checked.stdout or "[]") if checked.returncode in (0, 1) else None
    report = json.loads((site / ".migrate" / "report.json").read_text())
    images = [p for p in (site / "static" / "images").glob("*")] if (site / "static" / "images").is_dir() else []
    formats = [sniff_image(p.read_bytes()[:4096]) for p in images]
    return {
        "name": corpus["name"], "site": site, "report": report, "exit": ran.returncode, "findings": findings,
        "images": len(images), "browser_images": sum(1 for f in formats if f in BROWSER_FORMATS),
        "formats": {f: formats.count(f) for f in sorted(set(map(str, formats)))},
        "command": " ".join(str(part) for part in command).replace(sys.executable, ".venv/bin/python"),
    }


def summary_line(result: dict) -> str:
    s = result["report"]["summary"]
    reasons = sorted({problem["reason"] for problem in result["report"].get("problems", [])})
    return (f"{result['name']}: exit {result['exit']}; issues {s.get('issues_found', '?')} found, {s.get('issues_written', '?')} written, "
            f"{s.get('source_problems', 0)} unreadable{(' ' + repr(reasons)) if reasons else ''}; images {s.get('images_local')} of "
            f"{s.get('images')} local, {s.get('images_failed')} failed; stored files {result['images']} "
            f"({result['browser_images']} a browser shows: {result['formats']}); check findings: "
            f"{len(result['findings']) if result['findings'] is not None else 'check failed'}")


# ---------------------------------------------------------------------- screenshots

class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def remapped_original(html: str, assets: str, hosts: list[str]) -> str:
    """The saved page with its content images pointed at the stand-in, through the parse tree."""
    doc = BeautifulSoup(html, "lxml")
    for img in doc.find_all("img"):
        for attr in ("srcset", "data-srcset"):
            img.attrs.pop(attr, None)
        src = img.get("src") or ""
        parts = urlsplit(src) if src.startswith("http") else None
        if parts and any(parts.hostname == h or (parts.hostname or "").endswith("." + h) for h in hosts):
            img["src"] = f"{assets}/{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    for source in doc.find_all("source"):
        source.unwrap()   # lxml nests the <img> that follows a <source> inside it
    return str(doc)


def originals(corpus: dict, entry: dict) -> str | None:
    """The HTML a reader of the old platform saw for one migrated issue."""
    source = entry["source"]
    name = corpus["name"]
    if name in ("revue-pages", "golden"):
        return Path(source).read_text(encoding="utf-8", errors="replace")
    if name == "revue-api":
        issues = {str(i["id"]): i for i in json.loads(Path(corpus["source"]).read_text())}
        issue = issues.get(entry["id"])
        return f"<html><head><meta charset='utf-8'></head><body><h1>{issue['title']}</h1>{issue['html']}</body></html>" if issue else None
    if name in ("substack-export", "mailchimp-export"):
        path = Path(corpus["source"]) / source.split(" (")[0]
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        return (f"<html><head><meta charset='utf-8'></head><body><h1>{entry['title']}</h1>{text}</body></html>"
                if text and name == "substack-export" else text)
    if name == "buttondown-export":
        path = Path(corpus["source"]) / "emails" / f"{entry.get('slug') or ''}.md"
        if not path.is_file():
            path = next((Path(corpus["source"]) / "emails").glob(f"*{entry['id']}*.md"), None) or path
        return MarkdownIt("commonmark").render(path.read_text()) if path.is_file() else None
    return None


def screenshot(chromium: str, url: str, target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="nm-chromium-") as profile:
        subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={target}", url],
                       capture_output=True, timeout=120)


def side_by_side(left: Path, right: Path, target: Path) -> None:
    from PIL import Image

    with Image.open(left) as a, Image.open(right) as b:
        canvas = Image.new("RGB", (a.width + b.width + 12, max(a.height, b.height)), (90, 90, 90))
        canvas.paste(a, (0, 0))
        canvas.paste(b, (a.width + 12, 0))
        canvas.save(target)


def shoot(corpus: dict, result: dict, out: Path, assets: str, chromium: str, pages: int) -> list[Path]:
    folder = out / corpus["name"]
    public, originals_dir = folder / "public", folder / "originals"
    shutil.rmtree(public, ignore_errors=True)
    shutil.rmtree(originals_dir, ignore_errors=True)
    originals_dir.mkdir(parents=True)
    public.mkdir(parents=True)
    servers = []
    made = []
    try:
        # The built site at the root of its own server (its pages link images as /images/...).
        built, built_url = serve(public)
        saved, saved_url = serve(originals_dir)
        servers += [built, saved]
        build_site(result["site"], public, base_url=built_url + "/")
        entries = [e for e in result["report"]["issues"] if e.get("output")][:pages]
        for entry in entries:
            html = originals(corpus, entry)
            if html is None:
                continue
            stem = Path(entry["output"]).stem
            (originals_dir / f"{stem}.html").write_text(remapped_original(html, assets, corpus["hosts"]), encoding="utf-8")
            page = Path(entry["output"]).relative_to("content").with_suffix("")
            left, right = folder / f".{stem}-original.png", folder / f".{stem}-migrated.png"
            screenshot(chromium, f"{saved_url}/{stem}.html", left)
            screenshot(chromium, f"{built_url}/{page.as_posix()}/", right)
            if left.exists() and right.exists():
                side_by_side(left, right, folder / f"{stem}.png")
                made.append(folder / f"{stem}.png")
            left.unlink(missing_ok=True)
            right.unlink(missing_ok=True)
    finally:
        for server in servers:
            server.shutdown()
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "visual")
    parser.add_argument("--pages", type=int, default=3, help="pages screenshotted per corpus")
    parser.add_argument("--no-screenshots", action="store_true")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"{CORPUS} is not on this machine; nothing to run.")
        return 2
    chromium = None if args.no_screenshots else (shutil.which("chromium") or shutil.which("chromium-browser"))
    process, assets = start_asset_server()
    try:
        for corpus in corpora():
            result = migrate_corpus(corpus, args.out, assets)
            print(summary_line(result))
            print(f"  $ {result['command']}")
            for finding in result["findings"] or []:
                print(f"  finding: {finding['file']}: {finding['rule']}: {finding['message']}")
            if chromium:
                for made in shoot(corpus, result, args.out, assets, chromium, args.pages):
                    print(f"  screenshot: {made}")
        if not args.no_screenshots and not chromium:
            print("Chromium is not installed (apt-get install chromium): no screenshots.")
    finally:
        process.terminate()
        process.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
