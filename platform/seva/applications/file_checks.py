"""What an uploaded file holds beyond its first bytes: whether a PDF can run anything when an
officer opens it, and how many pixels an image claims before anything decodes it.

A PDF is parsed with pypdf and every object in it is read: those the cross-reference table
and the object streams list, every object stream's contents, and any object the file holds
that no table lists (a viewer that repairs the file would find it). Names are compared after
pypdf has decoded their `#xx` escapes, so `/J#61vaScript` is `/JavaScript`."""

from __future__ import annotations

import enum
import io
import logging
import re
import warnings
from collections.abc import Iterator
from contextvars import ContextVar

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
    read_object,
)


class PdfVerdict(enum.Enum):
    PLAIN = "plain"
    ACTIVE_CONTENT = "active_content"  # scripts, launch, embedded files, forms that send...
    ENCRYPTED = "encrypted"
    DAMAGED = "damaged"  # pypdf cannot read it, or it has no page


# Dictionary keys that only active content uses: document and action JavaScript, the name
# trees of scripts and embedded files, a file specification's embedded files, XFA forms
# (which carry their own scripts), rich media and 3D artwork.
REFUSED_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/EmbeddedFiles",
        "/EF",
        "/XFA",
        "/RichMediaContent",
        "/RichMediaSettings",
        "/3DD",
    }
)
# Values of /S (an action's type), /Type and /Subtype (an annotation's or a stream's) that
# run code, open or send something outside the PDF, or play media. Links to web pages
# (/URI) and to places in the same file (/GoTo) stay allowed: born-digital PDFs have them.
REFUSED_TYPES = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",
        "/RichMediaExecute",
        "/Rendition",
        "/Movie",
        "/Sound",
        "/EmbeddedFile",
        "/FileAttachment",
        "/RichMedia",
        "/Screen",
        "/3D",
    }
)
TYPE_KEYS = ("/S", "/Type", "/Subtype")
# How many dictionaries, arrays and names the walk visits before it gives up and refuses the
# file (about 8 s of work): a scan holds tens, a 1 MB born-digital report some tens of
# thousands.
MAX_PDF_OBJECTS = 200_000
# "12 0 obj": where an object starts, whether or not a cross-reference table lists it.
WHITESPACE = frozenset(b"\x00\t\n\f\r ")
OBJECT_HEADER = re.compile(
    rb"(?<![0-9])([0-9]{1,10})[\x00\t\n\f\r ]+([0-9]{1,5})[\x00\t\n\f\r ]+obj"
)


class _TooManyObjects(Exception):
    pass


# pypdf keeps the first of two definitions of one key in a dictionary, and says so in a
# warning; a viewer may keep the last (`<</S/GoTo ... /S/Launch ...>>`). The keys defined
# twice in the file being checked (in this thread or task) are collected from that warning.
_keys_defined_twice: ContextVar[list[str] | None] = ContextVar("keys_defined_twice", default=None)


class _KeysDefinedTwice(logging.Filter):
    """Collects the keys while a check runs (and keeps pypdf's complaints about a citizen's
    file out of the log); lets other records through."""

    def filter(self, record: logging.LogRecord) -> bool:
        found = _keys_defined_twice.get()
        if found is None:
            return True
        if str(record.msg).startswith("Multiple definitions in dictionary") and isinstance(
            record.args, dict
        ):
            found.append(str(record.args.get("key")))
        return False


_PYPDF_PARSER_LOG = logging.getLogger("pypdf.generic._data_structures")
_PYPDF_PARSER_LOG.addFilter(_KeysDefinedTwice())
# Its warnings must be made whatever the root logger's level (LOG_LEVEL=ERROR, say): the
# check above reads them. Do not raise this logger's level.
_PYPDF_PARSER_LOG.setLevel(logging.WARNING)


def pdf_verdict(data: bytes) -> PdfVerdict:
    """Whether the PDF in `data` is plain (no active content anywhere in it), holds active
    content, is encrypted, or cannot be read."""
    keys_defined_twice: list[str] = []
    collecting = _keys_defined_twice.set(keys_defined_twice)
    try:
        verdict = _pdf_verdict(data)
    finally:
        _keys_defined_twice.reset(collecting)
    if verdict is PdfVerdict.PLAIN and any(
        key in TYPE_KEYS or key in REFUSED_KEYS for key in keys_defined_twice
    ):
        # What the viewer would take the action or annotation to be is not what we read.
        return PdfVerdict.DAMAGED
    return verdict


def _pdf_verdict(data: bytes) -> PdfVerdict:
    try:
        reader = _reader(data)
    except (DependencyError, FileNotDecryptedError):
        return PdfVerdict.ENCRYPTED
    except Exception:  # a hostile file may break the parser in any way
        return PdfVerdict.DAMAGED
    if reader.is_encrypted:
        # Encrypted streams cannot be inspected without the key, and a PDF locked with only
        # an owner password still hides its object streams from a reader without one.
        return PdfVerdict.ENCRYPTED
    try:
        if len(reader.pages) == 0:
            return PdfVerdict.DAMAGED
        active = any(_is_active(obj) for obj in _every_object(reader, data))
    except Exception:  # as above: what cannot be read cannot be vouched for
        return PdfVerdict.DAMAGED
    return PdfVerdict.ACTIVE_CONTENT if active else PdfVerdict.PLAIN


def _reader(data: bytes) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(data), strict=False)
    except (DependencyError, FileNotDecryptedError):
        raise
    except Exception:
        # Viewers open a file whose `startxref` is missing by rebuilding the cross-reference
        # table from the objects in it; pypdf does the same when the pointer is wrong.
        return PdfReader(io.BytesIO(data + b"\nstartxref\n0\n%%EOF\n"), strict=False)


def _every_object(reader: PdfReader, data: bytes) -> Iterator[PdfObject | None]:
    """Every dictionary, array and name in the file, each indirect object once (None for a
    reference to an object the file does not have)."""
    seen: set[tuple[int, int]] = set()
    pending: list[PdfObject] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        pending += [IndirectObject(number, generation, reader) for number in numbers]
    pending += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    pending += list(_unlisted_objects(reader, data))
    count = 0
    while pending:
        obj: PdfObject | None = pending.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = reader.get_object(obj)
        count += 1
        if count > MAX_PDF_OBJECTS:
            raise _TooManyObjects()
        yield obj
        if isinstance(obj, DictionaryObject):
            pending += dict.values(obj)
            if isinstance(obj, StreamObject) and obj.get("/Type") == "/ObjStm":
                pending += _objects_in_stream(obj, reader)
        elif isinstance(obj, ArrayObject):
            pending.extend(obj)


def _unlisted_objects(reader: PdfReader, data: bytes) -> Iterator[PdfObject]:
    """Objects in the file at places the cross-reference table does not point to: an
    earlier revision's, or one hidden for a repairing viewer to find. What does not parse
    there was not an object (the bytes of a stream, say)."""
    stream = io.BytesIO(data)
    for match in OBJECT_HEADER.finditer(data):
        number, generation = int(match[1]), int(match[2])
        if reader.xref.get(generation, {}).get(number) == match.start():
            continue
        try:
            obj = read_object(_at(stream, match.end()), reader)
        except Exception:
            continue
        yield obj


def _at(stream: io.BytesIO, offset: int) -> io.BytesIO:
    """`stream` at the first byte from `offset` on that is not white space."""
    stream.seek(offset)
    while (byte := stream.read(1)) and byte[0] in WHITESPACE:
        offset += 1
    stream.seek(offset)
    return stream


def _objects_in_stream(stream: StreamObject, reader: PdfReader) -> list[PdfObject]:
    """The objects an object stream holds, whether or not the cross-reference lists them."""
    data = stream.get_data()
    first = int(stream.get("/First", 0))
    offsets = data[:first].split()[1 : 2 * int(stream.get("/N", 0)) : 2]
    inner = io.BytesIO(data)
    return [read_object(_at(inner, first + int(offset)), reader) for offset in offsets]


def _is_active(obj: PdfObject | None) -> bool:
    if not isinstance(obj, DictionaryObject):
        return False
    for key, value in dict.items(obj):
        if key in REFUSED_KEYS:
            return True
        if key in TYPE_KEYS:
            name = value.get_object() if isinstance(value, IndirectObject) else value
            if isinstance(name, NameObject) and name in REFUSED_TYPES:
                return True
    return False


class ImageVerdict(enum.Enum):
    WHOLE = "whole"
    TOO_MANY_PIXELS = "too_many_pixels"
    DAMAGED = "damaged"


def image_verdict(data: bytes, *, image_format: str, max_pixels: int) -> ImageVerdict:
    """Whether the image is whole and has at most `max_pixels`. Only the header is read to
    count them, so an image that claims 20000 x 20000 pixels (a decompression bomb) is
    refused before anything decodes it."""
    with warnings.catch_warnings():
        # Pillow warns from its own MAX_IMAGE_PIXELS (89 megapixels) and raises from twice
        # that; our limit, checked below, is the one that counts up to there.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                if image.width * image.height > max_pixels:
                    return ImageVerdict.TOO_MANY_PIXELS
                image.verify()
        except Image.DecompressionBombError:
            return ImageVerdict.TOO_MANY_PIXELS
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            return ImageVerdict.DAMAGED
    return ImageVerdict.WHOLE
