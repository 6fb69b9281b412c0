"""Link-title fetching against a real HTTP server on 127.0.0.1, and MockTransport where the
peer only has to exist on paper (public addresses that must never be contacted)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from promisebot.services.evidence.link_titles import (
    LinkTitleFetcher,
    is_public_address,
    title_from_html,
)
from tests.http_server import Site, serve_site

PAGE = b"<html><head><title>Budget &amp; Bills  \n passed</title></head><body>x</body></html>"
OG_PAGE = (
    b'<html><head><title>Site | Story</title><meta property="og:title" content="The Story">'
    b"</head></html>"
)
PUBLIC_IP = "93.184.215.14"


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as site:
        yield site


def loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def local_fetcher(max_bytes: int = 512_000) -> LinkTitleFetcher:
    return LinkTitleFetcher(allow_private=True, timeout=2.0, max_bytes=max_bytes)


def test_reads_the_title_unescaped_and_on_one_line(site: Site) -> None:
    site.page("/story", PAGE)
    assert local_fetcher().fetch_title(site.url("/story")) == "Budget & Bills passed"


def test_prefers_og_title(site: Site) -> None:
    site.page("/story", OG_PAGE)
    assert local_fetcher().fetch_title(site.url("/story")) == "The Story"


def test_page_without_title_gives_none(site: Site) -> None:
    site.page("/bare", b"<html><body><svg><title>icon</title></svg>Hello</body></html>")
    assert local_fetcher().fetch_title(site.url("/bare")) is None


def test_missing_page_gives_none(site: Site) -> None:
    assert local_fetcher().fetch_title(site.url("/nowhere")) is None


def test_non_html_gives_none(site: Site) -> None:
    site.page("/data.json", b'{"title": "<title>no</title>"}', "application/json")
    assert local_fetcher().fetch_title(site.url("/data.json")) is None


def test_follows_up_to_three_redirects(site: Site) -> None:
    site.page("/story", PAGE)
    site.redirect("/r1", "/story", 301)
    site.redirect("/r2", "/r1", 307)
    site.redirect("/r3", site.url("/r2"), 303)
    site.redirect("/r4", "/r3")
    assert local_fetcher().fetch_title(site.url("/r3")) == "Budget & Bills passed"
    assert local_fetcher().fetch_title(site.url("/r4")) is None


def test_public_name_resolving_to_loopback_is_refused(site: Site) -> None:
    site.page("/story", PAGE)
    url = site.url("/story", host="news.example")

    refused = LinkTitleFetcher(resolver=loopback, timeout=2.0)
    assert refused.fetch_title(url) is None
    assert site.hosts == []

    # Allowed, the connection goes to the checked address (the name is never resolved
    # again), carrying the real name in the Host header.
    allowed = LinkTitleFetcher(resolver=loopback, allow_private=True, timeout=2.0)
    assert allowed.fetch_title(url) == "Budget & Bills passed"
    assert site.hosts == [f"news.example:{site.port}"]


def test_literal_loopback_refused_by_default(site: Site) -> None:
    site.page("/story", PAGE)
    assert LinkTitleFetcher(timeout=2.0).fetch_title(site.url("/story")) is None
    assert site.hosts == []


def test_title_before_the_size_cap_counts_one_after_it_does_not(site: Site) -> None:
    filler = b"<p>" + b"x" * 200_000 + b"</p>"
    site.page("/early", b"<html><head><title>Early</title></head><body>" + filler * 5)
    site.page("/late", b"<html><body>" + filler * 5 + b"<title>Late</title></body></html>")
    fetcher = local_fetcher(max_bytes=100_000)
    assert fetcher.fetch_title(site.url("/early")) == "Early"
    assert fetcher.fetch_title(site.url("/late")) is None


def test_slow_server_times_out(site: Site) -> None:
    site.page("/story", PAGE)

    def stall(handler: BaseHTTPRequestHandler) -> None:
        if not site.release.wait(1.0):
            site.routes["/story"](handler)

    site.routes["/slow"] = stall
    started = time.monotonic()
    assert LinkTitleFetcher(allow_private=True, timeout=0.3).fetch_title(site.url("/slow")) is None
    assert time.monotonic() - started < 2


def test_server_dripping_bytes_hits_the_overall_deadline(site: Site) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        handler.wfile.write(b"<html><head>")
        # Each byte arrives well within the read timeout; the whole page takes 3 s.
        for _ in range(60):
            if site.release.wait(0.05):
                return
            handler.wfile.write(b" ")
            handler.wfile.flush()
        handler.wfile.write(b"<title>Slow</title></head></html>")

    site.routes["/drip"] = drip
    started = time.monotonic()
    assert LinkTitleFetcher(allow_private=True, timeout=0.3).fetch_title(site.url("/drip")) is None
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "url",
    ["ftp://news.example/file.html", "javascript:alert(1)", "file:///etc/passwd", "http://", ""],
)
def test_non_web_links_give_none_without_a_request(url: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request expected, got {request.url}")

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetcher = LinkTitleFetcher(client, resolver=lambda host, port: [PUBLIC_IP])
        assert fetcher.fetch_title(url) is None


def test_redirect_into_the_private_network_is_refused() -> None:
    addresses = {"news.example": PUBLIC_IP, "intranet.example": "10.0.0.7"}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.headers['host']} via {request.url.host}")
        return httpx.Response(302, headers={"Location": "http://intranet.example/admin"})

    def resolver(host: str, port: int) -> list[str]:
        return [addresses[host]]

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetcher = LinkTitleFetcher(client, resolver=resolver)
        assert fetcher.fetch_title("https://news.example/story") is None
    assert seen == [f"news.example via {PUBLIC_IP}"]


def test_host_with_any_private_address_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=PAGE)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        mixed = LinkTitleFetcher(client, resolver=lambda host, port: [PUBLIC_IP, "::1"])
        assert mixed.fetch_title("https://news.example/story") is None
        public = LinkTitleFetcher(client, resolver=lambda host, port: [PUBLIC_IP])
        assert public.fetch_title("https://news.example/story") == "Budget & Bills passed"


def test_dns_failure_gives_none() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200))) as c:
        assert LinkTitleFetcher(c, resolver=resolver).fetch_title("https://gone.example/") is None


def test_charset_from_meta_tag() -> None:
    body = '<meta charset="iso-8859-1"><title>Régime</title>'.encode("latin-1")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "text/html"}, content=body)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetcher = LinkTitleFetcher(client, resolver=lambda host, port: [PUBLIC_IP])
        assert fetcher.fetch_title("https://news.example/fr") == "Régime"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC_IP, True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
    ],
)
def test_public_address_rules(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_long_titles_are_capped() -> None:
    title = title_from_html("<title>" + "word " * 200 + "</title>")
    assert title is not None
    assert len(title) == 300
    assert title.endswith("…")
