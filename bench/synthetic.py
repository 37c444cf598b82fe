"""A synthetic Revue account for the benchmark: issues in the shape of Revue's API, made up on demand.

Issue `i` is a pure function of `i` (its own seeded random generator), so the archive is never
built: `archive(n)` yields issues one by one, and any issue can be rebuilt on its own. The text
is drawn from the word list below; nothing is copied from a real newsletter.

Each body is about 40 KB of Revue's API html: `<h3><h2>..</h2><p>..</p></h3>` section heads,
`<p><p>..</p></p>` paragraphs with links carrying utm_* parameters, full-width content images
on Revue's S3 bucket, link cards with a 140px thumbnail, a list or two and a blockquote.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import Callable, Iterator

from slugify import slugify

NEWSLETTER = "The Field Ledger"
PROFILE = "fieldledger"
FIRST_ID = 640_000          # Revue issue ids are plain integers
FIRST_IMAGE = 1_300_000     # serial behind each S3 image path (001/300/000/...); 20 per issue
LATEST_SENT = 1_661_500_800  # 2022-08-26 08:00 UTC; issue i went out i weeks before
WEEK = 7 * 24 * 3600
TARGET_HTML = 40_000        # characters of html per issue, roughly
PARAGRAPH = 560             # average characters of a paragraph without links (measured)
LINK = 150                  # average characters an inline link adds (measured)

UTM = (f"utm_campaign={NEWSLETTER.replace(' ', '%20')}&amp;utm_medium=email"
       "&amp;utm_source=Revue%20newsletter")

WORDS = """
acre alder amber anchor anvil apple arch archive atlas autumn axle badger balance barley basin
beacon beetle bellows birch bishop blanket bluff bobbin bramble brass breeze brick bridge brook
bucket buckle bundle burrow cabin cable canal candle canopy canvas carbon cargo carriage cedar
cellar chalk channel chapel chestnut chimney cinder circuit cistern clay cliff clover coal cobble
compass copper coral cordage cottage county crane creek crystal culvert current dairy dam delta
depot ditch dock dovetail drain drift drum dune dust eagle easel echo eddy elm ember engine
estuary fathom felt fence fern ferry fiddle field flint flume fodder forge fountain furrow gable
gale garnet gate gauge glacier glen granary granite gravel grove gully gutter hamlet harbour
harness harvest hatch hazel heath hedge heron hinge hollow horizon hull inlet iron island ivy
jetty juniper kettle keystone kiln knot ladder lagoon lantern larch lathe ledger lever lichen
lighthouse limestone linen lock loom lumber mallet maple marsh meadow mill millpond mist moor
mortar moss nail needle nettle oak oar orchard outpost paddock parcel pasture pebble pier pine
pitch plank plough plume pond poplar post pulley pump quarry quay quill rafter rail rampart reed
ridge rivet road rope rudder rust saddle sail salt sand sawmill scaffold schooner scythe shale
shingle shovel signal silo silt slate sledge slope sluice smithy sorrel spade spindle spire
spring spruce stable stack steeple stile stone storm stream sundial swallow switch tallow tannery
thatch thistle tide timber tinder tower towpath trestle trough tunnel turbine turnpike valley
vane vault viaduct village vine wagon wall warehouse water weir well wharf wheel willow windmill
winch yard yarrow
""".split()
VERBS = """
builds carries counts crosses drains drifts feeds fills follows guards holds keeps leans lifts
marks measures meets mends moves opens points pulls raises reaches rests runs settles shapes
shelters shifts shows slows spans splits stands stores supports tilts turns waits warms winds
""".split()
LINKING = """
after along around before behind below beside beyond by during for from into near of on over
past through toward under upon with within without
""".split()
ADJECTIVES = """
ancient broad careful cold crooked damp deep distant dry early faint flat fresh grey heavy high
hidden hollow late long loose low narrow new old patient plain quiet rough rusted sharp shallow
short slow small soft steady steep still strong tall thin warm weathered wet wide worn young
""".split()
_NO_END = set(LINKING) | set(ADJECTIVES) | {"the"}
HOSTS = """
archive.example.org canals.example.net mills.example.com survey.example.org ledger.example.net
waterways.example.org heritage.example.com maps.example.net railways.example.org
tools.example.com weather.example.org museum.example.net
""".split()


def _sentence(rng: random.Random, words: int) -> str:
    """`words` words of plausible rhythm: adjective-noun-verb-preposition runs, one capital, one stop."""
    out: list[str] = []
    while len(out) < words:
        if rng.random() < 0.5:
            out.append(rng.choice(ADJECTIVES))
        out += [rng.choice(WORDS), rng.choice(VERBS), rng.choice(LINKING), "the", rng.choice(WORDS)]
        if rng.random() < 0.15:
            out[-1] += ","
    out = out[:words]
    while out[-1].rstrip(",") in _NO_END:  # no sentence ends on "of the" or "the damp"
        out.pop()
    text = " ".join(out).rstrip(",")
    if rng.random() < 0.08:  # now and then a figure, as field notes have
        text += f" at {rng.randint(2, 990)} metres"
    return text[0].upper() + text[1:] + ("?" if rng.random() < 0.05 else ".")


def _phrase(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS + ADJECTIVES) for _ in range(rng.randint(low, high)))


def _title_case(text: str) -> str:
    return text[0].upper() + text[1:]


def _link_url(rng: random.Random, utm: bool = True) -> str:
    url = f"https://{rng.choice(HOSTS)}/{rng.choice(WORDS)}/{rng.choice(WORDS)}-{rng.choice(WORDS)}"
    if rng.random() < 0.3:
        url += f"?id={rng.randint(10, 99_999)}"
    if utm:
        url += ("&amp;" if "?" in url else "?") + UTM
    return url


class _ImagePaths:
    """Distinct S3 paths for one issue's images, in Revue's `items/images/nnn/nnn/nnn/` layout."""

    def __init__(self, index: int):
        self.serial = FIRST_IMAGE + index * 20
        self.stamp = LATEST_SENT - index * WEEK

    def next(self, kind: str, name: str) -> str:
        self.serial += 1
        digits = f"{self.serial:09d}"
        return (f"https://s3.amazonaws.com/revue/items/images/{digits[:3]}/{digits[3:6]}/{digits[6:]}"
                f"/{kind}/{name}.png?{self.stamp + self.serial % 1000}")


def _paragraph(rng: random.Random, links: int) -> str:
    """`<p><p>..</p></p>`: a few sentences, with `links` inline links spread through them."""
    sentences = [_sentence(rng, rng.randint(9, 22)) for _ in range(rng.randint(4, 8))]
    for _ in range(links):
        at = rng.randrange(len(sentences))
        words = sentences[at].split(" ")
        start = rng.randrange(max(1, len(words) - 3))
        end = min(len(words), start + rng.randint(1, 3))
        anchor = " ".join(words[start:end]).rstrip(".,?")
        tail = " ".join(words[start:end])[len(anchor):]
        words[start:end] = [f'<a href="{_link_url(rng)}">{anchor}</a>{tail}']
        sentences[at] = " ".join(words)
    return f"<p><p>{' '.join(sentences)}</p></p>"


def _section_head(rng: random.Random) -> str:
    return f"<h3><h2>{_title_case(_phrase(rng, 2, 5))}</h2><p>{_sentence(rng, rng.randint(12, 24))}</p></h3>"


def _image(rng: random.Random, paths: _ImagePaths) -> str:
    caption = _sentence(rng, rng.randint(6, 14))
    src = paths.next("mail", f"{rng.getrandbits(128):032x}")
    return (f'<p><img alt="{caption}" title="{caption}" src="{src}" width="600" '
            f'style="display:block;width:100%"></p>')


def _link_card(rng: random.Random, paths: _ImagePaths) -> str:
    """Revue's link card: a floated 140px thumbnail, the title link, the domain, a blurb."""
    title = _title_case(_phrase(rng, 2, 6))
    url = _link_url(rng, utm=False)
    host = url.split("/")[2]
    thumb = paths.next("thumb", "thumb-" + slugify(title))
    tracked = url + ("&amp;" if "?" in url else "?") + UTM
    return ("<p>\n"
            f'<img width="140" height="140" alt="{title}" style="float: right; margin-left: 20px; margin-bottom: 20px;" src="{thumb}" />\n'
            f"<strong style='display: block;'><a href=\"{tracked}\">{title}</a> &mdash; <a href=\"{url.split('?')[0]}\">{host}</a></strong>\n"
            f"{_sentence(rng, rng.randint(14, 30))}\n"
            "</p>\n<div style='clear: both;'></div>")


def _list(rng: random.Random) -> str:
    tag = rng.choice(["ul", "ol"])
    items = "".join(f"<li>{_sentence(rng, rng.randint(5, 14))}</li>" for _ in range(rng.randint(3, 6)))
    return f"<{tag}>{items}</{tag}>"


def _blockquote(rng: random.Random) -> str:
    return f"<blockquote><p>{' '.join(_sentence(rng, rng.randint(10, 20)) for _ in range(2))}</p></blockquote>"


def issue_html(index: int) -> str:
    """The body of issue `index`: about TARGET_HTML characters, the same on every call."""
    rng = random.Random(f"body-{index}")
    paths = _ImagePaths(index)
    cards = rng.randint(2, 4)
    inline_links = rng.randint(36, 44) - cards  # the cards' title links carry utm_* too
    specials = ([_image(rng, paths) for _ in range(rng.randint(4, 6))]
                + [_link_card(rng, paths) for _ in range(cards)]
                + [_list(rng) for _ in range(rng.randint(1, 2))]
                + [_blockquote(rng)])
    rng.shuffle(specials)
    heads = [_section_head(rng) for _ in range(rng.randint(4, 6))]
    # Paragraphs fill what the other blocks leave of the target: a paragraph averages ~PARAGRAPH
    # characters, and each inline link adds ~LINK of markup.
    budget = TARGET_HTML - sum(map(len, specials)) - sum(map(len, heads)) - inline_links * LINK
    count = max(len(heads) + len(specials), budget // PARAGRAPH)
    spread = [inline_links // count + (1 if k < inline_links % count else 0) for k in range(count)]
    rng.shuffle(spread)
    paragraphs = [_paragraph(rng, links) for links in spread]

    # Interleave: a section head every so often, the special blocks spaced through the text.
    blocks: list[str] = []
    head_every = max(1, count // len(heads))
    special_every = max(1, count // (len(specials) + 1))
    for k, paragraph in enumerate(paragraphs):
        if k % head_every == 0 and heads:
            blocks.append(heads.pop(0))
            if k == 0:
                blocks.append("<hr>")
        blocks.append(paragraph)
        if k % special_every == special_every - 1 and specials:
            blocks.append(specials.pop(0))
    blocks += heads + specials
    return "\n".join(blocks) + "\n"


def issue_id(index: int, total: int) -> int:
    """Issues are listed newest first: index 0 is issue number `total`."""
    return FIRST_ID + total - index


def issue_meta(index: int, total: int) -> dict:
    """Everything of issue `index` but its body, as Revue's API gives it."""
    rng = random.Random(f"meta-{index}")
    number = total - index
    title = f"{NEWSLETTER} #{number}: {_title_case(_phrase(rng, 2, 5))}"
    sent = LATEST_SENT - index * WEEK
    return {
        "id": issue_id(index, total),
        "title": title,
        "description": _sentence(rng, rng.randint(8, 16)) if rng.random() < 0.6 else None,
        "sent_at": _iso(sent),
        "url": f"https://www.getrevue.co/profile/{PROFILE}/issues/{slugify(title)}-{issue_id(index, total)}",
        "active": False,
    }


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class LazyIssue(dict):
    """An API issue that makes its fields the first time something reads them.

    The stand-in finds an issue page by scanning `issues()` for the id, and lists the archive by
    reading the titles of one page of issues. Building every issue passed over would make
    serving N issue pages cost O(N^2) issue builds (40 KB of html each), so the stand-in rather
    than the tool would be measured. Only `id` is made up front; the other fields are made on
    first read, the body separately. `get`, `[]` and `items()` (which json.dumps uses for dict
    subclasses) all see every field.
    """

    def __init__(self, issue_id: int, meta: Callable[[], dict], body: Callable[[], str]):
        super().__init__(id=issue_id)
        self._meta: Callable[[], dict] | None = meta
        self._body: Callable[[], str] | None = body

    def _make(self, key) -> None:
        if key == "id":
            return
        if self._meta is not None:
            dict.update(self, self._meta())
            self._meta = None
        if (key is None or key == "html") and self._body is not None:
            dict.__setitem__(self, "html", self._body())
            self._body = None

    def __getitem__(self, key):
        self._make(key)
        return dict.__getitem__(self, key)

    def get(self, key, default=None):
        self._make(key)
        return dict.get(self, key, default)

    def items(self):
        self._make(None)
        return dict.items(self)


def archive(total: int) -> Iterator[dict]:
    """The `total` issues of the synthetic account, newest first, generated one at a time."""
    for index in range(total):
        yield LazyIssue(issue_id(index, total), lambda index=index: issue_meta(index, total),
                        lambda index=index: issue_html(index))
