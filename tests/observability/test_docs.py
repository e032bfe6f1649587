"""GET /docs: every operation of the OpenAPI document on one self-contained page."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from connector.app import create_app
from connector.config import Settings
from connector.http import docs as docs_routes
from connector.manifests import openapi

PUBLIC_URL = "http://127.0.0.1:8080"
VOID = {"meta", "link", "img", "br", "hr", "input"}
DOCUMENT = openapi.document(PUBLIC_URL)


class Page(HTMLParser):
    """What the tests look at: tags, referenced URLs, ids, and nesting errors."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[str] = []
        self.mismatched: list[tuple[str, str]] = []
        self.tags: list[str] = []
        self.references: list[str] = []
        self.ids: set[str] = set()
        self.attributes: dict[str, dict] = {}
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.tags.append(tag)
        self.attributes.setdefault(tag, found)
        if "id" in found:
            self.ids.add(found["id"])
        for name in ("href", "src"):
            if tag in ("link", "script", "img", "iframe") and found.get(name):
                self.references.append(found[name])
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        top = self.open.pop() if self.open else None
        if top != tag:
            self.mismatched.append((top, tag))


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page as GET /docs serves it (rendered once for the module)."""
    tmp_path = tmp_path_factory.mktemp("docs")
    app = create_app(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'connector.db'}",
            retell_base_url="http://127.0.0.1:9",
            public_url=PUBLIC_URL,
            secret_key="docs-test-secret",
            instance_path=str(tmp_path),
        )
    )
    # Until app.py registers the blueprint itself.
    if docs_routes.bp.name not in app.blueprints:
        app.register_blueprint(docs_routes.bp)
    response = app.test_client().get("/docs")
    app.extensions["connector"].engine.dispose()
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


OPERATIONS = [
    (path, method)
    for path, item in DOCUMENT["paths"].items()
    for method in docs_routes.METHODS
    if method in item
]


@pytest.mark.parametrize(
    ("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS]
)
def test_every_operation_has_a_section(page, path, method):
    """Each path and method of /openapi.json has its own section and summary."""
    summary = DOCUMENT["paths"][path][method]["summary"]
    assert docs_routes._anchor(method, path) in Page(page).ids
    assert f"<code>{path}</code>" in page
    assert str(docs_routes.escape(summary)) in page


BODY_FIELDS = [
    (name, field_name, field)
    for name, schema in DOCUMENT["components"]["schemas"].items()
    if name.endswith("Input")
    for field_name, field in schema.get("properties", {}).items()
]


@pytest.mark.parametrize(
    ("schema", "name", "field"),
    BODY_FIELDS,
    ids=[f"{schema}.{name}" for schema, name, _ in BODY_FIELDS],
)
def test_request_body_fields_are_described(page, schema, name, field):
    """Every input field is listed with its description."""
    assert f"<td><code>{name}</code></td>" in page
    description = field.get("description") or field.get("title") or ""
    assert str(docs_routes.escape(description)) in page


def test_nothing_is_loaded_from_elsewhere(page):
    """No script at all, and no stylesheet, script or image from another host."""
    parsed = Page(page)
    assert "script" not in parsed.tags
    outside = [ref for ref in parsed.references if urlsplit(ref).scheme or "//" in ref]
    assert outside == []


def test_page_is_well_formed_and_labelled(page):
    """Tags nest, the language is declared, and the page has a title and landmarks."""
    parsed = Page(page)
    assert parsed.mismatched == [] and parsed.open == []
    assert parsed.attributes["html"]["lang"] == "en"
    assert {"title", "main", "nav", "h1"} <= set(parsed.tags)


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('Say "hi" & go', "Say &#34;hi&#34; &amp; go"),
    ],
    ids=["markup", "quotes-and-ampersand"],
)
def test_text_from_the_document_is_escaped(summary, expected):
    """Summaries and descriptions are text, never markup."""
    document = {
        "info": {"title": "T", "version": "1"},
        "paths": {"/x": {"get": {"summary": summary, "responses": {}}}},
    }
    html = docs_routes.render(document)
    assert expected in html
    assert "<script>" not in html
