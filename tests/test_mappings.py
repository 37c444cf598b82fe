"""mappings/ and migrate.yaml are validated before a run, and every problem is reported at once."""
import shutil
from pathlib import Path

import pytest

from migrate.cleaners import load_checked
from migrate.config import RunOptions, load_config
from migrate.errors import ConfigError, UserError
from migrate.mappings import (
    DEFAULT_MAPPINGS,
    Problems,
    load_mappings,
    load_overrides_data,
)


def copy_mappings(tmp_path) -> Path:
    target = tmp_path / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS, target)
    return target


def test_the_projects_mappings_load(mappings):
    assert "revue" in mappings.platforms
    assert mappings.tracking.is_tracking("utm_source", "a.example")
    assert [entry.name for entry in mappings.chain][:3] == ["malformed_urls", "link_cards", "platform_blocks"]


def test_every_problem_is_reported_at_once(tmp_path):
    root = copy_mappings(tmp_path)
    (root / "cleaners.yaml").write_text("chain:\n  - platform_blocks\n  - no_such_cleaner\n")
    platform = (root / "platforms" / "revue.yaml").read_text()
    (root / "platforms" / "revue.yaml").write_text(platform.replace('"nav.top-bar"', '"nav[[broken"') + "\nunknown_key: 1\n")
    (root / "overrides" / "mine.yaml").write_text('"41066":\n  date: not-a-date\n  aliases: [no-slash]\n  colour: red\n')
    with pytest.raises(ConfigError) as caught:
        load_checked(root, ["revue"])  # as a run reads them: the registries judge the names and sections
    text = "\n".join(caught.value.problems)
    for expected in ["no_such_cleaner", "nav[[broken", "unknown_key", "not-a-date", "no-slash", "colour"]:
        assert expected in text
    assert len(caught.value.problems) == 6


def test_broken_yaml_names_the_file_and_line(tmp_path):
    root = copy_mappings(tmp_path)
    (root / "tracking.yaml").write_text("params: [utm_*, mc_cid\nhosts: {}\n")
    with pytest.raises(ConfigError, match=r"tracking.yaml line \d+"):
        load_mappings(root)


def test_a_run_reads_only_its_platforms_mapping_and_the_others_when_asked(tmp_path):
    root = copy_mappings(tmp_path)
    (root / "platforms" / "substack.yaml").write_text("chrome: [broken\n")  # not YAML
    mappings = load_checked(root, ["revue"])
    assert mappings.platform("revue").hosts
    with pytest.raises(ConfigError, match="substack.yaml"):
        mappings.platform("substack")


def test_every_shipped_platform_passes_its_sections_checks(mappings):
    """The registries' checks of each platform's sections (its selectors compile: tests/test_selectors.py
    compiles every shipped one and holds it to soupsieve)."""
    from migrate.fetchers import platform_names

    platform_names()
    for mapping in mappings.platforms.values():
        problems = Problems()
        mapping.check_sections(problems)
        assert not problems.items


def test_a_missing_mappings_folder_says_what_to_pass(tmp_path):
    with pytest.raises(UserError, match="--mappings"):
        load_mappings(tmp_path / "nowhere")


def test_overrides_are_found_by_id_or_by_old_url(tmp_path):
    root = copy_mappings(tmp_path)
    (root / "overrides" / "letters.yaml").write_text(
        '"70003":\n  date: 2016-12-29\n"http://letters.example/issues/six-70004/":\n  title: Six, renamed\n')
    overrides = load_mappings(root).overrides
    assert str(overrides.for_issue("70003", [])["date"]) == "2016-12-29"
    assert overrides.for_issue("70004", ["http://letters.example/issues/six-70004"])["title"] == "Six, renamed"
    assert overrides.for_issue("1", ["http://other.example/"]) == {}


def test_a_config_file_sets_options_and_remaps(tmp_path):
    config = tmp_path / "migrate.yaml"
    config.write_text("site: mysite\nsection: letters\nsentence_per_line: true\nembeds: shortcode\n"
                      "remap:\n  https://s3.amazonaws.com: http://127.0.0.1:8765/s3.amazonaws.com\n"
                      'overrides:\n  "1":\n    title: One\n')
    options = RunOptions()
    load_config(config, options)
    assert (options.site, options.section, options.sentence_per_line, options.embeds) == (tmp_path / "mysite", "letters", True, "shortcode")  # beside the config file
    assert options.remaps[0].target_host == "127.0.0.1"
    assert options.overrides.for_issue("1", [])["title"] == "One"


@pytest.mark.parametrize("text", ['"1":\n  title: One\n', 'overrides:\n  "1":\n    title: One\n'])
def test_a_config_names_an_overrides_file_with_or_without_the_overrides_line(tmp_path, text):
    (tmp_path / "dates.yaml").write_text(text)
    (tmp_path / "migrate.yaml").write_text("overrides: dates.yaml\n")
    options = RunOptions()
    load_config(tmp_path / "migrate.yaml", options)
    assert options.overrides.for_issue("1", [])["title"] == "One"


def test_a_mistake_in_a_named_overrides_file_is_reported_in_that_file(tmp_path):
    (tmp_path / "dates.yaml").write_text('"1":\n  date: someday\n')
    (tmp_path / "migrate.yaml").write_text("overrides: dates.yaml\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "migrate.yaml", RunOptions())
    [problem] = caught.value.problems
    assert problem.startswith("dates.yaml [1]") and "date" in problem


def test_a_bad_config_lists_every_problem(tmp_path):
    config = tmp_path / "migrate.yaml"
    config.write_text("embeds: iframe\nconcurrency: many\nremap: [nonsense]\ncolour: blue\npath: 'content/{nope}.md'\n"
                      "images_dir: ../outside\nimages_url: images\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config, RunOptions())
    assert len(caught.value.problems) == 7


def test_a_platform_module_can_add_its_own_validated_section(tmp_path, monkeypatch):
    from migrate import mappings as module

    def load_footnotes(value, where, problems):
        if not isinstance(value, dict) or "anchor" not in value:
            problems.add(where, "must be a mapping with `anchor:`")
            return None
        return value

    monkeypatch.setitem(module.SECTIONS, "footnotes", load_footnotes)
    root = copy_mappings(tmp_path)
    platform = root / "platforms" / "revue.yaml"
    platform.write_text(platform.read_text() + "\nfootnotes: {anchor: a.footnote-anchor}\n")
    assert load_checked(root, ["revue"]).platform("revue").section("footnotes") == {"anchor": "a.footnote-anchor"}
    platform.write_text(platform.read_text() + "\nfootnotes: [wrong]\n")
    with pytest.raises(ConfigError, match="footnotes: must be a mapping with `anchor:`"):
        load_checked(root, ["revue"])


def test_platform_options_come_from_the_config_and_unknown_ones_are_refused(tmp_path):
    from migrate.fetchers import get_fetcher
    from migrate.pipeline import check_platform_options

    config = tmp_path / "migrate.yaml"
    config.write_text("platform_options:\n  drafts: skip\n  limit: 3\n  keep: true\n")
    options = RunOptions()
    load_config(config, options)
    assert options.platform_options == {"drafts": "skip", "limit": "3", "keep": "true"}
    with pytest.raises(UserError, match=r"'drafts' is not an option of --platform revue-api \(it has none\)"):
        check_platform_options(get_fetcher("revue-api"), options.platform_options)


def test_an_issue_whose_id_is_overrides_is_not_taken_for_the_overrides_line():
    # Fields under it, not issues: an issue's override, not the `overrides:` line of a config.
    problems = Problems()
    overrides = load_overrides_data({"overrides": {"title": "One"}}, "migrate.yaml overrides", problems)
    assert not problems.items and overrides.for_issue("overrides", [])["title"] == "One"


def test_a_misspelled_config_key_is_answered_with_the_key_it_resembles(tmp_path):
    config = tmp_path / "migrate.yaml"
    config.write_text("sentance_per_line: true\ncolour: blue\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config, RunOptions())
    misspelled, unlike_any = caught.value.problems
    assert misspelled.startswith("sentance_per_line: is not an option; did you mean `sentence_per_line`? (known: ")
    assert unlike_any.startswith("colour: is not an option (known: ")


def test_a_misspelled_override_field_is_answered_with_the_field_it_resembles():
    problems = Problems()
    load_overrides_data({"41066": {"titel": "One", "colour": "blue"}}, "migrate.yaml overrides", problems)
    misspelled, unlike_any = problems.items
    assert "unknown key 'titel'; did you mean `title`? (expected one of: " in misspelled
    assert "unknown key 'colour' (expected one of: " in unlike_any


def test_a_misspelled_platform_option_is_answered_with_the_option_it_resembles():
    from migrate.fetchers import get_fetcher
    from migrate.pipeline import check_platform_options

    with pytest.raises(UserError, match=r"'draft' is not an option of --platform substack-export \(it has: drafts, publish_audiences, url\); did you mean `drafts`\?$"):
        check_platform_options(get_fetcher("substack-export"), {"draft": "skip"})
    with pytest.raises(UserError, match=r"'colour' is not an option of .*; remove it or check its spelling\.$"):
        check_platform_options(get_fetcher("substack-export"), {"colour": "blue"})
