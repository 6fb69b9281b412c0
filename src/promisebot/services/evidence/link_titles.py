"""Safe fetching of a web page's title for evidence links that came without one.

Editors paste the links, so the fetch must not become a way into the private network: only
public addresses, few redirects (each re-checked), a short timeout and a size cap.
"""

from __future__ import annotations

import codecs
import ipaddress
import logging
import re
import socket
import time
from collections.abc import Callable
from html.parser import HTMLParser

import httpx

from promisebot.domain import TITLE_MAX

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADERS = {
    "User-Agent": "promisebot link-title fetcher",
    "Accept": "text/html,application/xhtml+xml;q=0.9",
    # Undecoded bytes only: the size cap then bounds memory (no decompression bombs).
    "Accept-Encoding": "identity",
}


class _Refused(Exception):
    """The fetch stops here; the reason is logged, never shown to the user."""


def resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (the default resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses,
    including IPv4 ones wrapped in IPv6 (mapped, 6to4, Teredo)."""
    ip = ipaddress.ip_address(address)
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        candidates.extend(inner for inner in embedded if inner is not None)
    return all(
        candidate.is_global
        and not (
            candidate.is_private
            or candidate.is_loopback
            or candidate.is_link_local
            or candidate.is_multicast
            or candidate.is_reserved
            or candidate.is_unspecified
        )
        for candidate in candidates
    )


def shown(url: httpx.URL) -> str:
    """The URL for logs: no credentials, query string or fragment."""
    return str(url.copy_with(query=None, fragment=None, userinfo=b""))


class _TitleParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()  # convert_charrefs=True: entities arrive unescaped
        self.og_title: str | None = None
        self.title: str | None = None
        self._title_parts: list[str] = []
        self._in_title = False
        self._svg_depth = 0  # <svg> has <title> elements of its own

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self._svg_depth += 1
        elif tag == "title" and self.title is None and not self._svg_depth:
            self._in_title = True
        elif tag == "meta" and self.og_title is None:
            values = {name: value or "" for name, value in attrs}
            key = values.get("property") or values.get("name") or ""
            if key.lower() == "og:title" and values.get("content", "").strip():
                self.og_title = values["content"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self._svg_depth:
            self._svg_depth -= 1
        elif tag == "title" and self._in_title:
            self._in_title = False
            self.title = "".join(self._title_parts)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)

    def title_text(self) -> str | None:
        """The <title>, also when the size cap cut the page off inside it."""
        if self.title is None and self._in_title:
            return "".join(self._title_parts)
        return self.title


def clean_title(text: str) -> str:
    """One line, at most TITLE_MAX characters (an ellipsis marks a cut)."""
    title = " ".join(text.split())
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"


def title_from_html(html: str) -> str | None:
    """og:title, else <title>; one line, at most TITLE_MAX characters."""
    parser = _TitleParser()
    parser.feed(html)
    parser.close()
    for candidate in (parser.og_title, parser.title_text()):
        text = clean_title(candidate or "")
        if text:
            return text
    return None


class LinkTitleFetcher:
    """`fetch_title(url)` gives the page's title, or None on any failure (never raises)."""

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        allow_private: bool = False,
        timeout: float = 3.0,
        max_bytes: int = 512_000,
        max_redirects: int = 3,
        resolver: Resolver | None = None,
    ) -> None:
        self._client = client
        self._allow_private = allow_private
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._resolve = resolver or resolve

    def fetch_title(self, url: str) -> str | None:
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            logger.info("link title: not a URL")
            return None
        try:
            if self._client is not None:
                return self._fetch(self._client, target)
            # No proxies from the environment: the address checks must see the real peer.
            with httpx.Client(trust_env=False, follow_redirects=False) as client:
                return self._fetch(client, target)
        except _Refused as reason:
            logger.info("link title: %s: %s", shown(target), reason)
        except Exception as error:
            # A title is a nicety fetched after the ack; no failure may reach the user.
            logger.info("link title: %s: %s: %s", shown(target), type(error).__name__, error)
            logger.debug("link title failure", exc_info=True)
        return None

    def _fetch(self, client: httpx.Client, url: httpx.URL) -> str | None:
        # The timeout bounds each network wait; the deadline bounds the whole fetch, so a
        # server dripping one byte at a time cannot hold the worker for long.
        deadline = time.monotonic() + self._timeout
        for _hop in range(self._max_redirects + 1):
            if time.monotonic() > deadline:
                raise _Refused("too slow")
            request = self._pinned_request(client, url)
            response = client.send(request, stream=True, follow_redirects=False)
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    url = url.join(response.headers["location"])
                    continue
                return self._read_title(response, deadline)
            finally:
                response.close()
        raise _Refused(f"more than {self._max_redirects} redirects")

    def _pinned_request(self, client: httpx.Client, url: httpx.URL) -> httpx.Request:
        """A request for url that connects to the address just checked.

        Checking the resolved address and then letting the HTTP stack resolve the name again
        would leave a DNS-rebinding gap (a second answer pointing inside). So the request
        goes to the checked IP, with the real name in the Host header and as TLS server
        name (httpcore's `sni_hostname`), which also keeps certificate checks on the name.
        """
        if url.scheme not in ("http", "https") or not url.host:
            raise _Refused("only http and https links are fetched")
        host = url.raw_host.decode("ascii")  # IDNA-encoded, as DNS and TLS want it
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = self._resolve(host, port)
        except OSError as error:
            raise _Refused(f"cannot resolve host ({error})") from error
        if not addresses:
            raise _Refused("host has no address")
        if not self._allow_private:
            for address in addresses:
                if not is_public_address(address):
                    raise _Refused(f"refused non-public address {address}")
        address = addresses[0].split("%", 1)[0]  # a scope id cannot go in a URL
        headers = {**_HEADERS, "Host": url.netloc.decode("ascii")}
        return client.build_request(
            "GET",
            url.copy_with(host=address, userinfo=b""),
            headers=headers,
            timeout=self._timeout,
            extensions={"sni_hostname": host},
        )

    def _read_title(self, response: httpx.Response, deadline: float) -> str | None:
        if not response.is_success:
            raise _Refused(f"status {response.status_code}")
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _HTML_TYPES:
            raise _Refused(f"not HTML ({content_type or 'no content type'})")
        if response.headers.get("content-encoding", "identity").lower() != "identity":
            raise _Refused("compressed body despite Accept-Encoding: identity")
        body = bytearray()
        # A title after the cap is lost; one in the first max_bytes (the usual <head>) counts.
        # With encodings refused above, iter_bytes yields the bytes as they arrive.
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= self._max_bytes:
                del body[self._max_bytes :]
                break
            if time.monotonic() > deadline:
                raise _Refused("too slow")
        return title_from_html(bytes(body).decode(self._encoding(response, body), "replace"))

    @staticmethod
    def _encoding(response: httpx.Response, body: bytes | bytearray) -> str:
        declared = response.charset_encoding
        if declared is None:
            match = _META_CHARSET.search(body[:4096])
            declared = match.group(1).decode("ascii") if match else None
        try:
            return codecs.lookup(declared).name if declared else "utf-8"
        except LookupError:
            return "utf-8"
