"""``{% csp_allow "<name>" [url] %}``: the page's Content-Security-Policy allows source set ``name`` (see
``accounts/csp.py``). Written beside the tag that loads the third party's code, inside the same ``{% if %}``, so
that a page allows what it renders and nothing else. Renders nothing."""

from __future__ import annotations

from django import template

from accounts.csp import csp_allow as allow

register = template.Library()


@register.simple_tag(takes_context=True)
def csp_allow(context: template.Context, name: str, url: str = "") -> str:
    request = context.get("request")
    if request is not None:
        allow(request, name, url or "")
    return ""
