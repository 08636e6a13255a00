"""The demo's stand-in documents are well-formed: a PDF whose cross-reference table points at its objects, and a
PNG whose chunks carry the right lengths and checksums — so they open in a viewer."""

from __future__ import annotations

import re
import struct
import zlib

from tasks.attachments import sniff
from ui.demo_documents import demo_pdf, demo_photo


def test_the_demo_pdf_has_a_cross_reference_table_that_points_at_each_object():
    pdf = demo_pdf("Talent certification (demo)", ["Applicant: zhangsan", "张三 becomes ??"])
    assert sniff(pdf) == "application/pdf" and pdf.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[start:].startswith(b"xref\n0 6\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", pdf[start:])
    assert len(entries) == 5
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset):].startswith(f"{number} 0 obj\n".encode()), number
    length = int(re.search(rb"/Length (\d+) >>\nstream\n", pdf).group(1))
    body = pdf.split(b"stream\n", 1)[1]
    assert body[length:].startswith(b"\nendstream")
    assert b"(Talent certification \\(demo\\)) Tj" in pdf  # parentheses escaped in the text


def test_the_demo_photo_is_a_png_with_valid_chunks():
    png = demo_photo(30, 40)
    assert sniff(png) == "image/png"
    position, chunks = 8, {}
    while position < len(png):
        (length,) = struct.unpack(">I", png[position:position + 4])
        kind, data = png[position + 4:position + 8], png[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length:position + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF, kind
        chunks[kind] = data
        position += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    assert (width, height) == (30, 40) and len(zlib.decompress(chunks[b"IDAT"])) == 40 * (1 + 30 * 3)
