"""What an upload holds is checked, not only what it starts with (issue 16, findings 9 and
8): a PDF that can run a script, launch a program, carry a file or send a form is refused
wherever that sits in it (names written with #xx escapes, objects inside compressed object
streams, objects no table lists); an encrypted or unreadable PDF is refused with words the
citizen can act on; an image whose header claims more pixels than allowed is refused before
anything decodes it. Plain scans, and born-digital PDFs with links, are taken."""

from __future__ import annotations

import io
import logging
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from seva.applications.models import ApplicationDraft, Document
from seva.definitions.models import Service
from tests.helpers import PDF_BYTES, jpeg_bytes, png_bytes
from tests.portal.flow import sign_in, step_post, steps_of

UPLOAD = "/api/v1/documents/"
PROOF = {"service": "income-certificate", "field": "documents.income_proof"}
PHOTO = {"service": "income-certificate", "field": "documents.photo"}


# ------------------------------------------------------------------------------
# PDFs written byte by byte, the way an attacker would
# ------------------------------------------------------------------------------
def pdf_of(*objects: bytes, unlisted: bytes = b"") -> bytes:
    """A PDF whose objects are numbered from 1 in order and listed in a classic
    cross-reference table; `unlisted` is put in the body where no table points to it."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    out += unlisted
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def one_page(catalog: bytes = b"", page: bytes = b"", *more: bytes, unlisted: bytes = b"") -> bytes:
    """Catalog (1), pages (2), one page (3), then `more` objects from 4 on."""
    return pdf_of(
        b"<</Type/Catalog/Pages 2 0 R" + catalog + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]" + page + b">>",
        *more,
        unlisted=unlisted,
    )


def in_object_stream(hidden: bytes, *, catalog: bytes = b"/OpenAction 4 0 R") -> bytes:
    """Objects 1-3 as in `one_page`; object 4 (`hidden`) compressed inside object stream 5;
    a cross-reference stream (6) lists them all (PDF 1.5)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    plain = [
        b"<</Type/Catalog/Pages 2 0 R" + catalog + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
    ]
    for number, body in enumerate(plain, start=1):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    header = b"4 0 "
    packed = zlib.compress(header + hidden)
    offsets[5] = len(out)
    out += (
        b"5 0 obj\n<</Type/ObjStm/N 1/First %d/Filter/FlateDecode/Length %d>>stream\n"
        % (len(header), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    offsets[6] = len(out)
    rows = [(0, 0, 65535), *((1, offsets[n], 0) for n in (1, 2, 3))]
    rows += [(2, 5, 0), (1, offsets[5], 0), (1, offsets[6], 0)]
    table = b"".join(struct.pack(">BIH", kind, field, extra) for kind, field, extra in rows)
    out += (
        b"6 0 obj\n<</Type/XRef/Size 7/W[1 4 2]/Root 1 0 R/Length %d>>stream\n" % len(table)
        + table
        + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def written(build) -> bytes:
    """A PDF made by pypdf's writer: one blank page, then `build(writer)`."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    build(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def annotation(writer: PdfWriter, entries: dict) -> None:
    fields = {NameObject("/Type"): NameObject("/Annot")}
    fields[NameObject("/Rect")] = ArrayObject([FloatObject(0)] * 2 + [FloatObject(50)] * 2)
    fields.update(entries)
    page = writer.pages[0]
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(DictionaryObject(fields))])


def javascript_in_an_annotations_additional_actions(writer: PdfWriter) -> None:
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.launchURL('https://example.invalid')"),
        }
    )
    annotation(
        writer,
        {
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/AA"): DictionaryObject({NameObject("/E"): action}),
        },
    )


def password_protected(writer: PdfWriter) -> None:
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")


def owner_password_only(writer: PdfWriter) -> None:
    # Opens without a password, but its streams are encrypted all the same.
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")


def link_to_a_web_page_and_open_at_page_one(writer: PdfWriter) -> None:
    annotation(
        writer,
        {
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/URI"),
                    NameObject("/URI"): TextStringObject("https://haryana.gov.in/"),
                }
            ),
        },
    )
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, NameObject("/Fit")]
    )


def scanned_pdf() -> bytes:
    """What a scanner or a phone's scanning app makes: one page holding one image."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (300, 420), (235, 235, 230)).save(buffer, format="PDF", resolution=72)
    return buffer.getvalue()


def unlisted_object_stream() -> bytes:
    """A compressed object stream in the body that no cross-reference table lists."""
    packed = zlib.compress(b"10 0 <</S/JavaScript/JS(app.alert(1))>>")
    return (
        b"9 0 obj\n<</Type/ObjStm/N 1/First 5/Filter/FlateDecode/Length %d>>stream\n" % len(packed)
        + packed
        + b"\nendstream\nendobj\n"
    )


REFUSED_ACTIVE = {
    # The evasions: names spelt with #xx escapes, and a compressed object stream.
    "javascript-spelt-with-escapes": one_page(b"/OpenAction<</S/J#61vaScript/J#53(app.alert(1))>>"),
    "launch-spelt-with-escapes": one_page(b"/OpenAction<</S/L#61unch/F(cmd.exe)>>"),
    "javascript-inside-a-compressed-object-stream": in_object_stream(
        b"<</S/JavaScript/JS(app.alert(1))>>"
    ),
    # Where scripts sit in ordinary hostile PDFs.
    "javascript-open-action": written(
        lambda w: w.add_open_action(JavaScript("app.alert('hello');"))
    ),
    "javascript-in-an-annotations-additional-actions": written(
        javascript_in_an_annotations_additional_actions
    ),
    "javascript-in-a-pages-additional-actions-escaped": one_page(
        b"",
        b"/AA<</O<</S/JavaScr#69pt/J#53 4 0 R>>>>",
        b"<</Length 11>>stream\napp.alert()\nendstream",
    ),
    "javascript-in-the-document-name-tree-escaped": one_page(
        b"/Names<</J#61vaScript<</Names[(x) 4 0 R]>>>>", b"", b"<</S/J#61vaScript/J#53(1)>>"
    ),
    "launch-action-type-given-by-reference": one_page(
        b"/OpenAction<</S 4 0 R/F(cmd.exe)>>", b"", b"/L#61unch"
    ),
    "javascript-in-an-object-no-table-lists": one_page(
        unlisted=b"9 0 obj\n<</S/J#61vaScript/J#53(app.alert(1))>>\nendobj\n"
    ),
    "javascript-in-an-object-stream-no-table-lists": one_page(unlisted=unlisted_object_stream()),
    # Files carried inside.
    "embedded-file": written(lambda w: w.add_attachment("invoice.exe", b"MZ\x90\x00")),
    "file-attachment-annotation-escaped": one_page(
        b"",
        b"/Annots[<</Type/Annot/Subtype/FileAtt#61chment/Rect[0 0 9 9]/FS 4 0 R>>]",
        b"<</Type/Filespec/F(run.bat)>>",
    ),
    # Other content that runs or sends something.
    "xfa-form": one_page(
        b"/AcroForm<</Fields[]/XFA 4 0 R>>", b"", b"<</Length 0>>stream\n\nendstream"
    ),
    "submit-form": one_page(b"/OpenAction<</S/SubmitForm/F(https://example.invalid/)>>"),
    "import-data": one_page(b"/OpenAction<</S/ImportData/F(data.fdf)>>"),
    "go-to-a-remote-file": one_page(b"/OpenAction<</S/GoToR/F(other.pdf)/D[0/Fit]>>"),
    "go-to-an-embedded-file": one_page(b"/OpenAction<</S/GoToE/D[0/Fit]/T<</R/C/N(a)>>>>"),
    "rich-media-annotation": one_page(
        b"", b"/Annots[<</Type/Annot/Subtype/RichMedia/Rect[0 0 9 9]>>]"
    ),
}

ACCEPTED = {
    "the-existing-tests-pdf": PDF_BYTES,
    "a-scan": scanned_pdf(),
    "links-to-a-web-page-and-an-open-at-page-one": written(link_to_a_web_page_and_open_at_page_one),
    "a-go-to-inside-an-object-stream": in_object_stream(b"[3 0 R/Fit]"),
}


def upload(api, content: bytes, *, target: dict = PROOF, name: str = "proof.pdf"):
    return api("citizen").post(
        UPLOAD, {**target, "file": SimpleUploadedFile(name, content)}, format="multipart"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("content", REFUSED_ACTIVE.values(), ids=REFUSED_ACTIVE.keys())
def test_a_pdf_with_active_content_anywhere_is_refused(api, content):
    response = upload(api, content)
    assert response.status_code == 400, response.json()
    assert response.json()["errors"]["file"] == [
        "This PDF contains scripts, attachments or other active content. "
        "Upload a plain PDF, such as a scan."
    ]
    assert not Document.objects.filter(owner__username="citizen").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("content", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_plain_pdfs_are_taken(api, content):
    response = upload(api, content)
    assert response.status_code == 201, response.json()
    document = Document.objects.get(token=response.json()["token"])
    assert document.content_type == "application/pdf" and document.file.read() == content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            written(password_protected),
            "This PDF is locked with a password or encrypted. "
            "Upload a copy without the lock, or a scan.",
        ),
        (
            written(owner_password_only),
            "This PDF is locked with a password or encrypted. "
            "Upload a copy without the lock, or a scan.",
        ),
        (
            b"%PDF-1.7\n" + bytes(range(256)) * 40,
            "This PDF is damaged and cannot be opened. Upload it again, or a scan.",
        ),
        (
            PDF_BYTES.replace(b"/Kids[3 0 R]/Count 1", b"/Kids[]/Count 0"),
            "This PDF is damaged and cannot be opened. Upload it again, or a scan.",
        ),
        (
            # pypdf reads the first /S, a viewer may take the second.
            one_page(b"/OpenAction<</S/GoTo/D[3 0 R/Fit]/S/L#61unch/F(cmd.exe)>>"),
            "This PDF is damaged and cannot be opened. Upload it again, or a scan.",
        ),
    ],
    ids=[
        "password",
        "owner-password-only",
        "not-a-pdf-after-its-header",
        "no-page",
        "a-second-action-type-in-one-dictionary",
    ],
)
def test_an_encrypted_or_unreadable_pdf_is_refused_with_what_to_do(api, content, message):
    response = upload(api, content)
    assert response.status_code == 400, response.json()
    assert response.json()["errors"]["file"] == [message]


@pytest.mark.django_db
def test_a_second_action_type_is_caught_even_when_the_log_says_only_errors(api):
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # LOG_LEVEL=ERROR
    try:
        response = upload(api, one_page(b"/OpenAction<</S/GoTo/D[3 0 R/Fit]/S/L#61unch/F(x)>>"))
    finally:
        root.setLevel(level)
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_portal_shows_the_refusal_beside_the_field():
    from django.test import Client

    client = Client()
    sign_in(client)
    draft_id = client.get("/apply/income-certificate/")["Location"].split("/")[3]
    schema = Service.objects.get(code="income-certificate").current_version.form_schema
    documents = next(s for s in steps_of(schema) if s.id == "documents")
    post = step_post(schema, schema["examples"][0], documents)
    post["documents.income_proof"] = SimpleUploadedFile(
        "proof.pdf", REFUSED_ACTIVE["launch-spelt-with-escapes"], "application/pdf"
    )
    response = client.post(f"/apply/draft/{draft_id}/documents/", post)
    assert response.status_code == 400
    assert "contains scripts, attachments or other active content" in response.content.decode()
    draft = ApplicationDraft.objects.get(pk=draft_id)
    assert "income_proof" not in (draft.data.get("documents") or {})


# ------------------------------------------------------------------------------
# Images: the pixels a header claims are counted before anything is decoded
# ------------------------------------------------------------------------------
def png_claiming(width: int, height: int) -> bytes:
    """A small real PNG whose header says it is `width` x `height` (a decompression bomb)."""
    data = bytearray(png_bytes())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(jpeg_bytes())
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


TOO_MANY_PIXELS = (
    "This image has more pixels than we accept (at most %s megapixels). "
    "Upload a smaller photo or scan."
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [("bomb.png", png_claiming(20000, 20000)), ("bomb.jpg", jpeg_claiming(30000, 30000))],
    ids=["png-20000x20000", "jpeg-30000x30000"],
)
def test_an_image_claiming_too_many_pixels_is_refused_with_a_400(api, name, content):
    response = upload(api, content, target=PHOTO, name=name)
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["file"] == [TOO_MANY_PIXELS % "50"]
    assert not Document.objects.filter(owner__username="citizen").exists()


@pytest.mark.django_db
def test_the_portal_refuses_an_image_bomb_beside_the_field():
    from django.test import Client

    client = Client()
    sign_in(client)
    draft_id = client.get("/apply/income-certificate/")["Location"].split("/")[3]
    schema = Service.objects.get(code="income-certificate").current_version.form_schema
    documents = next(s for s in steps_of(schema) if s.id == "documents")
    post = step_post(schema, schema["examples"][0], documents)
    post["documents.photo"] = SimpleUploadedFile(
        "photo.png", png_claiming(20000, 20000), "image/png"
    )
    response = client.post(f"/apply/draft/{draft_id}/documents/", post)
    assert response.status_code == 400
    assert "more pixels than we accept" in response.content.decode()


@pytest.mark.django_db
def test_an_image_between_pillows_warning_and_its_error_gets_our_400_too(api):
    # 100 megapixels: Pillow warns from 89 and raises from 179; the default limit is 50.
    response = upload(api, png_claiming(10000, 10000), target=PHOTO, name="big.png")
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == [TOO_MANY_PIXELS % "50"]


@pytest.mark.django_db
def test_the_pixel_limit_comes_from_settings(api, settings):
    settings.SEVA_MAX_IMAGE_PIXELS = 2_500_000
    refused = upload(api, png_claiming(2000, 1500), target=PHOTO, name="big.png")
    assert refused.status_code == 400
    assert refused.json()["errors"]["file"] == [TOO_MANY_PIXELS % "2.5"]
    taken = upload(api, png_bytes(50, 50), target=PHOTO, name="ok.png")
    assert taken.status_code == 201, taken.json()
