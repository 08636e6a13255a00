"""Every text of the web UI has its English: what `pybabel extract` finds in ui/ (templates and Python, with
lazy_gettext and _l) is translated in ui/translations/en/LC_MESSAGES/messages.po."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from .webkit import ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]


def test_every_text_of_the_ui_has_an_english_translation():
    with (ROOT / "ui" / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source)
    english = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalog if m.id}
    found = {message if isinstance(message, str) else message[0]
             for _file, _line, message, _comments, _context in extract_from_dir(
                 str(ROOT / "ui"), METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {}})
             if message}
    assert len(found) > 500
    untranslated = sorted(text for text in found if not english.get(text))
    assert untranslated == []
