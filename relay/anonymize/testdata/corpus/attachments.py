#!/usr/bin/python3
"""Puts real attachments into two client-shaped corpus messages.

The photo of ios_mail_inline_image.eml is a JPEG made by Pillow with the EXIF
an iPhone writes (make, model, GPS, capture time, orientation 6) set by
exiftool; the PDF of rfc2231_filename_path.eml is made by ReportLab with an
Author in its Info dictionary. Run with Debian's python3 (python3-pil,
python3-reportlab, libimage-exiftool-perl) from this directory; it rewrites
the base64 bodies in place.
"""
import base64
import io
import re
import subprocess
import tempfile

from PIL import Image, ImageDraw
from reportlab.pdfgen import canvas


def photo():
    im = Image.new("RGB", (64, 48), (240, 240, 235))
    d = ImageDraw.Draw(im)
    d.rectangle([4, 4, 40, 20], outline=(20, 20, 120))
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        im.save(f.name, "JPEG", quality=85)
        subprocess.run(["exiftool", "-q", "-overwrite_original", "-Make=Apple", "-Model=iPhone 15 Pro",
                        "-Orientation#=6", "-DateTimeOriginal=2025:11:20 09:41:07", "-OffsetTimeOriginal=+11:00",
                        "-GPSLatitude=51.4779", "-GPSLatitudeRef=N", "-GPSLongitude=0.0015", "-GPSLongitudeRef=W",
                        "-LensModel=iPhone 15 Pro back triple camera", "-Software=22B91", f.name], check=True)
        return open(f.name, "rb").read()


def pdf():
    b = io.BytesIO()
    c = canvas.Canvas(b, invariant=1)
    c.setAuthor("Jose Okonkwo-Hale")
    c.setTitle("Q3 overview")
    c.drawString(72, 720, "KEEP-P09-ATTACH-overview")
    c.save()
    return b.getvalue()


def b64(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\r\n"


def replace(path, after, data):
    raw = open(path, "rb").read().decode("utf-8")
    head, sep, rest = raw.partition(after)
    assert sep, (path, after)
    body_end = re.search(r"\r\n(\r\n)?--", rest[rest.index("\r\n\r\n") + 4:])
    start = rest.index("\r\n\r\n") + 4
    end = start + body_end.start() + 2
    rest = rest[:start] + b64(data) + rest[end:]
    open(path, "wb").write((head + sep + rest).encode("utf-8"))


replace("ios_mail_inline_image.eml", "Content-Id: <8E2B4C6D-0F1A-4B3C-9D5E-7F8A9B0C1D2E>", photo())
replace("rfc2231_filename_path.eml", "modification-date=\"Thu, 20 Nov 2025 13:59:47 GMT\"", pdf())
