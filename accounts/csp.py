"""The Content-Security-Policy of every response (django-csp), and the sources a page adds for what it loads from
elsewhere.

The site-wide policy is in ``config/settings.py`` (``CONTENT_SECURITY_POLICY``): everything from this origin only,
no inline script, no eval, no plugins, no framing. A page that loads a third party's code declares it where the
template emits that code, with ``{% csp_allow "<name>" %}`` (``accounts/templatetags/content_security.py``), so a
page's policy names exactly what that page loads, as rendered:

- ``clerk``: Clerk's script and what its components need (``base.html``, only when Clerk is configured).
- ``voice-widget``: our widget from its public origin, VAPI's script-tag SDK and the Daily call it starts (the
  landing page's live demo and ``/test-embed``).
- ``recording``: a call recording's origin, for the call page's ``<audio>``.

Each set follows what its vendor documents and what the code was read to load (see the comments of each).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from csp.constants import NONCE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from accounts.pages import clerk_frontend_api

Directives = dict[str, list[str]]

# Where Daily's call machine comes from: the SDK (public/js/vendor/vapi-web-*.js, @daily-co/daily-js inside) has it
# loaded with a <script> from here (``avoidEval``) instead of fetched and run with Function().
DAILY_CALL_MACHINE_ORIGIN = "https://c.daily.co"
# The SDK's web client starts the call here (@vapi-ai/web's default base URL).
VAPI_API_ORIGIN = "https://api.vapi.ai"

_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL, rebuilt from its parts; empty for anything else (the value
    goes into a header: nothing but an origin may reach it)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not _HOST.match(host):
        return ""
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def clerk_sources(_: str = "") -> Directives:
    """Clerk's documented requirements for its browser SDK: its Frontend API (named by the publishable key) for
    the script and its requests, Cloudflare's bot protection (a script and an iframe on sign-in and sign-up),
    avatars from img.clerk.com, workers from blob: URLs, inline styles (its components are styled by CSS-in-JS),
    and the telemetry that development instances send."""
    host = clerk_frontend_api(settings.CLERK_PUBLISHABLE_KEY)
    if not host:
        return {}
    frontend_api = f"https://{host}"
    return {
        "script-src": [frontend_api, "https://challenges.cloudflare.com"],
        "connect-src": [frontend_api, "https://clerk-telemetry.com", "https://*.clerk-telemetry.com"],
        "img-src": ["https://img.clerk.com"],
        "worker-src": [SELF, "blob:"],
        "frame-src": ["https://challenges.cloudflare.com"],
        "style-src": [UNSAFE_INLINE],
    }


def voice_widget_sources(widget_url: str) -> Directives:
    """The widget embedded as on a customer's site: its script, VAPI's web SDK and its API at ``widget_url``'s
    origin (the public base URL, which need not be this request's origin), and the call.

    What the SDK does, read from its source (@vapi-ai/web 2.7.1 with @daily-co/daily-js 0.87.0, vendored at
    public/js/vendor/, scripts/vapi-sdk/): ``start()`` asks api.vapi.ai for a web call and joins it with Daily's
    call object, whose call-machine bundle daily-js loads with a ``<script>`` from c.daily.co (``avoidEval``, set by
    our bundle; without it daily-js fetches the bundle and runs it with ``Function()``, which would need
    ``'unsafe-eval'``). It draws nothing and adds no style. The connections and workers are Daily's for its call
    object (its call machine is fetched at run time: those origins are not verified here). docs/vapi.md says the
    same to customers."""
    widget_origin = origin_of(widget_url)
    own = [widget_origin] if widget_origin else []
    return {
        "script-src": [*own, DAILY_CALL_MACHINE_ORIGIN, "blob:"],
        "connect-src": [
            *own,
            VAPI_API_ORIGIN,
            "https://*.daily.co",
            "wss://*.daily.co",
            "https://*.pluot.blue",
            "wss://*.pluot.blue",
        ],
        "worker-src": [SELF, "blob:"],
    }


def recording_sources(recording_url: str) -> Directives:
    """A call's recording, played from wherever VAPI stored it (its own storage or the account's bucket)."""
    origin = origin_of(recording_url)
    return {"media-src": [origin]} if origin else {}


SOURCE_SETS: dict[str, Callable[[str], Directives]] = {
    "clerk": clerk_sources,
    "voice-widget": voice_widget_sources,
    "recording": recording_sources,
}


def csp_allow(request: HttpRequest, name: str, url: str = "") -> None:
    """Add source set ``name`` (one of ``SOURCE_SETS``) to the policy of ``request``'s response."""
    if name not in SOURCE_SETS:
        raise ValueError(f"Unknown CSP source set {name!r}: one of {', '.join(SOURCE_SETS)}")
    if not hasattr(request, "_csp_allowed"):
        request._csp_allowed = []
    request._csp_allowed.append((name, url))


def allowed_sources(request: HttpRequest) -> Directives:
    """The sources every ``csp_allow`` of this request added, merged per directive."""
    merged: Directives = {}
    for name, url in getattr(request, "_csp_allowed", ()):
        for directive, sources in SOURCE_SETS[name](url).items():
            merged.setdefault(directive, []).extend(sources)
    return merged


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, plus the sources the page's ``csp_allow`` calls added (on the enforced and the
    report-only header alike, whichever is configured)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        added = allowed_sources(request)
        if not added:
            return parts
        for directive, sources in (parts.update or {}).items():  # a view's own @csp_update, if any
            added.setdefault(directive, []).extend([sources] if isinstance(sources, str) else sources)
        parts.update = added
        setting = settings.CONTENT_SECURITY_POLICY_REPORT_ONLY if report_only else settings.CONTENT_SECURITY_POLICY
        site = (setting or {}).get("DIRECTIVES") or {}
        replace = dict(parts.replace or {})
        for directive in added:
            if directive not in site and directive not in replace:
                # A directive the site leaves to default-src starts from it: adding Clerk's connect-src must not
                # take 'self' away from htmx.
                replace[directive] = list(site.get("default-src") or [SELF])
        if UNSAFE_INLINE in added.get("style-src", ()):
            # Browsers ignore 'unsafe-inline' next to a nonce: a page whose third-party code injects styles
            # gets the site's style-src without its nonce (inline styles are then all allowed anyway).
            replace["style-src"] = [source for source in site.get("style-src") or [SELF] if source is not NONCE]
        parts.replace = replace
        return parts
