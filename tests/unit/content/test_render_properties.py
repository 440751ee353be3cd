"""Properties of the Markdown renderer, for generated articles full of raw HTML, nested and
auto links, entities and odd URLs: whatever an article says, what it renders to cannot run in
the reader's browser, and cleaning it again changes nothing."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpdesk.content.render import ALLOWED_TAGS, render_inline, render_markdown, sanitize

FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "input",
    "textarea",
    "button",
    "link",
    "meta",
    "base",
    "frame",
    "frameset",
    "template",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "background"}
_TABS_AND_BREAKS = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


def _scheme(value: str) -> str:
    """The scheme a browser reads in an attribute's URL (WHATWG): entities decoded, control
    characters and spaces around it dropped, tabs and line breaks anywhere; "" for a relative URL."""
    url = _TABS_AND_BREAKS.sub("", html.unescape(value).strip("".join(map(chr, range(0x21)))))
    found = _SCHEME.match(url.lower())
    return found.group(1) if found else ""


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def elements(markup: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser.elements


def assert_inert(markup: str) -> None:
    for tag, attributes in elements(markup):
        assert tag not in FORBIDDEN_TAGS, f"<{tag}> in {markup!r}"
        assert tag in ALLOWED_TAGS, f"<{tag}> in {markup!r}"
        for name, value in attributes:
            assert not name.startswith("on"), f"{name}= in {markup!r}"
            assert name != "style", markup
            if name in URL_ATTRIBUTES and value is not None:
                scheme = _scheme(value)
                assert scheme in ("", "http", "https", "mailto"), f"{name}={value!r} in {markup!r}"
            if tag == "img" and name == "src":
                assert (value or "").startswith("/articles/media/"), markup


_HOSTILE_URLS = st.sampled_from(
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript&#58;alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        "https://example.org",
        "other.md#x",
        "images/x.png",
        "//evil.test/x.png",
        "mailto:a@example.org",
        "#top",
        'x" onerror="alert(1)',
        "javascript&colon;alert(1)",
        "jav&#x09;ascript:alert(1)",
    ]
)
_RAW_HTML = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "<iframe src=//evil.test>",
        "<object data=x>",
        "<embed src=x>",
        "<style>*{}</style>",
        '<a href="javascript:alert(1)">x</a>',
        "<div onclick=alert(1)>x</div>",
        "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
        "<!-- <script>x</script> -->",
        "<scr<script>ipt>alert(1)</script>",
        '<p style="x:expression(alert(1))">x</p>',
        "<details open ontoggle=alert(1)>",
        "<a href=x onmouseover=alert(1)>",
        "<base href=//evil.test>",
        "<form action=//evil.test><button formaction=javascript:alert(1)>",
        "<![CDATA[<script>]]>",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        "<template><script>x</script>",
        "<textarea><script>x</script></textarea>",
        "<meta http-equiv=refresh content=0;url=//evil.test>",
        "</p><script>",
        "<a href='",
        '"><script>',
        "&lt;script&gt;",
        "&amp;",
        "&#0;",
        "&#x110000;",
    ]
)


@st.composite
def markdown_pieces(draw: st.DrawFn) -> str:
    url = draw(_HOSTILE_URLS)
    words = draw(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12))
    return draw(
        st.sampled_from(
            [
                f"[{words}]({url})",
                f"[[{words}]({url})]({url})",
                f"![{words}]({url})",
                f"<{url}>",
                f"[{words}][ref]\n\n[ref]: {url}",
                f"# {words} {{#{words}}}",
                f"## {words}",
                f"```\n{url}\n```",
                f"`{url}`",
                f"> {words}",
                f"* {words}",
                f"| a | b |\n|---|---|\n| {url} | {words} |",
                f'!!! note "{words}"\n    {url}',
                f"*{words}* **{url}**",
                words,
                url,
            ]
        )
    )


ARTICLES = st.lists(st.one_of(markdown_pieces(), _RAW_HTML), max_size=8).map("\n\n".join) | st.lists(
    st.one_of(markdown_pieces(), _RAW_HTML), max_size=8
).map(" ".join)


@settings(max_examples=250)
@given(ARTICLES)
@example("<scr<script>ipt>alert(1)</script>")
@example("[x](&#106;avascript:alert(1))")
@example('<a href="jav&#x09;ascript:alert(1)">x</a>')
def test_a_rendered_article_cannot_run_anything(text: str) -> None:
    rendered = render_markdown(text)
    assert_inert(rendered.html)
    for section in rendered.sections.values():
        assert_inert(section)


@settings(max_examples=200)
@given(ARTICLES)
def test_a_rendered_question_cannot_run_anything(text: str) -> None:
    assert_inert(render_inline(text))


@settings(max_examples=150)
@given(ARTICLES)
def test_cleaning_clean_html_changes_nothing(text: str) -> None:
    once = render_markdown(text).html
    assert sanitize(once) == once


@settings(max_examples=100)
@given(st.text(max_size=300))
def test_any_text_renders(text: str) -> None:
    rendered = render_markdown(text)
    assert_inert(rendered.html)
    assert all(heading.id in rendered.sections for heading in rendered.headings)


def _title_as_before(html_text: str, heading_id: str) -> str:
    """A heading's title as it was found before: a search for its id's first heading."""
    found = re.search(rf'<h[1-6] id="{re.escape(heading_id)}">(.*?)</h[1-6]>', html_text, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else heading_id


@settings(max_examples=150)
@given(ARTICLES)
@example('<h2 id="same">First</h2>\n\n<h3 id="same">Second</h3>\n\n## Same {#same}')
@example('## A *b* &amp; <code>c</code>\n\n<h2 id="open">never closed')
def test_heading_titles_are_found_as_before(text: str) -> None:
    rendered = render_markdown(text)
    for heading in rendered.headings:
        assert heading.title == _title_as_before(rendered.html, heading.id)
