"""Crawl a bot owner's website for its knowledge base, without letting the owner aim us at our own network.

The start URL is typed by a user, so the crawler is a server-side request forgery surface. Four rules close it:

1. **Every address is vetted before any connection.** ``check_url`` resolves the host (through ``resolve``, the one
   place DNS happens) and refuses it unless every address it resolves to is public: no loopback, private,
   link-local, shared (CGNAT), multicast, reserved or unspecified address, no cloud metadata endpoint, and no IPv6
   address that embeds one of those (IPv4-mapped, 6to4, Teredo, NAT64).
2. **The connection goes to the vetted address.** The request URL carries the IP itself, with the real name in the
   ``Host`` header and, for https, in ``sni_hostname`` (TLS SNI and certificate checks use the name). A DNS answer
   that changes between the check and the connect (rebinding) cannot redirect us: httpx never resolves the name.
3. **Redirects are followed by hand**, at most ``MAX_REDIRECTS``, each hop vetted by rule 1 before it is requested.
4. **Nothing is read unbounded**: bodies are streamed and cut at ``max_bytes``, only for HTML and plain text, each
   request is bounded in time and so is the whole crawl; proxies from the environment are ignored (they would
   bypass rule 2).

``allow_loopback`` lets loopback addresses through rule 1 and nothing else: it exists so tests can crawl a server on
127.0.0.1 (``settings.CRAWL_ALLOW_LOOPBACK``) and must stay off in production. Private addresses stay refused even
then. It applies to every hop, not only the start URL. Tests that need the production policy end to end pass an
``httpx.MockTransport`` as ``transport``: the checks and the pinning run unchanged, and no socket is ever opened.
"""

from __future__ import annotations

import codecs
import ipaddress
import logging
import re
import socket
import time
import urllib.robotparser
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import TracebackType
from urllib.parse import urljoin

import httpx

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 5
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = HTML_TYPES | {"text/plain"}
# RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt; the rest may be ignored.
ROBOTS_MAX_BYTES = 512 * 1024
# Longer links are almost always session ids or crawler traps, not pages worth indexing.
MAX_URL_LENGTH = 2048
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"
# Links to these are never requested: they cannot be HTML or text, and asking would only cost a round trip.
BINARY_EXTENSIONS = frozenset(
    {
        ".7z", ".apk", ".avi", ".bin", ".bmp", ".bz2", ".css", ".csv", ".dmg", ".doc", ".docx", ".eot", ".epub",
        ".exe", ".flac", ".gif", ".gz", ".heic", ".ico", ".iso", ".jar", ".jpeg", ".jpg", ".js", ".json", ".m4a",
        ".m4v", ".mjs", ".mkv", ".mov", ".mp3", ".mp4", ".mpeg", ".mpg", ".msi", ".odp", ".ods", ".odt", ".ogg",
        ".otf", ".pdf", ".png", ".ppt", ".pptx", ".rar", ".rss", ".rtf", ".svg", ".tar", ".tgz", ".tif", ".tiff",
        ".ttf", ".wav", ".webm", ".webp", ".wmv", ".woff", ".woff2", ".xls", ".xlsx", ".xml", ".xz", ".zip",
    }
)  # fmt: skip

# Named before the generic classes so the owner's message says what the address is.
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
SHARED_NETWORK = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598: not "private" to ipaddress
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
NAT64_NETWORK = ipaddress.ip_network("64:ff9b::/96")

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)


class CrawlError(Exception):
    """The start URL cannot be crawled at all; ``.reason`` is a short sentence for the bot's owner.

    Inside the crawl the same exception carries why one later page was skipped; only the start URL's reaches the
    caller.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsafeAddress(CrawlError):
    """A host that resolves to a forbidden address (or a literal forbidden address)."""


class _Skipped(CrawlError):
    """An expected skip (robots.txt, another site, already crawled): logged at INFO, not as a problem."""


class _OutOfTime(CrawlError):
    """The crawl's total time is spent: stop, keeping the pages found so far."""


@dataclass(frozen=True)
class Page:
    """One crawled page: HTML or plain text, answered with a 2xx status.

    ``encoding`` is the one the crawler used to read the page's links: the Content-Type charset, else the HTML's
    ``<meta charset>``, else ``utf-8``. Callers may decode ``body`` with it (``errors="replace"``).
    """

    url: str  # final URL after redirects (normalized: no fragment)
    status: int
    content_type: str  # e.g. "text/html" (parameters stripped)
    body: bytes  # at most max_bytes
    truncated: bool  # True when the page was longer than max_bytes
    encoding: str = "utf-8"


@dataclass(frozen=True)
class CrawlLimits:
    max_pages: int = 50
    max_depth: int = 2
    max_bytes: int = 2_000_000  # per page
    timeout: float = 10.0  # per request (connect + read), also a wall-clock bound on reading one body
    total_timeout: float = 120.0  # whole crawl
    user_agent: str = "VoiceBotCrawler/1.0 (+knowledge base)"


# --- Addresses ---------------------------------------------------------------------------------------------------


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, in the resolver's order: the only DNS lookup of this module.

    One small function so tests can replace it and make any name resolve anywhere without DNS traffic.
    """
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def forbidden_reason(address: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why we must not connect to ``address`` (a phrase such as "a private address"), or None when it is public."""
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return forbidden_reason(address.ipv4_mapped, allow_loopback=allow_loopback)
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in NAT64_NETWORK:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and (reason := forbidden_reason(embedded)) is not None:
            return f"an IPv6 address embedding {embedded}, {reason}"
    if address in METADATA_ADDRESSES:
        return "the cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_unspecified or (address.version == 4 and address in THIS_NETWORK):
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.version == 4 and address in SHARED_NETWORK:
        return "a shared (carrier-grade NAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or (address.version == 6 and address.is_site_local):
        return "a reserved address"
    if not address.is_global:
        return "a non-public address"
    return None


@dataclass(frozen=True)
class _Target:
    """A URL whose host has been vetted, with the address to connect to."""

    url: httpx.URL
    host: str  # ASCII (IDNA) host name: what the Host header and SNI carry
    address: IPAddress


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _addresses(host: str, port: int) -> list[IPAddress]:
    """A literal IP as it is (never through the resolver), else what ``resolve`` answers."""
    if _is_ip(host):
        return [ipaddress.ip_address(host)]
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError) as exc:
        raise CrawlError(f"The host {host} could not be found.") from exc
    if not addresses:
        raise CrawlError(f"The host {host} could not be found.")
    return addresses


def _vet(url: str, *, allow_loopback: bool) -> _Target:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise CrawlError(f"{url!r} is not a valid web address.") from exc
    if parsed.scheme not in SCHEMES:
        raise CrawlError(f"Only http:// and https:// addresses can be crawled, not {url!r}.")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise CrawlError(f"{url!r} has no host name.")
    addresses = _addresses(host, parsed.port or DEFAULT_PORTS[parsed.scheme])
    # Every address, not just the first: the connection uses the first, but a resolver answering with a mix of
    # public and private addresses is exactly what a rebinding attacker would serve.
    for address in addresses:
        if (reason := forbidden_reason(address, allow_loopback=allow_loopback)) is not None:
            raise UnsafeAddress(
                f"{host} is {reason}; only public web servers can be crawled."
                if _is_ip(host)
                else f"{host} resolves to {address}, {reason}; only public web servers can be crawled."
            )
    return _Target(url=parsed, host=host, address=addresses[0])


def check_url(url: str, *, allow_loopback: bool = False) -> None:
    """Raise UnsafeAddress/CrawlError unless url is http(s), has a host, and EVERY address the host resolves to is
    public (not loopback unless allow_loopback, not private, link-local, multicast, reserved, unspecified,
    shared/CGNAT 100.64/10, the cloud metadata addresses 169.254.169.254 and fd00:ec2::254, IPv4-mapped IPv6 of any
    of those, 0.0.0.0/8). allow_loopback exists only so tests can crawl a local server."""
    _vet(url, allow_loopback=allow_loopback)


# --- URLs and links ----------------------------------------------------------------------------------------------


def normalize_url(url: str, *, base: str | None = None) -> str | None:
    """``url`` (resolved against ``base``) as the crawler compares URLs, or None when it cannot be crawled.

    Lower-case scheme and host, IDNA host, no default port, no user info, no fragment, ``/`` for an empty path, no
    empty query. ``/a`` and ``/a/`` stay different: servers may treat them differently.
    """
    url = url.strip().replace("\t", "").replace("\n", "").replace("\r", "")
    if not url or len(url) > MAX_URL_LENGTH:
        return None
    try:
        parsed = httpx.URL(urljoin(base, url) if base else url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return None
    if parsed.scheme not in SCHEMES or not parsed.raw_host:
        return None
    host = parsed.raw_host.decode("ascii")
    netloc = f"[{host}]" if ":" in host else host
    if parsed.port is not None:
        netloc = f"{netloc}:{parsed.port}"
    path = parsed.raw_path.decode("ascii").removesuffix("?") or "/"
    return f"{parsed.scheme}://{netloc}{path}"


def site_of(url: str) -> str:
    """The site a URL belongs to: its host, without one leading ``www.`` (so both spellings are one site)."""
    host = httpx.URL(url).raw_host.decode("ascii").rstrip(".")
    return host.removeprefix("www.")


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def _is_binary(url: str) -> bool:
    path = httpx.URL(url).path.lower()
    dot = path.rfind(".")
    return dot > path.rfind("/") and path[dot:] in BINARY_EXTENSIONS


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("a", "base"):
            return
        href = dict(attrs).get("href")
        if not href:
            return
        if tag == "a":
            self.hrefs.append(href)
        elif self.base is None:  # only the first <base href> counts
            self.base = href


def extract_links(html: str, page_url: str) -> list[str]:
    """The crawlable (http/https) targets of the page's ``<a href>``, normalized, in order, without duplicates.

    Relative links resolve against the first ``<base href>`` when there is one (it applies to the whole document,
    even to links before it), else against the page URL.
    """
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    base = (normalize_url(parser.base, base=page_url) if parser.base else None) or page_url
    links: dict[str, None] = {}
    for href in parser.hrefs:
        # mailto:, javascript:, tel:, data: and the like come out as None: only http(s) is kept.
        if (link := normalize_url(href, base=base)) is not None:
            links[link] = None
    return list(links)


def _content_type(header: str) -> tuple[str, str | None]:
    """The media type (lower case, no parameters) and the charset parameter of a Content-Type header."""
    media_type, *params = header.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media_type.strip().lower(), charset


def _usable_encoding(name: str | None) -> str | None:
    if not name:
        return None
    try:
        # LookupError also for codecs that are not text encodings (rot13, base64, ...); b"" would skip that check.
        b"x".decode(name, errors="replace")
        return codecs.lookup(name).name
    except LookupError:
        return None


def page_encoding(body: bytes, content_type: str, charset: str | None) -> str:
    """The Content-Type charset, else (HTML) the ``<meta charset>`` or ``http-equiv`` one, else utf-8."""
    if encoding := _usable_encoding(charset):
        return encoding
    match = _META_CHARSET.search(body[:4096]) if content_type in HTML_TYPES else None
    return (_usable_encoding(match.group(1).decode("ascii")) if match else None) or "utf-8"


# --- Fetching ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    url: str  # the URL finally answered (after redirects)
    status: int
    content_type: str
    charset: str | None
    body: bytes | None  # None when not read: redirects, non-2xx, content types not asked for
    truncated: bool = False
    location: str | None = None  # the raw Location of a redirect


# (url of the hop) -> None to follow it, or why not
FollowPolicy = Callable[[str], str | None]
RobotsPolicy = Callable[[str], bool]


def _follow_anywhere(url: str) -> str | None:
    return None


@dataclass
class _Fetcher:
    """Vetted, pinned, bounded GET requests with manual redirects; remembers every URL it requested."""

    limits: CrawlLimits
    allow_loopback: bool
    deadline: float
    transport: httpx.BaseTransport | None = None
    requested: set[str] = field(default_factory=set)
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def __enter__(self) -> _Fetcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for client in self._clients.values():
            client.close()

    def fetch(
        self,
        url: str,
        *,
        follow: FollowPolicy,
        allowed: RobotsPolicy | None,
        read: frozenset[str] | None,
        max_bytes: int | None = None,
    ) -> _Response:
        """GET ``url`` (normalized), following redirects that ``follow`` accepts; read the body of a 2xx answer
        whose content type is in ``read`` (any type when None). Raises CrawlError (or a subclass) with the reason."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            target = _vet(current, allow_loopback=self.allow_loopback)
            if allowed is not None and not allowed(current):
                raise _Skipped(f"robots.txt does not allow crawling {current}")
            response = self._get(target, current, read=read, max_bytes=max_bytes or self.limits.max_bytes)
            if response.location is None:
                return response
            next_url = normalize_url(response.location, base=current)
            if next_url is None:
                raise CrawlError(f"{current} redirects to {response.location!r}, which cannot be crawled.")
            if (refusal := follow(next_url)) is not None:
                raise _Skipped(f"{current} redirects to {next_url}: {refusal}")
            logger.info("%s redirects to %s", current, next_url)
            current = next_url
        raise CrawlError(f"{url} redirects more than {MAX_REDIRECTS} times.")

    def _client(self, host: str) -> httpx.Client:
        # One client (one connection pool) per host name: pools are keyed by the pinned IP, and a TLS connection
        # verified for one name must not carry requests for another name served from the same IP.
        if (client := self._clients.get(host)) is None:
            client = httpx.Client(
                follow_redirects=False,
                trust_env=False,  # an environment proxy would resolve the name itself and undo the pinning
                transport=self.transport,
                headers={"User-Agent": self.limits.user_agent, "Accept": ACCEPT},
            )
            self._clients[host] = client
        return client

    def _get(self, target: _Target, url: str, *, read: frozenset[str] | None, max_bytes: int) -> _Response:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _OutOfTime(f"The crawl's time limit was reached before {url}.")
        timeout = min(self.limits.timeout, remaining)
        pinned = target.url.copy_with(host=str(target.address))
        headers = {"Host": target.url.netloc.decode("ascii")}
        extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
        self.requested.add(url)
        started = time.monotonic()
        try:
            with self._client(target.host).stream(
                "GET", pinned, headers=headers, extensions=extensions, timeout=httpx.Timeout(timeout)
            ) as response:
                content_type, charset = _content_type(response.headers.get("content-type", ""))
                location = response.headers.get("location") if response.status_code in REDIRECT_STATUSES else None
                body, truncated = None, False
                # Decided on the headers alone: the body of anything else is never downloaded.
                if location is None and response.is_success and (read is None or content_type in read):
                    body, truncated = self._read(response, url, started=started, timeout=timeout, max_bytes=max_bytes)
        except httpx.TimeoutException as exc:
            raise CrawlError(f"{url} did not answer within {timeout:g} seconds.") from exc
        except httpx.HTTPError as exc:
            raise CrawlError(f"{url} could not be reached ({exc.__class__.__name__}).") from exc
        logger.info(
            "GET %s -> %s %s%s",
            url,
            response.status_code,
            content_type or "(no content type)",
            "" if body is None else f", {len(body)} bytes{' (truncated)' if truncated else ''}",
        )
        return _Response(url, response.status_code, content_type, charset, body, truncated, location)

    @staticmethod
    def _read(
        response: httpx.Response, url: str, *, started: float, timeout: float, max_bytes: int
    ) -> tuple[bytes, bool]:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                return bytes(body[:max_bytes]), True
            # httpx's timeout bounds each read; a server trickling bytes could still hold us forever without this.
            if time.monotonic() - started > timeout:
                raise CrawlError(f"{url} took longer than {timeout:g} seconds to download.")
        return bytes(body), False


class _Robots:
    """robots.txt per origin, fetched once, through the same vetted fetcher."""

    def __init__(self, fetcher: _Fetcher, user_agent: str) -> None:
        self._fetcher = fetcher
        self._user_agent = user_agent
        self._parsers: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def allowed(self, url: str) -> bool:
        origin = _origin(url)
        if origin not in self._parsers:
            self._parsers[origin] = self._load(f"{origin}/robots.txt")
        parser = self._parsers[origin]
        return parser is None or parser.can_fetch(self._user_agent, url)

    def _load(self, robots_url: str) -> urllib.robotparser.RobotFileParser | None:
        """The parsed robots.txt, or None for "everything allowed"."""
        try:
            # Redirects anywhere (vetted), as RFC 9309 allows: http -> https is common for robots.txt too.
            response = self._fetcher.fetch(
                robots_url, follow=_follow_anywhere, allowed=None, read=None, max_bytes=ROBOTS_MAX_BYTES
            )
        except CrawlError as exc:
            logger.warning("%s could not be read (%s); crawling as if it allowed everything", robots_url, exc.reason)
            return None
        if response.status >= 500:
            # RFC 9309 would have us assume "disallow all"; a site whose robots.txt is broken still wants its
            # knowledge base, so we crawl and say so.
            logger.warning("%s answered %s; crawling as if it allowed everything", robots_url, response.status)
            return None
        if response.body is None:  # 4xx: no robots.txt
            logger.info("%s answered %s: everything allowed", robots_url, response.status)
            return None
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse(response.body.decode("utf-8", errors="replace").splitlines())
        return parser


# --- The crawl ---------------------------------------------------------------------------------------------------


def _page(response: _Response) -> Page:
    body = response.body or b""  # only called for responses whose body was read
    return Page(
        url=response.url,
        status=response.status,
        content_type=response.content_type,
        body=body,
        truncated=response.truncated,
        encoding=page_encoding(body, response.content_type, response.charset),
    )


def crawl(
    start_url: str,
    *,
    limits: CrawlLimits = CrawlLimits(),
    allow_loopback: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Iterator[Page]:
    """Breadth-first crawl of start_url's site. Yields pages (HTML and plain text only: other content types are
    skipped without downloading their body). Raises CrawlError only when start_url itself is unusable (bad URL,
    unsafe address, unreachable, robots.txt disallows it); problems with later pages are logged and skipped.

    A generator: nothing is requested, and no CrawlError raised, before the first ``next()``. The start URL is also
    unusable when it answers a non-2xx status or something other than HTML or text. It may redirect to another host
    (http -> https, example.com -> www.example.com): the crawl's site is then the final host. Later links are
    followed only within the site (one leading ``www.`` ignored), and so are their redirects.

    ``transport`` is for tests: an httpx transport (e.g. ``httpx.MockTransport``) to send the requests through
    instead of the network. Address checks, pinning and limits apply unchanged.
    """
    start = normalize_url(start_url)
    if start is None:
        raise CrawlError(f"{start_url!r} is not an http:// or https:// web address.")
    deadline = time.monotonic() + limits.total_timeout
    with _Fetcher(limits=limits, allow_loopback=allow_loopback, deadline=deadline, transport=transport) as fetcher:
        robots = _Robots(fetcher, limits.user_agent)
        try:
            first = fetcher.fetch(start, follow=_follow_anywhere, allowed=robots.allowed, read=TEXT_TYPES)
        except _OutOfTime as exc:
            raise CrawlError(f"{start} did not answer within the crawl's time limit.") from exc
        if not 200 <= first.status < 300:
            raise CrawlError(f"{start} answered with HTTP status {first.status}.")
        if first.body is None:
            raise CrawlError(f"{start} is not a web page ({first.content_type or 'no content type'}).")
        site = site_of(first.url)
        logger.info("Crawling %s (site %s)", start, site)

        def follow_within_site(url: str) -> str | None:
            if site_of(url) != site:
                return "another site"
            return "already crawled" if url in fetcher.requested else None

        queued: set[str] = {start, first.url}
        queue: deque[tuple[str, int]] = deque()
        response: _Response | None = first
        depth = 0
        yielded = 0
        while response is not None:
            page = _page(response)
            yield page
            yielded += 1
            if yielded >= limits.max_pages:
                logger.info("Crawl of %s stopped at its limit of %d pages", site, limits.max_pages)
                return
            if depth < limits.max_depth and page.content_type in HTML_TYPES:
                for link in extract_links(page.body.decode(page.encoding, errors="replace"), page.url):
                    if link not in queued and site_of(link) == site and not _is_binary(link):
                        queued.add(link)
                        queue.append((link, depth + 1))
            response = None
            while response is None and queue:
                url, depth = queue.popleft()
                if url in fetcher.requested:  # reached earlier as a redirect's target
                    continue
                if time.monotonic() >= deadline:
                    logger.warning("Crawl of %s stopped at its time limit of %g s", site, limits.total_timeout)
                    return
                try:
                    candidate = fetcher.fetch(url, follow=follow_within_site, allowed=robots.allowed, read=TEXT_TYPES)
                except _OutOfTime:
                    logger.warning("Crawl of %s stopped at its time limit of %g s", site, limits.total_timeout)
                    return
                except _Skipped as exc:
                    logger.info("Skipped %s: %s", url, exc.reason)
                    continue
                except CrawlError as exc:
                    logger.warning("Skipped %s: %s", url, exc.reason)
                    continue
                if not 200 <= candidate.status < 300:
                    logger.warning("Skipped %s: HTTP status %s", url, candidate.status)
                elif candidate.body is None:
                    logger.info("Skipped %s: not HTML or text (%s)", url, candidate.content_type or "no content type")
                else:
                    queued.add(candidate.url)
                    response = candidate
