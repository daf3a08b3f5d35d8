"""Documents to render and keys to sign them with, for the library's tests (no database)."""

from __future__ import annotations

from pathlib import Path

from seva.documents.pdf import Block, Fact, Layout
from seva.documents.signing import issue_demo_certificate, make_demo_ca

HINDI_WORDS = ("प्रमाणित", "क्षत्रिय", "श्रीमती", "सुनीता", "कृष्ण", "वार्षिक", "द्वितीय", "हृदय")


def english_layout(
    *, holder: str = "Smt. Sunita Devi", paragraphs: int = 1, qr_text: str | None = "SV1.test"
) -> Layout:
    return Layout(
        language="en",
        authority="Government of Haryana · Revenue Department",
        office="Office of the Tehsildar, Ambala",
        title="Income Certificate",
        number_label="Certificate No.",
        number="HR/INC/AMB/2026/000123",
        date_label="Date of issue",
        date="07/12/2026",
        blocks=(
            *[
                Block(
                    "paragraph",
                    text=f"This is to certify that {holder}, wife of Shri Krishan Kumar, resident "
                    "of Village Hisar, Tehsil Ambala, has an annual family income from all "
                    "sources of ₹1,80,000 as verified by the Patwari's report.",
                )
            ]
            * paragraphs,
            Block("heading", text="Particulars"),
            Block(
                "facts",
                facts=(
                    Fact("Name of applicant", holder),
                    Fact(
                        "Address",
                        "House No. 123, Ward 4, Village Hisar, Tehsil Ambala, District Ambala, "
                        "Haryana 134003",
                    ),
                    Fact("Annual family income", "₹1,80,000 (Rupees one lakh eighty thousand)"),
                    Fact("Valid until", "31/03/2027"),
                ),
            ),
        ),
        qr_text=qr_text,
        verify_note="Scan the code or visit https://seva.example.gov.in/verify/HR-INC-AMB-2026-"
        "000123/ to verify this certificate.",
        signature_label="Digitally signed by",
        footer="This is a digitally signed document and needs no physical signature.",
    )


def hindi_layout(*, qr_text: str | None = "SV1.test") -> Layout:
    return Layout(
        language="hi",
        authority="हरियाणा सरकार · राजस्व विभाग",
        office="तहसीलदार कार्यालय, अम्बाला",
        title="आय प्रमाण पत्र",
        number_label="प्रमाण पत्र संख्या",
        number="HR/INC/AMB/2026/000123",
        date_label="जारी करने की तिथि",
        date="07/12/2026",
        blocks=(
            Block(
                "paragraph",
                text="प्रमाणित किया जाता है कि श्रीमती सुनीता देवी, पत्नी श्री कृष्ण कुमार, "
                "क्षत्रिय, निवासी ग्राम हिसार की वार्षिक पारिवारिक आय ₹1,80,000 है, जो पटवारी की "
                "द्वितीय रिपोर्ट द्वारा सत्यापित है। हृदय",
            ),
            Block("heading", text="विवरण"),
            Block(
                "facts",
                facts=(
                    Fact("आवेदक का नाम", "श्रीमती सुनीता देवी (Sunita Devi)"),
                    Fact("वार्षिक पारिवारिक आय", "₹1,80,000"),
                ),
            ),
        ),
        qr_text=qr_text,
        verify_note="सत्यापन के लिए कोड स्कैन करें",
        signature_label="डिजिटल हस्ताक्षरकर्ता",
        footer="यह डिजिटल रूप से हस्ताक्षरित दस्तावेज़ है।",
    )


def demo_keys(
    directory: Path, username: str = "tehsildar.ambala", full_name: str = "Rajesh Kumar"
) -> Path:
    """`directory` with a demo CA and `username`'s .p12 (passphrase "demo-passphrase")."""
    make_demo_ca(directory)
    issue_demo_certificate(
        directory, username=username, full_name=full_name, passphrase=b"demo-passphrase"
    )
    return directory
