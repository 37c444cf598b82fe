"""Every parser of source data is bounded: YAML (size, depth, aliases), JSON (depth, numbers),
CSV (field size), XML (no entities). A hostile document costs its own entry, with one line that
says why, and the run goes on with the rest."""
import io
import json
from pathlib import Path

import pytest

from migrate import jsondata, yamldata
from migrate.check import check_site

from .support import migrate


def laughs(levels: int = 9, width: int = 9) -> str:
    """YAML's "billion laughs": each level an anchored list of `width` aliases of the one before."""
    lines = ["lol0: &lol0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("document, says", [
    (laughs(), "alias"),
    ("a: &x [1, 2]\nb: *x\n", "alias"),                     # even one alias: front matter has no need of them
    ("a: &a [*a]\n", "alias"),                              # a list that holds itself
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than 32"),
    ("a: {" * 40 + "}" * 40 + "\n", "nested deeper than 32"),
    ("title: " + "x" * 300_000 + "\n", "characters long"),
])
def test_front_matter_yaml_that_would_take_minutes_or_gigabytes_is_refused(document, says):
    with pytest.raises(yamldata.YamlRefused, match=says):
        yamldata.load(document)


def test_aliases_where_allowed_are_still_counted_as_what_they_stand_for():
    assert yamldata.load("a: &x [1, 2]\nb: *x\n", aliases=True) == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(yamldata.YamlRefused, match="stand for more than"):
        yamldata.load(laughs(), aliases=True)
    with pytest.raises(yamldata.YamlRefused, match="stand for more than"):
        yamldata.load("a: &a [*a]\n", aliases=True)


def test_plain_front_matter_reads_as_pyyaml_reads_it():
    text = "subject: 'Key: value'\npublish_date: 2023-01-05\nsecondary_id: 7\ntags: [a, b]\nmeta: {x: null}\n"
    import yaml

    assert yamldata.load(text) == yaml.safe_load(text)


def buttondown_export(tmp_path: Path, bodies: dict[str, str], listed: list[dict]) -> Path:
    folder = tmp_path / "export"
    (folder / "emails").mkdir(parents=True)
    (folder / "emails.json").write_text(json.dumps(listed))
    for slug, text in bodies.items():
        (folder / "emails" / f"{slug}.md").write_text(text)
    return folder


def email(n: int, slug: str) -> dict:
    return {"id": f"e{n}", "slug": slug, "subject": f"Email {n}", "publish_date": f"2023-01-0{n}T08:00:00Z",
            "status": "sent", "secondary_id": n, "absolute_url": f"https://buttondown.com/someone/archive/{slug}/"}


def test_a_billion_laughs_in_a_listed_bodys_front_matter_costs_that_front_matter_only(tmp_path):
    folder = buttondown_export(tmp_path, {"one": "---\n" + laughs() + "---\nFirst body.\n", "two": "Second body.\n"},
                               [email(1, "one"), email(2, "two")])
    report = migrate("buttondown-export", folder, tmp_path / "site", download_images=False)
    assert [entry["title"] for entry in report.issues] == ["Email 1", "Email 2"] and not report.problems
    (warning,) = report.issues[0]["warnings"]
    assert "front matter was not read: it uses a YAML alias" in warning and "left out" in warning
    assert "First body." in (tmp_path / "site" / report.issues[0]["output"]).read_text()


def test_a_bomb_in_an_unlisted_body_is_one_unreadable_entry_and_the_run_goes_on(tmp_path):
    folder = buttondown_export(tmp_path, {"stray": "---\nsubject: Stray\nx: " + "[" * 3000 + "]" * 3000 + "\n---\nBody.\n",
                                          "two": "Second body.\n"}, [email(2, "two")])
    report = migrate("buttondown-export", folder, tmp_path / "site", download_images=False)
    assert [entry["title"] for entry in report.issues] == ["Email 2"]
    (problem,) = report.problems
    assert "stray.md" in problem["source"] and "nested deeper than 32 levels" in problem["reason"]


def test_check_reads_a_sites_front_matter_bounded_too(tmp_path):
    site = tmp_path / "site"
    (site / "content" / "issues").mkdir(parents=True)
    (site / "content" / "issues" / "001.md").write_text("---\n" + laughs() + "title: T\ndate: 2022-01-01\n---\n\nText.\n")
    (site / "content" / "issues" / "002.md").write_text("---\ntitle: Fine\ndate: 2022-01-01\n---\n\nText.\n")
    findings = check_site(site)
    assert [(f.file, f.rule) for f in findings] == [("content/issues/001.md", "front-matter")]
    assert "stand for more than" in findings[0].message


# ---------------------------------------------------------------------- JSON numbers

@pytest.mark.parametrize("number", ["1e999", "-1e999", "1E+400", "123456789e400", "99999999999999999999", "-" + "7" * 4000])
def test_a_number_too_large_for_a_float_or_a_machine_integer_is_read_as_python_reads_it(number):
    text = f'[{{"id": 1, "n": {number}}}, {{"id": 2, "n": 1.5}}, {{"id": 3, "n": 1e-999}}]'
    assert [(e["id"], e["n"]) for e in jsondata.array_entries(io.BytesIO(text.encode()))] == \
        [(1, json.loads(number)), (2, 1.5), (3, 0.0)]  # as Python's own json reads them


def api_issue(issue_id, **more) -> str:
    fields = {"id": issue_id, "title": f"Issue {issue_id}", "html": "<p>Body.</p>", "sent_at": "2022-01-02T08:00:00.000Z",
              "url": f"https://www.getrevue.co/profile/x/issues/i-{issue_id}"}
    return json.dumps(fields)[:-1] + "".join(f', "{k}": {v}' for k, v in more.items()) + "}"


def test_a_saved_api_body_with_1e999_in_an_entry_loses_no_entry(tmp_path):
    source = tmp_path / "issues.json"
    source.write_text("[" + ", ".join([api_issue(1), api_issue(2, active="1e999", id_float="-1e999"), api_issue(3)]) + "]")
    report = migrate("revue-api", source, tmp_path / "site", download_images=False)
    assert [entry["id"] for entry in report.issues] == ["1", "2", "3"] and not report.problems


def test_a_buttondown_listing_whose_number_overflows_keeps_the_email_without_a_number(tmp_path):
    listed = [email(1, "one"), email(2, "two")]
    text = json.dumps(listed).replace('"secondary_id": 1,', '"secondary_id": 1e999,')
    folder = buttondown_export(tmp_path, {"one": "First.\n", "two": "Second.\n"}, [])
    (folder / "emails.json").write_text(text)
    report = migrate("buttondown-export", folder, tmp_path / "site", download_images=False)
    assert [(entry["title"], entry["number"]) for entry in report.issues] == [("Email 1", None), ("Email 2", 2)]


@pytest.mark.parametrize("before", [1, 600])  # 600 entries: past the parser's first 64 KB block
def test_an_integer_longer_than_python_reads_is_broken_json_with_a_reason_not_a_crash(tmp_path, before):
    """The one number the parser cannot hold. It reads ahead in blocks of 64 KB, so entries of the
    block it sits in are lost with it; the run says where, and goes on."""
    source = tmp_path / "issues.json"
    source.write_text("[" + ", ".join([api_issue(n) for n in range(1, before + 1)]
                                      + [api_issue(99999, n="9" * 5000), api_issue(100000)]) + "]")
    report = migrate("revue-api", source, tmp_path / "site", download_images=False)
    (problem,) = report.problems
    assert "more digits than the 4,300" in problem["reason"] and "could not be read" in problem["reason"]
    assert before - 400 <= len(report.issues) <= before and (tmp_path / "site" / ".migrate" / "report.json").is_file()


def test_json_loads_of_a_huge_integer_is_a_value_error_like_any_broken_json():
    with pytest.raises(ValueError):
        jsondata.loads("[" + "9" * 5000 + "]")
