"""Every stored picture is one a browser shows. An iPhone's HEIC photo (most of a real Substack
archive's pictures) comes from the image CDN as a full-size JPEG; where the CDN does not answer,
or an image has no CDN, the original is converted here; what cannot be converted is named by its
format. Loopback servers stand in for Substack's bucket and CDN."""
import io
import json
from html import escape
from urllib.parse import quote

import pytest
from PIL import Image
from pillow_heif import from_pillow

from migrate.assets import ImageStore, sniff_image
from migrate.check import check_site
from migrate.cleaners.image_cdn import rendition_url
from migrate.http import FetchError, HttpClient, HttpSettings
from migrate.imageformats import BROWSER_FORMATS, describe

from .faultserver import ok, status
from .support import migrate, read_issue, report_of
from .test_substack_cleaners import clean

CDN = ["substackcdn.com", "cdn.substack.com"]
JPG_FULL_SIZE = {"format": "f_jpg", "drop": ("w_", "h_", "c_", "ar_", "dpr_")}
BUCKET = "https://substack-post-media.s3.amazonaws.com"
PHOTO = "public/images/7d2f0c1e-5a4b-4c3d-9e8f-1a2b3c4d5e6f_2016x1512.heic"
FETCH = "https://substackcdn.com/image/fetch/"


def heic_photo(width=24, height=18) -> bytes:
    """A real HEIC file, as an iPhone uploads it."""
    picture = Image.new("RGB", (width, height), (200, 120, 40))
    out = io.BytesIO()
    from_pillow(picture).save(out, quality=80)
    return out.getvalue()


def tiff_scan() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 8), (10, 20, 30)).save(out, "TIFF")
    return out.getvalue()


def jpeg(seed: int = 1) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (seed, 2, 3)).save(out, "JPEG")
    return out.getvalue()


def store_for(site, **options):
    client = HttpClient(allowed_hosts={"127.0.0.1"}, settings=HttpSettings(attempts=2, backoff_initial=0.01, backoff_max=0.01))
    return ImageStore(site, client, concurrency=2, **options)


def fetch_url(transforms: str, original: str = f"{BUCKET}/{PHOTO}") -> str:
    return f"{FETCH}{transforms}/{quote(original, safe='')}"


def figure(original: str, media_type: str | None, token: str = "Hk3c") -> str:
    """A captioned picture as Substack's export writes it: the bucket URL in `src`, CDN sizes in
    `srcset` and `<source>`, the upload's media type in `data-attrs`, a link to the full view."""
    sizes = lambda fmt: ", ".join(f"{fetch_url(f'$s_!{token}!,w_{w},c_limit,f_{fmt},q_auto:good,fl_progressive:steep', original)} {w}w"
                                  for w in (424, 848, 1456))
    attrs = json.dumps({"src": original, "height": 1092, "width": 1456, "alt": None, "title": None, "type": media_type})
    return (f'<div class="captioned-image-container"><figure><a class="image-link image2 is-viewable-img" target="_blank" '
            f'href="{fetch_url(f"$s_!{token}!,f_auto,q_auto:good,fl_progressive:steep", original)}">'
            f'<div class="image2-inset"><picture><source type="image/webp" srcset="{sizes("webp")}" sizes="100vw">'
            f'<img src="{original}" width="1456" height="1092" data-attrs="{escape(attrs)}" '
            f'class="sizing-normal" alt="" srcset="{sizes("auto")}" sizes="100vw"></picture></div></a>'
            f'<figcaption class="image-caption">Leeks in the snow</figcaption></figure></div>')


# ---------------------------------------------------------------------- formats


def test_a_heic_photo_is_known_for_what_it_is():
    assert sniff_image(heic_photo()) == "heic"
    # A bucket's bytes with a HEIF brand first and HEIC among the compatible brands.
    assert sniff_image(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + b"\x00" * 16) == "heic"
    assert sniff_image(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 16) == "avif"
    assert describe("heic") == "a HEIC photo" and "heic" not in BROWSER_FORMATS


# ---------------------------------------------------------------------- the CDN's rendition


@pytest.mark.parametrize("page_url, wanted", [
    (fetch_url("$s_!Hk3c!,w_1456,c_limit,f_webp,q_auto:good,fl_progressive:steep"),
     fetch_url("$s_!Hk3c!,f_jpg,q_auto:good,fl_progressive:steep")),
    (fetch_url("$s_!Hk3c!,f_auto,q_auto:good,fl_progressive:steep"), fetch_url("$s_!Hk3c!,f_jpg,q_auto:good,fl_progressive:steep")),
    # The older form, before Substack's URLs carried a variable.
    (fetch_url("w_1100,c_limit,f_auto,q_auto:good,fl_progressive:steep"), fetch_url("f_jpg,q_auto:good,fl_progressive:steep")),
])
def test_the_rendition_is_the_pages_own_fetch_url_at_full_size_in_jpeg(page_url, wanted):
    assert rendition_url(page_url, CDN, "/image/fetch/", JPG_FULL_SIZE) == wanted
    assert rendition_url(f"{BUCKET}/{PHOTO}", CDN, "/image/fetch/", JPG_FULL_SIZE) is None


def test_a_heic_picture_is_taken_from_the_cdn_and_a_png_from_its_bucket(mappings):
    png = f"{BUCKET}/public/images/0a1b2c3d-1111-2222-3333-444455556666_910x1582.png"
    markdown, _ = clean(mappings, figure(f"{BUCKET}/{PHOTO}", "image/heic") + figure(png, "image/png", token="Zq9w"))
    assert f"]({fetch_url('$s_!Hk3c!,f_jpg,q_auto:good,fl_progressive:steep')})" in markdown
    assert f"]({png})" in markdown and markdown.count("substackcdn.com") == 1


def test_the_type_substack_recorded_wins_over_a_file_name_without_one(mappings):
    bare = f"{BUCKET}/public/images/fec0ffee-9bb2-4ea6-8fc2-09d17ba3bd1a_4032x3024"
    heic, _ = clean(mappings, figure(bare, "image/heic"))
    unknown, _ = clean(mappings, figure(bare, None))
    assert ",f_jpg," in heic and f"]({bare})" in unknown   # nothing says what it is: the original, checked by its bytes


# ---------------------------------------------------------------------- the image store


def test_an_original_in_heic_is_converted_to_a_jpeg_a_browser_shows(tmp_path, faults):
    stored = store_for(tmp_path).fetch(faults.script("/bucket/photo.heic", ok(heic_photo(), **{"Content-Type": "image/heic"}))).result()
    data = (tmp_path / stored.file).read_bytes()
    assert stored.file.endswith(".jpg") and sniff_image(data) == "jpg"
    assert Image.open(io.BytesIO(data)).size == (24, 18)
    assert "a HEIC photo" in stored.note and "JPEG" in stored.note


def test_a_tiff_scan_becomes_a_png(tmp_path, faults):
    stored = store_for(tmp_path).fetch(faults.script("/scan.tif", ok(tiff_scan()))).result()
    assert stored.file.endswith(".png") and "a TIFF image" in stored.note


def test_a_heic_file_that_cannot_be_decoded_is_named_by_its_format(tmp_path, faults):
    broken = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x17" * 40
    with pytest.raises(FetchError) as caught:
        store_for(tmp_path).fetch(faults.script("/bucket/broken.heic", ok(broken))).result()
    assert "a HEIC photo" in str(caught.value) and "not an image" not in str(caught.value)
    assert " at 0x" not in str(caught.value)  # the same words on every run, so the report is too
    assert not (tmp_path / "static").exists()


def test_bytes_that_are_no_image_say_so_once(tmp_path, faults):
    with pytest.raises(FetchError) as caught:
        store_for(tmp_path).fetch(faults.script("/junk.png", ok(b"AccessDenied" * 4))).result()
    assert str(caught.value).count("not an image") == 1


def test_when_the_cdn_does_not_answer_the_original_is_converted_and_named(tmp_path, faults):
    rendition = faults.script("/cdn/image/fetch/f_jpg/photo.heic", status(404))
    original = faults.script("/bucket/photo.heic", ok(heic_photo()))
    store = store_for(tmp_path, originals=lambda url: original if url == rendition else None)
    stored = store.fetch(rendition).result()
    assert sniff_image((tmp_path / stored.file).read_bytes()) == "jpg"
    assert "image CDN did not answer" in stored.note and "404" in stored.note and "a HEIC photo" in stored.note


def test_when_neither_answers_both_reasons_are_given(tmp_path, faults):
    rendition = faults.script("/cdn/image/fetch/f_jpg/photo.heic", status(404))
    original = faults.script("/bucket/photo.heic", status(403))
    with pytest.raises(FetchError, match="image CDN's copy: .*404.*the original: .*403"):
        store_for(tmp_path, originals=lambda url: original).fetch(rendition).result()


def test_check_names_a_picture_browsers_do_not_show(tmp_path):
    (tmp_path / "content" / "issues").mkdir(parents=True)
    (tmp_path / "content" / "issues" / "001.md").write_text("---\ntitle: Fine\ndate: 2021-01-01\n---\n\n![a](/images/a.heic)\n")
    (tmp_path / "static" / "images").mkdir(parents=True)
    (tmp_path / "static" / "images" / "a.heic").write_bytes(heic_photo())
    (finding,) = check_site(tmp_path)
    assert finding.rule == "broken-image" and "a HEIC photo" in finding.message


# ---------------------------------------------------------------------- a whole export


def substack_export(tmp_path, body: str):
    export = tmp_path / "export"
    (export / "posts").mkdir(parents=True)
    (export / "posts.csv").write_text(
        "post_id,post_date,is_published,email_sent_at,inbox_sent_at,type,audience,title,subtitle,podcast_url\n"
        "180000001.winter-leeks,2025-01-11T08:00:00.000Z,true,,,newsletter,everyone,Winter Leeks,,\n")
    (export / "posts" / "180000001.winter-leeks.html").write_text(f"<p>The leeks stood through it all.</p>{body}")
    return export


def remaps(faults):
    from migrate.urls import Remap

    return [Remap.parse(f"{BUCKET}={faults.url}/bucket"), Remap.parse(f"https://substackcdn.com={faults.url}/cdn")]


def test_a_substack_heic_photo_is_stored_as_the_cdns_jpeg_and_the_bucket_is_not_asked(tmp_path, faults):
    rendition = fetch_url("$s_!Hk3c!,f_jpg,q_auto:good,fl_progressive:steep")
    faults.script(rendition.replace("https://substackcdn.com", "/cdn"), ok(jpeg(), **{"Content-Type": "image/jpeg"}))
    faults.script(f"/bucket/{PHOTO}", ok(heic_photo()))
    site = tmp_path / "site"
    report = migrate("substack-export", substack_export(tmp_path, figure(f"{BUCKET}/{PHOTO}", "image/heic")), site,
                     remaps=remaps(faults), platform_options={"url": "https://leeks.substack.com"})
    assert report.ok, report.lines()
    (image,) = report_of(site)["issues"][0]["images"]
    assert image["url"] == rendition and sniff_image((site / image["file"]).read_bytes()) == "jpg"
    assert faults.hits(f"/bucket/{PHOTO}") == 0 and "Leeks in the snow" in read_issue(site, "winter-leeks.md")
    assert check_site(site) == []


def test_a_substack_heic_photo_the_cdn_will_not_give_is_converted_from_the_original(tmp_path, faults):
    faults.script(f"/bucket/{PHOTO}", ok(heic_photo()))
    site = tmp_path / "site"
    report = migrate("substack-export", substack_export(tmp_path, figure(f"{BUCKET}/{PHOTO}", "image/heic")), site,
                     remaps=remaps(faults), platform_options={"url": "https://leeks.substack.com"})
    entry = report_of(site)["issues"][0]
    assert report.ok and sniff_image((site / entry["images"][0]["file"]).read_bytes()) == "jpg"
    assert any("image CDN did not answer" in w and "a HEIC photo" in w for w in entry["warnings"])
    assert check_site(site) == []
