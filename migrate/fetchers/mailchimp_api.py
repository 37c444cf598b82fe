"""`mailchimp-api`: sent campaigns from Mailchimp's Marketing API 3.0.

The key comes from $MAILCHIMP_API_KEY only; its suffix names the account's data center (a key
ending `-us6` is served by `https://us6.api.mailchimp.com/3.0`, the default --source). Requests
use HTTP Basic authentication with the key as the password, as Mailchimp asks.

`GET /campaigns?status=sent&sort_field=send_time&sort_dir=ASC&count=&offset=` lists the campaigns
oldest first, page by page (`campaigns`, `total_items`); each campaign's body comes from
`GET /campaigns/{id}/content` (`archive_html`, as the public archive shows it, else `html`, else
`plain_text`). A campaign whose content cannot be fetched (a 5xx after the retries, broken JSON)
becomes a problem with its reason and the run goes on. On a re-sync each content request is
conditional (If-None-Match / If-Modified-Since) and a campaign whose fields and body hash as
before is skipped.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from typing import Iterator
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from .. import jsondata
from ..errors import UserError
from ..http import FetchError, answered_elsewhere, source_error
from ..mappings import parse_date
from ..record import Issue, SourceProblem, Unchanged
from .base import Fetcher, prefetch_in_order, register
from .mailchimp import API_KEY_ENV, ISSUE_HOSTS, add_campaign_urls, campaign_slug, clean_subject, mailchimp_issue_ref, text_body

_DATA_CENTER = re.compile(r"-([a-z]{2,6}\d{1,4})$")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000        # Mailchimp's own limit for `count`
MAX_PAGES = 10_000
LIST_FIELDS = ",".join(["total_items"] + [f"campaigns.{name}" for name in (
    "id", "web_id", "type", "status", "send_time", "archive_url", "long_archive_url",
    "settings.subject_line", "settings.title", "settings.preview_text")])


def api_key() -> str:
    return os.environ.get(API_KEY_ENV, "").strip()


def data_center(key: str) -> str | None:
    """The data center a key names in its suffix (`...-us6` -> `us6`)."""
    match = _DATA_CENTER.search(key)
    return match.group(1) if match else None


def api_base(source: str) -> str:
    """The API's base URL (ending in /3.0) from what the user gave: the base, or the host alone."""
    parts = urlsplit(source.strip())
    path = parts.path.rstrip("/")
    for ending in ("/campaigns", "/ping"):
        if path.endswith(ending):
            path = path[: -len(ending)]
    if not path.endswith("/3.0"):
        path += "/3.0"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _settings(campaign: dict) -> dict:
    settings = campaign.get("settings")
    return settings if isinstance(settings, dict) else {}


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


@register
class MailchimpApiFetcher(Fetcher):
    name = "mailchimp-api"
    listing = "archive"
    platform = "mailchimp"
    issue_ref = staticmethod(mailchimp_issue_ref)
    issue_hosts = ISSUE_HOSTS
    help = f"Mailchimp Marketing API 3.0: key in ${API_KEY_ENV}; --source the API's base URL (default: the key's data center)"
    platform_options = {
        "content": "the body to take: `archive` (archive_html, as the public archive shows it; the default) or `html` (the campaign's source)",
        "page_size": f"campaigns asked for per list request, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})",
    }

    # ------------------------------------------------------------------ before the run
    @classmethod
    def default_source(cls) -> str | None:
        key = api_key()
        if not key:
            raise UserError(f"Set {API_KEY_ENV} to your Mailchimp API key (Mailchimp: Profile > Extras > API keys) to read campaigns from the API.")
        center = data_center(key)
        if center is None:
            raise UserError(f"The key in {API_KEY_ENV} does not end in its data center (like -us6); give --source the API's base URL, such as https://us6.api.mailchimp.com/3.0.")
        return f"https://{center}.api.mailchimp.com/3.0"

    @classmethod
    def check_source(cls, source: str) -> None:
        key = api_key()
        if not key:
            raise UserError(f"Set {API_KEY_ENV} to your Mailchimp API key (Mailchimp: Profile > Extras > API keys) to read campaigns from the API.")
        parts = urlsplit(source)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(f"--source {source!r} is not the API's address; give its base URL, such as https://us6.api.mailchimp.com/3.0, or leave --source out to use the key's data center.")
        host = parts.hostname.lower()
        center = data_center(key)
        if host.endswith(".api.mailchimp.com") and center and host.split(".")[0] != center:
            raise UserError(f"The key in {API_KEY_ENV} belongs to data center {center}, but --source names {host}; "
                            f"leave --source out, or give https://{center}.api.mailchimp.com/3.0.")

    @classmethod
    def check_options(cls, options: dict[str, str]) -> None:
        content = options.get("content", "archive")
        if content not in ("archive", "html"):
            raise UserError(f"--platform-option content={content} is not a body Mailchimp has; use content=archive or content=html.")
        size = options.get("page_size", str(DEFAULT_PAGE_SIZE))
        if not str(size).isdigit() or not 1 <= int(size) <= MAX_PAGE_SIZE:
            raise UserError(f"--platform-option page_size={size} must be a whole number from 1 to {MAX_PAGE_SIZE}.")

    # ------------------------------------------------------------------ the run
    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        self.check_options(self.context.options)
        key = api_key()
        if not key:
            raise UserError(f"Set {API_KEY_ENV} to your Mailchimp API key (Mailchimp: Profile > Extras > API keys) to read campaigns from the API.")
        base = api_base(self.source)
        self.context.client.allow(base)  # the user named this server
        credentials = base64.b64encode(f"newsletter-migrate:{key}".encode("utf-8")).decode("ascii")
        headers = {"Authorization": f"Basic {credentials}", "Accept": "application/json"}

        def fetch(item):
            order, campaign = item
            return campaign if isinstance(campaign, SourceProblem) else self._campaign(campaign, order, base, headers)

        for (order, campaign), result in prefetch_in_order(self._listing(base, headers), fetch, min(self.context.concurrency, 8)):
            if isinstance(result, Exception):  # a bug in reading one campaign must not end the run
                cid = campaign.get("id") if isinstance(campaign, dict) else None
                yield SourceProblem(f"{base}/campaigns/{cid}/content", f"could not be read ({type(result).__name__})", order,
                                    cid if isinstance(cid, str) else None)
            elif result is not None:
                yield result

    def _listing(self, base: str, headers: dict) -> Iterator[tuple[int, dict | SourceProblem]]:
        """The sent campaigns, oldest first, one page at a time."""
        client = self.context.client
        size = int(self.context.options.get("page_size", DEFAULT_PAGE_SIZE))
        offset, order, seen = 0, 0, set()
        for _page in range(MAX_PAGES):
            query = urlencode({"status": "sent", "sort_field": "send_time", "sort_dir": "ASC", "count": size,
                               "offset": offset, "fields": LIST_FIELDS})
            where = f"{base}/campaigns"
            try:
                response = client.get(f"{where}?{query}", headers=headers)
                data = jsondata.loads(response.body.decode("utf-8", errors="replace"))
                campaigns, total = data.get("campaigns"), data.get("total_items")
                if not isinstance(campaigns, list):
                    raise ValueError("the answer has no `campaigns` list")
                elsewhere = answered_elsewhere(f"{where}?{query}", response)
                if offset == 0 and elsewhere and not campaigns:
                    raise UserError(f"{where} redirected to {elsewhere}, another server, which was not sent the key and "
                                    "answered with no campaigns; give --source your data center's API address and run again.")
                if offset == 0 and isinstance(total, int):
                    self.context.expect(total)
            except FetchError as exc:
                if exc.status in (401, 403):
                    raise UserError(f"Mailchimp refused the API key (HTTP {exc.status}); check that {API_KEY_ENV} holds a current key "
                                    "of this account and that --source names its data center.") from None
                if exc.status == 404 or offset == 0:
                    raise source_error(f"the campaigns at {where}", exc, "check --source and your connection.") from None
                yield order, SourceProblem(f"{where} from offset {offset}", f"the campaigns after the first {offset} could not be "
                                           f"listed ({exc}); run sync again to read them", order)
                return
            except (ValueError, AttributeError) as exc:
                if offset == 0:
                    raise UserError(f"{where} did not answer as Mailchimp's API does ({exc}); check --source.") from None
                yield order, SourceProblem(f"{where} from offset {offset}", f"the answer could not be read ({exc}); "
                                           "the campaigns after it are missing: run sync again", order)
                return
            for campaign in campaigns:
                cid = campaign.get("id") if isinstance(campaign, dict) else None
                if isinstance(cid, str) and cid in seen:
                    continue  # a campaign sent while the list was read moves the pages: read once
                seen.add(cid)
                wanted = isinstance(cid, str) and self.context.wants(self._content_url(base, cid))
                if wanted or not isinstance(cid, str):
                    yield order, campaign
                order += 1
            offset += len(campaigns)
            if not campaigns or (isinstance(total, int) and offset >= total):
                return

    @staticmethod
    def _content_url(base: str, campaign_id: str) -> str:
        return f"{base}/campaigns/{quote(campaign_id, safe='')}/content"

    def _campaign(self, campaign, order: int, base: str, headers: dict) -> Issue | SourceProblem | Unchanged:
        """One listed campaign: its content fetched (conditionally on a re-sync) and read."""
        if not isinstance(campaign, dict) or not isinstance(campaign.get("id"), str) or not campaign["id"].strip():
            return SourceProblem(f"{base}/campaigns[{order}]", "the listed campaign has no id", order)
        cid = campaign["id"]
        url = self._content_url(base, cid)
        settings = _settings(campaign)
        fields = {"id": cid, "web_id": campaign.get("web_id"), "send_time": campaign.get("send_time"),
                  "archive_url": campaign.get("archive_url"), "long_archive_url": campaign.get("long_archive_url"),
                  "settings": {k: settings.get(k) for k in ("subject_line", "title", "preview_text")},
                  "content": self.context.options.get("content", "archive")}
        fields_hash = hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode("utf-8")).hexdigest()
        fields_key = f"{url}#campaign"  # the campaign's listed fields, remembered beside its body's validators
        label = f"campaign {cid}" + (f" (web id {campaign['web_id']})" if campaign.get("web_id") else "")
        client = self.context.client
        try:
            response = client.get(url, headers={**headers, **self.context.conditional_headers(url)})
            if response.status == 304:
                if self.context.unchanged_body(fields_key, fields_hash):
                    return Unchanged(url)
                response = client.get(url, headers=headers)  # its fields changed: the body is needed again
        except FetchError as exc:
            return SourceProblem(url, f"the content of {label} could not be fetched ({exc}); the other campaigns went on, "
                                 "and the next sync asks again", order, cid)
        body_hash = hashlib.sha256(response.body).hexdigest()
        if self.context.unchanged_body(url, body_hash) and self.context.unchanged_body(fields_key, fields_hash):
            return Unchanged(url)
        self.context.remember(url, response.headers, body_hash)
        self.context.remember(fields_key, body_hash=fields_hash)
        return self._issue(campaign, response.body, url, order, label,
                           hashlib.sha256((fields_hash + body_hash).encode("ascii")).hexdigest())

    def _issue(self, campaign: dict, body: bytes, url: str, order: int, label: str, source_hash: str) -> Issue | SourceProblem:
        cid = campaign["id"]
        text = body.decode("utf-8", errors="replace")
        try:
            content = jsondata.loads(text)
        except ValueError as exc:
            return SourceProblem(url, f"the content of {label} is not JSON ({exc})", order, cid)
        if not isinstance(content, dict):
            return SourceProblem(url, f"the content of {label} is not a JSON object", order, cid)
        wanted = ("archive_html", "html") if self.context.options.get("content", "archive") == "archive" else ("html", "archive_html")
        html_body = next((content[k] for k in wanted if isinstance(content.get(k), str) and content[k].strip()), None)
        if html_body is None and isinstance(content.get("plain_text"), str) and content["plain_text"].strip():
            html_body = text_body(content["plain_text"], self.mapping)
        if html_body is None:
            return SourceProblem(url, f"{label} has no content (no archive_html, html or plain_text)", order, cid)
        settings = _settings(campaign)
        issue = Issue(platform=self.platform, source_id=cid, html=html_body, source_ref=url, order=order, source_hash=source_hash)
        if "\ufffd" in text:
            issue.warnings.append("its content had bytes that are not UTF-8; they show as \ufffd")
        issue.title = clean_subject(_text(settings.get("subject_line")), self.mapping) or clean_subject(_text(settings.get("title")), self.mapping)
        issue.description = clean_subject(_text(settings.get("preview_text")), self.mapping)
        try:
            issue.date = parse_date(campaign.get("send_time") or None)
        except ValueError:
            issue.warnings.append(f"send_time {campaign.get('send_time')!r} is not a date; the issue has no date")
        issue.draft = issue.date is None
        issue.slug = campaign_slug(issue.date, issue.title)
        add_campaign_urls(issue, _text(campaign.get("archive_url")), _text(campaign.get("long_archive_url")))
        return issue
