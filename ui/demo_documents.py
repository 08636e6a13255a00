"""Stand-in documents for the demo cases: a one-page PDF and an ID-photo PNG, made here (no files shipped), that
open in any viewer — so a reviewer clicking a demo case's 申请材料 sees a document, not an error."""

from __future__ import annotations

import struct
import zlib

A4 = (595, 842)  # points


def _pdf_text(value: str) -> str:
    """A PDF literal string: ASCII only (the built-in Helvetica has no Chinese), parentheses escaped."""
    ascii_only = value.encode("ascii", "replace").decode("ascii")
    return ascii_only.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A valid one-page PDF 1.4 with a title and some lines of text, and its cross-reference table."""
    text = ["BT", "/F1 20 Tf", "72 760 Td", f"({_pdf_text(title)}) Tj", "/F1 12 Tf"]
    for line in ["", *lines, "", "OneStop demo document - it stands in for the applicant's paper."]:
        text += ["0 -22 Td", f"({_pdf_text(line)}) Tj"]
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {A4[0]} {A4[1]}] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>".encode("ascii"),
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def demo_photo(width: int = 150, height: int = 200) -> bytes:
    """An ID-photo stand-in as PNG: a white background with a blue head-and-shoulders silhouette."""
    cx, head_y, radius = width / 2, height * 0.36, width * 0.2
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        for x in range(width):
            in_head = (x - cx) ** 2 + (y - head_y) ** 2 <= radius ** 2
            shoulders = y > height * 0.62 and ((x - cx) / (width * 0.42)) ** 2 + \
                ((y - height) / (height * 0.36)) ** 2 <= 1
            rows += bytes((13, 59, 132) if in_head or shoulders else (255, 255, 255))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + \
        _chunk(b"IEND", b"")
