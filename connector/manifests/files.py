"""Writes (or checks) the generated files: ``schemas/`` and ``manifests/``.

Each file says it is generated, so nobody edits one by hand and loses the change at
the next ``connector generate``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..catalog import schemas
from ..catalog.schemas import NOTICE
from . import make, n8n, openapi, zapier

#: The server named in the checked-in OpenAPI file; deployments serve their own URL
#: at GET /openapi.json.
DOCUMENTED_SERVER = "http://127.0.0.1:8080"
#: Folders that hold nothing but generated files.
GENERATED_FOLDERS = ("schemas", "manifests/make")


def rendered() -> dict[str, str]:
    """Every generated file's path (relative to the project) and exact text."""
    files = {}
    for name, document in schemas.documents().items():
        files[f"schemas/{name}"] = _dump(document)
    spec = openapi.document(DOCUMENTED_SERVER)
    files["manifests/openapi.json"] = _dump({"x-generated": NOTICE, **spec})
    files.update(zapier.render())
    files.update(make.render())
    files.update(n8n.render())
    return files


def _dump(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(root: Path) -> list[str]:
    """Write every generated file under ``root``; returns the ones that changed."""
    changed = []
    for name, text in rendered().items():
        path = root / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(name)
    return changed


def stale(root: Path) -> list[str]:
    """The generated files that are missing or differ from what would be written."""
    expected = rendered()
    wrong = [
        name
        for name, text in expected.items()
        if not (root / name).exists()
        or (root / name).read_text(encoding="utf-8") != text
    ]
    # A file left behind by a removed operation is stale too.
    extra = [
        str(path.relative_to(root))
        for folder in GENERATED_FOLDERS
        for path in sorted((root / folder).rglob("*"))
        if path.is_file() and str(path.relative_to(root)) not in expected
    ]
    return wrong + extra
