"""What a run keeps of every issue's file name and old paths (kept bare, not in tuples, for the
run's memory) still tells who holds what: a file name another issue holds is not taken, an old
path claimed by two issues is taken back from both when it turns out to be a page, and an
issue that drops an old path no longer has it taken back."""
from migrate.aliases import AliasGuard, Owner
from migrate.converters.paths import PathLayout
from migrate.record import Issue


def issue(platform: str, source_id: str, number: int) -> Issue:
    return Issue(platform=platform, source_id=source_id, html="", number=number)


def test_a_file_name_an_earlier_run_gave_another_platform_is_not_taken():
    layout = PathLayout()
    layout.claim("content/issues/003.md", "buttondown", "3")
    newcomer = issue("revue", "7", 3)
    assert layout.path_for(newcomer) == "content/issues/003-7.md"
    assert newcomer.warnings == ["its file name was taken by issue 3 of buttondown, so it is written to content/issues/003-7.md"]
    # The same issue again keeps the name it got; another one gets the next.
    assert layout.path_for(issue("revue", "7", 3)) == "content/issues/003-7.md"
    layout.claim("content/issues/004-8.md", "buttondown", "9")
    third = issue("revue", "8", 4)
    layout.claim("content/issues/004.md", "revue", "4")
    assert layout.path_for(third) == "content/issues/004-8-2.md"
    assert third.warnings == ["its file name was taken by issue 4, so it is written to content/issues/004-8-2.md"]


def test_an_issue_keeps_the_file_name_an_earlier_run_gave_it():
    layout = PathLayout()
    layout.claim("content/issues/003.md", "revue", "7")
    layout.claim("content/issues/003.md", "revue", "8")  # the first holder keeps it
    again = issue("revue", "7", 3)
    assert layout.path_for(again) == "content/issues/003.md" and again.warnings == []
    other = issue("revue", "8", 3)
    assert layout.path_for(other) == "content/issues/003-8.md"


def test_an_old_path_two_issues_claim_is_taken_back_from_both_when_it_is_a_page():
    guard = AliasGuard()
    first, second, page = Owner("revue", "1", "One"), Owner("revue", "2", None), Owner("revue", "3", "Three")
    guard.claim(first, ["/issues/003/", "/old/one"])
    guard.claim(second, ["/issues/003/"])
    guard.add_page(page, "issues/003.md")
    assert [(t.owner, t.key, t.page) for t in guard.taken_back] == [
        (first, "/issues/003", "the page of issue 3 (Three)"), (second, "/issues/003", "the page of issue 3 (Three)")]
    # What is left of the first issue's claims is still its own: a page there takes it back too.
    guard.add_page(Owner("revue", "4", None), "old/one.md")
    assert [(t.owner, t.key, t.page) for t in guard.taken_back[2:]] == [(first, "/old/one", "the page of issue 4")]


def test_an_old_path_an_issue_no_longer_claims_is_not_taken_back_from_it():
    guard = AliasGuard()
    first, second = Owner("revue", "1", None), Owner("revue", "2", None)
    guard.claim(first, ["/issues/003/"])
    guard.claim(second, ["/issues/003/"])
    guard.claim(first, ["/elsewhere/"])  # its claims now, in place of those it had
    guard.add_page(Owner("revue", "3", None), "issues/003.md")
    assert [(t.owner, t.key) for t in guard.taken_back] == [(second, "/issues/003")]
    guard.claim(second, [])
    guard.add_page(Owner("revue", "5", None), "elsewhere.md")
    assert [(t.owner, t.key) for t in guard.taken_back[1:]] == [(first, "/elsewhere")]
