#!/usr/bin/env python3
"""Make the test documents in this folder, good and bad, for Docent's indexer tests.

Usage (from anywhere):

    python3 -m venv /tmp/docvenv
    /tmp/docvenv/bin/pip install -r tests/data/documents/requirements.txt
    /tmp/docvenv/bin/python tests/data/documents/make.py

Needs `qpdf` on PATH (for encrypted.pdf); uses `pdftotext` (poppler-utils) to
check the PDFs when it is there. Every file is written next to this script and
then checked; the script exits non-zero if a check fails. README.md in this
folder says what each file is and what Docent must do with it.

With the pinned versions the output is byte-for-byte reproducible (fixed
timestamps, seeded "random" bytes, reportlab's invariant mode), except:
encrypted.pdf, because AES-256 (R6) takes fresh random salts on every run even
with qpdf's --static-id/--static-aes-iv; and scanned.pdf, whose pixels depend on
the FreeType build that Pillow renders its bundled font with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent
FIXED_TIME = (2024, 1, 15, 12, 0, 0)  # zip entry timestamps
FIXED_DT = dt.datetime(2024, 1, 15, 12, 0, 0, tzinfo=dt.timezone.utc)

# --------------------------------------------------------------------------
# Distinctive sentences. Tests search for these; README.md lists them too.
# --------------------------------------------------------------------------

DOCX_PAGE1 = [
    "Employees accrue 2.5 days of annual leave per month of service.",
    "Unused annual leave may be carried over until the end of March.",
    "Sick leave must be reported to your line manager before ten o'clock.",
    "A doctor's note is required after three consecutive days of sick leave.",
]
DOCX_BULLETS = [
    "Parental leave is available to every parent after six months.",
    "Compassionate leave is granted for up to five days.",
    "Jury service leave is paid in full.",
]
DOCX_PAGE2 = [
    "Train tickets must be booked through the Voyagex portal.",
    "Economy class is the default for flights shorter than six hours.",
    "Meals are reimbursed up to the daily allowance shown below.",
    "Alcohol is never reimbursed, even with a client.",
]
DOCX_TABLE = [
    ("City", "Daily meal allowance"),
    ("Lisbon", "EUR 42"),
    ("Oslo", "NOK 719"),  # distinctive cell value
    ("Zagreb", "EUR 35"),
]

PDF_PAGES = [
    ("Page one: facilities",
     ["The cafeteria opens at 7:30.",
      "Visitors sign in at the quartz reception desk."]),
    ("Page two: parking",
     ["Parking permits are renewed every January.",
      "Bicycles are stored in the basement cage beside the boiler room."]),
    ("Page three: safety",
     ["Fire drills take place every quarter.",
      "The assembly point is the flagpole on Marigold Lane."]),
]

SCANNED_LINES = [
    "This page was scanned from paper.",
    "The photocopier on floor four is out of toner.",
]

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def write_bytes(name: str, data: bytes) -> None:
    (OUT / name).write_bytes(data)


def write_text(name: str, text: str, encoding: str = "utf-8") -> None:
    (OUT / name).write_bytes(text.encode(encoding))


def normalise_zip(data: bytes) -> bytes:
    """Re-pack a zip with fixed timestamps so the file is reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return buf.getvalue()


def zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in entries:
            zi = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, payload)
    return buf.getvalue()


def pseudo_random(n: int, seed: bytes) -> bytes:
    """Deterministic bytes (SHA-256 in counter mode), same on every Python."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:n])


# --------------------------------------------------------------------------
# good documents
# --------------------------------------------------------------------------


def make_handbook_docx() -> None:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    cp = doc.core_properties
    cp.title = "Staff handbook"
    cp.author = "Docent test fixtures"
    cp.last_modified_by = "Docent test fixtures"
    cp.created = FIXED_DT.replace(tzinfo=None)
    cp.modified = FIXED_DT.replace(tzinfo=None)
    cp.last_printed = FIXED_DT.replace(tzinfo=None)
    cp.revision = 1

    doc.add_heading("Staff handbook", level=0)  # style "Title"

    # ---- page 1 -----------------------------------------------------------
    doc.add_heading("Leave policy", level=1)
    doc.add_paragraph(
        "This section explains how leave is earned and taken at Heronsgate Ltd.")
    doc.add_heading("Annual leave", level=2)
    doc.add_paragraph(f"{DOCX_PAGE1[0]} {DOCX_PAGE1[1]}")
    doc.add_paragraph("Other kinds of leave:")
    for item in DOCX_BULLETS:
        doc.add_paragraph(item, style="List Bullet")
    doc.add_heading("Sick leave", level=2)
    doc.add_paragraph(DOCX_PAGE1[2])
    p = doc.add_paragraph(DOCX_PAGE1[3] + " ")
    p.add_run("Bold text is still searchable.").bold = True

    # ---- page 2 -----------------------------------------------------------
    doc.add_page_break()
    doc.add_heading("Expenses", level=1)
    doc.add_paragraph("Claims are submitted within thirty days of spending.")
    doc.add_heading("Travel", level=2)
    doc.add_paragraph(f"{DOCX_PAGE2[0]} {DOCX_PAGE2[1]}")
    doc.add_heading("Meals", level=2)
    doc.add_paragraph(f"{DOCX_PAGE2[2]} {DOCX_PAGE2[3]}")
    table = doc.add_table(rows=len(DOCX_TABLE), cols=2)
    table.style = "Table Grid"
    for r, (a, b) in enumerate(DOCX_TABLE):
        table.cell(r, 0).text = a
        table.cell(r, 1).text = b
    for cell in table.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True
            run.font.size = Pt(11)

    buf = io.BytesIO()
    doc.save(buf)
    write_bytes("handbook.docx", normalise_zip(buf.getvalue()))


HANDBOOK_MD = """\
# Engineering handbook

Welcome to the engineering team at Heronsgate Ltd. This handbook is kept in Markdown.

## On-call

The on-call rotation changes every Tuesday at noon.
Pages that are not acknowledged within fifteen minutes escalate to the team lead.

### Escalation

- First, page the primary engineer.
- Second, page the secondary engineer.
- Finally, call the duty manager on the **amber** phone.

## Deployments

Deployments are frozen on Fridays after 15:00.
Read the [release checklist](https://example.com/release-checklist) before shipping.

```sh
# the deploy script refuses to run without a ticket number
./deploy.sh --ticket OPS-4417 --env production
```

### Rollbacks

A rollback never needs approval when customers are affected.

1. Revert the release tag.
2. Announce the rollback in the incidents channel.
"""

HANDBOOK_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Office guide &amp; visitor information</title>
<style>
  /* zzstyleonly: this stylesheet text must never be indexed */
  body { font-family: sans-serif; }
  .zzstyleonly { color: #c0ffee; }
</style>
<script>
  // zzscriptonly: this script text must never be indexed
  var zzscriptonly = "zzscriptonly";
  document.title = zzscriptonly;
</script>
</head>
<body>
<nav><a href="/">Home</a> | <a href="/offices">Offices</a> | <a href="/contact">Contact</a></nav>
<!-- zzcommentonly: comments are not content either -->
<h1>Office guide</h1>
<p>The Lisbon office is on the third floor of the Tagus building.</p>
<h2>Visitors</h2>
<p>Visitors collect a badge from reception &amp; return it when leaving.</p>
<p>The caf&eacute; serves breakfast until half past nine.</p>
<h3>Accessibility</h3>
<p>A step-free entrance is on the north side of the building.</p>
<h2>Meeting rooms</h2>
<table>
  <tr><th>Room</th><th>Seats</th></tr>
  <tr><td>Kingfisher</td><td>12</td></tr>
  <tr><td>Wren</td><td>4</td></tr>
</table>
<h2>International</h2>
<p>Die Kantine bietet täglich ein veganes Gericht an, sagt Jürgen.</p>
<p>Le café crème coûte deux euros à la cafétéria.</p>
<script type="application/ld+json">{"zzscriptonly": true}</script>
</body>
</html>
"""

NOTES_TXT = """\
Notes from the quarterly offsite

Grüße aus Köln! The team met in the Rheinauhafen for two days.
The first session covered the migration of the archive to the new storage cluster.

We agreed that a naïve café-style standup does not scale past twelve people.
Smaller groups will meet on Mondays and Thursdays instead.

Action items: Zoë owns the budget review; Ørjan owns the hiring plan.
The next offsite will be in Málaga in the spring.

Final remark: the word smörgåsbord appears here so that non-ASCII search can be tested.
"""

LATIN1_TXT = """\
Café crème à Paris

Le garçon a apporté l'addition à la fin du déjeuner.
La crème brûlée coûte 3,50 euros; le reçu est donné à l'hôte.
Señor Muñoz pidió una caña en la terraza.
"""


def make_text_files() -> None:
    write_text("handbook.md", HANDBOOK_MD)
    write_text("handbook.html", HANDBOOK_HTML)
    write_text("notes.txt", NOTES_TXT)
    # latin-1 only; no byte in 0x80-0x9F, so Latin-1 and Windows-1252 agree.
    write_text("latin1.txt", LATIN1_TXT, encoding="iso-8859-1")


def make_three_pages_pdf() -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle("Site information")
    c.setAuthor("Docent test fixtures")
    c.setCreator("Docent make.py (reportlab)")
    _, height = A4
    for title, sentences in PDF_PAGES:
        c.setFont("Helvetica-Bold", 18)
        c.drawString(72, height - 90, title)
        c.setFont("Helvetica", 12)
        y = height - 130
        for s in sentences:
            c.drawString(72, y, s)
            y -= 20
        c.showPage()
    c.save()
    write_bytes("three-pages.pdf", buf.getvalue())


def make_image_png() -> None:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 64), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.rectangle((8, 8, 40, 40), fill=(30, 90, 200))
    d.ellipse((24, 24, 56, 56), fill=(230, 120, 20))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    write_bytes("image.png", buf.getvalue())


def make_scanned_pdf() -> None:
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.load_default(size=36)  # Pillow's bundled font (FreeType)
    except TypeError:  # very old Pillow without sized default font
        font = ImageFont.truetype("DejaVuSans.ttf", 36)
    # A5-ish page at 100 dpi, 1-bit like a fax-mode scan: keeps the file small.
    img = Image.new("L", (827, 583), 255)
    d = ImageDraw.Draw(img)
    y = 80
    for line in SCANNED_LINES:
        d.text((60, y), line, fill=0, font=font)
        y += 70
    img = img.point(lambda v: 255 if v > 128 else 0).convert("1")
    buf = io.BytesIO()
    img.save(buf, format="PDF", resolution=100.0, title="Scanned memo",
             author="Docent test fixtures",
             creationDate=time.gmtime(FIXED_DT.timestamp()),
             modDate=time.gmtime(FIXED_DT.timestamp()))
    write_bytes("scanned.pdf", buf.getvalue())


# --------------------------------------------------------------------------
# bad documents
# --------------------------------------------------------------------------


def make_encrypted_pdf() -> None:
    qpdf = shutil.which("qpdf")
    if not qpdf:
        sys.exit("make.py: qpdf is needed for encrypted.pdf (apt-get install qpdf)")
    subprocess.run(
        [qpdf, "--static-id", "--static-aes-iv",  # reproducible output; test use only
         "--encrypt", "user", "owner", "256", "--",
         str(OUT / "three-pages.pdf"), str(OUT / "encrypted.pdf")],
        check=True)


def make_truncated_pdf() -> None:
    data = (OUT / "three-pages.pdf").read_bytes()
    write_bytes("truncated.pdf", data[: int(len(data) * 0.4)])


def make_garbage_pdf() -> None:
    write_bytes("garbage.pdf", b"%PDF-1.7\n" + pseudo_random(4096, b"docent-garbage-pdf"))


def make_empty_and_blank() -> None:
    write_bytes("empty.txt", b"")
    write_bytes("blank.md", b"   \n\n\t\n  \t  \n\n\n")


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    b"</Relationships>"
)
BOMB_INFLATED = 1 << 30  # word/document.xml inflates to exactly 1 GiB


def make_bomb_docx() -> None:
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body>"
    )
    tail = b"</w:body></w:document>"
    # A few real paragraphs, then whitespace between elements (still valid XML)
    # up to 1 GiB. Deflate reaches its best ratio (~1030:1) only on runs whose
    # repeat distance is 1-4 bytes, so the bulk is one long run of spaces: a
    # repeated "<w:p/>"-style element would make the file three times larger.
    paras = b"<w:p><w:r><w:t>zzbomb paragraph</w:t></w:r></w:p>" * 1000
    pad = BOMB_INFLATED - len(head) - len(paras) - len(tail)
    chunk = b" " * (8 * 1024 * 1024)

    path = OUT / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, payload in (("[Content_Types].xml", CONTENT_TYPES),
                              ("_rels/.rels", ROOT_RELS)):
            zi = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, payload)
        zi = zipfile.ZipInfo("word/document.xml", date_time=FIXED_TIME)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o644 << 16
        with zf.open(zi, "w") as w:
            w.write(head)
            w.write(paras)
            while pad >= len(chunk):
                w.write(chunk)
                pad -= len(chunk)
            w.write(b" " * pad)
            w.write(tail)


def make_not_a_docx() -> None:
    write_bytes("not-a-docx.docx", zip_bytes([
        ("readme.txt", b"This zip archive is not a Word document.\n"),
        ("data/numbers.csv", b"a,b\n1,2\n3,4\n"),
    ]))


def make_deep_html() -> None:
    depth = 100_000
    # Opening tags only: an HTML parser closes them at end of input, and this keeps
    # the file near 0.5 MB (with closing tags it would be 1.1 MB).
    html = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Deep nesting</title>"
        "</head><body>\n"
        + "<div>" * depth
        + "The zzdeepest paragraph is one hundred thousand levels down.\n"
        + "</body></html>\n"
    )
    write_text("deep.html", html)


# --------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------


def pdftotext(name: str, first: int | None = None, last: int | None = None,
              upw: str | None = None) -> subprocess.CompletedProcess:
    cmd = ["pdftotext", "-q"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    if upw:
        cmd += ["-upw", upw]
    cmd += [str(OUT / name), "-"]
    return subprocess.run(cmd, capture_output=True, text=True)


def check(cond: bool, what: str) -> None:
    if not cond:
        raise SystemExit(f"make.py: check failed: {what}")


def verify() -> None:
    from docx import Document

    # DOCX: every sentence and the table cell are there; one page break.
    d = Document(str(OUT / "handbook.docx"))
    text = "\n".join(p.text for p in d.paragraphs)
    for s in DOCX_PAGE1 + DOCX_BULLETS + DOCX_PAGE2:
        check(s in text, f"handbook.docx has {s!r}")
    check(d.tables[0].cell(2, 1).text == "NOK 719", "handbook.docx table cell")
    xml = zipfile.ZipFile(OUT / "handbook.docx").read("word/document.xml")
    check(xml.count(b'w:type="page"') == 1, "handbook.docx has one page break")

    # Encodings.
    (OUT / "notes.txt").read_bytes().decode("utf-8")
    raw = (OUT / "latin1.txt").read_bytes()
    try:
        raw.decode("utf-8")
        check(False, "latin1.txt must not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    check(raw.decode("iso-8859-1") == raw.decode("cp1252"), "latin1.txt same in cp1252")
    check(not any(0x80 <= b <= 0x9F for b in raw), "latin1.txt has no C1 bytes")

    check((OUT / "empty.txt").stat().st_size == 0, "empty.txt is empty")
    check((OUT / "blank.md").read_bytes().strip() == b"", "blank.md is blank")
    check((OUT / "garbage.pdf").read_bytes().startswith(b"%PDF-1.7\n"), "garbage.pdf header")
    check((OUT / "image.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "image.png is a PNG")

    # Zips.
    with zipfile.ZipFile(OUT / "bomb.docx") as zf:
        info = zf.getinfo("word/document.xml")
        check(info.file_size == BOMB_INFLATED, "bomb.docx inflates to 1 GiB")
        with zf.open(info) as r:  # stream the start only
            check(r.read(200).startswith(b"<?xml"), "bomb.docx document.xml is XML")
    with zipfile.ZipFile(OUT / "not-a-docx.docx") as zf:
        check("word/document.xml" not in zf.namelist(), "not-a-docx.docx has no document")
        check(zf.testzip() is None, "not-a-docx.docx is a valid zip")

    deep = (OUT / "deep.html").read_text("utf-8")
    check(deep.count("<div>") == 100_000, "deep.html is 100,000 levels deep")

    # PDFs, with poppler when it is installed.
    if shutil.which("pdftotext"):
        for page, (_, sentences) in enumerate(PDF_PAGES, start=1):
            out = pdftotext("three-pages.pdf", page, page)
            check(out.returncode == 0, f"three-pages.pdf page {page} reads")
            for s in sentences:
                check(s in out.stdout, f"three-pages.pdf page {page} has {s!r}")
            for other, (_, others) in enumerate(PDF_PAGES, start=1):
                if other != page:
                    check(others[0] not in out.stdout, f"page {page} lacks page {other}")
        check(pdftotext("encrypted.pdf").returncode != 0, "encrypted.pdf needs a password")
        out = pdftotext("encrypted.pdf", 2, 2, upw="user")
        check(PDF_PAGES[1][1][0] in out.stdout, "encrypted.pdf opens with 'user'")
        out = pdftotext("scanned.pdf")
        check(out.returncode == 0 and out.stdout.strip() == "", "scanned.pdf has no text")
        check(pdftotext("garbage.pdf").returncode != 0, "garbage.pdf does not open")
    else:
        print("make.py: pdftotext not found; PDF checks skipped", file=sys.stderr)


def main() -> None:
    make_handbook_docx()
    make_text_files()
    make_three_pages_pdf()
    make_image_png()
    make_scanned_pdf()
    make_encrypted_pdf()
    make_truncated_pdf()
    make_garbage_pdf()
    make_empty_and_blank()
    make_bomb_docx()
    make_not_a_docx()
    make_deep_html()
    verify()
    for p in sorted(OUT.iterdir()):
        print(f"{p.stat().st_size:>9}  {p.name}")


if __name__ == "__main__":
    main()
