#!/usr/bin/python3
"""Builds the office-document corpus: real documents made by python-docx,
openpyxl, odfpy and LibreOffice, with the metadata real editors add (authors,
companies, template paths, comment and revision authors, rsids, absolute
paths, printer settings), each wrapped in a message shaped like a real
client's, plus manifest.json in the format of shared/corpus.

Run with Debian's python3 (python3-docx, python3-openpyxl, python3-odf,
python3-cryptography, libreoffice; python3-msoffcrypto-tool, when present,
checks that the encrypted document decrypts):

    /usr/bin/python3 gen.py          # every message
    /usr/bin/python3 gen.py 17 18    # only these messages' files (the manifest is whole)

zip (Info-ZIP) makes message 18's archive. Everything is invented: people, companies and .example domains.
"""
import base64
import io
import sys
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
RCPT = "to+bob=example.com@leak.example"
TMP = tempfile.mkdtemp(prefix="leak-docgen-")
ONLY = {int(a) for a in sys.argv[1:]}
PROFILE = "file://" + os.path.join(TMP, "profile")

CT = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "rtf": "application/rtf",
    "zip": "application/zip",
    "doc": "application/msword",
}


# ---------------------------------------------------------------- helpers

def soffice(args, src, outdir):
    """Runs LibreOffice headless on src; returns the path it wrote."""
    subprocess.run(["soffice", "-env:UserInstallation=" + PROFILE, "--headless"] + args + ["--outdir", outdir, src],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)


def convert(src, fmt, ext):
    out = os.path.join(TMP, "conv-" + ext)
    os.makedirs(out, exist_ok=True)
    soffice(["--convert-to", fmt], src, out)
    return open(os.path.join(out, os.path.splitext(os.path.basename(src))[0] + "." + ext), "rb").read()


def rezip(data, replace=None, add=None, drop=()):
    """Rewrites a zip: replace maps name -> bytes, add appends members."""
    replace = replace or {}
    zin = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        add = dict(add or {})
        for info in zin.infolist():
            if info.filename in add:
                replace[info.filename] = add.pop(info.filename)
            if info.filename in drop:
                continue
            body = replace.get(info.filename, zin.read(info.filename))
            if isinstance(body, str):
                body = body.encode("utf-8")
            ni = zipfile.ZipInfo(info.filename, (2026, 11, 2, 9, 30, 0))
            ni.compress_type = info.compress_type
            zout.writestr(ni, body)
        for name, body in add.items():
            if isinstance(body, str):
                body = body.encode("utf-8")
            zout.writestr(zipfile.ZipInfo(name, (2026, 11, 2, 9, 30, 0)), body, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def member(data, name):
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode("utf-8")


def png(w=4, h=3, rgb=(40, 120, 200)):
    """A small valid PNG without text chunks."""
    raw = b"".join(b"\0" + bytes(rgb) * w for _ in range(h))
    def chunk(t, b):
        return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def b64(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))


CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{title}</dc:title><dc:creator>{author}</dc:creator><cp:lastModifiedBy>{modby}</cp:lastModifiedBy><cp:revision>4</cp:revision><dcterms:created xsi:type="dcterms:W3CDTF">2026-10-19T08:12:00Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2026-11-02T16:40:00Z</dcterms:modified></cp:coreProperties>"""

APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Template>{template}</Template><TotalTime>93</TotalTime><Pages>1</Pages><Words>40</Words><Characters>230</Characters><Application>{app}</Application><DocSecurity>0</DocSecurity><Lines>3</Lines><Paragraphs>2</Paragraphs><ScaleCrop>false</ScaleCrop><Manager>{manager}</Manager><Company>{company}</Company><LinksUpToDate>false</LinksUpToDate><CharactersWithSpaces>268</CharactersWithSpaces><SharedDoc>false</SharedDoc><HyperlinkBase>{hlink}</HyperlinkBase><HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0000</AppVersion></Properties>"""

CUSTOM = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="ContentTypeId"><vt:lpwstr>0x0101009A1F2D3C4B5A69788796A5B4C3D2E1F0</vt:lpwstr></property><property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="3" name="Reviewer"><vt:lpwstr>{value}</vt:lpwstr></property></Properties>"""

REL_CUSTOM = '<Relationship Id="rId90" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/>'
REL_THUMB = '<Relationship Id="rId91" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/>'
OV_CUSTOM = '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'


def add_rel(rels, rel):
    return rels.replace("</Relationships>", rel + "</Relationships>")


def add_ct(ct, x):
    return ct.replace("</Types>", x + "</Types>")


def ensure_ct_default(ct, ext, mime):
    if 'Extension="%s"' % ext in ct:
        return ct
    return add_ct(ct, '<Default Extension="%s" ContentType="%s"/>' % (ext, mime))


def set_props(data, author, company, manager="", template="Normal.dotm", app="Microsoft Office Word",
              custom=None, thumb=None, title="", hlink="", modby=None):
    """Gives an OOXML package the docProps a desktop Office writes."""
    ct = member(data, "[Content_Types].xml")
    rels = member(data, "_rels/.rels")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    replace = {"docProps/core.xml": CORE.format(author=author, modby=modby or author, title=title)}
    add = {}
    app_xml = APP.format(template=template, app=app, manager=manager, company=company, hlink=hlink)
    if "docProps/app.xml" in names:
        replace["docProps/app.xml"] = app_xml
    else:
        add["docProps/app.xml"] = app_xml
        rels = add_rel(rels, '<Relationship Id="rId92" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>')
        ct = add_ct(ct, '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>')
    if custom:
        add["docProps/custom.xml"] = CUSTOM.format(value=custom)
        rels = add_rel(rels, REL_CUSTOM)
        ct = add_ct(ct, OV_CUSTOM)
    if thumb:
        add["docProps/thumbnail.jpeg"] = thumb
        if "docProps/thumbnail.jpeg" not in names:
            rels = add_rel(rels, REL_THUMB)
        ct = ensure_ct_default(ct, "jpeg", "image/jpeg")
    replace["[Content_Types].xml"] = ct
    replace["_rels/.rels"] = rels
    return rezip(data, replace, add)


def thumbnail_with_comment(text):
    """A JPEG-looking thumbnail carrying a COM segment, as some editors write."""
    com = text.encode()
    return (b"\xff\xd8" + b"\xff\xfe" + struct.pack(">H", len(com) + 2) + com
            + b"\xff\xdb\x00\x43\x00" + bytes(64) + b"\xff\xd9")


# ---------------------------------------------------------------- documents

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_outlook():
    """python-docx document edited the way Word leaves it: comments, tracked
    changes, rsids, people.xml, an attached template under the user's profile,
    custom properties and a picture."""
    import docx
    d = docx.Document()
    d.add_heading("Site survey findings", 1)
    d.add_paragraph("The north wall shows moisture damage. KEEP-DOC-01-body-text")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "Item"
    t.cell(0, 1).text = "Cost"
    t.cell(1, 0).text = "KEEP-DOC-01-table-cell"
    t.cell(1, 1).text = "1200"
    pic = os.path.join(TMP, "p.png")
    open(pic, "wb").write(png())
    d.add_picture(pic)
    buf = io.BytesIO()
    d.save(buf)
    data = buf.getvalue()
    author = "Henrik Westerberg"
    doc = member(data, "word/document.xml")
    doc = doc.replace("<w:p>", '<w:p w:rsidR="00A41C2E" w:rsidRDefault="00A41C2E" w:rsidP="003B7F12">')
    tracked = ('<w:p w:rsidR="00C5D4E1"><w:commentRangeStart w:id="0"/>'
               '<w:r w:rsidRPr="00C5D4E1"><w:t xml:space="preserve">Repair estimate: </w:t></w:r>'
               '<w:ins w:id="11" w:author="%s" w:date="2026-11-02T15:10:00Z"><w:r><w:t>KEEP-DOC-01-inserted-text</w:t></w:r></w:ins>'
               '<w:del w:id="12" w:author="%s" w:date="2026-11-02T15:11:00Z"><w:r><w:delText>obsolete wording</w:delText></w:r></w:del>'
               '<w:r><w:rPr><w:b/><w:rPrChange w:id="13" w:author="%s" w:date="2026-11-02T15:12:00Z"><w:rPr/></w:rPrChange></w:rPr><w:t>bold note</w:t></w:r>'
               '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r></w:p>') % (author, author, author)
    doc = doc.replace("<w:sectPr", tracked + "<w:sectPr", 1)
    comments = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:comments %s>'
                '<w:comment w:id="0" w:author="%s" w:date="2026-11-02T15:20:00Z" w:initials="HW">'
                '<w:p><w:r><w:t>Check with the insurer. KEEP-DOC-01-comment-text</w:t></w:r></w:p></w:comment></w:comments>') % (W, author)
    people = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
              '<w15:person w15:author="%s"><w15:presenceInfo w15:providerId="AD" w15:userId="S::h.westerberg@westerberg-konsult.example::6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e"/></w15:person></w15:people>') % author
    settings = member(data, "word/settings.xml")
    settings = settings.replace("<w:defaultTabStop", '<w:attachedTemplate r:id="rId1"/><w:defaultTabStop', 1)
    if "xmlns:r=" not in settings.split(">", 2)[1]:
        settings = settings.replace("<w:settings ", '<w:settings xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ', 1)
    settings = settings.replace("</w:settings>", '<w:rsids><w:rsidRoot w:val="00A41C2E"/><w:rsid w:val="003B7F12"/><w:rsid w:val="00A41C2E"/><w:rsid w:val="00C5D4E1"/></w:rsids></w:settings>')
    settings_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                     '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
                     'Target="file:///C:\\Users\\hwesterberg\\AppData\\Roaming\\Microsoft\\Templates\\Normal.dotm" TargetMode="External"/></Relationships>')
    drels = member(data, "word/_rels/document.xml.rels")
    drels = add_rel(drels, '<Relationship Id="rId80" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="comments.xml"/>')
    drels = add_rel(drels, '<Relationship Id="rId81" Type="http://schemas.microsoft.com/office/2011/relationships/people" Target="people.xml"/>')
    ct = member(data, "[Content_Types].xml")
    ct = add_ct(ct, '<Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/>')
    ct = add_ct(ct, '<Override PartName="/word/people.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml"/>')
    data = rezip(data, {"word/document.xml": doc, "word/settings.xml": settings,
                        "word/_rels/document.xml.rels": drels, "[Content_Types].xml": ct},
                 {"word/comments.xml": comments, "word/people.xml": people, "word/_rels/settings.xml.rels": settings_rels})
    return set_props(data, author, "Westerberg Konsult AB", manager="Ingrid Westerberg",
                     template="C:\\Users\\hwesterberg\\AppData\\Roaming\\Microsoft\\Templates\\Normal.dotm",
                     custom="hwesterberg", hlink="\\\\fs01.westerberg-konsult.example\\projekt\\")


def docx_gmail():
    """A SharePoint-synced document: customXml item props naming the owner, a
    thumbnail, core and app properties."""
    import docx
    d = docx.Document()
    d.add_paragraph("Meeting minutes, 2 November.")
    d.add_paragraph("Decision: proceed with phase two. KEEP-DOC-02-decision")
    d.core_properties.author = "Amara Okonkwo"
    d.core_properties.last_modified_by = "aokonkwo"
    buf = io.BytesIO()
    d.save(buf)
    data = buf.getvalue()
    item = ('<?xml version="1.0" encoding="utf-8"?><p:properties xmlns:p="http://schemas.microsoft.com/office/2006/metadata/properties" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><documentManagement><Owner><UserInfo><DisplayName>Amara Okonkwo</DisplayName>'
            '<AccountId>17</AccountId><AccountType/><LoginName>i:0#.f|membership|amara@okonkwo-legal.example</LoginName></UserInfo></Owner>'
            '</documentManagement></p:properties>')
    props = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<ds:datastoreItem ds:itemID="{5B7E0A31-7C54-4F0B-9D1A-2C3E4F5A6B7C}" '
             'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs>'
             '<ds:schemaRef ds:uri="http://schemas.microsoft.com/office/2006/metadata/properties"/></ds:schemaRefs></ds:datastoreItem>')
    irels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXmlProps" Target="itemProps1.xml"/></Relationships>')
    drels = member(data, "word/_rels/document.xml.rels")
    ct = member(data, "[Content_Types].xml")
    if "customXml/item1.xml" not in drels:
        drels = add_rel(drels, '<Relationship Id="rId70" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml" Target="../customXml/item1.xml"/>')
    if "/customXml/itemProps1.xml" not in ct:
        ct = add_ct(ct, '<Override PartName="/customXml/itemProps1.xml" ContentType="application/vnd.openxmlformats-officedocument.customXmlProperties+xml"/>')
    data = rezip(data, {"word/_rels/document.xml.rels": drels, "[Content_Types].xml": ct},
                 {"customXml/item1.xml": item, "customXml/itemProps1.xml": props, "customXml/_rels/item1.xml.rels": irels})
    return set_props(data, "Amara Okonkwo", "Okonkwo Legal LLP", app="Microsoft Office Word",
                     thumb=thumbnail_with_comment("Okonkwo Legal LLP draft"), custom="amara@okonkwo-legal.example", modby="aokonkwo")


def odt_base(creator, initial, keep, annotation_author, change_author, path_hint=None):
    """odfpy text document with meta, an annotation and a tracked change."""
    from odf.opendocument import OpenDocumentText
    from odf import text, meta, dc, office
    d = OpenDocumentText()
    d.meta.addElement(meta.InitialCreator(text=initial))
    d.meta.addElement(dc.Creator(text=creator))
    d.meta.addElement(dc.Date(text="2026-11-02T10:11:12"))
    d.meta.addElement(meta.CreationDate(text="2026-10-30T08:00:00"))
    d.meta.addElement(meta.Generator(text="LibreOffice/7.4.7.2$Linux_X86_64 LibreOffice_project/40$Build-2"))
    d.meta.addElement(meta.EditingDuration(text="PT1H2M"))
    d.meta.addElement(meta.UserDefined(name="Department", text="Legal"))
    if path_hint:
        d.meta.addElement(meta.Template(href=path_hint, title="Letter", type="simple"))
    tc = text.TrackedChanges()
    region = text.ChangedRegion(check_grammar=False, qattributes={(text.TEXTNS, "id"): "ct1"})
    ins = text.Insertion()
    ci = office.ChangeInfo()
    ci.addElement(dc.Creator(text=change_author))
    ci.addElement(dc.Date(text="2026-11-02T10:00:00"))
    ins.addElement(ci)
    region.addElement(ins)
    tc.addElement(region)
    d.text.addElement(tc)
    p = text.P(text="Quarterly summary. ")
    p.addElement(text.ChangeStart(changeid="ct1"))
    p.addText(keep + "-inserted")
    p.addElement(text.ChangeEnd(changeid="ct1"))
    d.text.addElement(p)
    p2 = text.P(text=keep + "-body-text ")
    ann = office.Annotation()
    ann.addElement(dc.Creator(text=annotation_author))
    ann.addElement(dc.Date(text="2026-11-02T11:00:00"))
    ann.addElement(text.P(text="Please verify the numbers. " + keep + "-annotation"))
    p2.addElement(ann)
    d.text.addElement(p2)
    buf = io.BytesIO()
    d.write(buf)
    return buf.getvalue()


SETTINGS_ODF = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-settings xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" office:version="1.3"><office:settings><config:config-item-set config:name="ooo:configuration-settings"><config:config-item config:name="PrinterName" config:type="string">{printer}</config:config-item><config:config-item config:name="PrinterSetup" config:type="base64Binary">{setup}</config:config-item><config:config-item config:name="CurrentDatabaseDataSource" config:type="string">file:///home/{user}/Documents/contacts.odb</config:config-item><config:config-item config:name="EmbedFonts" config:type="boolean">false</config:config-item></config:config-item-set></office:settings></office:document-settings>"""


def odt_thunderbird():
    data = odt_base("Władysław Nowicki", "Władysław Nowicki", "KEEP-DOC-07", "Władysław Nowicki", "wnowicki",
                    path_hint="file:///home/wnowicki/Templates/letter.ott")
    setup = base64.b64encode(b"\x00\x00SGENPRT\x00" + b"Nowicki-Laser on lpd://nowicki-nas.example/queue\x00" * 2).decode()
    man = member(data, "META-INF/manifest.xml")
    man = man.replace("</manifest:manifest>",
                      ' <manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml"/>\n'
                      ' <manifest:file-entry manifest:full-path="Thumbnails/thumbnail.png" manifest:media-type="image/png"/>\n'
                      ' <manifest:file-entry manifest:full-path="Configurations2/" manifest:media-type="application/vnd.sun.xml.ui.configuration"/>\n'
                      '</manifest:manifest>')
    return rezip(data, {"META-INF/manifest.xml": man},
                 {"settings.xml": SETTINGS_ODF.format(printer="Nowicki-Laser on nowicki-nas.example", setup=setup, user="wnowicki"),
                  "Thumbnails/thumbnail.png": png(8, 8),
                  # directories only, as LibreOffice writes them: it refuses a
                  # package with a file the manifest does not list
                  "Configurations2/accelerator/": "",
                  "Configurations2/toolbar/": ""}, drop={"settings.xml"})


def ods_gmail():
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf import table, text, meta, dc, office
    d = OpenDocumentSpreadsheet()
    d.meta.addElement(meta.InitialCreator(text="Chiara Bellandi"))
    d.meta.addElement(dc.Creator(text="cbellandi"))
    d.meta.addElement(meta.UserDefined(name="Client", text="Bellandi Tessuti"))
    t = table.Table(name="Budget")
    for label, val in (("KEEP-DOC-08-cell-total", "4200"), ("Fabric", "1800")):
        tr = table.TableRow()
        c = table.TableCell(valuetype="string")
        c.addElement(text.P(text=label))
        if label == "Fabric":
            ann = office.Annotation()
            ann.addElement(dc.Creator(text="Chiara Bellandi"))
            ann.addElement(dc.Date(text="2026-11-01T09:00:00"))
            ann.addElement(text.P(text="supplier quote KEEP-DOC-08-note"))
            c.addElement(ann)
        tr.addElement(c)
        c2 = table.TableCell(valuetype="float", value=val)
        c2.addElement(text.P(text=val))
        tr.addElement(c2)
        t.addElement(tr)
    d.spreadsheet.addElement(t)
    buf = io.BytesIO()
    d.write(buf)
    return buf.getvalue()


def odp_base(keep, creator):
    from odf.opendocument import OpenDocumentPresentation
    from odf import draw, text, style, meta, dc, presentation, office
    d = OpenDocumentPresentation()
    d.meta.addElement(meta.InitialCreator(text=creator))
    d.meta.addElement(dc.Creator(text=creator))
    pl = style.PageLayout(name="PL")
    pl.addElement(style.PageLayoutProperties(pagewidth="28cm", pageheight="21cm", printorientation="landscape"))
    d.automaticstyles.addElement(pl)
    mp = style.MasterPage(name="Default", pagelayoutname=pl)
    d.masterstyles.addElement(mp)
    page = draw.Page(name="Slide1", masterpagename=mp)
    frame = draw.Frame(width="20cm", height="3cm", x="2cm", y="2cm")
    tb = draw.TextBox()
    tb.addElement(text.P(text="Launch plan " + keep + "-slide-title"))
    frame.addElement(tb)
    page.addElement(frame)
    ann = office.Annotation(check_grammar=False, x="1cm", y="1cm", width="4cm", height="2cm")
    ann.addElement(dc.Creator(text=creator))
    ann.addElement(dc.Date(text="2026-11-02T12:00:00"))
    ann.addElement(text.P(text="tighten this " + keep + "-note"))
    page.addElement(ann, check_grammar=False)
    d.presentation.addElement(page)
    buf = io.BytesIO()
    d.write(buf)
    return buf.getvalue()


def xlsx_outlook():
    """openpyxl workbook with the parts Excel 365 adds: absPath, persons and
    threaded comments, a legacy comment author list, printer settings,
    custom properties."""
    import openpyxl
    from openpyxl.comments import Comment
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Estimate"
    ws["A1"] = "KEEP-DOC-04-cell-total"
    ws["B1"] = 18250
    ws["A2"] = "Scaffolding"
    ws["B2"] = 3400
    ws["B2"].comment = Comment("Margit Halvorsen:\nincl. weekend work", "Margit Halvorsen")
    ws.page_setup.orientation = "landscape"
    wb.properties.creator = "Margit Halvorsen"
    wb.properties.lastModifiedBy = "mhalvorsen"
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    pid = "{8C1D2E3F-4A5B-4C6D-9E8F-0A1B2C3D4E5F}"
    wbx = member(data, "xl/workbook.xml")
    head, rest = wbx.split("<workbookPr", 1)
    wbx = (head.replace("<workbook ", '<workbook xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
                        'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
                        'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" mc:Ignorable="x15 xr" ', 1)
           + '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27929"/>'
           + '<mc:AlternateContent><mc:Choice Requires="x15"><x15ac:absPath url="C:\\Users\\mhalvorsen\\OneDrive - Halvorsen Ror AS\\Tilbud\\" '
           + 'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"/></mc:Choice></mc:AlternateContent>'
           + '<xr:revisionPtr revIDLastSave="0" documentId="8_{6A1B2C3D-1111-4222-8333-944455566677}" xr6:coherentId="{00000000-0000-0000-0000-000000000000}" xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6"/>'
           + '<fileSharing readOnlyRecommended="1" userName="Margit Halvorsen"/>'
           + "<workbookPr" + rest)
    comments_name = [n for n in names if n.startswith("xl/comments")][0]
    com = member(data, comments_name)
    com = com.replace("<authors>", "<authors><author>tc=%s</author>" % pid, 1)
    persons = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
               'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><person displayName="Margit Halvorsen" id="%s" '
               'userId="margit.halvorsen@halvorsen-ror.example" providerId="AD"/></personList>') % pid
    threaded = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
                'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><threadedComment ref="A2" dT="2026-11-02T14:05:33.21" '
                'personId="%s" id="{2F3E4D5C-6B7A-4988-A7B6-C5D4E3F2A1B0}"><text>Ask the supplier KEEP-DOC-04-thread</text></threadedComment></ThreadedComments>') % pid
    wrels = add_rel(member(data, "xl/_rels/workbook.xml.rels"),
                    '<Relationship Id="rId90" Type="http://schemas.microsoft.com/office/2017/10/relationships/person" Target="persons/person.xml"/>')
    srels_name = "xl/worksheets/_rels/sheet1.xml.rels"
    srels = member(data, srels_name)
    srels = add_rel(srels, '<Relationship Id="rId91" Type="http://schemas.microsoft.com/office/2017/10/relationships/threadedComment" Target="../threadedComments/threadedComment1.xml"/>')
    srels = add_rel(srels, '<Relationship Id="rId92" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/printerSettings" Target="../printerSettings/printerSettings1.bin"/>')
    sheet = member(data, "xl/worksheets/sheet1.xml")
    if "<pageSetup" in sheet:
        sheet = sheet.replace("<pageSetup ", '<pageSetup r:id="rId92" ', 1)
    if 'xmlns:r=' not in sheet.split(">", 2)[1]:
        sheet = sheet.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ', 1)
    devmode = "\\\\PRN-HALVORSEN\\Kyocera".encode("utf-16-le").ljust(64, b"\0") + bytes(156)
    ct = member(data, "[Content_Types].xml")
    ct = add_ct(ct, '<Override PartName="/xl/persons/person.xml" ContentType="application/vnd.ms-excel.person+xml"/>')
    ct = add_ct(ct, '<Override PartName="/xl/threadedComments/threadedComment1.xml" ContentType="application/vnd.ms-excel.threadedcomments+xml"/>')
    ct = ensure_ct_default(ct, "bin", "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings")
    data = rezip(data, {"xl/workbook.xml": wbx, comments_name: com, "xl/_rels/workbook.xml.rels": wrels,
                        srels_name: srels, "xl/worksheets/sheet1.xml": sheet, "[Content_Types].xml": ct},
                 {"xl/persons/person.xml": persons, "xl/threadedComments/threadedComment1.xml": threaded,
                  "xl/printerSettings/printerSettings1.bin": devmode})
    return set_props(data, "Margit Halvorsen", "Halvorsen Ror AS", manager="Knut Halvorsen", template="",
                     app="Microsoft Excel", custom="mhalvorsen")


def pptx_outlook(odp):
    src = os.path.join(TMP, "deck.odp")
    open(src, "wb").write(odp)
    data = convert(src, "pptx", "pptx")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    authors = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<p:cmAuthorLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
               '<p:cmAuthor id="0" name="Priyanka Raghavendra" initials="PR" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>')
    add = {"ppt/commentAuthors.xml": authors}
    prels = member(data, "ppt/_rels/presentation.xml.rels")
    ct = member(data, "[Content_Types].xml")
    if "ppt/commentAuthors.xml" not in names:
        prels = add_rel(prels, '<Relationship Id="rId90" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/commentAuthors" Target="commentAuthors.xml"/>')
        ct = add_ct(ct, '<Override PartName="/ppt/commentAuthors.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.commentAuthors+xml"/>')
    replace = {"ppt/_rels/presentation.xml.rels": prels}
    if not any(n.startswith("ppt/comments/") for n in names):
        add["ppt/comments/comment1.xml"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<p:cmLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
            '<p:cm authorId="0" dt="2026-11-02T12:00:00.000" idx="1"><p:pos x="10" y="10"/><p:text>KEEP-DOC-06-comment</p:text></p:cm></p:cmLst>')
        srel = "ppt/slides/_rels/slide1.xml.rels"
        replace[srel] = add_rel(member(data, srel),
                                '<Relationship Id="rId91" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="../comments/comment1.xml"/>')
        ct = add_ct(ct, '<Override PartName="/ppt/comments/comment1.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.comments+xml"/>')
    replace["[Content_Types].xml"] = ct
    data = rezip(data, replace, add)
    return set_props(data, "Priyanka Raghavendra", "Raghavendra Design Studio", template="",
                     app="Microsoft Office PowerPoint", hlink="https://sharepoint.raghavendra-design.example/sites/priyankar/")


RTF_WORD = r"""{\rtf1\adeflang1025\ansi\ansicpg1252\uc1\adeff0\deff0\stshfdbch0\stshfloch31506\stshfhich31506\stshfbi0\deflang2057\deflangfe2057\themelang2057\themelangfe0\themelangcs0{\fonttbl{\f0\fbidi \froman\fcharset0\fprq2{\*\panose 02020603050405020304}Times New Roman;}{\f1\fswiss\fcharset0 Calibri;}}
{\colortbl;\red0\green0\blue0;\red255\green0\blue0;}
{\stylesheet{\ql \li0\ri0\widctlpar\wrapdefault\aspalpha\aspnum\faauto\adjustright\rin0\lin0\itap0 \rtlch\fcs1 \af0\afs22\alang1025 \ltrch\fcs0 \f31506\fs22\lang2057\langfe2057\cgrid\langnp2057\langfenp2057 \snext0 \sqformat \spriority0 Normal;}}
{\*\revtbl {Unknown;}{Eamon Fitzgerald;}}
{\*\rsidtbl \rsid1201511\rsid3360391\rsid9070342}{\mmathPr\mmathFont34\mbrkBin0}
{\info{\title Survey report}{\author Eamon Fitzgerald}{\operator efitzgerald}{\creatim\yr2026\mo11\dy2\hr9\min5}{\revtim\yr2026\mo11\dy2\hr10\min15}{\version2}{\edmins12}{\nofpages1}{\nofwords40}{\*\company Fitzgerald Surveying Ltd}{\*\manager Siobhan Fitzgerald}{\nofcharsws260}{\vern57}}
{\*\userprops {\propname ClientRef}\proptype30{\staticval FSL-\'e9quipe-efitzgerald}}
{\*\xmlnstbl {\xmlns1 http://schemas.microsoft.com/office/word/2003/wordml}}
{\*\template C:\\Users\\efitzgerald\\AppData\\Roaming\\Microsoft\\Templates\\Normal.dotm}
\paperw11906\paperh16838\margl1440\margr1440\margt1440\margb1440\gutter0\ltrsect
\widowctrl\ftnbj\aenddoc\trackmoves0\trackformatting1\donotembedsysfont1\relyonvml0\donotembedlingdata0\grfdocevents0\validatexml1\showplaceholdtext0\ignoremixedcontent0\saveinvalidxml0\showxmlerrors1\noxlattoyen
\expshrtn\noultrlspc\dntblnsbdb\nospaceforul\formshade\horzdoc\dgmargin\dghspace180\dgvspace180\dghorigin1440\dgvorigin1440\dghshow1\dgvshow1
\jexpand\viewkind1\viewscale100\pgbrdrhead\pgbrdrfoot\splytwnine\ftnlytwnine\htmautsp\nolnhtadjtbl\useltbaln\alntblind\lytcalctblwd\lyttblrtgr\lnbrkrule\nobrkwrptbl\snaptogridincell\allowfieldendsel\wrppunct
\asianbrkrule\rsidroot9070342\newtblstyruls\nogrowautofit\usenormstyforlist\noindnmbrhd\felnbrelev\nocxsptable\indrmsweleven\noafcnsttbl\afelev\utinl\hwelev\spltpgpar\notcvasp\notbrkcnstfrctbl\notvatxbx\krnprsnet\cachedcolbal \nouicompat \fet0
{\*\wgrffmtfilter 2450}\nofeaturethrottle1\ilfomacatclnup0\ltrpar \sectd \ltrsect\linex0\endnhere\sectlinegrid360\sectdefaultcl\sftnbj {\*\pnseclvl1\pnucrm\pnstart1\pnindent720\pnhang {\pntxta .}}
\pard\plain \ltrpar\ql \li0\ri0\sa160\sl259\slmult1\widctlpar\wrapdefault\aspalpha\aspnum\faauto\adjustright\rin0\lin0\itap0\pararsid9070342 \rtlch\fcs1 \af0\afs22\alang1025 \ltrch\fcs0 \f31506\fs22\lang2057\langfe2057\cgrid\langnp2057\langfenp2057 {\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid9070342 Survey of the east elevation. KEEP-DOC-10-body-text }{\rtlch\fcs1 \af0 \ltrch\fcs0 \deleted\revauthdel1\revdttmdel1213341520 \charrsid3360391 old figure}{\rtlch\fcs1 \af0 \ltrch\fcs0 \revised\revauth1\revdttm1213341520 \insrsid1201511 KEEP-DOC-10-revised-text}
{\*\atrfstart 1}{\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid9070342 damp}{\*\atrfend 1}{\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid9070342 {\*\atnid EF}{\*\atnauthor Eamon Fitzgerald}\chatn {\*\annotation{\*\atndate 1213341600}{\*\atnref 1}\pard\plain \ltrpar\ql\f31506\fs20 {\field{\*\fldinst {\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid9070342  PAGE }}{\fldrslt }}{\rtlch\fcs1 \af0 \ltrch\fcs0 \chatn }{\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid9070342 recheck in spring KEEP-DOC-10-annotation}}}
{\rtlch\fcs1 \af0 \ltrch\fcs0 \insrsid9070342 \'a3 2,400 \{net\} \\ KEEP-DOC-10-escapes\par }
{\*\themedata 504b030414000600080000002100e9de0fbfff0000001c020000130000005b436f6e74656e745f54797065735d2e786d6cac91cb4ec3301045f748fc83e52d4a}
{\*\datastore 0105000002000000180000004d73786d6c322e534158584d4c5265616465722e362e300000000000000000000000000000}}
"""


def rtf_word():
    return RTF_WORD.replace("\r\n", "\n").replace("\n", "\r\n").encode("latin-1")


def zip_apple(docx_inner):
    """A Finder-made archive: __MACOSX AppleDouble files carrying the quarantine
    and where-from attributes, a .DS_Store, extra fields with uid/gid."""
    buf = io.BytesIO()
    apple = (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02" + bytes(24)
             + b"com.apple.metadata:kMDItemWhereFroms\x00"
             + b"https://files.marchetti-atelier.example/lucien.marchetti/share\x00"
             + b"com.apple.quarantine\x00" + b"0083;6543a1b2;Mail;lmarchetti\x00")
    dsstore = b"\x00\x00\x00\x01Bud1" + bytes(8) + "Users/lmarchetti/Desktop/Offerte".encode("utf-16-be") + bytes(16)
    # extra field 0x7875 (Info-ZIP UNIX new: uid/gid) and 0x5455 (extended timestamp)
    ux = struct.pack("<HHBBIBI", 0x7875, 11, 1, 4, 501, 4, 20)
    ut = struct.pack("<HHBI", 0x5455, 5, 1, 1793612345)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.comment = b"Archive of lmarchetti"
        for name, body in (("Offerte/", b""),
                           ("Offerte/Offerta.docx", docx_inner),
                           ("Offerte/leggimi.txt", b"Leggere prima: KEEP-DOC-12-readme\n"),
                           ("Offerte/.DS_Store", dsstore),
                           ("__MACOSX/Offerte/._Offerta.docx", apple),
                           ("__MACOSX/Offerte/._leggimi.txt", apple)):
            zi = zipfile.ZipInfo(name, (2026, 11, 2, 9, 30, 12))
            zi.extra = ux + ut
            zi.create_system = 3
            zi.external_attr = (0o40755 << 16 | 0x10) if name.endswith("/") else (0o100644 << 16)
            z.writestr(zi, body, zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def zip_windows(xlsx_inner, ods_inner):
    """Explorer 'Send to compressed folder' with Thumbs.db and desktop.ini."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in (("Budget.xlsx", xlsx_inner), ("Budget-copy.ods", ods_inner),
                           ("Thumbs.db", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "C:\\Users\\dkarlsson\\Pictures".encode("utf-16-le") + bytes(64)),
                           ("desktop.ini", "[.ShellClassInfo]\r\nLocalizedResourceName=Karlsson Bygg\r\n"),
                           ("notes.txt", "Totals checked. KEEP-DOC-16-notes\r\n")):
            z.writestr(zipfile.ZipInfo(name, (2026, 11, 2, 9, 30, 0)), body, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _aes(key, iv, data):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    if len(data) % 16:
        data += bytes(16 - len(data) % 16)
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def agile_encrypt(plain, password):
    """ECMA-376 agile encryption (MS-OFFCRYPTO 2.3.4.10-15), as Office 2010+
    writes it: returns the EncryptionInfo and EncryptedPackage streams."""
    import hashlib
    import hmac
    rnd = lambda n, seed: hashlib.sha512(seed).digest()[:n]  # fixed "random" for a reproducible corpus
    key_salt, pw_salt, secret = rnd(16, b"ks"), rnd(16, b"ps"), rnd(32, b"sk")
    verifier, hmac_key = rnd(16, b"vf"), rnd(64, b"hk")
    h = hashlib.sha512(pw_salt + password.encode("utf-16-le")).digest()
    for i in range(100000):
        h = hashlib.sha512(struct.pack("<I", i) + h).digest()
    def kek(block):
        return hashlib.sha512(h + block).digest()[:32]
    enc_vin = _aes(kek(bytes([0xFE, 0xA7, 0xD2, 0x76, 0x3B, 0x4B, 0x9E, 0x79])), pw_salt, verifier)
    enc_vval = _aes(kek(bytes([0xD7, 0xAA, 0x0F, 0x6D, 0x30, 0x61, 0x34, 0x4E])), pw_salt, hashlib.sha512(verifier).digest())
    enc_key = _aes(kek(bytes([0x14, 0x6E, 0x0B, 0xE7, 0xAB, 0xAC, 0xD0, 0xD6])), pw_salt, secret)
    pkg = bytearray(struct.pack("<Q", len(plain)))
    for i in range(0, len(plain), 4096):
        iv = hashlib.sha512(key_salt + struct.pack("<I", i // 4096)).digest()[:16]
        pkg += _aes(secret, iv, plain[i:i + 4096])
    iv4 = hashlib.sha512(key_salt + bytes([0x5F, 0xB2, 0xAD, 0x01, 0x0C, 0xB9, 0xE1, 0xF6])).digest()[:16]
    iv5 = hashlib.sha512(key_salt + bytes([0xA0, 0x67, 0x7F, 0x02, 0xB2, 0x2C, 0x84, 0x33])).digest()[:16]
    enc_hkey = _aes(secret, iv4, hmac_key)
    enc_hval = _aes(secret, iv5, hmac.new(hmac_key, bytes(pkg), hashlib.sha512).digest())
    e = lambda b: base64.b64encode(b).decode()
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" '
           'xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password" xmlns:c="http://schemas.microsoft.com/office/2006/keyEncryptor/certificate">'
           '<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="%s"/>'
           '<dataIntegrity encryptedHmacKey="%s" encryptedHmacValue="%s"/><keyEncryptors><keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
           '<p:encryptedKey spinCount="100000" saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" '
           'hashAlgorithm="SHA512" saltValue="%s" encryptedVerifierHashInput="%s" encryptedVerifierHashValue="%s" encryptedKeyValue="%s"/>'
           '</keyEncryptor></keyEncryptors></encryption>') % (e(key_salt), e(enc_hkey), e(enc_hval), e(pw_salt), e(enc_vin), e(enc_vval), e(enc_key))
    info = struct.pack("<HHI", 4, 4, 0x40) + xml.encode()
    return info, bytes(pkg)


def cfb(streams):
    """A compound file (MS-CFB v3, 512-byte sectors) holding the given
    streams in its root storage; streams under 4096 bytes go to the mini stream."""
    END, FREE, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    mini, minifat, big = bytearray(), [], []
    entries = []
    for n in names:
        d = streams[n]
        if len(d) < 4096:
            start = len(mini) // 64
            cnt = (len(d) + 63) // 64
            minifat += [start + i + 1 for i in range(cnt - 1)] + [END]
            mini += d + bytes(cnt * 64 - len(d))
            entries.append((n, start, len(d), True))
        else:
            entries.append((n, None, len(d), False))
            big.append(n)
    sect = lambda b: (len(b) + 511) // 512
    minifat_bytes = b"".join(struct.pack("<I", x) for x in minifat)
    ndir = (len(names) + 1 + 3) // 4
    layout = [("minifat", sect(minifat_bytes)), ("dir", ndir), ("mini", sect(mini))] + [(n, sect(streams[n])) for n in big]
    body_sectors = sum(c for _, c in layout)
    nfat = 1
    while nfat * 128 < nfat + body_sectors:
        nfat += 1
    fat, pos, first = [FATSECT] * nfat, nfat, {}
    for name, c in layout:
        first[name] = pos if c else END
        fat += [pos + i + 1 for i in range(c - 1)] + ([END] if c else [])
        pos += c
    fat += [FREE] * (nfat * 128 - len(fat))
    def direntry(name, typ, start, size, child=FREE, left=FREE, right=FREE):
        nm = name.encode("utf-16-le") + b"\0\0"
        return (nm.ljust(64, b"\0") + struct.pack("<HBB", len(nm), typ, 1) + struct.pack("<III", left, right, child)
                + bytes(16) + bytes(4) + bytes(16) + struct.pack("<II", start, size) + bytes(4))
    # the children form a right-leaning chain under the root, sorted as MS-CFB 2.6.4 orders names
    dirs = [direntry("Root Entry", 5, first["mini"], len(mini), child=1 if names else FREE)]
    for i, (n, start, size, small) in enumerate(entries):
        right = i + 2 if i + 1 < len(entries) else FREE
        dirs.append(direntry(n, 2, start if small else first[n], size, right=right))
    dirbytes = b"".join(dirs)
    dirbytes += bytes(128) * (ndir * 4 - len(dirs))
    difat = [i for i in range(nfat)] + [FREE] * (109 - nfat)
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, nfat, first["dir"], 0, 4096, first["minifat"], sect(minifat_bytes), END, 0)
              + b"".join(struct.pack("<I", x) for x in difat))
    pad = lambda b: bytes(b) + bytes(sect(b) * 512 - len(b))
    out = header + b"".join(struct.pack("<I", x) for x in fat) + pad(minifat_bytes) + pad(dirbytes) + pad(mini)
    for n in big:
        out += pad(streams[n])
    return out


def encrypted_docx():
    """A python-docx document encrypted with ECMA-376 agile encryption inside
    a compound file, as Word writes a password-protected .docx."""
    import docx
    d = docx.Document()
    d.add_paragraph("Salary review KEEP-DOC-13-secret-text")
    d.core_properties.author = "Rosalind Achterberg"
    buf = io.BytesIO()
    d.save(buf)
    info, pkg = agile_encrypt(buf.getvalue(), "pw-1234")
    data = cfb({"EncryptionInfo": info, "EncryptedPackage": pkg})
    try:  # check the result with an independent reader when there is one
        import msoffcrypto.format.ooxml
        f = msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(data))
        f.load_key(password="pw-1234")
        out = io.BytesIO()
        f.decrypt(out)
        assert out.getvalue()[:len(buf.getvalue())] == buf.getvalue()
    except ImportError:
        pass
    return data


# ---------------------------------------------------------------- messages

def outlook(sender, subject, body, fname, ctype, data, date, mid):
    b = "----=_NextPart_000_%s" % mid[:14]
    return (f"From: {sender}\r\nTo: <{RCPT}>\r\nSubject: {subject}\r\nDate: {date}\r\n"
            f"Message-ID: <{mid}@{sender.split('@')[1].rstrip('>')}>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed;\r\n\tboundary=\"{b}\"\r\nX-Mailer: Microsoft Outlook 16.0\r\n"
            f"Thread-Index: AdtNDo1Q2j7zQmN4Rk+0vXn6v1Yb2A==\r\nContent-Language: en-gb\r\n\r\n"
            f"This is a multipart message in MIME format.\r\n\r\n--{b}\r\n"
            f"Content-Type: text/plain;\r\n\tcharset=\"us-ascii\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{body}\r\n\r\n"
            f"--{b}\r\nContent-Type: {ctype};\r\n\tname=\"{fname}\"\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment;\r\n\tfilename=\"{fname}\"\r\n\r\n{b64(data)}\r\n\r\n--{b}--\r\n")


def apple(sender, subject, body, fname, ctype, data, date, mid):
    b = "Apple-Mail=_%s" % mid
    return (f"From: {sender}\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"{b}\"\r\nMime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))\r\n"
            f"Subject: {subject}\r\nMessage-Id: <{mid}@{sender.split('@')[1].rstrip('>')}>\r\nDate: {date}\r\nTo: {RCPT}\r\n"
            f"X-Mailer: Apple Mail (2.3774.600.62)\r\n\r\n\r\n--{b}\r\nContent-Transfer-Encoding: 7bit\r\n"
            f"Content-Type: text/plain;\r\n\tcharset=us-ascii\r\n\r\n{body}\r\n\r\n--{b}\r\nContent-Disposition: attachment;\r\n\tfilename={fname}\r\n"
            f"Content-Type: {ctype};\r\n\tx-unix-mode=0644;\r\n\tname=\"{fname}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{b64(data)}\r\n--{b}--\r\n")


def thunderbird(sender, subject, body, fname, ctype, data, date, mid):
    b = "------------%s" % mid[:24]
    return (f"Content-Type: multipart/mixed; boundary=\"{b}\"\r\nMessage-ID: <{mid}@{sender.split('@')[1].rstrip('>')}>\r\n"
            f"Date: {date}\r\nMIME-Version: 1.0\r\nUser-Agent: Mozilla Thunderbird\r\nContent-Language: en-US\r\n"
            f"To: {RCPT}\r\nFrom: {sender}\r\nSubject: {subject}\r\n\r\nThis is a multi-part message in MIME format.\r\n"
            f"--{b}\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{body}\r\n\r\n"
            f"--{b}\r\nContent-Type: {ctype}; name=\"{fname}\"\r\nContent-Disposition: attachment; filename=\"{fname}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64(data)}\r\n\r\n--{b}--\r\n")


def gmail(sender, subject, body, fname, ctype, data, date, mid):
    b = "000000000000%s" % mid[:16]
    return (f"MIME-Version: 1.0\r\nFrom: {sender}\r\nDate: {date}\r\n"
            f"Message-ID: <CA+{mid}@mail.gmail.com>\r\nSubject: {subject}\r\nTo: {RCPT}\r\n"
            f"Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\n"
            f"Content-Type: text/plain; charset=\"UTF-8\"\r\n\r\n{body}\r\n\r\n--{b}\r\n"
            f"Content-Type: {ctype}; name=\"{fname}\"\r\nContent-Disposition: attachment; filename=\"{fname}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\nContent-ID: <f_m2{mid[:8]}0>\r\nX-Attachment-Id: f_m2{mid[:8]}0\r\n\r\n"
            f"{b64(data)}\r\n--{b}--\r\n")


CLIENTS = {"outlook": outlook, "apple": apple, "thunderbird": thunderbird, "gmail": gmail}


def main():
    os.chdir(HERE)
    entries = []

    def emit(n, client, slug, sender, subject, fname, ext, data, secrets, keep_doc, rationale,
             expected=None, detail=""):
        body_marker = "KEEP-DOC-%02d-cover-note" % n
        body = "Hi Bob,\r\n\r\nplease find the file attached.\r\n%s\r\n" % body_marker
        date = "Mon, %d Nov 2026 %02d:14:22 +0100" % (2 + n % 5, 8 + n % 9)
        mid = "%08x%08x%08x" % (0x5b8e7f10 + n * 7919, 0x12ab3c40 + n * 104729, 0xdeadbe00 + n)
        name = "doc%02d_%s_%s.eml" % (n, client, slug)
        raw = CLIENTS[client](sender, subject, body, fname, CT[ext], data, date, mid)
        if not ONLY or n in ONLY:
            open(name, "wb").write(raw.encode("utf-8"))
        addr = sender.split("<")[1].rstrip(">")
        e = {
            "file": name,
            "client": "documents/" + client,
            "client_detail": detail,
            "envelope": {"mail_from": addr, "rcpt_to": [RCPT]},
            "session": {},
            "deliveries": [{"rcpt": RCPT, "deliver_to": "bob@example.com"}],
            "secrets": secrets,
            "secret_kinds": {},
            "session_secrets": [],
            "forbidden_headers": [],
            "must_keep": [subject, body_marker] + keep_doc,
            "must_keep_parts": [] if expected else [{"content_type": CT[ext], "contains_hex": ["7b5c727466"] if ext == "rtf" else ["504b0304"]}],
            "fingerprint_regex": [],
            "soft_fingerprints": [],
            "optional_secrets": [],
            "sources": [],
            "notes": "generated by gen.py",
            "category": "documents",
            "deep_decode": True,
            "rationale": rationale,
        }
        if expected:
            e["expected"] = expected
        entries.append(e)

    docx1 = docx_outlook()
    emit(1, "outlook", "docx_comments_revisions_template", "Henrik Westerberg <h.westerberg@westerberg-konsult.example>",
         "Site survey findings", "Survey.docx", "docx", docx1,
         ["Westerberg", "hwesterberg", "westerberg-konsult.example", "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e"],
         ["KEEP-DOC-01-body-text", "KEEP-DOC-01-table-cell", "KEEP-DOC-01-inserted-text", "KEEP-DOC-01-comment-text"],
         "Word records the author in core.xml, comments, tracked changes and people.xml (with the AAD address), the company and "
         "manager in app.xml, the template under C:\\Users\\<user> in settings.xml.rels, and rsids that link drafts. Neutralise "
         "authors, drop dates, rsids, the template and custom properties; keep text, comments' text and the revisions themselves.",
         detail="python-docx + comments.xml, w:ins/w:del/w:rPrChange, people.xml, attachedTemplate, rsids, custom.xml, picture")

    docx2 = docx_gmail()
    emit(2, "gmail", "docx_sharepoint_customxml", "Amara Okonkwo <amara.okonkwo@okonkwo-legal.example>",
         "Minutes from Monday", "Minutes.docx", "docx", docx2,
         ["Okonkwo", "aokonkwo", "okonkwo-legal.example"],
         ["KEEP-DOC-02-decision"],
         "SharePoint documents carry the owner's login in customXml item1.xml; core/app/custom properties and a thumbnail "
         "add name and company. Drop customXml, custom.xml and the thumbnail; keep the minutes.",
         detail="python-docx + customXml (SharePoint UserInfo), docProps/thumbnail.jpeg, custom.xml")

    odt_src = os.path.join(TMP, "lo.odt")
    open(odt_src, "wb").write(odt_base("Sebastián Ferreira", "Sebastián Ferreira", "KEEP-DOC-03", "Sebastián Ferreira", "sferreira"))
    docx3 = convert(odt_src, "docx", "docx")
    emit(3, "thunderbird", "docx_libreoffice_export", "Sebastián Ferreira <s.ferreira@ferreira-lanz.example>",
         "Draft agreement", "Agreement.docx", "docx", docx3,
         ["Ferreira", "sferreira", "ferreira-lanz.example"],
         ["KEEP-DOC-03-body-text", "KEEP-DOC-03-inserted", "KEEP-DOC-03-annotation"],
         "A LibreOffice-written .docx keeps the ODF author as dc:creator, the comment author and the tracked-change author; "
         "neutralise all three and drop dates; keep the text and the comment.",
         detail="odfpy .odt converted by LibreOffice 7.4 to .docx")

    xlsx4 = xlsx_outlook()
    emit(4, "outlook", "xlsx_abspath_threaded_comments", "Margit Halvorsen <margit.halvorsen@halvorsen-ror.example>",
         "Scaffolding estimate", "Estimate.xlsx", "xlsx", xlsx4,
         ["Halvorsen", "mhalvorsen", "halvorsen-ror.example", "8C1D2E3F-4A5B-4C6D-9E8F-0A1B2C3D4E5F"],
         ["KEEP-DOC-04-cell-total", "KEEP-DOC-04-thread"],
         "Excel 365 records the save folder (x15ac:absPath), the reservation user name (fileSharing), the commenter in the legacy author list and the comment's first "
         "run, the threaded-comment person (AAD address as userId), printer settings naming the print server, and docProps. "
         "Remove or neutralise all of it; keep cells and comments.",
         detail="openpyxl + injected absPath, persons, threadedComments, printerSettings, custom.xml")

    ods_src = os.path.join(TMP, "calc.ods")
    open(ods_src, "wb").write(ods_gmail_variant("Yusuf Demirkan", "ydemirkan", "KEEP-DOC-05"))
    xlsx5 = convert(ods_src, "xlsx", "xlsx")
    emit(5, "apple", "xlsx_libreoffice_export", "Yusuf Demirkan <yusuf@demirkan-lojistik.example>",
         "Shipping costs", "Shipping.xlsx", "xlsx", xlsx5,
         ["Demirkan", "ydemirkan", "demirkan-lojistik.example"],
         ["KEEP-DOC-05-cell-total"],
         "LibreOffice's .xlsx export keeps the ODF creator in core.xml and the annotation author in the comments' author list.",
         detail="odfpy .ods converted by LibreOffice 7.4 to .xlsx")

    odp6 = odp_base("KEEP-DOC-06", "Priyanka Raghavendra")
    pptx6 = pptx_outlook(odp6)
    emit(6, "outlook", "pptx_comment_authors", "Priyanka Raghavendra <priyanka@raghavendra-design.example>",
         "Launch plan deck", "Launch.pptx", "pptx", pptx6,
         ["Raghavendra", "priyankar", "raghavendra-design.example"],
         ["KEEP-DOC-06-slide-title"],
         "PowerPoint keeps comment authors with initials in commentAuthors.xml, comment dates, and the company and a SharePoint "
         "hyperlink base in app.xml.",
         detail="odfpy .odp converted by LibreOffice 7.4 to .pptx, plus commentAuthors.xml, comments and docProps")

    odt7 = odt_thunderbird()
    emit(7, "thunderbird", "odt_annotations_tracked_changes", "Władysław Nowicki <w.nowicki@nowicki-biuro.example>",
         "Quarterly summary", "Summary.odt", "odt", odt7,
         ["Nowicki", "wnowicki", "nowicki-biuro.example", "nowicki-nas.example"],
         ["KEEP-DOC-07-body-text", "KEEP-DOC-07-inserted", "KEEP-DOC-07-annotation"],
         "ODF meta.xml names the initial creator, creator, a template under the home directory and user-defined fields; "
         "annotations and tracked changes carry dc:creator; settings.xml names the printer and a database path; "
         "Thumbnails/ and Configurations2/ are leftovers. Empty meta, neutralise creators, drop printer settings and "
         "leftovers, keep the text.",
         detail="odfpy .odt + settings.xml (PrinterName/PrinterSetup), Thumbnails/, Configurations2/")

    ods8 = ods_gmail()
    emit(8, "gmail", "ods_annotation", "Chiara Bellandi <chiara@bellandi-tessuti.example>",
         "Budget sheet", "Budget.ods", "ods", ods8,
         ["Bellandi", "cbellandi"],
         ["KEEP-DOC-08-cell-total", "KEEP-DOC-08-note"],
         "The spreadsheet's meta and its cell annotation name the author; keep the cells and the annotation text.",
         detail="odfpy .ods with meta creator and an office:annotation")

    odt9_src = os.path.join(TMP, "rt.odt")
    open(odt9_src, "wb").write(odt_base("Torsten Kleinschmidt", "Torsten Kleinschmidt", "KEEP-DOC-09", "Torsten Kleinschmidt", "tkleinschmidt"))
    odt9 = lo_roundtrip(odt9_src, "odt")
    emit(9, "thunderbird", "odt_libreoffice_saved", "Torsten Kleinschmidt <torsten@kleinschmidt-partner.example>",
         "Notes for Thursday", "Notes.odt", "odt", odt9,
         ["Kleinschmidt"],
         ["KEEP-DOC-09-body-text", "KEEP-DOC-09-annotation"],
         "A document saved by LibreOffice itself: meta.xml, annotation and change authors, settings.xml as LibreOffice writes it.",
         detail="odfpy .odt re-saved by LibreOffice 7.4")

    rtf10 = rtf_word()
    emit(10, "outlook", "rtf_info_rsid_revisions", "Eamon Fitzgerald <eamon@fitzgerald-surveying.example>",
         "East elevation", "Survey.rtf", "rtf", rtf10,
         ["Fitzgerald", "efitzgerald"],
         ["KEEP-DOC-10-body-text", "KEEP-DOC-10-revised-text", "KEEP-DOC-10-annotation", "KEEP-DOC-10-escapes"],
         "Word's RTF has \\info (author, operator, company, manager), \\userprops, \\rsidtbl, a revision table of author names, "
         "annotation author and initials, and the template path. Drop or neutralise them; keep the text.",
         detail="RTF as Word 2016 writes it (hand-assembled from a real file's structure)")

    rtf11 = lo_roundtrip(None, "rtf", src_override=odt_base(
        "Ines Valcourt", "Ines Valcourt", "KEEP-DOC-11", "Ines Valcourt", "ivalcourt"))
    emit(11, "apple", "rtf_libreoffice_export", "Ines Valcourt <ines@valcourt-avocats.example>",
         "Brief notes", "Notes.rtf", "rtf", rtf11,
         ["Valcourt"],
         ["KEEP-DOC-11-body-text", "KEEP-DOC-11-annotation"],
         "LibreOffice's RTF export writes \\info author and operator and the annotation author.",
         detail="odfpy .odt exported by LibreOffice 7.4 to RTF")

    inner12 = docx_inner("Lucien Marchetti", "lmarchetti", "Atelier Marchetti", "KEEP-DOC-12-offer-text")
    zip12 = zip_apple(inner12)
    emit(12, "apple", "zip_finder_macosx", "Lucien Marchetti <lucien@marchetti-atelier.example>",
         "Offer documents", "Offerte.zip", "zip", zip12,
         ["Marchetti", "lmarchetti"],
         ["KEEP-DOC-12-readme", "KEEP-DOC-12-offer-text"],
         "Finder archives carry __MACOSX AppleDouble files (where-from URL, quarantine with the user name), .DS_Store with "
         "the Desktop path, uid/gid extra fields and a comment; the .docx inside has its own author. Drop the Mac leftovers "
         "and extra fields, clean the nested document, keep the files.",
         detail="zipfile archive shaped like macOS Finder's: __MACOSX/, .DS_Store, 0x7875 uid/gid and 0x5455 extras")

    enc = encrypted_docx()
    emit(13, "gmail", "docx_password_protected", "Rosalind Achterberg <rosalind@achterberg-hr.example>",
         "Salary review", "Review.docx", "docx", enc,
         ["Achterberg"],
         [],
         "A password-protected .docx is an OLE compound file with EncryptionInfo and EncryptedPackage: Leak cannot look "
         "inside, so it must refuse and ask for the password to be removed.",
         expected={"outcome": "reject", "reply": "554 5.7.1"},
         detail="python-docx document in ECMA-376 agile encryption (AES-256, SHA-512, 100000 spins) inside a compound file, checked with msoffcrypto-tool")

    doc_src = os.path.join(TMP, "legacy.odt")
    open(doc_src, "wb").write(odt_base("Gerlinde Obermayr", "Gerlinde Obermayr", "KEEP-DOC-14", "Gerlinde Obermayr", "gobermayr"))
    doc14 = convert(doc_src, "doc", "doc")
    emit(14, "outlook", "doc_legacy_binary", "Gerlinde Obermayr <g.obermayr@obermayr-bau.example>",
         "Old contract", "Contract.doc", "doc", doc14,
         ["Obermayr"],
         [],
         "Legacy binary Word (OLE compound file): Leak has no cleaner for its SummaryInformation streams and revision "
         "tables, so it refuses and asks for .docx or PDF.",
         expected={"outcome": "reject", "reply": "554 5.6.1"},
         detail="odfpy .odt converted by LibreOffice 7.4 to Word 97-2003 .doc")

    odp15 = odp_base("KEEP-DOC-15", "Nnamdi Oyelaran-Cole")
    emit(15, "thunderbird", "odp_annotation", "Nnamdi Oyelaran <nnamdi@oyelaran.example>",
         "Slides for the board", "Board.odp", "odp", odp15,
         ["Oyelaran"],
         ["KEEP-DOC-15-slide-title", "KEEP-DOC-15-note"],
         "Presentation meta and slide annotation authors; keep slides and notes.",
         detail="odfpy .odp with meta creator and a slide annotation")

    xlsx16 = xlsx_inner("Dagny Karlsson", "KEEP-DOC-16-cell-total")
    ods16 = ods_gmail_variant("Dagny Karlsson", "dkarlsson", "KEEP-DOC-16")
    zip16 = zip_windows(xlsx16, ods16)
    emit(16, "outlook", "zip_explorer_thumbs", "Dagny Karlsson <dagny@karlsson-bygg.example>",
         "Budget files", "Budget.zip", "zip", zip16,
         ["Karlsson", "dkarlsson"],
         ["KEEP-DOC-16-cell-total", "KEEP-DOC-16-notes"],
         "Windows archives pick up Thumbs.db and desktop.ini naming the user and company; the spreadsheets inside have authors.",
         detail="zipfile archive like Explorer's 'Send to compressed folder' with Thumbs.db, desktop.ini, .xlsx and .ods")

    odt17 = odt_word_picture("Tove Bergström", "tbergstrom", "KEEP-DOC-17")
    emit(17, "thunderbird", "odt_word_picture_names", "Tove Bergström <tove@bergstrom-arkitekter.example>",
         "Facade sketch", "Fasad.odt", "odt", odt17,
         ["Bergström", "tbergstrom", "IMG_5127"],
         ["KEEP-DOC-17-body-text"],
         "Word writes an inserted picture's file name as its name (older Word its whole path as its description); "
         "LibreOffice, saving the .docx as .odt, carries both to draw:name and svg:desc. Keep the picture, make the "
         "camera-made name plain and the path its last element.",
         detail="python-docx document with a JPEG named as Word names it (docPr name, title, description), converted by LibreOffice 7.4 to .odt")

    zip18 = zip_infozip("mkowalczyk", "KEEP-DOC-18")
    emit(18, "thunderbird", "zip_infozip_absolute_path", "Marek Kowalczyk <marek@kowalczyk-foto.example>",
         "Pictures from the site", "pictures.zip", "zip", zip18,
         ["Kowalczyk", "mkowalczyk", "100APPLE", "IMG_5203"],
         ["KEEP-DOC-18-notes"],
         "Info-ZIP, given an absolute path (zip -r pictures.zip /home/mkowalczyk/Pictures), stores it without the "
         "leading slash: the account name is in every member's path, and the phone's DCIM/100APPLE folder names its "
         "maker, the picture's name its counter. Drop those folders, make the name plain, keep the files.",
         detail="archive made by Info-ZIP's zip -r over home/<user>/Pictures, with a Pillow JPEG and a text file")

    manifest = {
        "corpus": "content-documents",
        "version": 1,
        "relay_domain": "leak.example",
        "default_recipient": RCPT,
        "deep_decode": True,
        "matching": "see /work/shared/corpus/README.md; tools/leakcheck.py deep_decode looks inside zip members",
        "messages": entries,
    }
    with open("manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    shutil.rmtree(TMP, ignore_errors=True)


def ods_gmail_variant(person, user, keep):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf import table, text, meta, dc, office
    d = OpenDocumentSpreadsheet()
    d.meta.addElement(meta.InitialCreator(text=person))
    d.meta.addElement(dc.Creator(text=user))
    t = table.Table(name="Sheet1")
    tr = table.TableRow()
    c = table.TableCell(valuetype="string")
    c.addElement(text.P(text=keep + "-cell-total"))
    ann = office.Annotation()
    ann.addElement(dc.Creator(text=person))
    ann.addElement(dc.Date(text="2026-11-01T09:00:00"))
    ann.addElement(text.P(text="checked"))
    c.addElement(ann)
    tr.addElement(c)
    c2 = table.TableCell(valuetype="float", value="950")
    c2.addElement(text.P(text="950"))
    tr.addElement(c2)
    t.addElement(tr)
    d.spreadsheet.addElement(t)
    buf = io.BytesIO()
    d.write(buf)
    return buf.getvalue()


def docx_inner(person, user, company, keep):
    import docx
    d = docx.Document()
    d.add_paragraph("Offer text " + keep)
    d.core_properties.author = person
    d.core_properties.last_modified_by = user
    buf = io.BytesIO()
    d.save(buf)
    return set_props(buf.getvalue(), person, company)


def xlsx_inner(person, keep):
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active["A1"] = keep
    wb.active["B1"] = 950
    wb.properties.creator = person
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def jpeg(w=40, h=30, rgb=(180, 60, 40)):
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (w, h), rgb).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def odt_word_picture(person, user, keep):
    """A Word document with a picture named as Word names it, saved as
    .odt by LibreOffice."""
    import docx
    d = docx.Document()
    d.add_paragraph("The facade, as sketched on site. " + keep + "-body-text")
    pic = os.path.join(TMP, "IMG_5127.JPG")
    open(pic, "wb").write(jpeg())
    d.add_picture(pic)
    d.core_properties.author = person
    d.core_properties.last_modified_by = user
    buf = io.BytesIO()
    d.save(buf)
    data = buf.getvalue()
    doc = member(data, "word/document.xml")
    path = "C:\\Users\\%s\\Pictures\\IMG_5127.JPG" % user
    doc, n = re.subn(r'<wp:docPr id="(\d+)" name="[^"]*"/>',
                     lambda m: '<wp:docPr id="%s" name="IMG_5127.JPG" descr="%s" title="IMG_5127"/>' % (m.group(1), path), doc)
    assert n == 1
    src = os.path.join(TMP, "Fasad.docx")
    open(src, "wb").write(rezip(data, {"word/document.xml": doc}))
    out = convert(src, "odt", "odt")
    content = member(out, "content.xml")
    assert 'draw:name="IMG_5127.JPG"' in content and user in content, "LibreOffice no longer carries the picture's name"
    return out


def zip_infozip(user, keep):
    """Info-ZIP's zip -r over an absolute path: home/<user>/Pictures/..."""
    root = os.path.join(TMP, "infozip")
    pics = os.path.join(root, "home", user, "Pictures")
    os.makedirs(os.path.join(pics, "DCIM", "100APPLE"))
    open(os.path.join(pics, "DCIM", "100APPLE", "IMG_5203.JPG"), "wb").write(jpeg(32, 24, (30, 90, 160)))
    open(os.path.join(pics, "notes.txt"), "w").write("Site visit, north side. " + keep + "-notes\n")
    # From /, zip stores what an absolute path gives: the path without its
    # leading slash.
    subprocess.run(["zip", "-q", "-r", "../pictures.zip", os.path.join("home", user, "Pictures")],
                   cwd=root, check=True)
    data = open(os.path.join(TMP, "pictures.zip"), "rb").read()
    assert ("home/%s/Pictures/DCIM/100APPLE/IMG_5203.JPG" % user).encode() in data
    return data


def lo_roundtrip(src, ext, src_override=None):
    """Has LibreOffice open src (or the given bytes) and save it as ext."""
    if src_override is not None:
        src = os.path.join(TMP, "ovr-%s.odt" % ext)
        open(src, "wb").write(src_override)
    out = os.path.join(TMP, "rt-" + ext)
    os.makedirs(out, exist_ok=True)
    soffice(["--convert-to", ext], src, out)
    return open(os.path.join(out, os.path.splitext(os.path.basename(src))[0] + "." + ext), "rb").read()


if __name__ == "__main__":
    main()
