"""GET /docs: the API reference as one HTML page, made from the OpenAPI document.

The page is rendered on the server from the same document /openapi.json serves, so
it cannot drift from the routes. It has inline CSS and no script, font or image from
elsewhere: it works offline, behind strict Content-Security-Policy headers, and in
the platforms' in-app browsers, and it never tells a CDN who reads it.
"""

from __future__ import annotations

from flask import Blueprint, Response
from markupsafe import Markup, escape

from ..manifests import openapi
from .context import services

bp = Blueprint("docs", __name__)

METHODS = ("get", "put", "post", "patch", "delete")

#: Enough to read comfortably; colours meet WCAG 2.1 AA contrast (4.5:1) on white.
STYLE = """
body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;margin:0 auto;max-width:60rem;
padding:0 1rem 4rem}
a{color:#0b57d0}a:focus{outline:3px solid #0b57d0;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff}
code{font:0.9em ui-monospace,monospace;background:#f2f2f2;padding:0 .2em}
section.op{border-top:1px solid #ccc;margin-top:2rem}
.method{display:inline-block;min-width:4.5em;font-weight:700;text-transform:uppercase}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}
.required{color:#8a1c1c;font-weight:600}
"""


@bp.get("/docs")
def reference() -> Response:
    document = openapi.document(services().settings.public_url)
    return Response(render(document), mimetype="text/html")


def render(document: dict) -> str:
    """The whole reference page for an OpenAPI 3.1 ``document``."""
    info = document["info"]
    schemas = document.get("components", {}).get("schemas", {})
    operations = [
        (path, method, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]
    contents = Markup("").join(
        Markup(
            '<li><a href="#{}"><span class="method">{}</span> <code>{}</code>'
            "</a> {}</li>"
        ).format(_anchor(method, path), method, path, operation.get("summary", ""))
        for path, method, operation in operations
    )
    body = Markup("").join(
        _operation(path, method, operation, schemas)
        for path, method, operation in operations
    )
    models = Markup("").join(
        Markup('<section id="schema-{0}"><h3>{0}</h3>{1}{2}</section>').format(
            name,
            _paragraph(schema.get("description")),
            _fields(schema, schemas, caption=f"Fields of {name}"),
        )
        for name, schema in schemas.items()
    )
    servers = ", ".join(server["url"] for server in document.get("servers", []))
    page = Markup(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title} – API reference</title><style>{style}</style></head><body>"
        '<a class="skip" href="#main">Skip to the operations</a>'
        "<header><h1>{title}</h1><p>Version {version}. Server: <code>{servers}"
        '</code>. OpenAPI document: <a href="/openapi.json">/openapi.json</a>.'
        "</p>{description}<p>Operations marked <em>Retell API key</em> take it as "
        "<code>Authorization: Bearer &lt;key&gt;</code>.</p></header>"
        '<nav aria-labelledby="toc"><h2 id="toc">Operations</h2><ul>{contents}'
        '</ul></nav><main id="main">{body}<section aria-labelledby="models">'
        '<h2 id="models">Schemas</h2>{models}</section></main></body></html>'
    ).format(
        title=info["title"],
        version=info["version"],
        servers=servers,
        description=_paragraph(info.get("description")),
        style=Markup(STYLE),
        contents=contents,
        body=body,
        models=models,
    )
    return str(page)


def _anchor(method: str, path: str) -> str:
    slug = "".join(char if char.isalnum() else "-" for char in path).strip("-")
    return f"{method}-{slug}"


def _paragraph(text: str | None) -> Markup:
    return Markup("<p>{}</p>").format(text) if text else Markup("")


def _operation(path: str, method: str, operation: dict, schemas: dict) -> Markup:
    auth = "Retell API key" if operation.get("security") else "no authentication"
    parts = [
        Markup(
            '<section class="op" id="{}"><h3><span class="method">{}</span> '
            "<code>{}</code></h3><p><strong>{}</strong> ({})</p>"
        ).format(
            _anchor(method, path), method, path, operation.get("summary", ""), auth
        ),
        _paragraph(operation.get("description")),
    ]
    parameters = operation.get("parameters", [])
    if parameters:
        rows = Markup("").join(
            Markup(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>"
                "<td>{}</td></tr>"
            ).format(
                parameter["name"],
                parameter["in"],
                _type(parameter.get("schema", {})),
                _required(parameter.get("required", False)),
                parameter.get("description", ""),
            )
            for parameter in parameters
        )
        parts.append(
            Markup(
                "<table><caption>Parameters</caption><thead><tr>"
                '<th scope="col">Name</th><th scope="col">In</th>'
                '<th scope="col">Type</th><th scope="col">Required</th>'
                '<th scope="col">Description</th></tr></thead><tbody>{}</tbody>'
                "</table>"
            ).format(rows)
        )
    request_body = operation.get("requestBody")
    if request_body:
        for media_type, content in request_body.get("content", {}).items():
            schema = content.get("schema", {})
            parts.append(
                Markup("<h4>Request body <code>{}</code> ({})</h4>{}").format(
                    media_type,
                    "required" if request_body.get("required") else "optional",
                    _fields(schema, schemas, caption="Request body fields"),
                )
            )
    responses = Markup("").join(
        Markup("<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>").format(
            status,
            response.get("description", ""),
            Markup(", ").join(
                Markup("<code>{}</code> {}").format(media, _type(content["schema"]))
                for media, content in response.get("content", {}).items()
            ),
        )
        for status, response in sorted(operation.get("responses", {}).items())
    )
    parts.append(
        Markup(
            "<table><caption>Responses</caption><thead><tr>"
            '<th scope="col">Status</th><th scope="col">Meaning</th>'
            '<th scope="col">Body</th></tr></thead><tbody>{}</tbody></table>'
            "</section>"
        ).format(responses)
    )
    return Markup("").join(parts)


def _resolve(schema: dict, schemas: dict) -> dict:
    ref = schema.get("$ref", "")
    return schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def _fields(schema: dict, schemas: dict, *, caption: str) -> Markup:
    """A table of an object schema's properties, or its type if it has none."""
    resolved = _resolve(schema, schemas)
    properties = resolved.get("properties", {})
    if not properties:
        return Markup("<p>Type: {}</p>").format(_type(schema))
    required = set(resolved.get("required", []))
    rows = Markup("").join(
        Markup(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>"
        ).format(
            name,
            _type(field),
            _required(name in required),
            _described(field),
        )
        for name, field in properties.items()
    )
    link = (
        Markup(' (schema <a href="#schema-{0}">{0}</a>)').format(
            schema["$ref"].rsplit("/", 1)[-1]
        )
        if "$ref" in schema
        else Markup("")
    )
    return Markup(
        '<table><caption>{}{}</caption><thead><tr><th scope="col">Field</th>'
        '<th scope="col">Type</th><th scope="col">Required</th>'
        '<th scope="col">Description</th></tr></thead><tbody>{}</tbody></table>'
    ).format(caption, link, rows)


def _described(field: dict) -> Markup:
    text = escape(field.get("description") or field.get("title") or "")
    if "enum" in field:
        text += Markup(" One of: ") + Markup(", ").join(
            Markup("<code>{}</code>").format(value) for value in field["enum"]
        )
    if "default" in field:
        text += Markup(" Default: <code>{}</code>.").format(field["default"])
    examples = field.get("examples")
    if examples:
        text += Markup(" E.g. ") + Markup(", ").join(
            Markup("<code>{}</code>").format(value) for value in examples
        )
    return text


def _type(schema: dict) -> Markup:
    """A short human reading of a JSON Schema's type, linking named schemas."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return Markup('<a href="#schema-{0}">{0}</a>').format(name)
    if "anyOf" in schema or "oneOf" in schema:
        return Markup(" or ").join(
            _type(option) for option in schema.get("anyOf", schema.get("oneOf"))
        )
    kind = schema.get("type")
    if isinstance(kind, list):
        return Markup(" or ").join(_type({**schema, "type": one}) for one in kind)
    if kind == "array" and "items" in schema:
        return Markup("array of ") + _type(schema["items"])
    return escape(kind or "any")


def _required(required: bool) -> Markup:
    return Markup('<span class="required">yes</span>') if required else Markup("no")
