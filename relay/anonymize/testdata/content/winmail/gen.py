#!/usr/bin/python3
"""Builds winmail.dat parts whose only body is an RTF body, the three kinds
Outlook sends (PR_RTF_COMPRESSED with no PR_BODY and no PR_HTML):

  fromhtml.rtf  HTML encapsulated in RTF (\\fromhtml1), written following
                the [MS-OXRTFEX] section 3.1 example, around the HTML
                Outlook desktop writes: <p class=MsoNormal> paragraphs and
                its signature, marked by <a name="_MailAutoSig">;
  fromtext.rtf  plain text encapsulated in RTF (\\fromtext), as Exchange
                writes it ([MS-OXRTFEX] section 3.2), the name in
                Windows-1252 escapes (J\\'f6rg M\\'fcller);
  native.rtf, native-joerg.rtf
                RTF of its own, written by LibreOffice from native.fodt and
                native-joerg.fodt (LibreOffice writes "ö" as \\u246\\'f6).

Each .rtf is wrapped in a winmail.dat (<name>.dat) by the TNEF writer of
../calendar/gen.py ([MS-OXTNEF], its RTF compressed with LZFu following
[MS-OXRTFCP]), beside the sender's MAPI properties. Run with Debian's
python3 and LibreOffice:

    /usr/bin/python3 gen.py

Everything is invented: people, companies and .example domains.
"""
import datetime
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "calendar"))
import gen as calendar  # noqa: E402  the TNEF and LZFu writers

SENT = datetime.datetime(2026, 12, 1, 10, 15, 0)

# Outlook desktop's HTML for a message with its stored signature. The
# signature is the paragraphs from the _MailAutoSig anchor on.
FROMHTML = rb"""{\rtf1\ansi\ansicpg1252\fromhtml1 \fbidis \deff0{\fonttbl
{\f0\fswiss\fcharset0 Arial;}
{\f1\fmodern Courier New;}
{\f2\fnil\fcharset2 Symbol;}
{\f3\fmodern\fcharset0 Courier New;}
{\f4\fswiss\fcharset0 Calibri;}}
{\colortbl\red0\green0\blue0;\red5\green99\blue193;\red149\green79\blue114;}
\uc1\pard\plain\deftab360 \f0\fs24 
{\*\htmltag19 <html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">}
{\*\htmltag34 <head>}
{\*\htmltag1 \par }
{\*\htmltag161 <meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">}
{\*\htmltag1 \par }
{\*\htmltag161 <meta name="Generator" content="Microsoft Word 15 (filtered medium)">}
{\*\htmltag1 \par }
{\*\htmltag241 <style>}
{\*\htmltag241 <!--\par /* Font Definitions */\par @font-face\par \tab \{font-family:Calibri;\}\par /* Style Definitions */\par p.MsoNormal, li.MsoNormal, div.MsoNormal\par \tab \{margin:0cm;\par \tab font-size:11.0pt;\par \tab font-family:"Calibri",sans-serif;\}\par span.EmailStyle17\par \tab \{mso-style-type:personal-compose;\}\par -->}
{\*\htmltag249 </style>}
{\*\htmltag1 \par }
{\*\htmltag41 </head>}
{\*\htmltag1 \par }
{\*\htmltag50 <body lang="EN-IE" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">}\htmlrtf \lang6153 \htmlrtf0 
{\*\htmltag96 <div class="WordSection1">}\htmlrtf {\htmlrtf0 
{\*\htmltag64 <p class="MsoNormal">}\htmlrtf {\f4\fs22 \htmlrtf0 Hello Bob,{\*\htmltag116 <o:p>}{\*\htmltag84 &nbsp;}\htmlrtf \'a0\htmlrtf0 {\*\htmltag124 </o:p>}\htmlrtf\par}\htmlrtf0
\htmlrtf \par \htmlrtf0
{\*\htmltag72 </p>}
{\*\htmltag64 <p class="MsoNormal">}\htmlrtf {\f4\fs22 \htmlrtf0 the tender documents are attached. We need the signed forms by Friday {\*\htmltag84 &#8211;}\htmlrtf \endash \htmlrtf0  KEEP-RTF-HTML-BODY.{\*\htmltag116 <o:p>}{\*\htmltag124 </o:p>}\htmlrtf\par}\htmlrtf0
\htmlrtf \par \htmlrtf0
{\*\htmltag72 </p>}
{\*\htmltag64 <p class="MsoNormal">}\htmlrtf {\f4\fs22 \htmlrtf0 {\*\htmltag84 <a name="_MailAutoSig">}\htmlrtf {\htmlrtf0 Kind regards,{\*\htmltag92 </a>}\htmlrtf }\htmlrtf0 {\*\htmltag116 <o:p>}{\*\htmltag124 </o:p>}\htmlrtf\par}\htmlrtf0
\htmlrtf \par \htmlrtf0
{\*\htmltag72 </p>}
{\*\htmltag64 <p class="MsoNormal">}\htmlrtf {\f4\fs22 \htmlrtf0 {\*\htmltag84 <b>}\htmlrtf {\b \htmlrtf0 Aoife Brennan{\*\htmltag92 </b>}\htmlrtf }\htmlrtf0 {\*\htmltag116 <o:p>}{\*\htmltag124 </o:p>}\htmlrtf\par}\htmlrtf0
\htmlrtf \par \htmlrtf0
{\*\htmltag72 </p>}
{\*\htmltag64 <p class="MsoNormal">}\htmlrtf {\f4\fs22 \htmlrtf0 Head of Procurement{\*\htmltag116 <o:p>}{\*\htmltag124 </o:p>}\htmlrtf\par}\htmlrtf0
\htmlrtf \par \htmlrtf0
{\*\htmltag72 </p>}
{\*\htmltag64 <p class="MsoNormal">}\htmlrtf {\f4\fs22 \htmlrtf0 Tel: +353 1 555 0187{\*\htmltag116 <o:p>}{\*\htmltag124 </o:p>}\htmlrtf\par}\htmlrtf0
\htmlrtf \par \htmlrtf0
{\*\htmltag72 </p>}
{\*\htmltag64 <p class="MsoNormal">}\htmlrtf {\f4\fs22 \htmlrtf0 Brennan Facilities Ltd {\*\htmltag84 &#124;}\htmlrtf |\htmlrtf0  Unit 4, Harbour Road, Dublin{\*\htmltag116 <o:p>}{\*\htmltag124 </o:p>}\htmlrtf\par}\htmlrtf0
\htmlrtf \par \htmlrtf0
{\*\htmltag72 </p>}
{\*\htmltag104 </div>}\htmlrtf }\htmlrtf0 
{\*\htmltag58 </body>}
{\*\htmltag27 </html>}}
"""

# Exchange's RTF for a plain-text message: the text and nothing of the
# original left out.
FROMTEXT = rb"""{\rtf1\ansi\ansicpg1252\fromtext \fbidis \deff0{\fonttbl
{\f0\fswiss\fcharset0 Arial;}
{\f1\fmodern Courier New;}
{\f2\fnil\fcharset2 Symbol;}
{\f3\fmodern\fcharset0 Courier New;}}
{\colortbl\red0\green0\blue0;\red0\green0\blue255;}
\uc1\pard\plain\deftab360 \f0\fs20 Hello Bob,\par
\par
the tender documents are attached. We need the signed forms by Friday \'96 KEEP-RTF-TEXT-BODY.\par
\par
Kind regards,\par
J\'f6rg M\'fcller\par
Head of Procurement\par
Tel: +353 1 555 0187\par
}
"""


def fodt(paragraphs):
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"')
    body = "".join("<text:p>%s</text:p>" % p for p in paragraphs)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document %s '
            'office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text>%s'
            '</office:text></office:body></office:document>\n' % (ns, body))


def letter(name, keep):
    return ["Hello Bob,", "", "the tender documents are attached. We need the signed forms by Friday "
            "\u2013 %s." % keep, "", "Kind regards,", name, "Head of Procurement", "Tel: +353 1 555 0187"]


def libreoffice(stem, paragraphs):
    with open(os.path.join(HERE, stem + ".fodt"), "w", encoding="utf-8") as f:
        f.write(fodt(paragraphs))
    prof = tempfile.mkdtemp(prefix="lo-prof-")
    try:
        subprocess.run(["soffice", "-env:UserInstallation=file://" + prof, "--headless",
                        "--convert-to", "rtf", "--outdir", HERE, os.path.join(HERE, stem + ".fodt")],
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(prof)
    with open(os.path.join(HERE, stem + ".rtf"), "rb") as f:
        return f.read()


def main():
    bodies = {
        "fromhtml": FROMHTML.replace(b"\n", b"\r\n"),
        "fromtext": FROMTEXT.replace(b"\n", b"\r\n"),
        "native": libreoffice("native", letter("Aoife Brennan", "KEEP-RTF-NATIVE-BODY")),
        "native-joerg": libreoffice("native-joerg", letter("Jörg Müller", "KEEP-RTF-NATIVE-BODY")),
    }
    senders = {"fromtext": "Jörg Müller", "native-joerg": "Jörg Müller"}
    for stem, rtf in bodies.items():
        if not stem.startswith("native"):
            with open(os.path.join(HERE, stem + ".rtf"), "wb") as f:
                f.write(rtf)
        assert calendar.lzfu_decompress(calendar.lzfu_compress(rtf)) == rtf
        name = senders.get(stem, "Aoife Brennan")
        addr = "aoife.brennan@brennan-facilities.example" if name.startswith("Aoife") else "j.mueller@mueller-bau.example"
        w = calendar.tnef(name, addr, "Tender documents", SENT, rtf=rtf)
        with open(os.path.join(HERE, stem + ".dat"), "wb") as f:
            f.write(w)
    for f in glob.glob(os.path.join(HERE, "__pycache__")) + glob.glob(os.path.join(HERE, "..", "calendar", "__pycache__")):
        shutil.rmtree(f)


if __name__ == "__main__":
    main()
