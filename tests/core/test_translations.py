"""The Hindi catalogue of Seva's own strings (platform/seva/locale/hi): complete, faithful to
the English placeholders and markup, compiled, and used by the portal. `make messages`
refreshes it from the code."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "platform/seva/locale/hi/LC_MESSAGES"
PO = CATALOGUE / "django.po"
MO = CATALOGUE / "django.mo"
STALE = "the .mo is not the compiled .po: run `make messages`"


# ------------------------------------------------------------------------------
# Reading a .po file (no dependency: the format is a few keywords and C-style strings)
# ------------------------------------------------------------------------------
@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    def pairs(self) -> list[tuple[str, str]]:
        """(English, Hindi) for each form: msgstr[0] is n == 1, the others the plural."""
        if not self.msgid_plural:
            return [(self.msgid, self.msgstr.get(0, ""))]
        return [
            (self.msgid if n == 0 else self.msgid_plural, text)
            for n, text in sorted(self.msgstr.items())
        ]


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$")


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header (as fields) and the entries; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    flags: set[str] = set()

    def value(literal: str) -> str:
        return ast.literal_eval(literal)

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            assert current is not None and target is not None, f"stray string: {line}"
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += value(line)
            else:
                setattr(current, name, (getattr(current, name) or "") + value(line))
            continue
        match = _KEYWORD.match(line)
        assert match, f"cannot read this line of {path.name}: {line}"
        keyword, index, literal = match.groups()
        if keyword in ("msgctxt", "msgid") and (
            current is None or current.msgstr or keyword == "msgctxt" or current.msgid
        ):
            current = Entry(flags=flags)
            entries.append(current)
            flags = set()
        assert current is not None
        if keyword.startswith("msgstr"):
            slot = int(index) if index is not None else 0
            current.msgstr[slot] = value(literal)
            target = ("msgstr", slot)
        else:
            setattr(current, keyword, value(literal))
            target = (keyword, 0)
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    return fields, [e for e in entries if e is not header]


@pytest.fixture(scope="module")
def po() -> tuple[dict[str, str], list[Entry]]:
    return read_po(PO)


# ------------------------------------------------------------------------------
# The catalogue itself
# ------------------------------------------------------------------------------
def test_the_catalogue_is_hindi_in_utf8_with_hindi_plural_rules(po):
    header, entries = po
    assert header["Language"] == "hi"
    assert "charset=UTF-8" in header["Content-Type"]
    assert header["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert len(entries) > 200


def test_every_string_is_translated_and_none_is_fuzzy(po):
    _header, entries = po
    untranslated = [e.msgid for e in entries if not all(text for _en, text in e.pairs())]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == [], "translate these in django.po"
    assert fuzzy == [], "check these translations, then remove their `#, fuzzy` line"


def test_every_plural_has_both_hindi_forms(po):
    _header, entries = po
    plurals = [e for e in entries if e.msgid_plural]
    assert plurals
    assert [e.msgid for e in plurals if sorted(e.msgstr) != [0, 1]] == []


_NAMED = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_POSITIONAL = re.compile(r"%[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_BRACES = re.compile(r"\{\{\s*[\w.|:]+\s*\}\}|\{\w*\}")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def placeholders(text: str) -> dict[str, object]:
    """What a translation must carry over: %(name)s and {name} as sets, %s by count, tags."""
    text = text.replace("%%", "")
    return {
        "named": set(_NAMED.findall(text)),
        "positional": len(_POSITIONAL.findall(_NAMED.sub("", text))),
        "braces": set(_BRACES.findall(text)),
        "tags": Counter(_TAG.findall(text)),
    }


@pytest.mark.parametrize(
    ("english", "hindi", "same"),
    [
        ("Fee ₹%(amount)s", "शुल्क ₹%(amount)s", True),
        ("Fee ₹%(amount)s", "शुल्क ₹%(amuont)s", False),
        ("%s of %s", "%s में से %s", True),
        ("%s of %s", "%s में से", False),
        ("Hello {name}", "नमस्ते {name}", True),
        ('<a href="%(url)s">form</a>.', "फ़ॉर्म।", False),
        ("100%% sure, %(n)s", "%(n)s, 100%% पक्का", True),
    ],
)
def test_the_placeholder_check_tells_a_kept_placeholder_from_a_lost_one(english, hindi, same):
    assert (placeholders(english) == placeholders(hindi)) is same


def test_translations_keep_every_placeholder_and_tag_of_the_english(po):
    _header, entries = po
    changed = [
        (english, hindi)
        for entry in entries
        for english, hindi in entry.pairs()
        if hindi and placeholders(english) != placeholders(hindi)
    ]
    assert changed == []


def test_the_compiled_catalogue_is_the_po(po):
    _header, entries = po
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    expected: dict[object, str] = {}
    for entry in entries:
        if entry.msgid_plural:
            expected.update({(entry.key, n): text for n, text in entry.msgstr.items()})
        else:
            expected[entry.key] = entry.msgstr[0]
    # GNUTranslations keeps what it read in _catalog; the header sits under "".
    found = {key: text for key, text in compiled._catalog.items() if key != ""}
    assert set(found) == set(expected), STALE
    assert [key for key in expected if found[key] != expected[key]] == [], STALE
    assert compiled.ngettext("%(counter)s service", "%(counter)s services", 3) == next(
        e.msgstr[1] for e in entries if e.msgid == "%(counter)s service"
    )


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext")
def test_the_catalogue_has_every_string_the_code_marks_for_translation(po, tmp_path, monkeypatch):
    """Catches a string marked in the code or a template without `make messages` after it."""
    _header, entries = po
    skip = shutil.ignore_patterns("__pycache__", "locale", "static", "node_modules")
    shutil.copytree(REPO / "platform/seva", tmp_path / "platform/seva", ignore=skip)
    shutil.copytree(REPO / "themes", tmp_path / "themes", ignore=skip)
    locale = tmp_path / "platform/seva/locale"
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[locale]):
        call_command("makemessages", locale=["hi"], no_location=True, verbosity=0)
    _fresh_header, fresh = read_po(locale / "hi/LC_MESSAGES/django.po")
    marked = {(e.key, e.msgid_plural) for e in fresh}
    catalogued = {(e.key, e.msgid_plural) for e in entries}
    assert sorted(marked - catalogued) == [], "new strings: run `make messages`, translate them"
    assert sorted(catalogued - marked) == [], "strings no longer used: run `make messages`"


# ------------------------------------------------------------------------------
# The portal in Hindi
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_citizen_who_switches_to_hindi_gets_the_home_page_in_hindi():
    client = Client()
    switched = client.post("/language/", {"language": "hi", "next": "/"})
    assert switched.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hi"

    page = client.get("/").content.decode()
    assert '<html lang="hi"' in page
    assert "<h1>सरकारी सेवाएँ ऑनलाइन</h1>" in page
    assert "साइन इन करें" in page and "मुख्य सामग्री पर जाएँ" in page
    assert "Government services online" not in page


@pytest.mark.django_db
def test_a_form_error_reaches_a_hindi_citizen_in_hindi():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    page = client.post("/login/", {"mobile": "12345"}).content.decode()
    assert "6, 7, 8 या 9 से शुरू होने वाला 10 अंकों का मोबाइल नंबर दर्ज करें।" in page
    assert "कुछ ठीक नहीं है" in page  # the error summary's heading
