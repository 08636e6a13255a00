"""Helpers shared by the web and browser tests: catalogues, the health-card flow with uploads, files, sign-in."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from engine.cases.deployment import deploy
from engine.people.identity import Actor

ROOT = Path(__file__).resolve().parents[2]
HEALTH_CARD = ROOT / "processes" / "liaocheng" / "health_card"
PASSWORD = "correct horse battery"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJ"
                       "RU5ErkJggg==")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
# The UI schema the flow ships to turn its file-name fields into uploads (the JSON Schema stays as it is).
MATERIALS_UI_FORM = '<spiffworkflow:property name="formUiSchemaFilename" value="materials.ui.json" />'


def compile_catalogues() -> None:
    """What `make translations` does: compile each .po next to it when the .mo is missing or older."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted((ROOT / "ui" / "translations").glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        with mo.open("wb") as target:
            write_mo(target, catalog)


def health_card_files(*, uploads: bool = True, **replace: str) -> dict[str, bytes]:
    """The health-card flow's files, as shipped (its materials form has a UI schema with file widgets); without
    ``uploads`` that UI schema is taken out. ``replace`` maps texts of the .bpmn to their replacements."""
    files = {p.name: p.read_bytes() for p in sorted(HEALTH_CARD.iterdir()) if p.suffix in (".bpmn", ".json")}
    bpmn = files["health_card.bpmn"].decode()
    assert bpmn.count(MATERIALS_UI_FORM) == 2 and "materials.ui.json" in files
    if not uploads:
        bpmn = bpmn.replace("\n          " + MATERIALS_UI_FORM, "")
        del files["materials.ui.json"]
    for old, new in replace.items():
        assert old in bpmn, old
        bpmn = bpmn.replace(old, new)
    files["health_card.bpmn"] = bpmn.encode()
    return files


def deploy_files(platform: Any, files: dict[str, bytes]) -> str:
    with platform.uow() as uow:
        result = deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    return result.key


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/sign-in")
    data = {"username": username, "password": password}
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    if token:
        data["csrf_token"] = token.group(1)
    return client.post("/sign-in", data=data)


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))
