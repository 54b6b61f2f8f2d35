"""The website crawler, against a local site on 127.0.0.1 and, for the production address policy, an in-memory
transport. Nothing here may reach the network: every test runs behind a guard that fails on any connection to a
non-loopback address and on any real DNS lookup, and names resolve through a fake resolver."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from documents import crawl as crawl_module
from documents.crawl import (
    CrawlError,
    CrawlLimits,
    Page,
    UnsafeAddress,
    check_url,
    crawl,
    extract_links,
    normalize_url,
    page_encoding,
    resolve,  # the real one, imported before the fixture below replaces it
)

SITE = "site.test"
PUBLIC = "93.184.216.34"  # only ever resolved to, never contacted: those tests use an in-memory transport
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"
FAST = CrawlLimits(timeout=2.0, total_timeout=10.0)


# --- Guards and fakes ----------------------------------------------------------------------------------------------


class FakeDNS:
    """Stands in for ``documents.crawl.resolve``: names map to the addresses a test chooses, without any DNS."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {
            SITE: ["127.0.0.1"],
            f"www.{SITE}": ["127.0.0.1"],
            "other.test": ["127.0.0.1"],  # reachable on purpose: a crawler that wrongly follows it would be seen
            "intranet.test": ["10.0.0.5"],
            "public.test": [PUBLIC],
        }
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        self.calls.append(host)
        if host not in self.records:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(address) for address in self.records[host]]


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    fake = FakeDNS()
    monkeypatch.setattr(crawl_module, "resolve", fake)
    return fake


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection attempted during the test; one to a non-loopback address fails it before it is made."""
    made: list[tuple[str, int]] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host, port = address[0], address[1]  # type: ignore[index]
            made.append((host, port))
            if not ipaddress.ip_address(host).is_loopback:
                raise AssertionError(f"a connection to {host}:{port} was attempted")
        return real_connect(sock, address)

    def getaddrinfo(host: str | bytes | None, *args: object, **kwargs: object) -> list:
        name = host.decode() if isinstance(host, bytes) else host
        try:
            ipaddress.ip_address(name or "")
        except ValueError:
            raise AssertionError(f"a DNS lookup of {host!r} was attempted") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return made


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Body bytes the crawler downloaded, per request path (a path missing here: its body was never read)."""
    counts: Counter[str] = Counter()
    real_iter_raw = httpx.Response.iter_raw

    def iter_raw(self: httpx.Response, chunk_size: int | None = None) -> Iterator[bytes]:
        path = self.request.url.path
        counts[path] += 0
        for chunk in real_iter_raw(self, chunk_size):
            counts[path] += len(chunk)
            yield chunk

    monkeypatch.setattr(httpx.Response, "iter_raw", iter_raw)
    return counts


# --- A local site ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    # Threaded, so a slow page does not hold up the requests after it.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


class Site:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.port = server.port

    def url(self, path: str = "/", host: str = SITE) -> str:
        return f"http://{host}:{self.port}{path}"

    def html(self, path: str, *links: str, body: str = "") -> None:
        anchors = "".join(f'<a href="{link}">{link}</a>' for link in links)
        html = f"<!doctype html><html><body><h1>{path}</h1>{body}{anchors}</body></html>"
        self.server.expect_request(path).respond_with_data(html, content_type="text/html; charset=utf-8")

    def robots(self, text: str | None, status: int = 200) -> None:
        self.server.expect_request("/robots.txt").respond_with_data(
            text or "", status=status, content_type="text/plain"
        )

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.server.expect_request(path).respond_with_response(Response(status=status, headers={"Location": location}))

    def handler(self, path: str, func: Callable[[Request], Response]) -> None:
        self.server.expect_request(path).respond_with_handler(func)

    def requests(self) -> list[str]:
        return [request.path for request, _ in self.server.log]

    def hosts(self) -> set[str]:
        return {request.headers["Host"] for request, _ in self.server.log}


@pytest.fixture
def site(server: HTTPServer) -> Site:
    server.clear()
    site = Site(server)
    site.robots(None, status=404)
    return site


def paths(pages: list[Page]) -> list[str]:
    return [httpx.URL(page.url).path for page in pages]


def crawl_all(url: str, limits: CrawlLimits = FAST, **kwargs: object) -> list[Page]:
    return list(crawl(url, limits=limits, allow_loopback=True, **kwargs))  # type: ignore[arg-type]


def linked_site(site: Site) -> None:
    """start -> a, b; a -> c; c -> d, with duplicates, other hosts, binaries and non-http links on the start page."""
    external = f"http://127.0.0.1:{site.port}/external"  # same server, another host name: must not be followed
    site.html(
        "/",
        "/a",
        "/a#top",
        "a",
        f"http://{SITE.upper()}:{site.port}/a#more",
        "/b",
        f"{site.url('/b')}?",
        external,
        f"http://other.test:{site.port}/x",
        "/files/report.pdf",
        "/logo.PNG",
        "/style.css",
        "mailto:owner@site.test",
        "javascript:void(0)",
        "tel:+15550100",
        "#",
    )
    site.html("/a", "/c", "/")
    site.server.expect_request("/b").respond_with_data("plain text", content_type="text/plain")
    site.html("/c", "/d", "/a")
    site.html("/d")
    site.html("/external")
    site.html("/x")


# --- check_url: the gate -------------------------------------------------------------------------------------------

FORBIDDEN = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.10.1",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 (an address to refuse, not one to bind)
    "0.1.2.3",
    "::",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "fd00:ec2::254",
    "fc00::1",
    "fe80::1",
    "fec0::1",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_check_url_refuses_a_name_resolving_to_a_forbidden_address(
    address: str, dns: FakeDNS, connections: list
) -> None:
    dns.records["evil.test"] = [address]
    with pytest.raises(UnsafeAddress) as caught:
        check_url("https://evil.test/page")
    assert str(ipaddress.ip_address(address)) in caught.value.reason
    assert dns.calls == ["evil.test"]
    assert connections == []


@pytest.mark.parametrize("address", FORBIDDEN)
def test_check_url_refuses_a_literal_forbidden_address_without_resolving(address: str, dns: FakeDNS) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeAddress):
        check_url(f"http://{host}:8080/")
    assert dns.calls == []


def test_check_url_refuses_when_any_address_is_forbidden(dns: FakeDNS) -> None:
    dns.records["mixed.test"] = [PUBLIC, "10.0.0.5"]
    with pytest.raises(UnsafeAddress, match=r"10\.0\.0\.5"):
        check_url("http://mixed.test/")


@pytest.mark.parametrize("address", [PUBLIC, PUBLIC_V6, "8.8.8.8"])
def test_check_url_accepts_public_addresses(address: str, dns: FakeDNS, connections: list) -> None:
    dns.records["public.test"] = [address]
    check_url("https://public.test/about")
    check_url("http://public.test:8080/")
    assert connections == []


def test_allow_loopback_lets_loopback_through_and_nothing_else(dns: FakeDNS) -> None:
    check_url("http://127.0.0.1:8000/", allow_loopback=True)
    check_url("http://[::1]/", allow_loopback=True)
    check_url(f"http://{SITE}/", allow_loopback=True)
    with pytest.raises(UnsafeAddress, match="loopback"):
        check_url(f"http://{SITE}/")
    for url in ("http://intranet.test/", "http://169.254.169.254/", "http://[::ffff:10.0.0.1]/"):
        with pytest.raises(UnsafeAddress):
            check_url(url, allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    ["ftp://public.test/", "file:///etc/passwd", "javascript:alert(1)", "http:///path", "public.test", "http://a b/"],
)
def test_check_url_refuses_what_is_not_an_http_url(url: str) -> None:
    with pytest.raises(CrawlError) as caught:
        check_url(url)
    assert not isinstance(caught.value, UnsafeAddress)
    assert caught.value.reason


def test_check_url_reports_an_unknown_host() -> None:
    with pytest.raises(CrawlError, match="could not be found"):
        check_url("http://nowhere.test/")


def test_resolve_returns_the_addresses_of_a_host() -> None:
    assert resolve("127.0.0.1", 80) == [ipaddress.IPv4Address("127.0.0.1")]


# --- URLs and links --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("HTTP://Example.COM", None, "http://example.com/"),
        ("https://example.com:443/a?b=1#frag", None, "https://example.com/a?b=1"),
        ("http://example.com:8080/a?", None, "http://example.com:8080/a"),
        ("http://user:secret@example.com/", None, "http://example.com/"),
        ("http://bücher.example/ä", None, "http://xn--bcher-kva.example/%C3%A4"),
        ("../up#x", "http://example.com/a/b/c", "http://example.com/a/up"),
        ("//cdn.example.com/x", "https://example.com/", "https://cdn.example.com/x"),
        (" /spaced\n ", "http://example.com/", "http://example.com/spaced"),
        ("mailto:someone@example.com", None, None),
        ("javascript:void(0)", "http://example.com/", None),
        ("tel:+15550100", "http://example.com/", None),
        ("http://[broken", "http://example.com/", None),
        ("/" + "x" * 3000, "http://example.com/", None),
    ],
)
def test_normalize_url(url: str, base: str | None, expected: str | None) -> None:
    assert normalize_url(url, base=base) == expected


def test_extract_links_respects_base_href_and_drops_non_http_links() -> None:
    html = """<a href="first">1</a><base href="/docs/"><base href="/ignored/">
    <a href="guide#intro">2</a><a href="/abs">3</a><a href="first">dup</a><a href="mailto:x@y.z">m</a>
    <a href="https://other.example/">o</a><a name="anchor-only">x</a><a href="&#47;entity">e</a>"""
    assert extract_links(html, "http://example.com/page") == [
        "http://example.com/docs/first",
        "http://example.com/docs/guide",
        "http://example.com/abs",
        "https://other.example/",
        "http://example.com/entity",
    ]


def test_page_encoding_prefers_the_header_then_meta_then_utf8() -> None:
    meta = b'<html><head><meta charset="windows-1252"></head>'
    assert page_encoding(meta, "text/html", "ISO-8859-2") == "iso8859-2"
    assert page_encoding(meta, "text/html", None) == "cp1252"
    http_equiv = b'<meta http-equiv="Content-Type" content="text/html; charset=latin-1">'
    assert page_encoding(http_equiv, "application/xhtml+xml", None) == "iso8859-1"
    assert page_encoding(meta, "text/plain", None) == "utf-8"
    assert page_encoding(b"", "text/html", "rot13") == "utf-8"
    assert page_encoding(b"", "text/html", "no-such-charset") == "utf-8"


# --- Crawling a local site -------------------------------------------------------------------------------------------


def test_crawls_the_site_breadth_first_once_per_url(site: Site, dns: FakeDNS, connections: list) -> None:
    linked_site(site)
    pages = crawl_all(site.url("/"), limits=CrawlLimits(max_depth=3, timeout=2.0))

    assert paths(pages) == ["/", "/a", "/b", "/c", "/d"]
    assert Counter(site.requests()) == Counter(["/robots.txt", "/", "/a", "/b", "/c", "/d"])
    assert site.hosts() == {f"{SITE}:{site.port}"}  # neither 127.0.0.1 nor other.test was followed
    assert set(dns.calls) == {SITE}
    assert {host for host, _ in connections} == {"127.0.0.1"}
    start, _a, b, *_ = pages
    assert (start.url, start.status, start.content_type, start.truncated) == (site.url("/"), 200, "text/html", False)
    assert b"/files/report.pdf" in start.body
    assert (b.content_type, b.body, b.encoding) == ("text/plain", b"plain text", "utf-8")


@pytest.mark.parametrize(
    ("max_depth", "expected"),
    [(0, ["/"]), (1, ["/", "/a", "/b"]), (2, ["/", "/a", "/b", "/c"])],
)
def test_does_not_go_beyond_max_depth(site: Site, max_depth: int, expected: list[str]) -> None:
    linked_site(site)
    pages = crawl_all(site.url("/"), limits=CrawlLimits(max_depth=max_depth, timeout=2.0))
    assert paths(pages) == expected
    assert set(site.requests()) == {"/robots.txt", *expected}


def test_stops_at_max_pages(site: Site) -> None:
    linked_site(site)
    pages = crawl_all(site.url("/"), limits=CrawlLimits(max_pages=2, max_depth=3, timeout=2.0))
    assert paths(pages) == ["/", "/a"]
    assert site.requests() == ["/robots.txt", "/", "/a"]


def test_robots_txt_disallowed_paths_are_never_requested(site: Site) -> None:
    site.server.clear()
    site.robots("User-agent: *\nDisallow: /private\n")
    site.html("/", "/private", "/private/plans", "/public")
    site.html("/public", "/private/again")
    pages = crawl_all(site.url("/"))
    assert paths(pages) == ["/", "/public"]
    assert not [path for path in site.requests() if path.startswith("/private")]
    assert site.requests().count("/robots.txt") == 1


@pytest.mark.parametrize(
    "robots",
    ["User-agent: *\nDisallow: /\n", "User-agent: SomeoneElse\nAllow: /\n\nUser-agent: VoiceBotCrawler\nDisallow: /\n"],
)
def test_robots_txt_disallowing_the_start_url_is_a_crawl_error(site: Site, robots: str) -> None:
    site.server.clear()
    site.robots(robots)
    site.html("/")
    with pytest.raises(CrawlError) as caught:
        crawl_all(site.url("/"))
    assert caught.value.reason == f"robots.txt does not allow crawling {site.url('/')}"
    assert site.requests() == ["/robots.txt"]


@pytest.mark.parametrize(("status", "level"), [(404, logging.INFO), (500, logging.WARNING), (503, logging.WARNING)])
def test_a_missing_or_broken_robots_txt_allows_everything(
    site: Site, status: int, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    site.server.clear()
    site.robots("User-agent: *\nDisallow: /\n", status=status)
    site.html("/", "/a")
    site.html("/a")
    with caplog.at_level(logging.INFO, logger="documents.crawl"):
        pages = crawl_all(site.url("/"))
    assert paths(pages) == ["/", "/a"]
    assert [r for r in caplog.records if "robots.txt" in r.getMessage() and r.levelno == level]


def test_start_url_may_redirect_to_www_and_the_site_follows(site: Site) -> None:
    www = f"www.{SITE}"
    site.redirect("/", site.url("/home", host=www), status=301)
    # Host-blind local server: what matters is which Host each request carried.
    site.html("/home", site.url("/a", host=SITE), "/b", site.url("/c", host="other.test"))
    site.html("/a")
    site.html("/b")
    site.html("/c")
    pages = crawl_all(site.url("/"))
    assert [page.url for page in pages] == [site.url("/home", www), site.url("/a"), site.url("/b", www)]
    requested = Counter((request.headers["Host"].split(":")[0], request.path) for request, _ in site.server.log)
    assert requested == Counter(
        [(SITE, "/robots.txt"), (SITE, "/"), (www, "/robots.txt"), (www, "/home"), (SITE, "/a"), (www, "/b")]
    )


def test_redirects_within_the_site_are_followed_and_not_refetched(site: Site) -> None:
    site.html("/", "/old", "/new", "/loop")
    site.redirect("/old", "/new", status=301)
    site.html("/new", "/old")
    site.redirect("/loop", "/loop")
    pages = crawl_all(site.url("/"))
    assert paths(pages) == ["/", "/new"]
    assert Counter(site.requests()) == Counter(["/robots.txt", "/", "/old", "/new", "/loop"])


def test_a_link_redirecting_to_another_site_is_not_followed(site: Site, dns: FakeDNS) -> None:
    site.html("/", "/away", "/stay")
    site.redirect("/away", site.url("/landing", host="other.test"))
    site.html("/stay")
    site.html("/landing")
    pages = crawl_all(site.url("/"))
    assert paths(pages) == ["/", "/stay"]
    assert "/landing" not in site.requests()
    assert "other.test" not in dns.calls


def test_too_many_redirects(site: Site) -> None:
    for hop in range(8):
        site.redirect(f"/r{hop}", f"/r{hop + 1}")
    with pytest.raises(CrawlError, match="more than 5 times"):
        crawl_all(site.url("/r0"))
    assert site.requests() == ["/robots.txt", "/r0", "/r1", "/r2", "/r3", "/r4", "/r5"]


def test_link_redirects_to_forbidden_addresses_are_refused_before_any_connection(
    site: Site, dns: FakeDNS, connections: list, caplog: pytest.LogCaptureFixture
) -> None:
    # allow_loopback lets the crawl reach this server, not the intranet or the metadata service. A link's redirect
    # to another host is refused as another site before its name is even resolved; one to a name of this site is
    # vetted like any other hop.
    dns.records[f"www.{SITE}"] = ["10.0.0.7"]  # same site by name, private by address
    site.html("/", "/intranet", "/metadata", "/www", "/next")
    site.redirect("/intranet", "http://intranet.test/secret")
    site.redirect("/metadata", "http://169.254.169.254/latest/meta-data/")
    site.redirect("/www", site.url("/x", host=f"www.{SITE}"))
    site.html("/next")
    with caplog.at_level(logging.INFO, logger="documents.crawl"):
        pages = crawl_all(site.url("/"))
    assert paths(pages) == ["/", "/next"]
    assert "intranet.test" not in dns.calls
    assert f"www.{SITE}" in dns.calls
    assert {host for host, _ in connections} == {"127.0.0.1"}
    skipped = {r.getMessage() for r in caplog.records if r.getMessage().startswith("Skipped")}
    assert skipped == {
        f"Skipped {site.url('/intranet')}: {site.url('/intranet')} redirects to http://intranet.test/secret: "
        "another site",
        f"Skipped {site.url('/metadata')}: {site.url('/metadata')} redirects to "
        "http://169.254.169.254/latest/meta-data/: another site",
        f"Skipped {site.url('/www')}: www.{SITE} resolves to 10.0.0.7, a private address; only public web servers "
        "can be crawled.",
    }


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://intranet.test/", "intranet.test resolves to 10.0.0.5, a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is the cloud metadata address"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is the cloud metadata address"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1 is a private address"),
        ("http://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address"),
    ],
)
def test_start_url_redirecting_to_a_forbidden_address_is_unsafe(
    site: Site, connections: list, location: str, reason: str
) -> None:
    # The start URL may redirect to another host (http -> https, www): that hop is vetted before it is requested.
    site.redirect("/", location)
    with pytest.raises(UnsafeAddress) as caught:
        crawl_all(site.url("/"))
    assert caught.value.reason.startswith(reason)
    assert site.requests() == ["/robots.txt", "/"]
    assert {host for host, _ in connections} == {"127.0.0.1"}


def test_the_connection_goes_to_the_vetted_address_with_the_original_host(
    site: Site, dns: FakeDNS, connections: list
) -> None:
    # site.test exists in no DNS: the request can only have arrived through the address the crawler pinned.
    site.html("/")
    crawl_all(site.url("/"))
    assert site.hosts() == {f"{SITE}:{site.port}"}
    assert connections
    assert set(connections) == {("127.0.0.1", site.port)}
    assert set(dns.calls) == {SITE}


def test_a_huge_page_is_cut_at_max_bytes_without_downloading_the_rest(site: Site, downloads: Counter[str]) -> None:
    site.html("/", "/huge", "/exact")
    site.server.expect_request("/huge").respond_with_data(b"x" * 5_000_000, content_type="text/plain")
    site.server.expect_request("/exact").respond_with_data(b"y" * 100_000, content_type="text/plain")
    pages = crawl_all(site.url("/"), limits=CrawlLimits(max_bytes=100_000, timeout=2.0))
    huge, exact = pages[1], pages[2]
    assert (huge.truncated, len(huge.body)) == (True, 100_000)
    assert downloads["/huge"] < 300_000  # one network read past the limit at most, not 5 MB
    assert (exact.truncated, len(exact.body)) == (False, 100_000)


def test_other_content_types_are_skipped_without_reading_their_body(site: Site, downloads: Counter[str]) -> None:
    site.html("/", "/report", "/picture", "/brochure.pdf", "/text")
    site.server.expect_request("/report").respond_with_data(b"%PDF-1.7" + b"0" * 50_000, content_type="application/pdf")
    site.server.expect_request("/picture").respond_with_data(b"\x89PNG" + b"0" * 1000, content_type="image/png")
    site.server.expect_request("/text").respond_with_data(b"readable", content_type="text/plain; charset=utf-8")
    pages = crawl_all(site.url("/"))
    assert paths(pages) == ["/", "/text"]
    assert "/report" in site.requests()
    assert "/brochure.pdf" not in site.requests()  # a binary extension is not even requested
    assert "/report" not in downloads
    assert "/picture" not in downloads


def test_a_page_slower_than_the_timeout_is_skipped(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("<p>late</p>", content_type="text/html")

    site.html("/", "/slow", "/after")
    site.handler("/slow", slow)
    site.html("/after")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="documents.crawl"):
        pages = crawl_all(site.url("/"), limits=CrawlLimits(timeout=0.5))
    assert paths(pages) == ["/", "/after"]
    assert time.monotonic() - started < 1.4
    assert "did not answer within 0.5 seconds" in caplog.text


def test_a_page_trickling_in_is_cut_at_the_request_timeout(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    def trickle(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(20):
                time.sleep(0.15)  # each read is well within the timeout; the whole page is not
                yield b"<p>drip</p>"

        return Response(chunks(), content_type="text/html")

    site.html("/", "/trickle", "/after")
    site.handler("/trickle", trickle)
    site.html("/after")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="documents.crawl"):
        pages = crawl_all(site.url("/"), limits=CrawlLimits(timeout=0.5))
    assert paths(pages) == ["/", "/after"]
    assert time.monotonic() - started < 1.5
    assert "took longer than 0.5 seconds" in caplog.text


def test_the_whole_crawl_stops_at_total_timeout(site: Site) -> None:
    def slowish(request: Request) -> Response:
        time.sleep(0.25)
        return Response("<p>ok</p>", content_type="text/html")

    links = [f"/p{n}" for n in range(10)]
    site.html("/", *links)
    for link in links:
        site.handler(link, slowish)
    started = time.monotonic()
    pages = crawl_all(site.url("/"), limits=CrawlLimits(timeout=2.0, total_timeout=0.8))
    assert 1 <= len(pages) < 5
    assert time.monotonic() - started < 1.5


def test_an_unreachable_start_url_is_a_crawl_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(CrawlError, match="could not be reached"):
        crawl_all(f"http://{SITE}:{port}/")


@pytest.mark.parametrize(
    ("respond", "message"),
    [
        (lambda s: s.server.expect_request("/").respond_with_data("gone", status=404), "HTTP status 404"),
        (
            lambda s: s.server.expect_request("/").respond_with_data(b"%PDF", content_type="application/pdf"),
            "not a web page",
        ),
    ],
)
def test_a_start_url_that_is_not_a_page_is_a_crawl_error(
    site: Site, respond: Callable[[Site], None], message: str
) -> None:
    respond(site)
    with pytest.raises(CrawlError, match=message):
        crawl_all(site.url("/"))


@pytest.mark.parametrize("url", ["ftp://site.test/", "mailto:owner@site.test", "not a url", ""])
def test_a_start_url_that_is_not_http_is_a_crawl_error(url: str, connections: list) -> None:
    with pytest.raises(CrawlError, match="not an http"):
        crawl_all(url)
    assert connections == []


def test_html_is_read_in_its_declared_charset(site: Site) -> None:
    html = '<html><head><meta charset="windows-1252"></head><body><a href="/caf\xe9">Caf\xe9</a></body></html>'
    site.server.expect_request("/").respond_with_data(html.encode("cp1252"), content_type="text/html")
    site.html("/café")
    pages = crawl_all(site.url("/"))
    assert pages[0].encoding == "cp1252"
    assert [page.url for page in pages] == [site.url("/"), site.url("/caf%C3%A9")]


# --- The production policy (no loopback), through an in-memory transport -----------------------------------------


class MockSite:
    """An in-memory site: records every request the crawler sends; no socket is ever opened."""

    def __init__(self, routes: dict[str, Callable[[httpx.Request], httpx.Response]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(request.url.path)
        return route(request) if route else httpx.Response(404)

    def crawl(self, url: str) -> list[Page]:
        return list(crawl(url, limits=FAST, transport=self.transport))


def html(*links: str) -> Callable[[httpx.Request], httpx.Response]:
    body = "".join(f'<a href="{link}">{link}</a>' for link in links)
    return lambda request: httpx.Response(200, html=f"<html><body>{body}</body></html>")


def redirect(location: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(302, headers={"Location": location})


def test_https_requests_are_pinned_with_host_and_sni(dns: FakeDNS, connections: list) -> None:
    mock = MockSite({"/": html("/about"), "/about": html()})
    pages = mock.crawl("https://Public.Test/")
    assert [page.url for page in pages] == ["https://public.test/", "https://public.test/about"]
    assert [str(request.url) for request in mock.requests] == [
        f"https://{PUBLIC}/robots.txt",
        f"https://{PUBLIC}/",
        f"https://{PUBLIC}/about",
    ]
    for request in mock.requests:
        assert request.headers["Host"] == "public.test"
        assert request.extensions["sni_hostname"] == "public.test"
        assert request.headers["User-Agent"] == CrawlLimits().user_agent
    assert connections == []


def test_ipv6_and_explicit_ports_are_pinned_too(dns: FakeDNS) -> None:
    dns.records["v6.test"] = [PUBLIC_V6]
    mock = MockSite({"/": html()})
    mock.crawl("https://v6.test:8443/")
    assert str(mock.requests[-1].url) == f"https://[{PUBLIC_V6}]:8443/"
    assert mock.requests[-1].headers["Host"] == "v6.test:8443"
    assert mock.requests[-1].extensions["sni_hostname"] == "v6.test"


def test_without_allow_loopback_redirects_to_loopback_are_refused(
    dns: FakeDNS, caplog: pytest.LogCaptureFixture
) -> None:
    dns.records["www.public.test"] = ["127.0.0.1"]  # same site by name, loopback by address
    mock = MockSite(
        {
            "/": html("/to-literal", "/to-www", "/ok"),
            "/to-literal": redirect("http://127.0.0.1:8000/admin"),  # another host: refused as another site
            "/to-www": redirect("http://www.public.test/internal"),
            "/ok": html(),
        }
    )
    with caplog.at_level(logging.WARNING, logger="documents.crawl"):
        pages = mock.crawl("http://public.test/")
    assert [page.url for page in pages] == ["http://public.test/", "http://public.test/ok"]
    assert {request.url.host for request in mock.requests} == {PUBLIC}
    assert "www.public.test resolves to 127.0.0.1, a loopback address" in caplog.text


@pytest.mark.parametrize(
    "location", ["http://127.0.0.1:8000/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://localhost/"]
)
def test_without_allow_loopback_a_start_url_redirecting_to_loopback_is_unsafe(dns: FakeDNS, location: str) -> None:
    dns.records["localhost"] = ["127.0.0.1"]
    mock = MockSite({"/": redirect(location)})
    with pytest.raises(UnsafeAddress, match="loopback"):
        mock.crawl("http://public.test/")
    assert [request.url.path for request in mock.requests] == ["/robots.txt", "/"]


def test_without_allow_loopback_a_loopback_start_url_is_unsafe(dns: FakeDNS) -> None:
    dns.records["localhost"] = ["127.0.0.1", "::1"]
    for url in ("http://localhost/", "http://127.0.0.1/", "http://[::1]/"):
        with pytest.raises(UnsafeAddress):
            MockSite({}).crawl(url)


def test_every_request_is_vetted_again_so_rebinding_dns_gains_nothing(dns: FakeDNS) -> None:
    def first_page(request: httpx.Request) -> httpx.Response:
        dns.records["public.test"] = ["10.0.0.5"]  # the name now points inside
        return html("/next")(request)

    mock = MockSite({"/": first_page, "/next": html()})
    pages = mock.crawl("http://public.test/")
    assert [page.url for page in pages] == ["http://public.test/"]
    assert [request.url.path for request in mock.requests] == ["/robots.txt", "/"]
    assert {request.url.host for request in mock.requests} == {PUBLIC}


def test_the_crawl_is_lazy() -> None:
    mock = MockSite({"/": html()})
    pages = crawl("http://public.test/", transport=mock.transport)
    assert mock.requests == []
    assert next(pages).url == "http://public.test/"
