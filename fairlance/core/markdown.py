"""Markdown written by users, rendered to HTML that is safe to put on a page.

Two layers, on purpose: markdown-it-py renders CommonMark with raw HTML disabled, so a
``<script>`` in the text comes out as escaped text; nh3 (ammonia) then keeps only an
allow-list of tags and attributes. The second layer is what we rely on for safety: if a
future markdown plugin emitted something unexpected, the sanitiser still drops it.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {
    "p",
    "a",
    "em",
    "strong",
    "ul",
    "ol",
    "li",
    "code",
    "pre",
    "blockquote",
    "h3",
    "h4",
    "br",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# User content links must not pass reputation (nofollow), must not get a handle on our
# window (noopener) and are marked as user-generated (ugc).
LINK_REL = "nofollow noopener ugc"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # commonmark preset with html=False: raw HTML blocks and inline HTML become text.
    # Images are not in the allow-list (a description would hot-link arbitrary hosts);
    # the gallery is where pictures go.
    return MarkdownIt("commonmark", {"html": False}).disable("image")


def _demote_headings(tokens: list[Token]) -> None:
    # The page already owns h1/h2; a freelancer's "# Heading" becomes h3 and anything
    # deeper h4, instead of being stripped and running into the next paragraph.
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            level = int(token.tag[1])
            token.tag = "h3" if level <= 3 else "h4"


def render_markdown(text: str) -> str:
    """Render user Markdown to sanitised HTML (empty string for empty input)."""
    if not text or not text.strip():
        return ""
    parser = _parser()
    tokens = parser.parse(text)
    _demote_headings(tokens)
    html = parser.renderer.render(tokens, parser.options, {})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()
