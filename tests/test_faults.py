"""Network faults, against real loopback servers that inject them: the run completes with every
issue and image when retrying can help, and ends with a clear list of failures when it cannot.
Nothing partial is ever left in the site."""
import json
from pathlib import Path

from migrate.assets import sniff_image
from migrate.standin import Account
from migrate.urls import Remap

from .faultserver import endless, ok, slow
from .support import migrate, read_issue, s3_remap

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "revue-demo"
TOKEN = "faults-token"


def no_partial_files(site: Path) -> None:
    assert not list(site.rglob(".nm-tmp-*"))
    for image in site.glob("static/images/*"):
        assert sniff_image(image.read_bytes()), image


def test_a_server_failing_30_percent_of_requests_still_gives_every_issue_and_image(tmp_path, standin, monkeypatch):
    account = Account.from_files(SAMPLE / "issues.json", SAMPLE / "images", profile="tidepool", token=TOKEN,
                                 fault_rate=0.3, fault_seed=7)
    server = standin(account)
    monkeypatch.setenv("REVUE_API_TOKEN", TOKEN)
    report = migrate("revue-api", server.url, tmp_path, remaps=[s3_remap(server)])
    assert report.ok, report.lines()
    assert len(report.issues) == 12 and report.summary()["images_local"] == 12
    assert sum(account.faults_sent.values()) >= 3  # faults were really injected, and survived
    no_partial_files(tmp_path)


def test_the_same_through_public_pages(tmp_path, standin):
    account = Account.from_files(SAMPLE / "issues.json", SAMPLE / "images", profile="tidepool", fault_rate=0.3, fault_seed=11)
    server = standin(account)
    report = migrate("revue-pages", f"{server.url}/profile/tidepool", tmp_path, remaps=[s3_remap(server)])
    assert report.ok, report.lines()
    assert len(report.issues) == 12 and report.summary()["images_local"] == 12
    assert sum(account.faults_sent.values()) >= 3
    assert not any(entry["warnings"] for entry in report.issues if entry["id"] != "301112")  # only: #12 has no date
    no_partial_files(tmp_path)


def test_an_image_host_that_is_down_ends_in_a_list_of_failures_not_a_hang(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    remap = Remap.parse(f"https://s3.amazonaws.com=http://127.0.0.1:{dead}/s3")
    report = migrate("revue-api", SAMPLE / "issues.json", tmp_path, remaps=[remap], attempts=2)
    assert not report.ok and len(report.issues) == 12  # every issue is written, with remote images
    failed = [img for entry in report.issues for img in entry["images"] if img.get("error")]
    assert len(failed) == 12 and all(f"cannot connect to 127.0.0.1:{dead} (" in img["error"] for img in failed)
    assert "s3.amazonaws.com/revue/items/images" in read_issue(tmp_path, "001.md")


def test_an_endless_body_hits_the_size_cap(tmp_path, faults):
    from migrate.assets import ImageStore
    from migrate.http import FetchError, HttpClient, HttpSettings

    url = faults.script("/endless.png", endless())
    store = ImageStore(tmp_path, HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(attempts=1)), max_bytes=2_000_000)
    try:
        store.fetch(url).result()
        raise AssertionError("an endless body was accepted")
    except FetchError as exc:
        assert "cap" in str(exc)
    store.close()
    assert not list(tmp_path.rglob("*.png"))


def test_a_hanging_answer_times_out_within_the_retries(tmp_path, faults):
    image = faults.script("/slow.png", slow(b"late", 30))
    source = tmp_path / "issues.json"
    source.write_text(json.dumps([{"id": 1, "title": "Late", "sent_at": "2022-01-02T08:00:00Z",
                                   "html": f'<p>Before.</p><img src="{image}" alt="late"><p>After.</p>'}]))
    report = migrate("revue-api", source, tmp_path / "site", allow_hosts=["127.0.0.1"], attempts=2, timeout=0.5)
    [entry] = report.issues
    [result] = entry["images"]
    assert "timed out" in result["error"]
    assert faults.hits("/slow.png") == 2  # bounded: one answer per attempt, then the run moves on
    assert image in read_issue(tmp_path / "site", "late.md")  # the issue is written, its image left remote
    no_partial_files(tmp_path / "site")


def test_a_run_stops_downloading_at_its_image_budget_and_says_how_to_go_on(tmp_path, faults):
    png = b"\x89PNG\r\n\x1a\n" + bytes(100_000)
    images = [faults.script(f"/big-{n}.png", ok(png + bytes([n]))) for n in range(3)]
    body = "".join(f'<p><img src="{url}" alt="big {n}"></p>' for n, url in enumerate(images))
    source = tmp_path / "issues.json"
    source.write_text(json.dumps([{"id": 1, "title": "Big", "sent_at": "2022-01-02T08:00:00Z", "html": body}]))
    report = migrate("revue-api", source, tmp_path / "site", allow_hosts=["127.0.0.1"], concurrency=1,
                     max_images_run_mb=0.15)
    [entry] = report.issues
    assert [bool(img.get("local")) for img in entry["images"]] == [True, True, False]
    assert "raise max_images_run_mb or run `retry-failed`" in entry["images"][2]["error"]
    assert faults.hits("/big-2.png") == 0  # refused before asking, not after downloading
    assert len(list((tmp_path / "site" / "static" / "images").iterdir())) == 2
