"""Old paths are spelled once, where they enter, and each rule writer escapes for its own syntax:
a newline, a space or a quote in a slug can neither add a rule nor split one, a control character
never reaches Hugo, and dot segments are resolved as Hugo resolves them."""
import csv
import io
import json
import re
import shlex

import pytest
import yaml

from migrate.check import check_site, split_front_matter
from migrate.redirects import redirect_map, render_redirects
from migrate.urls import BadOldPath, alias_form, old_path
from migrate.verify import verify_build, verify_http

from .nginx import needs_nginx, nginx_serving
from .support import migrate


@pytest.mark.parametrize("raw, spelled", [
    ("/issues/a b", "/issues/a%20b"),
    ("/a/../b/", "/b/"),
    ("/a/./c", "/a/c"),
    ("//e//f/", "/e/f/"),
    ("/%2e%2E/x", "/x"),
    ("/caf\u00e9/", "/caf%C3%A9/"),
    ("/caf%c3%a9/", "/caf%C3%A9/"),
    ("/100%/", "/100%25/"),
    ("/q?x=1#f", "/q%3Fx=1%23f"),
    ('p/"quoted"\\', "/p/%22quoted%22%5C"),
    ("/a\u2028b\u00a0c", "/a%E2%80%A8b%C2%A0c"),
    ("/%7Euser", "/~user"),
    ("  /padded/  ", "/padded/"),
])
def test_an_old_path_has_one_spelling(raw, spelled):
    assert old_path(raw) == spelled
    assert old_path(spelled) == spelled  # spelling it again changes nothing


@pytest.mark.parametrize("raw", ["/p/x\n/*  https://evil.example/  301!", "/p/x%0a/*", "/x\x00y", "/x%00", "/tab\there",
                                 "/esc\x1b[31m", "/del\x7f", "/c1\x85x", "", "   "])
def test_an_old_path_no_server_can_serve_is_refused(raw):
    with pytest.raises(BadOldPath):
        old_path(raw)


def test_a_hugo_alias_is_the_decoded_path_a_server_looks_up():
    assert alias_form(old_path("/two words/caf\u00e9/")) == "/two words/caf\u00e9/"
    assert alias_form(old_path("/100%/")) == "/100%/"


HOSTILE_SLUGS = {
    "newline": "evil\n/*  https://evil.example/  301!",
    "return": "x\rHeader set X-Evil 1",
    "nul": "nul\x00byte",
    "escape": "esc\x1b]8;;https://evil.example/\x07",
    "spaces": "two words  here",
    "quotes": 'say "hi" \\ there',
    "splat": ":splat*",
    "dollar": "$host",
    "dots": "a/../../b",
}


@pytest.fixture
def hostile_site(tmp_path):
    emails = [{"id": f"e{n}", "slug": slug, "subject": f"Email {name}", "status": "sent", "secondary_id": n,
               "publish_date": f"2023-01-{n:02d}T08:00:00Z", "body": f"Body of {name}."}
              for n, (name, slug) in enumerate(HOSTILE_SLUGS.items(), start=1)]
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "emails.json").write_text(json.dumps(emails))
    site = tmp_path / "site"
    report = migrate("buttondown-export", folder, site, download_images=False, platform_options={"username": "someone"})
    return site, report


def test_a_slug_with_a_control_character_is_named_and_kept_out_of_the_aliases(hostile_site):
    site, report = hostile_site
    by_title = {entry["title"]: entry for entry in report.issues}
    assert len(by_title) == len(HOSTILE_SLUGS)  # every email is written
    for name in ("newline", "return", "nul", "escape"):
        entry = by_title[f"Email {name}"]
        assert entry["old_paths"] == [] and any("is not kept as an alias" in w and "control character" in w
                                                for w in entry["warnings"]), name
    assert [p["path"] for p in by_title["Email spaces"]["old_paths"]] == ["/someone/archive/two%20words%20%20here/"]
    front = yaml.safe_load(split_front_matter((site / by_title["Email spaces"]["output"]).read_text())[0])
    assert front["aliases"] == ["/someone/archive/two words  here/"]


def rule_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("fmt, gap", [("netlify", "  "), ("cloudflare", " ")])
def test_redirects_files_hold_exactly_one_three_field_rule_per_old_path(hostile_site, fmt, gap):
    site, _ = hostile_site
    rules = redirect_map(site)
    lines = rule_lines(render_redirects(rules, fmt))
    assert len(lines) == len(rules.redirects) == 5
    for line in lines:
        old, new, code = line.split(gap)
        assert old.startswith("/someone/") and new.startswith("/issues/") and code == "301"
        assert " " not in old + new and "*" not in old and ":" not in old and "evil" not in line
    assert gap.join(["/someone/archive/%3Asplat%2A", "/issues/007/", "301"]) in lines


def test_apache_rules_are_one_quoted_pair_each(hostile_site):
    site, _ = hostile_site
    lines = rule_lines(render_redirects(redirect_map(site), "apache"))
    parsed = [shlex.split(line) for line in lines]
    assert all(len(words) == 4 and words[:2] == ["Redirect", "301"] and words[3].startswith("/issues/") for words in parsed)
    assert ["Redirect", "301", '/someone/archive/say "hi" \\ there', "/issues/006/"] in parsed


def test_nginx_map_entries_are_quoted_strings_and_values_name_no_variable(hostile_site):
    site, _ = hostile_site
    text = render_redirects(redirect_map(site), "nginx")
    body = text.split("map $uri $newsletter_migrate_target {", 1)[1].rsplit("}", 1)[0]
    entries = [line for line in body.splitlines() if line.strip() and "default" not in line]
    string = r'"(?:[^"\\]|\\.)*"'
    assert entries and all(re.fullmatch(rf"    {string} {string};", line) for line in entries)
    assert '    "/someone/archive/say \\"hi\\" \\\\ there" "/issues/006/";' in entries
    assert '    "/someone/archive/$host" "/issues/008/";' in entries  # a key is a string; no value holds a $


def test_vercel_csv_and_json_carry_every_path_as_one_field(hostile_site):
    site, _ = hostile_site
    rules = redirect_map(site)
    vercel = json.loads(render_redirects(rules, "vercel"))["redirects"]
    rows = list(csv.DictReader(io.StringIO(render_redirects(rules, "csv"))))
    assert len(vercel) == len(rows) == 5
    assert {"source": "/someone/archive/\\:splat\\*", "destination": "/issues/007/", "permanent": True} in vercel
    assert all(" " not in row["source"] and "\n" not in row["source"] for row in rows)


def test_hugo_builds_the_site_and_every_alias_leads_to_its_issue(hostile_site):
    site, _ = hostile_site
    report = verify_build(site)
    assert report.ok and report.checked == 5


def test_dot_segments_are_resolved_as_hugo_resolves_them(tmp_path):
    from migrate.config import RunOptions, load_config

    config = tmp_path / "migrate.yaml"
    config.write_text('overrides:\n  "e1":\n    aliases: ["/old/./letters/../issue-one/", "//old//two/"]\n')
    options = RunOptions()
    load_config(config, options)
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "emails.json").write_text(json.dumps([{"id": "e1", "slug": "one", "subject": "One", "status": "sent",
                                                     "publish_date": "2023-01-01T08:00:00Z", "body": "Body."}]))
    site = tmp_path / "site"
    report = migrate("buttondown-export", folder, site, download_images=False, overrides=options.overrides)
    assert [p["path"] for p in report.issues[0]["old_paths"]] == ["/old/issue-one/", "/old/two/"]
    verified = verify_build(site)
    assert verified.ok and verified.checked == 2


def test_check_names_an_alias_the_tool_would_spell_otherwise(tmp_path):
    site = tmp_path / "site"
    (site / "content" / "issues").mkdir(parents=True)
    aliases = ["/fine/caf\u00e9/", "/a/../b/", "/two%20words/", "/bell\u0007", "/trailing "]
    (site / "content" / "issues" / "001.md").write_text(
        "---\n" + yaml.safe_dump({"title": "One", "date": "2022-01-01", "aliases": aliases}) + "---\n\nText.\n")
    found = {f.message for f in check_site(site) if f.rule == "aliases"}
    assert found == {
        "alias '/a/../b/' would be written '/b/' (the path Hugo writes and a server looks up)",
        "alias '/two%20words/' would be written '/two words/' (the path Hugo writes and a server looks up)",
        "alias '/bell\\x07' cannot be served: it holds the control character '\\x07'",
        "alias '/trailing ' would be written '/trailing' (the path Hugo writes and a server looks up)",
    }


@needs_nginx
def test_a_real_nginx_loads_the_hostile_sites_rules_and_each_old_path_redirects(hostile_site, tmp_path):
    site, _ = hostile_site
    with nginx_serving(site, tmp_path / "work") as base:
        report = verify_http(site, base)
    assert report.ok and report.checked == 5, report.lines()
