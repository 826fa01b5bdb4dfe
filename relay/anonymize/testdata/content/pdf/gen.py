#!/usr/bin/python3
"""Generate the PDF corpus: real PDFs (ReportLab, pikepdf, LibreOffice, a
hand-written incremental update) wrapped into messages shaped like those of
Outlook, Apple Mail, Gmail and Thunderbird, plus manifest.json in the format
of shared/corpus/content/manifest.json.

Run from anywhere with Debian's python3-reportlab, python3-pikepdf and
LibreOffice (soffice) installed:

    /usr/bin/python3 relay/anonymize/testdata/content/pdf/gen.py

Everything is invented: people, companies, tax ids, .example domains.
"""
import base64
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zlib

import pikepdf
from PIL import Image
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

HERE = os.path.dirname(os.path.abspath(__file__))
RCPT = "to+bob=example.com@leak.example"

# Page content streams Flate-compressed, not ASCII85: the checker inflates
# Flate streams to find the page marker.
rl_config.useA85 = 0
rl_config.invariant = 1


# ------------------------------------------------------------------ PDFs

def reportlab_pdf(lines, author=None, creator=None, keywords=None, subject=None,
                  title=None, pages=1, draw=None):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, invariant=1)
    if author:
        c.setAuthor(author)
    if creator:
        c.setCreator(creator)
    if keywords:
        c.setKeywords(keywords)
    if subject:
        c.setSubject(subject)
    if title:
        c.setTitle(title)
    for p in range(pages):
        c.setFont("Helvetica", 12)
        y = 800
        for line in (lines if p == 0 else ["page %d of %d" % (p + 1, pages)]):
            c.drawString(72, y, line)
            y -= 18
        if draw and p == 0:
            draw(c)
        c.showPage()
    c.save()
    return buf.getvalue()


def with_pikepdf(data, edit, **save):
    pdf = pikepdf.open(io.BytesIO(data))
    edit(pdf)
    out = io.BytesIO()
    pdf.save(out, **save)
    return out.getvalue()


XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
   <xmp:CreatorTool>{tool}</xmp:CreatorTool>
   <xmpMM:DocumentID>uuid:6f1c2a9e-0b7d-4c55-9e1a-2d3f4b5c6d7e</xmpMM:DocumentID>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def pdf01():
    return reportlab_pdf(
        ["Invoice 2026-118", "Consulting, October: 12 h", "Total EUR 1,440.00",
         "KEEP-PDF-01-page"],
        author="Ingrid Halvorsen-Tamm", creator="InvoiceDesk 4.2 (ihalvorsen)",
        keywords="VAT DE-812-447-190", subject="Invoice", title="Invoice 2026-118")


def pdf02():
    base = reportlab_pdf(["Site plan, revision C", "KEEP-PDF-02-page"])

    def edit(pdf):
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:creator"] = ["Tomasz Wierzbicki"]
            meta["dc:title"] = "Site plan"
            meta["xmp:CreatorTool"] = (
                "Microsoft Word for Microsoft 365 - C:\\Users\\twierzbicki\\"
                "OneDrive - Wierzbicki Bau\\plan.docx")
            meta["pdf:Producer"] = "Microsoft Word for Microsoft 365"
        page = pdf.pages[0]
        xmp = XMP.format(tool="/home/twierzbicki/bin/stamp-tool").encode("utf-8")
        page.obj.Metadata = pdf.make_stream(xmp, Type=pikepdf.Name.Metadata,
                                            Subtype=pikepdf.Name.XML)
    # Object streams and a cross-reference stream, as Word and Chrome write
    # them: the Info dictionary sits compressed inside an object stream.
    return with_pikepdf(base, edit, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def pdf03():
    """An incremental update written by hand: the first revision names the
    author in its Info dictionary and in a draft line on the page; the
    update replaces the page content and the Info dictionary (new object
    numbers), so the old ones are reachable only through the old xref."""
    base = reportlab_pdf(
        ["Quarterly figures (draft prepared by R. Achterberg)", "Revenue 4.1 M"],
        author="Rosalind Achterberg", creator="Writer (rachterberg)",
        title="Quarterly figures")
    pdf = pikepdf.open(io.BytesIO(base))
    size = int(pdf.trailer.Size)
    page = pdf.pages[0].obj
    page_num = page.objgen[0]
    root_num = pdf.Root.objgen[0]
    old_id = bytes(pdf.trailer.ID[0]).hex()
    prev = int(re.findall(rb"startxref\s+(\d+)", base)[-1])
    content = b"BT /F1 12 Tf 72 800 Td (Quarterly figures) Tj 0 -18 Td (Revenue 4.1 M) Tj" \
              b" 0 -18 Td (KEEP-PDF-03-page) Tj ET"
    comp = zlib.compress(content)
    page_dict = page.unparse(resolved=True).decode("latin-1")
    page_dict = re.sub(r"/Contents \d+ 0 R", "/Contents %d 0 R" % size, page_dict)
    out = bytearray(base)
    if not out.endswith(b"\n"):
        out += b"\n"
    offs = {}
    offs[size] = len(out)
    out += b"%d 0 obj\n<< /Filter /FlateDecode /Length %d >>\nstream\n" % (size, len(comp))
    out += comp + b"\nendstream\nendobj\n"
    offs[page_num] = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (page_num, page_dict.encode("latin-1"))
    offs[size + 1] = len(out)
    out += b"%d 0 obj\n<< /Title (Quarterly figures) /Producer (PDF Editor 2.1) >>\nendobj\n" % (size + 1)
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for num in sorted(offs):
        out += b"%d 1\n%010d 00000 n \n" % (num, offs[num])
    out += (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d /ID [<%s><%s>] >>\n"
            b"startxref\n%d\n%%%%EOF\n") % (size + 2, root_num, size + 1, prev,
                                             old_id.encode(), b"0badc0ffee0ddf00d0badc0ffee0ddf0", xref)
    return bytes(out)


def pdf04():
    base = reportlab_pdf(["Contract draft, clause 7", "KEEP-PDF-04-page"])

    def edit(pdf):
        page = pdf.pages[0]
        popup = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Popup,
            Rect=[420, 640, 560, 720], Open=False))
        note = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text,
            Rect=[400, 760, 420, 780], Contents="KEEP-PDF-04-note please check the totals",
            T="kpellegrino", M="D:20261104091500+01'00'",
            CreationDate="D:20261104091200+01'00'",
            NM="kpellegrino-0001", Popup=popup))
        popup.Parent = note
        highlight = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Highlight,
            Rect=[70, 780, 250, 800], QuadPoints=[70, 800, 250, 800, 70, 780, 250, 780],
            C=[1, 1, 0], Contents="clause 7 reads oddly",
            T="Kasimir Pellegrino", M="D:20261104091800+01'00'",
            RC="<?xml version=\"1.0\"?><body xmlns=\"http://www.w3.org/1999/xhtml\"><p>clause 7 reads oddly</p></body>"))
        page.obj.Annots = pdf.make_indirect(pikepdf.Array([note, popup, highlight]))
    return with_pikepdf(base, edit)


def pdf05(tmp):
    fodt = os.path.join(tmp, "memo.fodt")
    with open(fodt, "w", encoding="utf-8") as f:
        f.write("""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"
 office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta>
  <meta:initial-creator>Annelise Brockmann</meta:initial-creator>
  <dc:creator>Annelise Brockmann</dc:creator>
  <dc:title>Site visit memo</dc:title>
  <dc:subject>Staff no. 88231</dc:subject>
  <meta:keyword>brockmann-private</meta:keyword>
 </office:meta>
 <office:body><office:text>
  <text:p>Site visit memo: the scaffolding on the north side is fine.</text:p>
 </office:text></office:body>
</office:document>
""")
    subprocess.run(["soffice", "--headless", "-env:UserInstallation=file://" + tmp + "/lo",
                    "--convert-to", "pdf", "--outdir", tmp, fodt],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    with open(os.path.join(tmp, "memo.pdf"), "rb") as f:
        data = f.read()

    # LibreOffice draws text with subset-font glyph ids, which no search
    # finds: stamp the marker line in a standard font as a second content
    # stream, leaving LibreOffice's own objects as they are.
    def edit(pdf):
        page = pdf.pages[0]
        font = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica))
        res = page.obj.Resources
        if "/Font" not in res:
            res.Font = pikepdf.Dictionary()
        res.Font.KeepHelv = font
        stamp = pdf.make_stream(b"q BT /KeepHelv 9 Tf 40 30 Td (KEEP-PDF-05-page) Tj ET Q")
        contents = page.obj.Contents
        if isinstance(contents, pikepdf.Array):
            contents.append(stamp)
        else:
            page.obj.Contents = pikepdf.Array([contents, stamp])
    return with_pikepdf(data, edit, compress_streams=False,
                        object_stream_mode=pikepdf.ObjectStreamMode.preserve)


def pdf06():
    base = reportlab_pdf(["Tender documents, lot 3", "KEEP-PDF-06-page"],
                         author="Lucjan Zawadzki")

    def edit(pdf):
        pdf.attachments["prices.csv"] = pikepdf.AttachedFileSpec(
            pdf, b"item;price\nscaffold;1200\n# exported by lzawadzki\n",
            filename="prices.csv", mime_type="text/csv")
    return with_pikepdf(base, edit)


def pdf07():
    base = reportlab_pdf(["Measurement report", "KEEP-PDF-07-page"])

    def edit(pdf):
        spec = pikepdf.AttachedFileSpec(pdf, b"raw readings by Maelle Quintavalle\n",
                                        filename="readings.txt", mime_type="text/plain")
        annot = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment,
            Rect=[500, 760, 520, 780], FS=spec.obj, T="mquintavalle",
            Contents="raw readings"))
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([annot]))
    return with_pikepdf(base, edit)


def pdf08():
    base = reportlab_pdf(["Salary statement", "KEEP-PDF-08-page"],
                         author="Henrike Oosterhuis")

    def edit(pdf):
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:creator"] = ["Henrike Oosterhuis"]
    return with_pikepdf(base, edit, encryption=pikepdf.Encryption(
        owner="owner-only-9f3k", user="", R=4, aes=True, metadata=False))


def pdf09():
    good = reportlab_pdf(["Delivery note", "KEEP-PDF-09-page"], author="Quentin Marchetti")
    # Header and the start of a real file, then a damaged tail: no xref, no
    # trailer, objects cut off mid-dictionary.
    return good[:400] + b"\n<< /Author (Quentin Marchetti) /Cre\x00\xff\xfe garbage ]]>> endobj\n"


def pdf10():
    def draw(c):
        c.drawString(72, 700, "Order online:")
        c.linkURL("https://shop.example/KEEP-PDF-10-link", (150, 695, 350, 712), relative=0)
    base = reportlab_pdf(["Catalogue autumn", "KEEP-PDF-10-page"],
                         author="Siobhan O'Halloran", draw=draw)

    def edit(pdf):
        js = pdf.make_indirect(pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript,
            JS="app.alert('Catalogue prepared by ohalloran@halloran-print.example');"))
        pdf.Root.OpenAction = js
        names = pdf.Root.get("/Names") or pdf.make_indirect(pikepdf.Dictionary())
        names.JavaScript = pikepdf.Dictionary(Names=["init", js])
        pdf.Root.Names = names
        pdf.pages[0].obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS="this.submitForm('https://track.example/?u=ohalloran');"))
    return with_pikepdf(base, edit)


def pdf11():
    def draw(c):
        c.drawString(72, 700, "Customer reference:")
        c.acroForm.textfield(name="customer_ref", value="KEEP-PDF-11-field-value",
                             x=200, y=690, width=220, height=20, borderWidth=1)
    base = reportlab_pdf(["Order form", "KEEP-PDF-11-page"],
                         author="Dagny Strandqvist", creator="FormMaker (dstrandqvist)",
                         draw=draw)

    def edit(pdf):
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:creator"] = ["Dagny Strandqvist"]
            meta["xmp:CreatorTool"] = "FormMaker 3 on DSTRANDQVIST-LAPTOP"
    return with_pikepdf(base, edit, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def pdf12(tmp):
    img = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x013B] = "Ragnhild Solbakken"            # Artist
    exif[0x8298] = "(c) Solbakken Foto"            # Copyright
    exif[0x0110] = "Pixel 9 Pro"                    # Model
    jpg = os.path.join(tmp, "photo.jpg")
    img.save(jpg, "JPEG", exif=exif.tobytes(), quality=80)

    def draw(c):
        c.drawImage(jpg, 72, 600, width=128, height=96)
    base = reportlab_pdf(["Flyer: open day", "KEEP-PDF-12-page"], draw=draw)

    def edit(pdf):
        page = pdf.pages[0].obj
        page.PieceInfo = pikepdf.Dictionary(Illustrator=pikepdf.Dictionary(
            LastModified="D:20261101120000Z",
            Private=pikepdf.Dictionary(ContainerPath="/Users/rsolbakken/Work/flyer.ai")))
        page.LastModified = "D:20261101120000Z"
        pdf.Root.SpiderInfo = pikepdf.Dictionary(V=1.0)
    return with_pikepdf(base, edit)


# ------------------------------------------------------------------ messages

CLIENTS = {
    "outlook": dict(
        boundary="----=_NextPart_000_00{n:02d}_01DB4E2A.5C7F31A0",
        headers=["X-Mailer: Microsoft Outlook 16.0",
                 "Thread-Index: AdtOKlx/MaB3c1QkRpm7b0Xk2f9ZqA==",
                 "Content-Language: en-gb"],
        msgid="<00{n:02d}01db4e2a$5c7f31a0$15a99e20$@{domain}>",
        preamble="This is a multipart message in MIME format.",
        text_headers=['Content-Type: text/plain;\r\n\tcharset="us-ascii"',
                      "Content-Transfer-Encoding: 7bit"],
        att=lambda fn: ['Content-Type: application/pdf;\r\n\tname="%s"' % fn,
                        "Content-Transfer-Encoding: base64",
                        'Content-Disposition: attachment;\r\n\tfilename="%s"' % fn],
        signoff=[]),
    "apple": dict(
        boundary="Apple-Mail=_6A1F0C2E-9B3D-4E71-A0{n:02d}-5C8D2E4F6A1B",
        headers=["X-Mailer: Apple Mail (2.3826.200.121)"],
        msgid="<6A1F0C2E-9B3D-4E71-A0{n:02d}-5C8D2E4F6A1B@{domain}>",
        preamble=None,
        text_headers=["Content-Transfer-Encoding: 7bit",
                      "Content-Type: text/plain;\r\n\tcharset=us-ascii"],
        att=lambda fn: ["Content-Disposition: attachment;\r\n\tfilename=%s" % fn,
                        "Content-Type: application/pdf;\r\n\tx-unix-mode=0644;\r\n\tname=\"%s\"" % fn,
                        "Content-Transfer-Encoding: base64"],
        signoff=[]),
    "gmail": dict(
        boundary="0000000000009a1b2c063e{n:02d}f4d7",
        headers=[],
        msgid="<CAKx{n:02d}Qh7vJ2mZp9RkT3w8LhYbN4cD0sE6fG1hI2jK3lM@mail.gmail.com>",
        preamble=None,
        text_headers=['Content-Type: text/plain; charset="UTF-8"'],
        att=lambda fn: ['Content-Type: application/pdf; name="%s"' % fn,
                        'Content-Disposition: attachment; filename="%s"' % fn,
                        "Content-Transfer-Encoding: base64",
                        "Content-ID: <f_m3k{0}q9z0>".format(len(fn)),
                        "X-Attachment-Id: f_m3k%dq9z0" % len(fn)],
        signoff=[]),
    "thunderbird": dict(
        boundary="------------Zq7Wd{n:02d}Kx3PbR9sLm2TnV5yC",
        headers=["User-Agent: Mozilla Thunderbird", "Content-Language: en-US"],
        msgid="<7c1e9a{n:02d}-4b2d-4f8e-9a31-0d5e6f7a8b9c@{domain}>",
        preamble="This is a multi-part message in MIME format.",
        text_headers=["Content-Type: text/plain; charset=UTF-8; format=flowed",
                      "Content-Transfer-Encoding: 7bit"],
        att=lambda fn: ['Content-Type: application/pdf; name="%s"' % fn,
                        'Content-Disposition: attachment; filename="%s"' % fn,
                        "Content-Transfer-Encoding: base64"],
        signoff=[]),
}


def eml(n, client, name, addr, subject, body, pdf, filename, date):
    c = CLIENTS[client]
    domain = addr.split("@")[1]
    b = c["boundary"].format(n=n)
    lines = ["From: %s <%s>" % (name, addr) if client != "apple" else "From: %s <%s>" % (name, addr),
             "To: <%s>" % RCPT,
             "Subject: %s" % subject,
             "Date: %s" % date,
             "Message-ID: %s" % c["msgid"].format(n=n, domain=domain),
             "MIME-Version: 1.0"]
    lines += c["headers"]
    lines += ['Content-Type: multipart/mixed;\r\n\tboundary="%s"' % b]
    lines.append("")
    if c["preamble"]:
        lines += [c["preamble"], ""]
    lines.append("--" + b)
    lines += c["text_headers"]
    lines.append("")
    lines += body
    lines.append("")
    lines.append("--" + b)
    lines += c["att"](filename)
    lines.append("")
    enc = base64.b64encode(pdf).decode("ascii")
    lines += [enc[i:i + 76] for i in range(0, len(enc), 76)]
    lines.append("")
    lines.append("--" + b + "--")
    lines.append("")
    return "\r\n".join(lines).encode("ascii")


def entry(fname, client, detail, mail_from, secrets, must_keep, rationale, reject=None,
          notes=""):
    e = {
        "file": fname,
        "client": "leak/pdf",
        "client_detail": detail,
        "envelope": {"mail_from": mail_from, "rcpt_to": [RCPT]},
        "session": {},
        "deliveries": [] if reject else [{"rcpt": RCPT, "deliver_to": "bob@example.com"}],
        "secrets": secrets,
        "secret_kinds": {},
        "session_secrets": [],
        "forbidden_headers": [],
        "must_keep": [] if reject else must_keep,
        "must_keep_parts": [] if reject else [
            {"content_type": "application/pdf", "contains_hex": ["255044462d"]}],
        "fingerprint_regex": [],
        "soft_fingerprints": [],
        "optional_secrets": [],
        "sources": [],
        "notes": notes,
        "category": "documents",
        "deep_decode": True,
        "rationale": rationale,
        "mail_client": client,
    }
    if reject:
        e["expected"] = {"outcome": "reject", "reply": reject}
    return e


def main():
    tmp = tempfile.mkdtemp(prefix="leak-pdf-")
    try:
        build(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build(tmp):
    d0 = datetime.datetime(2026, 11, 3, 9, 0)
    specs = [
        (1, "outlook", "Ingrid Halvorsen-Tamm", "ingrid@halvorsen-tamm.example",
         "Invoice 2026-118", pdf01(), "Invoice-2026-118.pdf",
         ["Halvorsen", "ihalvorsen", "DE-812-447-190"],
         "ReportLab invoice: Info Author, Creator naming the account, Keywords with the VAT id",
         "Info-dictionary fields are metadata nobody sees on the page: drop the whole Info dictionary; keep the page.",
         None),
        (2, "apple", "Tomasz Wierzbicki", "tomasz@wierzbicki-bau.example",
         "Site plan rev C", pdf02(), "site-plan.pdf",
         ["Wierzbicki", "twierzbicki", "C:\\Users\\twierzbicki"],
         "pikepdf-edited PDF with object streams and an xref stream: catalog XMP (dc:creator, xmp:CreatorTool with a Windows user path), a page-level XMP stream naming a home directory, Info synced from XMP",
         "XMP metadata streams (catalog and object level) name the author and the paths of the source file: drop every /Metadata.",
         None),
        (3, "gmail", "Rosalind Achterberg", "rosalind@achterberg-consult.example",
         "Quarterly figures", pdf03(), "quarterly.pdf",
         ["Achterberg", "rachterberg"],
         "Incremental update written by hand: revision 1 has Info Author/Creator and a page line naming the author; revision 2 replaces the page content and the Info dictionary with new objects",
         "Old revisions stay in an incrementally saved file: the rewrite must be a single revision, so the old Info dictionary and the replaced content stream (reachable only through the old xref) are gone.",
         None),
        (4, "thunderbird", "Kasimir Pellegrino", "kasimir@pellegrino-legal.example",
         "Contract draft comments", pdf04(), "contract-draft.pdf",
         ["Pellegrino", "kpellegrino"],
         "Annotations: a sticky note (/T login, /M, /CreationDate, /NM) with a popup, and a highlight with /T full name and /RC rich text",
         "Annotation authors and dates are metadata; the annotation contents are what the sender wrote: drop /T, /M, /NM, keep /Contents, /RC and the popup.",
         None),
        (5, "gmail", "Annelise Brockmann", "annelise@brockmann-bau.example",
         "Site visit memo", pdf05(tmp), "memo.pdf",
         ["Brockmann", "00420072006f0063006b006d0061006e006e"],
         "LibreOffice Writer export (soffice --convert-to pdf of a flat ODT with author, subject and keywords), then a marker line stamped with pikepdf in Helvetica",
         "LibreOffice writes Author, Subject, Keywords as UTF-16 hex strings in Info (lower-case <feff...>, which the checker's decoder misses, hence the second secret: 'Brockmann' in UTF-16BE hex as written): drop Info. The stamped line stands in for the page text, which LibreOffice draws with subset glyph ids.",
         None),
        (6, "outlook", "Lucjan Zawadzki", "lucjan@zawadzki-tender.example",
         "Tender lot 3", pdf06(), "tender-lot3.pdf",
         ["Zawadzki", "lzawadzki"],
         "PDF with an /EmbeddedFiles name tree holding a CSV",
         "An attached file can be any type with its own metadata: refuse (554 5.6.1) and ask for the files separately.",
         "554 5.6.1"),
        (7, "apple", "Maelle Quintavalle", "maelle@quintavalle-labs.example",
         "Measurement report", pdf07(), "measurements.pdf",
         ["Quintavalle", "mquintavalle"],
         "PDF with a FileAttachment annotation (embedded file stream, /T login) and no name tree",
         "A file attachment annotation embeds a file just like /EmbeddedFiles: refuse (554 5.6.1).",
         "554 5.6.1"),
        (8, "apple", "Henrike Oosterhuis", "henrike@oosterhuis-hr.example",
         "Salary statement", pdf08(), "statement.pdf",
         ["Oosterhuis"],
         "pikepdf AES-128 encryption with an owner password only (empty user password), XMP left unencrypted",
         "Encrypted PDFs, even openable ones, are refused (554 5.7.1): remove the password and send again.",
         "554 5.7.1"),
        (9, "gmail", "Quentin Marchetti", "quentin@marchetti-trans.example",
         "Delivery note", pdf09(), "delivery-note.pdf",
         ["Marchetti"],
         "A 'PDF' cut off after 400 bytes with a garbage tail: no xref, no trailer",
         "Does not parse: refuse (554 5.6.0) with advice to save it again.",
         "554 5.6.0"),
        (10, "thunderbird", "Siobhan O'Halloran", "siobhan@halloran-print.example",
         "Autumn catalogue", pdf10(), "catalogue.pdf",
         ["Halloran"],
         "Document JavaScript (name tree and /OpenAction) and a page /AA script naming the author; a URI link on the page",
         "Scripts run on open and can phone home; they are not content: drop JavaScript actions and /AA, keep the link.",
         None),
        (11, "outlook", "Dagny Strandqvist", "dagny@strandqvist-shop.example",
         "Order form", pdf11(), "order-form.pdf",
         ["Strandqvist", "dstrandqvist"],
         "ReportLab AcroForm text field with a value, Info Author/Creator and XMP naming the author and machine",
         "Form field values are content: keep them; drop Info and XMP.",
         None),
        (12, "apple", "Ragnhild Solbakken", "ragnhild@solbakken-foto.example",
         "Open day flyer", pdf12(tmp), "flyer.pdf",
         ["Solbakken", "/Users/rsolbakken"],
         "ReportLab page with a JPEG whose EXIF names the photographer (Artist, Copyright), page /PieceInfo with an Illustrator private path, /LastModified, catalog /SpiderInfo",
         "EXIF in embedded JPEGs, PieceInfo and LastModified are metadata: strip APP1 from the JPEG and drop the private data; keep the picture.",
         None),
    ]
    manifest = {
        "corpus": "leak-pdf",
        "version": 1,
        "relay_domain": "leak.example",
        "default_recipient": RCPT,
        "deep_decode": True,
        "matching": "see shared/corpus/README.md; tools/leakcheck.py (deep_decode)",
        "generator": "/usr/bin/python3 relay/anonymize/testdata/content/pdf/gen.py",
        "messages": [],
    }
    for (n, client, name, addr, subject, pdf, fn, secrets, detail, rationale, reject) in specs:
        fname = "pdf%02d_%s_%s.eml" % (n, client, re.sub(r"[^a-z0-9]+", "_", subject.lower()).strip("_"))
        body = ["Hi Bob,", "", "%s attached." % subject, "KEEP-PDF-%02d-body" % n, ""]
        date = (d0 + datetime.timedelta(days=n, minutes=7 * n)).strftime("%a, %d %b %Y %H:%M:%S +0100")
        with open(os.path.join(HERE, fname), "wb") as f:
            f.write(eml(n, client, name, addr, subject, body, pdf, fn, date))
        keep = [subject, "KEEP-PDF-%02d-body" % n, "KEEP-PDF-%02d-page" % n]
        if n == 4:
            keep.append("KEEP-PDF-04-note")
        if n == 10:
            keep.append("KEEP-PDF-10-link")
        if n == 11:
            keep.append("KEEP-PDF-11-field-value")
        manifest["messages"].append(entry(fname, client, detail, addr, secrets, keep, rationale, reject))
    with open(os.path.join(HERE, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
