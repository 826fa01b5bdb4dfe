#!/usr/bin/python3
"""Generate the image corpus: messages whose attached pictures identify the sender.

Run from this directory with Debian's python3 (python3-pil) and exiftool installed:

    /usr/bin/python3 gen.py

Pictures are drawn with PIL; the metadata real clients and editors leave in them
(EXIF with GPS and serial numbers, XMP, IPTC, ICC profiles, PNG text chunks, GIF
comments, WebP EXIF, Inkscape state) is written by exiftool or by PIL's own writers,
so the bytes are what those tools produce. The .eml files are shaped like the clients
named in each manifest entry: CRLF line endings, base64 attachments wrapped at 76.
Every person, company and address is invented; domains are .example.

Output: the .eml files and manifest.json (format of /work/shared/corpus; check with
tools/leakcheck.py validate manifest.json). Generation is deterministic for a given
PIL and exiftool version, so rerunning it only changes files when those change.
"""
import base64
import io
import json
import os
import quopri
import struct
import subprocess
import tempfile
import zlib

from PIL import Image, ImageDraw, ImageOps, PngImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))
RCPT = "to+bob=example.com@leak.example"


# ----------------------------------------------------------------- pictures

def picture(w, h, seed):
    """A drawing with detail everywhere, so encoders produce real data."""
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 3 + seed * 40) % 256, (y * 5 + seed * 17) % 256, ((x ^ y) + seed * 29) % 256)
    d = ImageDraw.Draw(im)
    for i in range(6):
        x0, y0 = (seed * 37 + i * 53) % w, (seed * 23 + i * 41) % h
        d.ellipse([x0, y0, x0 + w // 5, y0 + h // 5], outline=(255, 255, 255), width=3)
    # A marker that is obviously "up", so a sideways picture is visible.
    d.rectangle([w // 2 - 10, 4, w // 2 + 10, 24], fill=(250, 20, 20))
    return im


def jpeg_bytes(im, **kw):
    b = io.BytesIO()
    im.save(b, "JPEG", quality=kw.pop("quality", 85), **kw)
    return b.getvalue()


def exiftool(data, suffix, *args):
    """Write metadata with exiftool into a copy of data; return the new bytes."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "in" + suffix)
        with open(p, "wb") as f:
            f.write(data)
        subprocess.run(["exiftool", "-q", "-q", "-overwrite_original", *args, p], check=True)
        with open(p, "rb") as f:
            return f.read()


def icc_profile(description, copyright_):
    """A small ICC v2 display profile whose desc and cprt tags name their owner,
    as ColorSync and DisplayCAL calibrations do."""
    def desc_tag(s):
        a = s.encode("ascii") + b"\0"
        body = b"desc\0\0\0\0" + struct.pack(">I", len(a)) + a + b"\0" * 8 + b"\0" * 3 + b"\0" * 67
        return body

    def text_tag(s):
        return b"text\0\0\0\0" + s.encode("ascii") + b"\0"

    tags = [(b"desc", desc_tag(description)), (b"cprt", text_tag(copyright_)),
            (b"wtpt", b"XYZ \0\0\0\0" + struct.pack(">iii", 63190, 65536, 54061))]
    table_len = 4 + 12 * len(tags)
    offset = 128 + table_len
    table, data = struct.pack(">I", len(tags)), b""
    for sig, body in tags:
        while (offset + len(data)) % 4:
            data += b"\0"
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = bytearray(128)
    struct.pack_into(">I", header, 0, 128 + table_len + len(data))
    header[4:8] = b"lcms"
    header[8:12] = bytes([2, 0x10, 0, 0])
    header[12:16], header[16:20], header[20:24] = b"mntr", b"RGB ", b"XYZ "
    header[36:40] = b"acsp"
    struct.pack_into(">iii", header, 68, 63190, 65536, 54061)
    return bytes(header) + table + data


def tiff_of(data):
    """The TIFF structure of the first EXIF block in a JPEG, WebP or PNG."""
    i = data.find(b"\xff\xe1")
    if data[:2] == b"\xff\xd8" and i > 0 and data[i + 4:i + 10] == b"Exif\0\0":
        n = struct.unpack(">H", data[i + 2:i + 4])[0]
        return data[i + 10:i + 2 + n]
    i = data.find(b"EXIF")
    if data[:4] == b"RIFF" and i > 0:
        n = struct.unpack("<I", data[i + 4:i + 8])[0]
        t = data[i + 8:i + 8 + n]
        return t[6:] if t[:6] == b"Exif\0\0" else t
    if data[:6] == b"Exif\0\0":
        return data[6:]
    raise ValueError("no EXIF")


def gps_hex(data, tag=2):
    """Hex of the GPSLatitude (tag 2) rationals as stored: the raw bytes a
    careless cleaner would leave behind."""
    t = tiff_of(data)
    bo = ">" if t[:2] == b"MM" else "<"

    def ifd_entries(off):
        n = struct.unpack(bo + "H", t[off:off + 2])[0]
        for k in range(n):
            e = t[off + 2 + 12 * k: off + 14 + 12 * k]
            yield struct.unpack(bo + "HHII", e)

    ifd0 = struct.unpack(bo + "I", t[4:8])[0]
    gps = [v for (tg, _, _, v) in ifd_entries(ifd0) if tg == 0x8825][0]
    for tg, typ, count, val in ifd_entries(gps):
        if tg == tag:
            return "hex:" + t[val:val + 8 * count].hex()
    raise ValueError("no GPS tag")


def display_size(data):
    im = Image.open(io.BytesIO(data))
    im.load()
    return list(ImageOps.exif_transpose(im).size)


def xmp_packet(fields):
    body = "".join(fields)
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 9.1-c002 79.a6a6396, 2024/03/12">\n'
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '  <rdf:Description rdf:about=""\n'
            '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
            '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
            '    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"\n'
            '    xmlns:stRef="http://ns.adobe.com/xap/1.0/sType/ResourceRef#"\n'
            '    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"\n'
            '    xmlns:exif="http://ns.adobe.com/exif/1.0/">\n'
            + body +
            '  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>')


# ----------------------------------------------------------------- messages

def b64(data):
    s = base64.b64encode(data).decode("ascii")
    return [s[i:i + 76] for i in range(0, len(s), 76)]


def attachment(ctype, name, data, disposition="attachment", extra=()):
    lines = ['Content-Type: %s; name="%s"' % (ctype, name),
             'Content-Disposition: %s; filename="%s"' % (disposition, name),
             "Content-Transfer-Encoding: base64"]
    lines += list(extra)
    return lines + [""] + b64(data)


def text_part(text, ctype="text/plain", charset="utf-8", cte="7bit"):
    head = ['Content-Type: %s; charset="%s"' % (ctype, charset), "Content-Transfer-Encoding: %s" % cte, ""]
    if cte == "base64":
        return head + b64(text.replace("\n", "\r\n").encode(charset))
    if cte == "quoted-printable":
        text = quopri.encodestring(text.encode(charset)).decode("ascii")
    return head + text.split("\n")


def multipart(kind, boundary, parts, preamble=None):
    lines = ['Content-Type: multipart/%s; boundary="%s"' % (kind, boundary), ""]
    if preamble:
        lines += [preamble, ""]
    for p in parts:
        lines += ["--" + boundary] + p
    return lines + ["--" + boundary + "--", ""]


def message(headers, body_lines):
    lines = ["%s: %s" % h for h in headers] + ["MIME-Version: 1.0"] + body_lines
    return ("\r\n".join(lines)).encode("utf-8")


ENTRIES = []


def add(file, raw, client, detail, mail_from, secrets, must_keep, rationale,
        images=None, parts=None, kinds=None, expected=None, notes=""):
    with open(os.path.join(HERE, file), "wb") as f:
        f.write(raw)
    e = {
        "file": file,
        "client": client,
        "client_detail": detail,
        "envelope": {"mail_from": mail_from, "rcpt_to": [RCPT]},
        "session": {},
        "deliveries": [{"rcpt": RCPT, "deliver_to": "bob@example.com"}],
        "secrets": secrets,
        "secret_kinds": kinds or {},
        "session_secrets": [],
        "forbidden_headers": [],
        "must_keep": must_keep,
        "must_keep_parts": parts or [],
        "fingerprint_regex": [],
        "soft_fingerprints": [],
        "optional_secrets": [],
        "sources": [],
        "notes": notes,
        "category": "images",
        "deep_decode": True,
        "rationale": rationale,
    }
    if images:
        e["must_keep_images"] = images
    if expected:
        e["expected"] = expected
        e["deliveries"] = []
    ENTRIES.append(e)


def img01():
    """iPhone Mail: a HEIC photo converted to JPEG on sending, EXIF kept."""
    jpg = exiftool(jpeg_bytes(picture(640, 480, 1)), ".jpg",
                   "-Make=Apple", "-Model=iPhone 15 Pro", "-Software=17.5.1",
                   "-HostComputer=iPhone 15 Pro", "-LensMake=Apple",
                   "-LensModel=iPhone 15 Pro back triple camera 6.86mm f/1.78",
                   "-Orientation#=6", "-DateTimeOriginal=2026:10:28 16:42:11", "-OffsetTimeOriginal=+02:00",
                   "-SerialNumber=F2LXK8QZ0D14", "-ImageUniqueID=4d1f8a2c9e7b3f6a0c5d2e8b1a9f7c3e",
                   "-GPSLatitude=45.438611", "-GPSLatitudeRef=N", "-GPSLongitude=12.335833",
                   "-GPSLongitudeRef=E", "-GPSAltitude=4.2", "-GPSAltitudeRef=0",
                   "-GPSImgDirection=211.5", "-GPSImgDirectionRef=T")
    gps = gps_hex(jpg)
    b = "Apple-Mail-5D3E1F2A-7B4C-4E9A-9C2D-1F8E6A4B3C21"
    body = multipart("mixed", b, [
        text_part("Hi Bob,\n\nhere is the lot we talked about.\nKEEP-IMG-01-lot-photo\n"),
        attachment("image/jpeg", "IMG_4821.jpeg", jpg, "inline"),
    ])
    raw = message([("From", "Odile Marchetti <odile.marchetti@marchetti-studio.example>"),
                   ("Content-Transfer-Encoding", "7bit"),
                   ("Subject", "The lot on Fondamenta"),
                   ("Date", "Wed, 28 Oct 2026 16:44:02 +0100"),
                   ("Message-Id", "<6A1C9E2B-3D4F-4A5B-8C7D-9E0F1A2B3C4D@marchetti-studio.example>"),
                   ("To", "<%s>" % RCPT),
                   ("X-Mailer", "iPhone Mail (21F90)")], body)
    add("img01_iphone_mail_jpeg_gps_serial.eml", raw, "ios/mail",
        "iPhone Mail sending a HEIC photo converted to JPEG: EXIF Make/Model/Software/Lens, "
        "SerialNumber, ImageUniqueID, DateTimeOriginal with offset, GPS position/altitude/direction; Orientation=6",
        "odile.marchetti@marchetti-studio.example",
        ["F2LXK8QZ0D14", "4d1f8a2c9e7b3f6a0c5d2e8b1a9f7c3e", "2026:10:28 16:42:11", gps,
         "IMG_4821"],  # the phone's picture counter, in the file name
        ["The lot on Fondamenta", "KEEP-IMG-01-lot-photo"],
        "The photo says where the sender stood, when, and with which phone (a serial number ties "
        "every picture from it together). Drop all EXIF except Orientation: stored 640x480 with "
        "Orientation 6, it must still show upright as 480x640.",
        images=[{"content_type": "image/jpeg", "display_size": display_size(jpg), "count": 1}],
        kinds={gps: "gps"})


def gmail_inline(file, n, orientation, make, model, software, uid, when, lat, lon, cid, subject, keep):
    jpg = exiftool(jpeg_bytes(picture(640, 480, n)), ".jpg",
                   "-Make=" + make, "-Model=" + model, "-Software=" + software,
                   "-Orientation#=%d" % orientation, "-DateTimeOriginal=" + when,
                   "-ModifyDate=" + when, "-OffsetTime=-06:00", "-ImageUniqueID=" + uid,
                   "-GPSLatitude=%f" % lat, "-GPSLatitudeRef=N", "-GPSLongitude=%f" % -lon,
                   "-GPSLongitudeRef=W", "-GPSAltitude=1570", "-GPSAltitudeRef=0")
    gps = gps_hex(jpg)
    name = "IMG_%s.jpg" % when.replace(":", "").replace(" ", "_")
    alt = multipart("alternative", "0000000000001f7e2b0623c1a9%02d" % n, [
        text_part("Hi Bob,\n\nthe receipt, see below.\n%s\n[image: %s]\n" % (keep, name)),
        text_part('<div dir="ltr">Hi Bob,<div><br></div><div>the receipt, see below.</div>'
                  '<div>%s</div><div><img src="cid:%s" alt="%s" width="360"><br></div></div>\n'
                  % (keep, cid, name), ctype="text/html", cte="quoted-printable"),
    ])
    body = multipart("related", "0000000000001f7e2b0623c1a8%02d" % n, [
        alt[:-1],
        attachment("image/jpeg", name, jpg, "inline",
                   ["Content-ID: <%s>" % cid, "X-Attachment-Id: %s" % cid]),
    ])
    raw = message([("From", "Ximena Atwater <ximena.atwater@gmail.example>"),
                   ("Date", "Mon, 2 Nov 2026 18:01:%02d -0600" % n),
                   ("Message-ID", "<CAH7q%02dKx2mZr9Lw0Vb4Nt8Ys1Qe6Pj3Ud5Fa0Gc%s@mail.gmail.example>" % (n, cid[-4:])),
                   ("Subject", subject),
                   ("To", "<%s>" % RCPT)], body)
    add(file, raw, "android/gmail",
        "Gmail for Android inline photo in multipart/related, referenced from the HTML part by cid:; "
        "%s %s EXIF (firmware, ImageUniqueID, GPS with altitude, OffsetTime), Orientation=%d" % (make, model, orientation),
        "ximena.atwater@gmail.example",
        [model, software, uid, when, gps,
         name[:-len(".jpg")]],  # the time the camera named the file by, in its name, alt and [image: ...]
        [subject, keep],
        "An inline photo is still a photo: same EXIF as an attachment. Keep Orientation %d only, so the "
        "picture stored as 640x480 still shows upright as 480x640 in the HTML that references it." % orientation,
        images=[{"content_type": "image/jpeg", "display_size": display_size(jpg), "count": 1}],
        kinds={gps: "gps"})


def img04():
    """Lightroom export sent from Thunderbird: XMP, IPTC, ICC, camera serials."""
    im = picture(600, 400, 4)
    icc = icc_profile("LA-iMac27 calibrated 2026-09", "Copyright Linnea Akerfeldt")
    jpg = jpeg_bytes(im, icc_profile=icc)
    jpg = exiftool(jpg, ".jpg",
                   "-Make=FUJIFILM", "-Model=X-T5", "-SerialNumber=032024001873",
                   "-LensSerialNumber=9AB01277", "-Artist=Linnea Akerfeldt",
                   "-Copyright=(c) 2026 Linnea Akerfeldt Photography",
                   "-Software=Adobe Lightroom Classic 13.2 (Macintosh)",
                   "-DateTimeOriginal=2026:09:19 07:31:48",
                   "-XMP-dc:Creator=Linnea Akerfeldt", "-XMP-dc:Rights=(c) 2026 Linnea Akerfeldt Photography",
                   "-XMP-iptcCore:CreatorWorkEmail=linnea@akerfeldt-foto.example",
                   "-XMP-iptcCore:CreatorCity=Uppsala",
                   "-XMP-xmp:CreatorTool=Adobe Lightroom Classic 13.2 (Macintosh)",
                   "-XMP-xmpMM:DerivedFromFilePath=/Users/linnea/Pictures/Lightroom/2026/DSCF4471.RAF",
                   "-IPTC:By-line=Linnea Akerfeldt", "-IPTC:CopyrightNotice=Linnea Akerfeldt Photography",
                   "-IPTC:Contact=linnea@akerfeldt-foto.example", "-IPTC:City=Uppsala",
                   "-IPTC:Caption-Abstract=Morning fog over the river")
    b = "------------2Jx0VqKbT4nR8sYw1ZcM6dPf"
    body = multipart("mixed", b, [
        text_part("Hej Bob,\n\nthe picture for the brochure, full size.\nKEEP-IMG-04-brochure\n", cte="7bit"),
        attachment("image/jpeg", "DSCF4471-export.jpg", jpg),
    ], preamble="This is a multi-part message in MIME format.")
    raw = message([("Message-ID", "<b7e1f0a2-4c3d-4e5f-9a8b-7c6d5e4f3a21@akerfeldt-foto.example>"),
                   ("Date", "Sat, 19 Sep 2026 10:12:40 +0200"),
                   ("User-Agent", "Mozilla Thunderbird"),
                   ("Content-Language", "sv-SE"),
                   ("To", "<%s>" % RCPT),
                   ("From", "Linnea Akerfeldt <linnea@akerfeldt-foto.example>"),
                   ("Subject", "Brochure picture")], body)
    add("img04_lightroom_export_xmp_iptc_icc.eml", raw, "desktop/thunderbird",
        "Thunderbird (macOS) with a Lightroom Classic export: EXIF Artist/Copyright/SerialNumber/LensSerialNumber, "
        "XMP dc:creator/rights, Iptc4xmpCore creator e-mail and city, xmpMM:DerivedFrom (local raw file path), "
        "IPTC By-line/CopyrightNotice/Contact, APP2 ICC profile whose desc/cprt name the photographer's calibrated display",
        "linnea@akerfeldt-foto.example",
        ["Akerfeldt", "akerfeldt-foto.example", "032024001873", "9AB01277", "LA-iMac27",
         "/Users/linnea", "2026:09:19 07:31:48"],
        ["Brochure picture", "KEEP-IMG-04-brochure"],
        "Photographers stamp their name, contact and copyright into every export; the ICC profile of a "
        "calibrated display is named after the machine. All of it is metadata: drop XMP, IPTC (APP13), "
        "ICC (APP2) and EXIF; the picture (600x400, no rotation) is unchanged.",
        images=[{"content_type": "image/jpeg", "display_size": display_size(jpg), "count": 1}])


def img05():
    """Photoshop PNG sent from Outlook for Windows."""
    im = picture(400, 300, 5).convert("RGBA")
    xmp = xmp_packet([
        '   <xmp:CreatorTool>Adobe Photoshop 25.3 (Windows)</xmp:CreatorTool>\n',
        '   <xmp:CreateDate>2026-10-05T11:02:17+02:00</xmp:CreateDate>\n',
        '   <dc:creator><rdf:Seq><rdf:li>Rustam Karaman</rdf:li></rdf:Seq></dc:creator>\n',
        '   <xmpMM:DocumentID>xmp.did:8f2c1a7e-3b4d-4c9a-a1e2-6d5f0b7c9e31</xmpMM:DocumentID>\n',
        '   <xmpMM:DerivedFrom rdf:parseType="Resource">\n',
        '    <stRef:filePath>C:\\Users\\rkaraman\\OneDrive - Osterwald Werbung\\Logos\\logo_v3.psd</stRef:filePath>\n',
        '   </xmpMM:DerivedFrom>\n',
    ])
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Rustam Karaman")
    info.add_text("Software", "Adobe Photoshop 25.3 (Windows)")
    info.add_itxt("XML:com.adobe.xmp", xmp, zip=True)
    b = io.BytesIO()
    im.save(b, "PNG", pnginfo=info, icc_profile=icc_profile("RK-ThinkPad P16 display", "Osterwald Werbung IT"))
    png = b.getvalue()
    body = multipart("mixed", "_004_AM0PR07MB6123A1B2C3D4E5F6A7B8AM0PR07MB6123eurp_", [
        multipart("alternative", "_000_AM0PR07MB6123A1B2C3D4E5F6A7B8AM0PR07MB6123eurp_", [
            text_part("Hi Bob,\n\nattached the logo as PNG with transparency.\nKEEP-IMG-05-logo\n",
                      charset="us-ascii", cte="quoted-printable"),
            text_part("<html><body><p>Hi Bob,</p><p>attached the logo as PNG with transparency.</p>"
                      "<p>KEEP-IMG-05-logo</p></body></html>", ctype="text/html", charset="us-ascii",
                      cte="quoted-printable"),
        ])[:-1],
        attachment("image/png", "logo_v3.png", png),
    ])
    raw = message([("From", "Rustam Karaman <r.karaman@osterwald-werbung.example>"),
                   ("To", "\"%s\" <%s>" % (RCPT, RCPT)),
                   ("Subject", "Logo v3"),
                   ("Thread-Topic", "Logo v3"),
                   ("Date", "Mon, 5 Oct 2026 09:15:33 +0000"),
                   ("Message-ID", "<AM0PR07MB6123A1B2C3D4E5F6A7B8@AM0PR07MB6123.eurprd07.prod.outlook.example>"),
                   ("Accept-Language", "de-DE, en-US"),
                   ("Content-Language", "en-US"),
                   ("X-MS-Has-Attach", "yes"),
                   ("X-Mailer", "Microsoft Outlook 16.0")], body)
    add("img05_photoshop_png_text_itxt_path.eml", raw, "desktop/outlook",
        "Outlook for Windows with a Photoshop PNG: tEXt Author and Software, compressed iTXt XML:com.adobe.xmp "
        "(dc:creator, DocumentID, DerivedFrom with a local OneDrive path naming user and company), iCCP naming the laptop",
        "r.karaman@osterwald-werbung.example",
        ["Rustam Karaman", "rkaraman", "8f2c1a7e-3b4d-4c9a-a1e2-6d5f0b7c9e31", "2026-10-05T11:02:17"],
        ["Logo v3", "KEEP-IMG-05-logo"],
        "PNG text chunks are invisible in any viewer. Drop tEXt/zTXt/iTXt and iCCP; keep IHDR/IDAT (and "
        "the alpha channel, which is in the pixels) so the 400x300 logo looks the same.",
        images=[{"content_type": "image/png", "display_size": display_size(png), "count": 1}])


def img06():
    """A macOS screenshot sent from Apple Mail: XMP and Apple's private iDOT chunk."""
    im = picture(800, 500, 6).convert("RGBA")
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0">\n'
           '   <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
           '      <rdf:Description rdf:about=""\n'
           '            xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"\n'
           '            xmlns:exif="http://ns.adobe.com/exif/1.0/">\n'
           '         <photoshop:DateCreated>2026-11-03T14:22:07</photoshop:DateCreated>\n'
           '         <exif:PixelYDimension>500</exif:PixelYDimension>\n'
           '         <exif:PixelXDimension>800</exif:PixelXDimension>\n'
           '         <exif:UserComment>Screenshot</exif:UserComment>\n'
           '      </rdf:Description>\n'
           '   </rdf:RDF>\n'
           '</x:xmpmeta>\n')
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    b = io.BytesIO()
    im.save(b, "PNG", pnginfo=info, dpi=(144, 144))
    png = b.getvalue()
    # iDOT: Apple's private chunk (parallel-decoding offsets), after IHDR's neighbours.
    idot = struct.pack(">IIIIIII", 2, 0, 250, 250, 250, 0x40, 0)
    chunk = struct.pack(">I", len(idot)) + b"iDOT" + idot
    chunk += struct.pack(">I", zlib.crc32(chunk[4:]) & 0xFFFFFFFF)
    i = png.find(b"IDAT") - 4
    png = png[:i] + chunk + png[i:]
    b = "Apple-Mail=_8E4F2A1C-6B3D-4C5E-9F0A-1B2C3D4E5F60"
    body = multipart("mixed", b, [
        text_part("Bob,\n\nthis is what the dashboard shows after the update.\nKEEP-IMG-06-dashboard\n",
                  charset="us-ascii"),
        attachment("image/png", "Screenshot 2026-11-03 at 14.22.07.png", png, "attachment"),
    ])
    raw = message([("From", "Fenna Kloostermans <fenna@kloostermans-it.example>"),
                   ("Subject", "Dashboard after the update"),
                   ("Date", "Tue, 3 Nov 2026 14:23:40 +0100"),
                   ("Message-Id", "<3F2E1D0C-9B8A-4765-8432-10FEDCBA9876@kloostermans-it.example>"),
                   ("To", RCPT),
                   ("X-Mailer", "Apple Mail (2.3774.600.62)")], body)
    add("img06_macos_screenshot_png_xmp.eml", raw, "macos/mail",
        "Apple Mail with a macOS screenshot: iTXt XML:com.adobe.xmp (DateCreated, UserComment=Screenshot), "
        "pHYs 144 dpi, Apple's private iDOT chunk",
        "fenna@kloostermans-it.example",
        ["2026-11-03T14:22:07"],
        ["Dashboard after the update", "KEEP-IMG-06-dashboard"],
        "The screenshot's XMP dates the capture to the second and says it is a screenshot from a Mac; "
        "iDOT is Apple-only. Drop iTXt and unknown ancillary chunks; keep pHYs (it sets the printed size) "
        "and the 800x500 pixels.",
        images=[{"content_type": "image/png", "display_size": display_size(png), "count": 1}],
        notes="The screenshot file name in the part header also carries the time; names are the MIME layer's job.")


def img07():
    """An animated GIF from GIMP with a comment and XMP."""
    frames = [picture(120, 80, 7 + k).convert("P", palette=Image.ADAPTIVE, colors=64) for k in range(3)]
    b = io.BytesIO()
    frames[0].save(b, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0,
                   comment=b"Created with GIMP by Tobias Wrenfield (/home/twrenfield/Pictures/spinner.xcf)")
    gif = exiftool(b.getvalue(), ".gif", "-XMP-dc:Creator=Tobias Wrenfield",
                   "-XMP-xmp:CreatorTool=GIMP 2.10.38")
    body = multipart("mixed", "------------a8KQm3ZtV0rXw5Ny7PbC2eLd", [
        text_part("Hi Bob,\n\nthe loading spinner for the site.\nKEEP-IMG-07-spinner\n"),
        attachment("image/gif", "spinner.gif", gif),
    ], preamble="This is a multi-part message in MIME format.")
    raw = message([("Message-ID", "<5d0e9c1b-8a7f-4e6d-b5c4-3a2918f7e6d5@wrenfield.example>"),
                   ("Date", "Thu, 12 Nov 2026 21:07:55 +0000"),
                   ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.4.2"),
                   ("Content-Language", "en-GB"),
                   ("To", RCPT),
                   ("From", "Tobias Wrenfield <tobias@wrenfield.example>"),
                   ("Subject", "Spinner for the site")], body)
    add("img07_gimp_gif_comment_xmp.eml", raw, "linux/thunderbird",
        "Thunderbird (Linux) with an animated GIF saved by GIMP: Comment Extension naming the author and a local "
        ".xcf path, XMP DataXMP application extension with dc:creator; NETSCAPE2.0 loop",
        "tobias@wrenfield.example",
        ["Wrenfield", "spinner.xcf"],
        ["Spinner for the site", "KEEP-IMG-07-spinner"],
        "GIF comments and XMP application extensions are not shown by any viewer. Drop both; keep the "
        "three 120x80 frames, their delays and the loop count.",
        images=[{"content_type": "image/gif", "display_size": display_size(gif), "count": 1}])


def img08():
    """A WebP from a Samsung phone with EXIF and XMP, sent from Samsung Email."""
    b = io.BytesIO()
    picture(640, 480, 8).save(b, "WEBP", quality=80)
    webp = exiftool(b.getvalue(), ".webp",
                    "-Make=samsung", "-Model=SM-S921B", "-Software=S921BXXU4BXK1",
                    "-SerialNumber=R5CX21ABCDE", "-DateTimeOriginal=2026:11:08 12:30:05",
                    "-GPSLatitude=48.208174", "-GPSLatitudeRef=N", "-GPSLongitude=16.373819",
                    "-GPSLongitudeRef=E", "-XMP-dc:Creator=Galaxy S24 owner Jovana Petrikic")
    gps = gps_hex(webp)
    body = multipart("mixed", "--_com.samsung.android.email_1731069005123456", [
        text_part("Bob, the menu board from today.\nKEEP-IMG-08-menu\n", cte="base64"),
        attachment("image/webp", "20261108_123005.webp", webp),
    ])
    raw = message([("From", "Jovana Petrikic <jovana.petrikic@posteo.example>"),
                   ("To", RCPT),
                   ("Subject", "Menu board"),
                   ("Date", "Sun, 08 Nov 2026 12:31:10 +0100"),
                   ("Message-ID", "<jt7q2x9w0e4r6y8u1i3o5p7a@email.android.example>"),
                   ("X-Mailer", "Samsung Email")], body)
    add("img08_samsung_webp_exif_xmp.eml", raw, "android/samsung-email",
        "Samsung Email with a WebP from a Galaxy phone: RIFF EXIF chunk (Make/Model/firmware, SerialNumber, "
        "DateTimeOriginal, GPS) and XMP chunk (dc:creator); VP8X flags announce both",
        "jovana.petrikic@posteo.example",
        ["SM-S921B", "S921BXXU4BXK1", "R5CX21ABCDE", "2026:11:08 12:30:05", "Petrikic", gps],
        ["Menu board", "KEEP-IMG-08-menu"],
        "WebP carries EXIF and XMP in RIFF chunks. Drop them, clear the VP8X flags and fix the RIFF size; "
        "the VP8 bitstream (640x480) is kept byte for byte.",
        images=[{"content_type": "image/webp", "display_size": display_size(webp), "count": 1}],
        kinds={gps: "gps"})


def img09():
    """An Inkscape drawing with its editor state."""
    svg = '''<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) -->

<svg
   width="210mm"
   height="148mm"
   viewBox="0 0 210 148"
   version="1.1"
   id="svg5"
   inkscape:version="1.3.2 (091e20ef0f, 2023-11-25)"
   sodipodi:docname="Osterwald-floorplan-final.svg"
   inkscape:export-filename="/home/mkowalewska/Projekty/osterwald/floorplan-final.png"
   inkscape:export-xdpi="150"
   inkscape:export-ydpi="150"
   xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
   xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
   xmlns="http://www.w3.org/2000/svg"
   xmlns:svg="http://www.w3.org/2000/svg"
   xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
   xmlns:cc="http://creativecommons.org/ns#"
   xmlns:dc="http://purl.org/dc/elements/1.1/">
  <sodipodi:namedview
     id="namedview7"
     pagecolor="#ffffff"
     bordercolor="#000000"
     inkscape:document-units="mm"
     inkscape:zoom="0.74"
     inkscape:window-width="2560"
     inkscape:window-height="1371"
     inkscape:current-layer="layer1" />
  <defs
     id="defs2" />
  <metadata
     id="metadata5">
    <rdf:RDF>
      <cc:Work
         rdf:about="">
        <dc:title>Floor plan</dc:title>
        <dc:creator>
          <cc:Agent>
            <dc:title>Marta Kowalewska</dc:title>
          </cc:Agent>
        </dc:creator>
      </cc:Work>
    </rdf:RDF>
  </metadata>
  <g
     inkscape:label="Walls"
     inkscape:groupmode="layer"
     id="layer1">
    <rect
       style="fill:none;stroke:#1a1a1a;stroke-width:2"
       id="rect1"
       width="180"
       height="110"
       x="15"
       y="15" />
    <path
       style="fill:none;stroke:#1a1a1a;stroke-width:1.5"
       d="M 95,15 V 80 H 195"
       id="path2"
       sodipodi:nodetypes="ccc" />
    <text
       xml:space="preserve"
       style="font-size:6px;font-family:sans-serif"
       x="20"
       y="140"
       id="text3">KEEP-IMG-09-floorplan</text>
  </g>
</svg>
'''
    data = svg.replace("\n", "\r\n").encode("utf-8")
    body = multipart("mixed", "------------3kQ7vWmZ1xT9bN4yR6cP0sDf", [
        text_part("Hi Bob,\n\nthe floor plan as SVG, scale 1:100.\nKEEP-IMG-09-plan-note\n"),
        attachment("image/svg+xml", "floorplan.svg", data),
    ], preamble="This is a multi-part message in MIME format.")
    raw = message([("Message-ID", "<0c9b8a7f-6e5d-4c3b-a291-8f7e6d5c4b3a@kowalewska.example>"),
                   ("Date", "Fri, 16 Oct 2026 15:48:20 +0200"),
                   ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.3.1"),
                   ("Content-Language", "pl"),
                   ("To", RCPT),
                   ("From", "Marta Kowalewska <marta@kowalewska.example>"),
                   ("Subject", "Floor plan")], body)
    add("img09_inkscape_svg_docname_export.eml", raw, "linux/thunderbird",
        "Thunderbird (Linux) with an Inkscape 1.3 SVG: sodipodi:docname, inkscape:export-filename (home directory "
        "path naming the user), sodipodi:namedview (window geometry), RDF metadata with dc:creator",
        "marta@kowalewska.example",
        ["Kowalewska", "mkowalewska", "Osterwald-floorplan-final"],
        ["Floor plan", "KEEP-IMG-09-plan-note", "KEEP-IMG-09-floorplan"],
        "Editor state and RDF metadata are not drawn. Drop the sodipodi/inkscape namespaces, <metadata> and "
        "comments; keep the drawing, including its text.",
        parts=[{"content_type": "image/svg+xml", "contains_hex": ["3c737667"]}])


def img10():
    """A scan-to-mail TIFF: refused, Leak has no TIFF cleaner."""
    b = io.BytesIO()
    picture(400, 560, 10).convert("L").save(b, "TIFF", compression="tiff_deflate")
    tif = exiftool(b.getvalue(), ".tif", "-Make=Canon", "-Model=imageRUNNER ADVANCE C3930",
                   "-Artist=Hendrik Oyelaran", "-HostComputer=HOYELARAN-PC",
                   "-ModifyDate=2026:10:21 08:55:12", "-ImageDescription=Scanned by hoyelaran")
    body = multipart("mixed", "=_scan_3a1f9c7e2b8d4065", [
        text_part("Scanned document attached.\nKEEP-IMG-10-scan\n", charset="us-ascii"),
        attachment("image/tiff", "SCAN_0042.tif", tif),
    ])
    raw = message([("From", "Hendrik Oyelaran <hendrik@oyelaran-notaris.example>"),
                   ("To", RCPT),
                   ("Subject", "Scan 0042"),
                   ("Date", "Wed, 21 Oct 2026 08:55:30 +0200"),
                   ("Message-ID", "<20261021085530.0042.scan@oyelaran-notaris.example>"),
                   ("X-Mailer", "Canon imageRUNNER ADVANCE C3930")], body)
    add("img10_scanner_tiff_refused.eml", raw, "device/scanner",
        "Scan-to-mail TIFF from an office copier: IFD0 Make/Model, Artist, HostComputer, ImageDescription",
        "hendrik@oyelaran-notaris.example",
        ["Oyelaran", "HOYELARAN-PC"],
        ["Scan 0042", "KEEP-IMG-10-scan"],
        "Leak has no TIFF cleaner (TIFF is a container of IFDs that may hold anything, including more "
        "images); the message is refused with 554 5.6.1 so the sender can convert it to PNG or PDF.",
        expected={"outcome": "reject", "reply": "554 5.6.1"})


def img11():
    """An iPhone HEIC sent as is: refused."""
    tiff = tiff_of(exiftool(jpeg_bytes(picture(64, 48, 11)), ".jpg",
                            "-Make=Apple", "-Model=iPhone 14", "-SerialNumber=DNPXK4Q7N72H",
                            "-DateTimeOriginal=2026:10:30 19:12:44",
                            "-GPSLatitude=41.902782", "-GPSLatitudeRef=N",
                            "-GPSLongitude=12.496366", "-GPSLongitudeRef=E"))

    def box(kind, payload):
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    exif_item = b"\0\0\0\x06Exif\0\0" + tiff
    heic = (box(b"ftyp", b"heic\0\0\0\0mif1heicmiaf")
            + box(b"meta", b"\0\0\0\0" + box(b"hdlr", b"\0\0\0\0\0\0\0\0pict" + b"\0" * 13))
            + box(b"mdat", exif_item + bytes(range(256)) * 8))
    body = multipart("mixed", "Apple-Mail-7C2B9E4D-1F3A-4B6C-8D5E-0A9F8E7D6C5B", [
        text_part("Evening view from the terrace\nKEEP-IMG-11-terrace\n"),
        attachment("image/heic", "IMG_5012.HEIC", heic, "inline"),
    ])
    raw = message([("From", "Sabine Oduya <sabine.oduya@icloud.example>"),
                   ("Content-Transfer-Encoding", "7bit"),
                   ("Subject", "Terrace"),
                   ("Date", "Fri, 30 Oct 2026 19:20:01 +0100"),
                   ("Message-Id", "<E1A2B3C4-D5E6-4F70-8192-A3B4C5D6E7F8@icloud.example>"),
                   ("To", RCPT),
                   ("X-Mailer", "iPhone Mail (21F90)")], body)
    gps = gps_hex(b"Exif\0\0" + tiff)
    add("img11_iphone_heic_refused.eml", raw, "ios/mail",
        "iPhone Mail sending the original HEIC (Settings > Camera > Formats: High Efficiency, transfer "
        "'Keep Originals'): ISO-BMFF ftyp heic with an Exif item (Apple model, serial, time, GPS)",
        "sabine.oduya@icloud.example",
        ["DNPXK4Q7N72H", "2026:10:30 19:12:44", gps],
        ["Terrace", "KEEP-IMG-11-terrace"],
        "Leak has no HEIC cleaner; the message is refused with 554 5.6.1 so the sender can send it as JPEG "
        "(iOS converts when 'Most Compatible' is chosen).",
        kinds={gps: "gps"},
        expected={"outcome": "reject", "reply": "554 5.6.1"},
        notes="A skeleton HEIC (ftyp, meta/hdlr, mdat with the Exif item): enough to be labelled and sniffed as HEIC.")


def img12():
    """Samsung Email with a Galaxy JPEG carrying a SEFT trailer after EOI."""
    jpg = exiftool(jpeg_bytes(picture(640, 480, 12)), ".jpg",
                   "-Make=samsung", "-Model=SM-G991B", "-Software=G991BXXSBGXJ1",
                   "-DateTimeOriginal=2026:11:03 18:15:40", "-ImageUniqueID=L08XLKE00SM")
    # Samsung's trailer: tagged records after EOI, then the SEFH/SEFT index.
    recs = [(0x0A01, b"Image_UTC_Data", b"1762190140123"),
            (0x0A20, b"MCC_Data", b"262"),
            (0x0A30, b"Camera_Capture_Mode_Info", b"1"),
            (0x0B41, b"Photo_Owner_Info", b"Ilse Brandvold")]
    trailer, index = b"", b""
    for tag, name, value in recs:
        rec = struct.pack("<HHI", 0, tag, len(name)) + name + value
        index += struct.pack("<HHII", 0, tag, len(trailer), len(rec))
        trailer += rec
    trailer += b"SEFH" + struct.pack("<II", 107, len(recs)) + index + struct.pack("<I", len(index) + 12) + b"SEFT"
    data = jpg + trailer
    b = "--_com.samsung.android.email_1762190160789012"
    body = multipart("mixed", b, [
        text_part("Here is the photo of the meter.\nKEEP-IMG-12-meter\n"),
        attachment("image/jpeg", "20261103_181540.jpg", data),
    ])
    raw = message([("From", "Ilse Brandvold <ilse.brandvold@brandvold.example>"),
                   ("To", RCPT),
                   ("Subject", "Meter reading"),
                   ("Date", "Tue, 03 Nov 2026 18:16:00 +0100"),
                   ("Message-ID", "<q8w7e6r5t4y3u2i1o0p9a8s7@email.android.example>"),
                   ("X-Mailer", "Samsung Email")], body)
    add("img12_samsung_jpeg_seft_trailer.eml", raw, "android/samsung-email",
        "Samsung Email with a Galaxy S21 JPEG: EXIF (model, firmware, ImageUniqueID, time) and, after EOI, "
        "Samsung's SEFT trailer (Image_UTC_Data capture time in ms, MCC country code, Photo_Owner_Info)",
        "ilse.brandvold@brandvold.example",
        ["SM-G991B", "G991BXXSBGXJ1", "L08XLKE00SM", "2026:11:03 18:15:40", "1762190140123", "Brandvold"],
        ["Meter reading", "KEEP-IMG-12-meter"],
        "Data after the JPEG end-of-image marker is invisible to viewers but read by forensic tools; "
        "Samsung stores the capture time and the owner's name there. Drop everything after EOI as well "
        "as the EXIF; keep the 640x480 picture.",
        images=[{"content_type": "image/jpeg", "display_size": display_size(data), "count": 1}])


def img13():
    """Outlook on the web with two pictures: a Photoshop 'Save for Web' JPEG and a PNG."""
    jpg = jpeg_bytes(picture(500, 375, 13))
    jpg = exiftool(jpg, ".jpg", "-IPTC:By-line=Ingrid Solvang", "-IPTC:Credit=Solvang Design AS",
                   "-IPTC:Caption-Abstract=Shelf layout, draft 2",
                   "-Comment=Edited by Ingrid Solvang", "-Ducky:Quality=60")
    # Photoshop's Save for Web writes APP14 Adobe (colour transform 1: YCbCr); exiftool cannot.
    jpg = jpg[:2] + b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x01" + jpg[2:]
    b = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "Snipping Tool")
    info.add_text("Comment", "isolvang@SOLVANG-LAPTOP")
    picture(300, 200, 14).save(b, "PNG", pnginfo=info)
    png = b.getvalue()
    body = multipart("mixed", "_006_DB9PR02MB7345F1E2D3C4B5A69788DB9PR02MB7345eurp_", [
        text_part("<html><head></head><body><div>Hei Bob,</div><div>two drafts attached.</div>"
                  "<div>KEEP-IMG-13-drafts</div></body></html>", ctype="text/html", charset="iso-8859-1",
                  cte="quoted-printable"),
        attachment("image/jpeg", "shelf.jpg", jpg),
        attachment("image/png", "detail.png", png),
    ])
    raw = message([("From", "Ingrid Solvang <ingrid@solvang-design.example>"),
                   ("To", RCPT),
                   ("Subject", "Shelf drafts"),
                   ("Date", "Wed, 11 Nov 2026 13:40:12 +0000"),
                   ("Message-ID", "<DB9PR02MB7345F1E2D3C4B5A69788@DB9PR02MB7345.eurprd02.prod.outlook.example>"),
                   ("X-MS-Has-Attach", "yes"),
                   ("X-Originating-IP", "[203.0.113.77]")], body)
    add("img13_outlook_web_jpeg_iptc_ducky_and_png.eml", raw, "web/outlook",
        "Outlook on the web, two attachments: a Photoshop 'Save for Web' JPEG (APP13 IPTC By-line/Credit/Caption, "
        "APP12 Ducky, COM comment, APP14 Adobe) and a Snipping Tool PNG with tEXt "
        "naming user and host",
        "ingrid@solvang-design.example",
        ["Solvang", "isolvang", "SOLVANG-LAPTOP"],
        ["Shelf drafts", "KEEP-IMG-13-drafts"],
        "Every picture in the message is cleaned, not just the first: drop APP13, APP12 and COM (keep APP14 "
        "Adobe, which only says how colours were encoded) and the PNG's text chunks; both pictures keep "
        "their size.",
        images=[{"content_type": "image/jpeg", "display_size": display_size(jpg), "count": 1},
                {"content_type": "image/png", "display_size": display_size(png), "count": 1}],
        notes="X-Originating-IP is a header matter for the MIME layer; it is not listed as a secret here.")


def img14():
    """Apple Mail (macOS) with a progressive JPEG exported from Photos, upside down."""
    im = picture(480, 360, 15)
    jpg = jpeg_bytes(im, progressive=True, icc_profile=icc_profile("Display P3", "Copyright Apple Inc., 2022"))
    jpg = exiftool(jpg, ".jpg", "-Make=Canon", "-Model=Canon EOS R6m2",
                   "-SerialNumber=102031004455", "-LensSerialNumber=0000c4a1f2",
                   "-Orientation#=3", "-DateTimeOriginal=2026:09:14 08:03:55",
                   "-GPSLatitude=60.391263", "-GPSLatitudeRef=N", "-GPSLongitude=5.322054",
                   "-GPSLongitudeRef=E", "-XMP-photoshop:DateCreated=2026:09:14 08:03:55",
                   "-XMP-xmp:CreatorTool=Photos 9.0")
    gps = gps_hex(jpg)
    b = "Apple-Mail=_1B2C3D4E-5F60-4718-293A-4B5C6D7E8F90"
    body = multipart("mixed", b, [
        text_part("Bob,\n\nthe harbour picture for the calendar.\nKEEP-IMG-14-harbour\n", charset="us-ascii"),
        attachment("image/jpeg", "IMG_0914.jpeg", jpg),
    ])
    raw = message([("From", "Aurelio Mbeki-Hansen <aurelio@mbeki-hansen.example>"),
                   ("Subject", "Harbour picture"),
                   ("Date", "Mon, 14 Sep 2026 20:11:09 +0200"),
                   ("Message-Id", "<9A8B7C6D-5E4F-4321-9876-0FEDCBA98765@mbeki-hansen.example>"),
                   ("To", RCPT),
                   ("X-Mailer", "Apple Mail (2.3774.600.62)")], body)
    add("img14_apple_photos_progressive_orientation3.eml", raw, "macos/mail",
        "Apple Mail with a Photos export: progressive JPEG, APP2 ICC (Display P3), EXIF camera/lens serial numbers, "
        "GPS, DateTimeOriginal, Orientation=3 (stored upside down), XMP DateCreated/CreatorTool",
        "aurelio@mbeki-hansen.example",
        ["102031004455", "0000c4a1f2", "2026:09:14 08:03:55", gps,
         "IMG_0914"],  # the picture counter, in the file name
        ["Harbour picture", "KEEP-IMG-14-harbour"],
        "A progressive JPEG has several scans with tables between them; all must be copied unchanged. "
        "Orientation 3 keeps the size (480x360) but the picture must not show upside down.",
        images=[{"content_type": "image/jpeg", "display_size": display_size(jpg), "count": 1}],
        kinds={gps: "gps"})


def main():
    img01()
    gmail_inline("img02_gmail_android_inline_orientation6.eml", 2, 6, "samsung", "SM-A546B", "A546BXXS8CXI2",
                 "K16PLLA00MM", "2026:11:02 17:55:40", 19.432608, 99.133209, "ii_m2h7q1x80",
                 "Receipt from the market", "KEEP-IMG-02-receipt")
    gmail_inline("img03_gmail_android_inline_orientation8.eml", 3, 8, "Google", "Pixel 8", "HDR+ 1.0.641377693zd",
                 "d41c2b7a9f0e8d6c5b4a3928171605f4", "2026:11:02 17:58:03", 19.433117, 99.134482,
                 "ii_m2h7t9k41", "Receipt, other side", "KEEP-IMG-03-receipt-back")
    img04()
    img05()
    img06()
    img07()
    img08()
    img09()
    img10()
    img11()
    img12()
    img13()
    img14()
    manifest = {
        "corpus": "leak-content-images",
        "version": 1,
        "relay_domain": "leak.example",
        "default_recipient": RCPT,
        "deep_decode": True,
        "matching": "see /work/shared/corpus/README.md; tools/leakcheck.py (deep_decode, must_keep_images). "
                    "Generated by gen.py in this directory.",
        "messages": ENTRIES,
    }
    with open(os.path.join(HERE, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
