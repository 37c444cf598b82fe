"""Images: fetched once per run, kept only when the bytes are an image, named by their content."""
import base64

import pytest

from migrate.assets import ImageStore, sniff_image, svg_problem
from migrate.http import FetchError, HttpClient, HttpSettings
from migrate.standin import tiny_png

from .faultserver import ok, status

PNG = tiny_png(b"seed-one")
OTHER_PNG = tiny_png(b"seed-two")
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def store_for(site, faults):
    client = HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(attempts=2, backoff_initial=0.01, backoff_max=0.01))
    return ImageStore(site, client, concurrency=4)


@pytest.mark.parametrize("data, ext", [
    (PNG, "png"), (GIF, "gif"), (b"\xff\xd8\xff\xe0" + b"0" * 20, "jpg"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
    (b"<!DOCTYPE html><html><body>Not found</body></html>", None), (b"AccessDenied", None), (b"", None),
])
def test_the_extension_comes_from_the_bytes(data, ext):
    assert sniff_image(data) == ext


def test_svgs_with_scripts_or_handlers_are_refused():
    assert svg_problem(b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>') is None
    assert "script" in svg_problem(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    assert "onload" in svg_problem(b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>')


@pytest.mark.parametrize("inner", [
    '<a><set attributeName="href" to="javascript:alert(1)"/><circle r="1"/></a>',
    '<animate attributeName="href" values="javascript:alert(1)"/>',
    '<use href="https://evil.example/sprite.svg#a"/>',
    '<image xlink:href="data:image/svg+xml;base64,PHN2Zz4=" xmlns:xlink="http://www.w3.org/1999/xlink"/>',
])
def test_svgs_that_animate_attributes_or_reach_outside_are_refused(inner):
    assert svg_problem(f'<svg xmlns="http://www.w3.org/2000/svg">{inner}</svg>'.encode()) is not None


def test_internal_references_in_an_svg_are_fine():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><defs><circle id="c" r="1"/></defs><use href="#c"/></svg>'
    assert svg_problem(svg) is None


def test_the_images_folder_cannot_leave_the_site(tmp_path):
    from migrate.errors import UserError

    with pytest.raises(UserError):
        ImageStore(tmp_path / "site", HttpClient(), folder="../outside")


def test_an_image_is_stored_under_its_content_hash_with_its_real_extension(tmp_path, faults):
    url = faults.script("/pic.jpg", ok(PNG, **{"Content-Type": "image/jpeg"}))  # labelled jpeg, really a png
    stored = store_for(tmp_path, faults).fetch(url).result()
    assert stored.file.startswith("static/images/") and stored.file.endswith(".png")
    assert stored.url == "/images/" + stored.file.rsplit("/", 1)[1]
    assert (tmp_path / stored.file).read_bytes() == PNG


def test_the_same_url_is_fetched_once_per_run(tmp_path, faults):
    url = faults.script("/a.png", ok(PNG))
    store = store_for(tmp_path, faults)
    assert store.fetch(url).result() == store.fetch(url).result()
    assert faults.hits("/a.png") == 1


def test_same_bytes_from_two_urls_share_a_file_and_different_bytes_never_do(tmp_path, faults):
    store = store_for(tmp_path, faults)
    a = store.fetch(faults.script("/x/image.png", ok(PNG))).result()
    b = store.fetch(faults.script("/y/image.png", ok(PNG))).result()
    c = store.fetch(faults.script("/z/image.png", ok(OTHER_PNG))).result()
    assert a.file == b.file != c.file
    assert len(list((tmp_path / "static" / "images").iterdir())) == 2


def test_an_html_error_page_labelled_as_an_image_is_rejected(tmp_path, faults):
    url = faults.script("/mislabeled.png", ok(b"<html><body>AccessDenied</body></html>", **{"Content-Type": "image/png"}))
    with pytest.raises(FetchError, match="HTML page"):
        store_for(tmp_path, faults).fetch(url).result()
    assert not (tmp_path / "static").exists()


def test_a_failed_download_says_why(tmp_path, faults):
    url = faults.script("/gone.png", status(404))
    with pytest.raises(FetchError, match="404"):
        store_for(tmp_path, faults).fetch(url).result()


def test_an_inline_data_image_is_stored_as_a_file(tmp_path, faults):
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    stored = store_for(tmp_path, faults).fetch(url).result()
    assert (tmp_path / stored.file).read_bytes() == PNG


def test_rewriting_an_identical_file_leaves_it_untouched(tmp_path, faults):
    url = faults.script("/a.png", ok(PNG))
    first = store_for(tmp_path, faults).fetch(url).result()
    mtime = (tmp_path / first.file).stat().st_mtime_ns
    second = store_for(tmp_path, faults).fetch(url).result()
    assert not second.written and (tmp_path / first.file).stat().st_mtime_ns == mtime
