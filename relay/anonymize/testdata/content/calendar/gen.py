#!/usr/bin/python3
"""Builds the calendar, contact and TNEF corpus: messages shaped like the
invitations, replies, counter-proposals, calendar attachments, vCards and
winmail.dat parts that Outlook, Google Calendar, Apple Calendar, Thunderbird
and iOS send, plus manifest.json in the format of shared/corpus.

Run with Debian's python3 (python3-icalendar, python3-vobject):

    /usr/bin/python3 gen.py

TNEF streams are written here following [MS-OXTNEF], their RTF bodies
compressed following [MS-OXRTFCP]. Everything is invented: people, companies
and .example domains. Output is deterministic.
"""
import base64
import datetime
import json
import os
import struct

import icalendar
import vobject

HERE = os.path.dirname(os.path.abspath(__file__))
RCPT = "to+bob=example.com@leak.example"
BOB = "bob@example.com"

# ---------------------------------------------------------------- MIME


def crlf(s):
    if isinstance(s, str):
        s = s.encode("utf-8")
    return s.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def b64lines(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\r\n"


def leaf(headers, body, cte="7bit"):
    """A MIME leaf: headers is a list of lines without Content-Transfer-Encoding."""
    if cte == "base64":
        payload = b64lines(body if isinstance(body, bytes) else body.encode("utf-8")).encode()
    else:
        payload = crlf(body)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
    head = "\r\n".join(headers + ["Content-Transfer-Encoding: " + cte]) + "\r\n\r\n"
    return head.encode("utf-8") + payload


def multipart(subtype, boundary, parts, preamble=""):
    out = ('Content-Type: multipart/%s; boundary="%s"\r\n\r\n' % (subtype, boundary)).encode()
    if preamble:
        out += crlf(preamble)
    for p in parts:
        out += b"--" + boundary.encode() + b"\r\n" + p
        if not out.endswith(b"\r\n"):
            out += b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out


def message(headers, body):
    return crlf("\n".join(headers)) + b"\r\nMIME-Version: 1.0\r\n" + body


def fold(ics):
    """Fold iCalendar content lines at 75 octets (RFC 5545 section 3.1), as clients do."""
    out = []
    for line in ics.replace("\r\n", "\n").split("\n"):
        b = line.encode("utf-8")
        first = True
        while len(b) > (75 if first else 74):
            cut = 75 if first else 74
            while cut > 0 and (b[cut] & 0xC0) == 0x80:
                cut -= 1
            out.append((b"" if first else b" ") + b[:cut])
            b = b[cut:]
            first = False
        out.append((b"" if first else b" ") + b)
    return b"\r\n".join(out).decode("utf-8")


# ---------------------------------------------------------------- TNEF

TNEF_SIGNATURE = 0x223E9F78
PT_LONG, PT_BOOLEAN, PT_SYSTIME = 0x0003, 0x000B, 0x0040
PT_STRING8, PT_UNICODE, PT_BINARY = 0x001E, 0x001F, 0x0102


def attribute(level, attr_id, data):
    return (struct.pack("<BII", level, attr_id, len(data)) + data
            + struct.pack("<H", sum(data) & 0xFFFF))


def pad4(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def utf16z(s):
    return s.encode("utf-16-le") + b"\0\0"


def filetime(dt):
    return struct.pack("<Q", int((dt - datetime.datetime(1601, 1, 1)).total_seconds()) * 10000000)


def dtr(dt):
    """attDate* value: seven 16-bit fields ([MS-OXTNEF] section 2.1.3.3.1)."""
    return struct.pack("<7H", dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second,
                       (dt.weekday() + 1) % 7)


def mapi_props(props):
    """A property list ([MS-OXTNEF] section 2.1.3.4): (tag, value) or
    ((tag, guid, name), value) for a named property."""
    out = struct.pack("<I", len(props))
    for key, value in props:
        named = isinstance(key, tuple)
        tag = key[0] if named else key
        ptype, pid = tag & 0xFFFF, tag >> 16
        out += struct.pack("<HH", ptype, pid)
        if named:
            name = utf16z(key[2])
            out += key[1] + struct.pack("<II", 1, len(name)) + pad4(name)
        if ptype in (PT_LONG, PT_BOOLEAN):
            out += struct.pack("<I", value)
        elif ptype == PT_SYSTIME:
            out += filetime(value)
        else:
            if ptype == PT_UNICODE:
                value = utf16z(value)
            elif ptype == PT_STRING8:
                value = value.encode("cp1252") + b"\0"
            out += struct.pack("<II", 1, len(value)) + pad4(value)
    return out


# PSETID_Common {00062008-0000-0000-C000-000000000046}
PSETID_COMMON = bytes.fromhex("0820060000000000c000000000000046")

RTF_PREFIX = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
              b"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
              b"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")
assert len(RTF_PREFIX) == 207


def rtf_crc(data):
    c = 0
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
    return c


def lzfu_compress(raw):
    """Greedy LZFu ([MS-OXRTFCP] section 2.1.3.1): references of 2..17 bytes
    into a 4096-byte circular dictionary primed with RTF_PREFIX."""
    dic = bytearray(4096)
    dic[:207] = RTF_PREFIX
    filled, w, i = 207, 207, 0
    out, group, ctl, nbits = bytearray(), bytearray(), 0, 0

    def flush():
        nonlocal group, ctl, nbits
        out.append(ctl)
        out.extend(group)
        group, ctl, nbits = bytearray(), 0, 0

    while i < len(raw):
        best, best_off = 0, 0
        for off in range(min(filled, 4096)):
            if off == w or dic[off] != raw[i]:
                continue
            n = 0
            while n < 17 and i + n < len(raw):
                pos = (off + n) % 4096
                dist = (pos - w) % 4096
                c = raw[i + dist] if dist < n else dic[pos]
                if c != raw[i + n]:
                    break
                n += 1
            if n > best:
                best, best_off = n, off
        if best >= 2:
            group += struct.pack(">H", (best_off << 4) | (best - 2))
            ctl |= 1 << nbits
            chunk = raw[i:i + best]
        else:
            group.append(raw[i])
            chunk = raw[i:i + 1]
        for c in chunk:
            dic[w] = c
            w = (w + 1) % 4096
            filled = min(4096, filled + 1)
        i += len(chunk)
        nbits += 1
        if nbits == 8:
            flush()
    group += struct.pack(">H", w << 4)  # the end: a reference to the write position
    ctl |= 1 << nbits
    flush()
    return (struct.pack("<III", len(out) + 12, len(raw), 0x75465A4C)
            + struct.pack("<I", rtf_crc(bytes(out))) + bytes(out))


def lzfu_decompress(data):
    size, raw, typ, crc = struct.unpack("<IIII", data[:16])
    body = data[16:size + 4]
    assert typ == 0x75465A4C and rtf_crc(body) == crc
    dic = bytearray(4096)
    dic[:207] = RTF_PREFIX
    w, i, out = 207, 0, bytearray()
    while i < len(body):
        ctl = body[i]
        i += 1
        for bit in range(8):
            if i >= len(body):
                break
            if ctl >> bit & 1:
                ref = body[i] << 8 | body[i + 1]
                i += 2
                off, n = ref >> 4, (ref & 15) + 2
                if off == w:
                    return bytes(out)
                for k in range(n):
                    c = dic[(off + k) % 4096]
                    out.append(c)
                    dic[w] = c
                    w = (w + 1) % 4096
            else:
                out.append(body[i])
                dic[w] = body[i]
                w = (w + 1) % 4096
                i += 1
    return bytes(out)


assert lzfu_decompress(bytes.fromhex(
    "2d0000002b0000004c5a4675f1c5c7a703000a0072637067313235423"
    "20af32068656c0900206277 05b06c647d0a800fa0".replace(" ", ""))) == \
    b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"  # [MS-OXRTFCP] section 3.1.1


def triples(name, addr):
    """attFrom: a TRP structure, name and address ([MS-OXTNEF] section 2.1.3.3.4)."""
    n = pad4(name.encode("cp1252") + b"\0")
    a = pad4(("SMTP:" + addr).encode() + b"\0")
    return struct.pack("<HHHH", 0x0004, 16 + len(n) + len(a), len(n), len(a)) + n + a + b"\0" * 8


def tnef(sender_name, sender_addr, subject, sent, body=None, rtf=None, attachments=()):
    """A winmail.dat as Outlook writes it for an Exchange or RTF message."""
    M, A = 1, 2
    s = struct.pack("<IH", TNEF_SIGNATURE, 0x0B1C)
    s += attribute(M, 0x00089006, struct.pack("<I", 0x00010000))          # attTnefVersion
    s += attribute(M, 0x00069007, struct.pack("<II", 1252, 0))             # attOemCodepage
    s += attribute(M, 0x00078008, b"IPM.Microsoft Mail.Note\0")            # attMessageClass
    s += attribute(M, 0x00008000, triples(sender_name, sender_addr))      # attFrom
    s += attribute(M, 0x00018004, subject.encode("cp1252") + b"\0")      # attSubject
    s += attribute(M, 0x00038005, dtr(sent))                               # attDateSent
    s += attribute(M, 0x00038006, dtr(sent))                               # attDateRecd
    s += attribute(M, 0x00018009, b"3C3F1A2B4D5E6F70\0")                   # attMessageID
    s += attribute(M, 0x0004800D, struct.pack("<H", 2))                    # attPriority
    s += attribute(M, 0x00038020, dtr(sent))                               # attDateModified
    recip = struct.pack("<I", 1) + mapi_props([
        (0x3001001F, "Bob"), (0x3003001F, BOB), (0x0C150003, 1), (0x3002001F, "SMTP")])
    s += attribute(M, 0x00069004, recip)                                   # attRecipTable
    props = [
        (0x0037001F, subject),                                             # PR_SUBJECT_W
        (0x0070001F, subject),                                             # PR_CONVERSATION_TOPIC_W
        (0x00710102, bytes.fromhex("01dc4b8e9f2a7c3d5e6f8091a2b3c4d5e6f7")),  # PR_CONVERSATION_INDEX
        (0x0C1A001F, sender_name),                                         # PR_SENDER_NAME_W
        (0x0C1E001F, "SMTP"),                                              # PR_SENDER_ADDRTYPE_W
        (0x0C1F001F, sender_addr),                                         # PR_SENDER_EMAIL_ADDRESS_W
        (0x5D01001F, sender_addr),                                         # PR_SENDER_SMTP_ADDRESS_W
        (0x0042001F, sender_name),                                         # PR_SENT_REPRESENTING_NAME_W
        (0x0065001F, sender_addr),                                         # PR_SENT_REPRESENTING_EMAIL_ADDRESS_W
        (0x3FFA001F, sender_name),                                         # PR_LAST_MODIFIER_NAME_W
        (0x00390040, sent),                                                # PR_CLIENT_SUBMIT_TIME
        (0x30070040, sent),                                                # PR_CREATION_TIME
        (0x3FDE0003, 1252),                                                # PR_INTERNET_CPID
        (0x3FFD0003, 1252),                                                # PR_MESSAGE_CODEPAGE
        ((0x8001001F, PSETID_COMMON, "InternetAccountName"), sender_addr),  # named: the account
    ]
    if body is not None:
        props.append((0x1000001F, body))                                   # PR_BODY_W
    if rtf is not None:
        props.append((0x10090102, lzfu_compress(rtf)))                     # PR_RTF_COMPRESSED
        props.append((0x0E1F000B, 1))                                      # PR_RTF_IN_SYNC
    s += attribute(M, 0x00069003, mapi_props(props))                      # attMAPIProps
    for att in attachments:
        rend = struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0xFFFF, 0xFFFF, 0)
        s += attribute(A, 0x00069002, rend)                                # attAttachRendData
        s += attribute(A, 0x00018010, att["short"].encode() + b"\0")      # attAttachTitle
        s += attribute(A, 0x00038012, dtr(sent))                           # attAttachCreateDate
        s += attribute(A, 0x00038013, dtr(sent))                           # attAttachModifyDate
        s += attribute(A, 0x0006800F, att["data"])                         # attAttachData
        aprops = [
            (0x3707001F, att["name"]),                                     # PR_ATTACH_LONG_FILENAME_W
            (0x3704001F, att["short"]),                                    # PR_ATTACH_FILENAME_W
            (0x3703001F, os.path.splitext(att["name"])[1]),               # PR_ATTACH_EXTENSION_W
            (0x3001001F, att["name"]),                                     # PR_DISPLAY_NAME_W
            (0x37050003, 1),                                               # PR_ATTACH_METHOD: by value
            (0x370B0003, 0xFFFFFFFF),                                      # PR_RENDERING_POSITION
            (0x0E200003, len(att["data"])),                                # PR_ATTACH_SIZE
            (0x30070040, sent),                                            # PR_CREATION_TIME
            (0x30080040, sent),                                            # PR_LAST_MODIFICATION_TIME
        ]
        if att.get("path"):
            aprops.append((0x370D001F, att["path"]))                       # PR_ATTACH_LONG_PATHNAME_W
        if att.get("mime"):
            aprops.append((0x370E001F, att["mime"]))                       # PR_ATTACH_MIME_TAG_W
        s += attribute(A, 0x00069005, mapi_props(aprops))                 # attAttachment
    return s


def tiny_pdf(text):
    """A one-page PDF with text in an uncompressed content stream."""
    content = ("BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offs = b"%PDF-1.4\n", []
    for n, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % n + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return out


# ---------------------------------------------------------------- messages

ENTRIES = []


def entry(file, client, detail, sender, secrets, must_keep, rationale, kinds=None, soft=(),
          forbidden=()):
    ENTRIES.append({
        "file": file,
        "client": client,
        "client_detail": detail,
        "envelope": {"mail_from": sender, "rcpt_to": [RCPT]},
        "session": {},
        "deliveries": [{"rcpt": RCPT, "deliver_to": BOB}],
        "secrets": secrets,
        "secret_kinds": kinds or {},
        "session_secrets": [],
        "forbidden_headers": list(forbidden),
        "must_keep": must_keep,
        "must_keep_parts": [],
        "fingerprint_regex": [],
        "soft_fingerprints": list(soft),
        "optional_secrets": [],
        "sources": [],
        "notes": "generated by gen.py",
        "category": "calendar",
        "deep_decode": True,
        "rationale": rationale,
    })


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def outlook_headers(name, addr, subject, date, msgid, extra=()):
    return ["From: %s <%s>" % (name, addr),
            "To: Bob <%s>" % RCPT,
            "Subject: " + subject,
            "Thread-Topic: " + subject.split(": ", 1)[-1],
            "Thread-Index: AdtNoq7P3kq9m1x0TiOaZ1vT8uYw2A==",
            "Date: " + date,
            "Message-ID: <" + msgid + ">",
            "Accept-Language: en-US",
            "Content-Language: en-US",
            "X-MS-Has-Attach: ",
            "X-MS-TNEF-Correlator: "] + list(extra)


def cal01():
    name, addr = "Henrike Albrecht-Vos", "henrike.albrecht-vos@vosbouw.example"
    ics = fold("""BEGIN:VCALENDAR
METHOD:REQUEST
PRODID:Microsoft Exchange Server 2019
VERSION:2.0
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER;CN=Henrike Albrecht-Vos:mailto:henrike.albrecht-vos@vosbouw.example
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob:mailto:to+bob=example.com@leak.example
DESCRIPTION;LANGUAGE=en-US:KEEP-CAL-01-agenda: walk through the facade samples.\\n\\n
UID:040000008200E00074C5B7101A82E00800000000B0F3A7C11F4DDC0100000000000000001000000064B6E9A3F5C2D14E8A17C3B2E0F9D781
SUMMARY;LANGUAGE=en-US:Facade sample review
DTSTART;TZID=W. Europe Standard Time:20261119T140000
DTEND;TZID=W. Europe Standard Time:20261119T150000
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:20261105T101530Z
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:0
LOCATION;LANGUAGE=en-US:Meeting room Kiel 2
X-MICROSOFT-CDO-APPT-SEQUENCE:0
X-MICROSOFT-CDO-OWNERAPPTID:2124862115
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MICROSOFT-CDO-IMPORTANCE:1
X-MICROSOFT-CDO-INSTTYPE:0
X-MICROSOFT-DONOTFORWARDMEETING:FALSE
X-MICROSOFT-DISALLOW-COUNTER:FALSE
X-MICROSOFT-REQUESTEDATTENDANCEMODE:DEFAULT
X-MICROSOFT-ISRESPONSEREQUESTED:TRUE
X-MS-OLK-SENDER;CN=Henrike Albrecht-Vos:mailto:henrike.albrecht-vos@vosbouw.example
X-MS-OLK-AUTOFILLLOCATION:FALSE
X-MS-OLK-CONFTYPE:0
X-MS-OLK-APPTSEQTIME:20261105T101500Z
BEGIN:VALARM
DESCRIPTION:REMINDER
TRIGGER;RELATED=START:-PT15M
ACTION:DISPLAY
END:VALARM
END:VEVENT
END:VCALENDAR
""")
    text = "KEEP-CAL-01-agenda: walk through the facade samples.\n\nKEEP-CAL-01-body\n"
    html = ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
            "<meta name=\"Generator\" content=\"Microsoft Exchange Server\"></head>\n<body>\n"
            "<div>KEEP-CAL-01-agenda: walk through the facade samples.</div>\n"
            "<div>KEEP-CAL-01-body</div>\n</body></html>\n")
    subject = "Facade sample review"
    body = multipart("alternative", "_000_AM9PR07MB7169B0F3A7C11F4DAM9PR07MB7169eurp_", [
        leaf(['Content-Type: text/plain; charset="utf-8"'], text, "base64"),
        leaf(['Content-Type: text/html; charset="utf-8"'], html, "base64"),
        leaf(['Content-Type: text/calendar; charset="utf-8"; method=REQUEST'], ics, "base64"),
    ])
    write("cal01_outlook_request.eml", message(outlook_headers(
        name, addr, subject, "Thu, 5 Nov 2026 10:15:30 +0000",
        "AM9PR07MB7169B0F3A7C11F4D8A17C3B2E0F9D781@AM9PR07MB7169.eurprd07.prod.outlook.example"), body))
    entry("cal01_outlook_request.eml", "calendar/outlook",
          "Outlook/Exchange meeting request: multipart/alternative text+html+text/calendar "
          "METHOD=REQUEST, ORGANIZER CN=sender, X-MS-OLK-SENDER and X-MICROSOFT-CDO-* ids, Exchange UID",
          addr, ["Albrecht", "henrike", "vosbouw.example"],
          [subject, "KEEP-CAL-01-body", "KEEP-CAL-01-agenda", "Meeting room Kiel 2"],
          "The sender organised the meeting: ORGANIZER and X-MS-OLK-SENDER carry their name and "
          "address. Rewrite ORGANIZER to the relay identity, drop X-MS-*/X-MICROSOFT-* and regenerate "
          "the Exchange UID; the summary, time zone, location, agenda and alarm stay.",
          {"Albrecht": "calendar_organizer"})


def google_desc(marker, email, eventid):
    eid = base64.urlsafe_b64encode(("%s %s" % (eventid, email)).encode()).decode().rstrip("=")
    tok = base64.b64encode(("20#%s9c1e7a4b2d" % email).encode()).decode()
    return ("%s\\n\\n-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:"
            "~:~:~:~:~:~::~:~::-\\nJoin with Google Meet: https://meet.google.example/qzv-ktbn-xwe\\n\\n"
            "View your event at https://calendar.google.example/calendar/event?action=VIEW&eid=%s&tok=%s"
            "&ctz=Europe%%2FWarsaw&hl=en&es=1\\n\\nPlease do not edit this section.\\n-::~:~::~:~:~:~:~:"
            "~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-"
            % (marker, eid, tok))


def cal02():
    name, addr = "Dariusz Wrzesniewski", "d.wrzesniewski@wrzesniewski-studio.example"
    eventid = "5p0ck2m7q3v9r1t8b4n6x0z2aa"
    ics = fold("""BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REQUEST
BEGIN:VTIMEZONE
TZID:Europe/Warsaw
X-LIC-LOCATION:Europe/Warsaw
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:GMT+2
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:GMT+1
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=Europe/Warsaw:20261118T100000
DTEND;TZID=Europe/Warsaw:20261118T110000
DTSTAMP:20261104T121212Z
ORGANIZER;CN=Dariusz Wrzesniewski:mailto:d.wrzesniewski@wrzesniewski-studio.example
UID:%s@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Dariusz Wrzesniewski;X-NUM-GUESTS=0:mailto:d.wrzesniewski@wrzesniewski-studio.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=a.mielczarek@wrzesniewski-studio.example;X-NUM-GUESTS=0:mailto:a.mielczarek@wrzesniewski-studio.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Carla Rinaldi;X-NUM-GUESTS=0:mailto:carla@rinaldi-partners.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=to+bob=example.com@leak.example;X-NUM-GUESTS=0:mailto:to+bob=example.com@leak.example
X-GOOGLE-CONFERENCE:https://meet.google.example/qzv-ktbn-xwe
X-MICROSOFT-CDO-OWNERAPPTID:-1630372517
CREATED:20261104T121150Z
DESCRIPTION:%s
LAST-MODIFIED:20261104T121211Z
LOCATION:
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Design sprint kickoff
TRANSP:OPAQUE
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:This is an event reminder
TRIGGER:-P0DT0H30M0S
END:VALARM
BEGIN:VALARM
ACTION:EMAIL
DESCRIPTION:This is an event reminder
SUMMARY:Alarm notification
ATTENDEE:mailto:d.wrzesniewski@wrzesniewski-studio.example
TRIGGER:-P0DT0H30M0S
END:VALARM
END:VEVENT
END:VCALENDAR
""" % (eventid, google_desc("KEEP-CAL-02-invite-note", addr, eventid)))
    text = ("Design sprint kickoff\nWednesday Nov 18, 2026 \u22c5 10am \u2013 11am\n"
            "Central European Time - Warsaw\n\nJoin with Google Meet\nhttps://meet.google.example/qzv-ktbn-xwe\n\n"
            "KEEP-CAL-02-invite-text\n\nReply for to+bob=example.com@leak.example\n\n"
            "Invitation from Google Calendar\n")
    html = ("<!doctype html><html><head><meta charset=\"UTF-8\"></head><body>"
            "<h2>Design sprint kickoff</h2><p>Wednesday Nov 18, 2026 \u22c5 10am \u2013 11am</p>"
            "<p><a href=\"https://meet.google.example/qzv-ktbn-xwe\">Join with Google Meet</a></p>"
            "<p>KEEP-CAL-02-invite-text</p><p>Invitation from Google Calendar</p></body></html>")
    subject = "Invitation: Design sprint kickoff @ Wed 18 Nov 2026 10am - 11am (CET) (to+bob=example.com@leak.example)"
    alt = multipart("alternative", "0000000000004b7d0e05f2a1c3d8", [
        leaf(['Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes'], text, "base64"),
        leaf(['Content-Type: text/html; charset="UTF-8"'], html, "base64"),
        leaf(['Content-Type: text/calendar; charset="UTF-8"; method=REQUEST'], ics, "7bit"),
    ])
    body = multipart("mixed", "0000000000004b7d0c05f2a1c3d6", [
        alt,
        leaf(['Content-Type: application/ics; name="invite.ics"',
              'Content-Disposition: attachment; filename="invite.ics"'], ics.encode(), "base64"),
    ])
    write("cal02_gcal_request.eml", message([
        "From: %s <%s>" % (name, addr),
        "Reply-To: %s <%s>" % (name, addr),
        "Sender: Google Calendar <calendar-notification@google.example>",
        "To: " + RCPT,
        "Subject: " + subject,
        "Date: Wed, 04 Nov 2026 12:12:12 +0000",
        "Message-ID: <calendar-8e2f0c4a-1b3d-4e5f-a6b7-c8d9e0f1a2b3@google.example>",
    ], body))
    entry("cal02_gcal_request.eml", "calendar/google",
          "Google Calendar invitation: multipart/mixed(alternative(text, html, text/calendar REQUEST), "
          "invite.ics); the organizer is also an ACCEPTED attendee, a colleague at the sender's domain "
          "is invited, an EMAIL alarm names the organizer, the Meet block carries base64 eid/tok",
          addr, ["Wrzesniewski", "wrzesniewski-studio.example", "mielczarek"],
          [subject.split(" @")[0].replace("Invitation: ", ""), "KEEP-CAL-02-invite-text",
           "KEEP-CAL-02-invite-note", "carla@rinaldi-partners.example", "qzv-ktbn-xwe"],
          "The sender published the invitation: ORGANIZER becomes the relay identity; the sender's own "
          "ATTENDEE line and the colleague at the sender's domain (which names their employer) are "
          "dropped, as is the e-mail alarm; the external guest, the Meet link and the summary stay. "
          "Both copies (inline and invite.ics) must be cleaned.",
          {"Wrzesniewski": "calendar_organizer", "mielczarek": "calendar_colleague"})


def cal03():
    name, addr = "Ingrid Solheimsvik", "ingrid.solheimsvik@solheim-design.example"
    ics = fold("""BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REPLY
BEGIN:VEVENT
DTSTART:20261124T090000Z
DTEND:20261124T100000Z
DTSTAMP:20261106T074501Z
ORGANIZER;CN=Bob:mailto:bob@example.com
UID:3k9d1s7f5h2j8l4q6w0e@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Ingrid Solheimsvik;X-NUM-GUESTS=0:mailto:ingrid.solheimsvik@solheim-design.example
CREATED:20261102T140000Z
DESCRIPTION:KEEP-CAL-03-accepted-note
LAST-MODIFIED:20261106T074501Z
LOCATION:
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Lighting plan walkthrough
TRANSP:OPAQUE
END:VEVENT
END:VCALENDAR
""")
    text = "Ingrid Solheimsvik has accepted this invitation.\n\nLighting plan walkthrough\nKEEP-CAL-03-reply-text\n"
    html = ("<html><body><p>Ingrid Solheimsvik has accepted this invitation.</p>"
            "<p>Lighting plan walkthrough</p><p>KEEP-CAL-03-reply-text</p></body></html>")
    body = multipart("alternative", "000000000000a1b2c3d4e5f60718", [
        leaf(['Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes'], text),
        leaf(['Content-Type: text/html; charset="UTF-8"'], html),
        leaf(['Content-Type: text/calendar; charset="UTF-8"; method=REPLY'], ics),
    ])
    subject = "Accepted: Lighting plan walkthrough @ Tue 24 Nov 2026 10am - 11am (CET)"
    write("cal03_gcal_reply.eml", message([
        "From: %s <%s>" % (name, addr),
        "To: " + RCPT,
        "Subject: " + subject,
        "Date: Fri, 6 Nov 2026 07:45:01 +0000",
        "Message-ID: <calendar-1f2e3d4c-5b6a-4789-9a0b-c1d2e3f4a5b6@google.example>",
    ], body))
    entry("cal03_gcal_reply.eml", "calendar/google",
          "Google Calendar iTIP REPLY: the sender is the ATTENDEE (CN + mailto, PARTSTAT=ACCEPTED); "
          "the text and html parts repeat the name ('X has accepted this invitation'), as in "
          "shared/corpus/content/cal02_gcal_itip_reply_attendee.eml",
          addr, ["Solheimsvik", "solheim-design.example"],
          ["Lighting plan walkthrough", "KEEP-CAL-03-reply-text", "KEEP-CAL-03-accepted-note",
           "has accepted this invitation"],
          "In a REPLY the replying attendee is the sender and the organizer (Bob) is the recipient: "
          "the ATTENDEE becomes the relay identity with PARTSTAT kept, the UID (Bob's) stays so his "
          "client matches the reply. The generated 'X has accepted' line in the body parts names the "
          "sender: the anonymiser must use the attendee's CN from the calendar to rewrite it.",
          {"Solheimsvik": "calendar_attendee"}, soft=["Google Calendar 70.9054"])


def cal04():
    name, addr = "Benedikt Oyelaran-Haas", "benedikt@oyelaran-haas.example"
    ics = fold("""BEGIN:VCALENDAR
METHOD:REQUEST
VERSION:2.0
PRODID:-//Apple Inc.//macOS 15.1//EN
CALSCALE:GREGORIAN
X-WR-CALNAME:Benedikt privat
X-APPLE-CALENDAR-COLOR:#CC73E1
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
DTSTART:19810329T020000
TZNAME:CEST
TZOFFSETTO:+0200
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
DTSTART:19961027T030000
TZNAME:CET
TZOFFSETTO:+0100
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
ATTENDEE;CN="Benedikt Oyelaran-Haas";CUTYPE=INDIVIDUAL;EMAIL="benedikt@oyelaran-haas.example";PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:benedikt@oyelaran-haas.example
ATTENDEE;CN="Bob";CUTYPE=INDIVIDUAL;EMAIL="to+bob=example.com@leak.example";PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:to+bob=example.com@leak.example
CREATED:20261103T183355Z
DTEND;TZID=Europe/Berlin:20261121T210000
DTSTAMP:20261103T183512Z
DTSTART;TZID=Europe/Berlin:20261121T190000
LAST-MODIFIED:20261103T183510Z
LOCATION:Caf\\u00e9 Morgenrot\\nLindenhofweg 14\\, 10437 Berlin
ORGANIZER;CN="Benedikt Oyelaran-Haas";EMAIL="benedikt@oyelaran-haas.example":mailto:benedikt@oyelaran-haas.example
SEQUENCE:0
SUMMARY:Board game night
DESCRIPTION:KEEP-CAL-04-bring-snacks
TRANSP:OPAQUE
UID:8F4C2E1A-6B3D-4A5E-9C7F-0D1E2F3A4B5C
URL;VALUE=URI:
X-APPLE-CREATOR-IDENTITY:com.apple.calendar
X-APPLE-CREATOR-TEAM-IDENTITY:0000000000
X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS="Lindenhofweg 14, 10437 Berlin, Germany";X-APPLE-RADIUS=70.58;X-TITLE="Benedikt home":geo:52.540100,13.412300
X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC
BEGIN:VALARM
ACTION:AUDIO
ATTACH;VALUE=URI:Chord
TRIGGER:-PT15M
UID:E3B6A9C1-2D4F-4E8A-B0C2-D4E6F8A0B2C4
X-APPLE-DEFAULT-ALARM:TRUE
X-WR-ALARMUID:E3B6A9C1-2D4F-4E8A-B0C2-D4E6F8A0B2C4
END:VALARM
END:VEVENT
END:VCALENDAR
""").replace("Caf\\u00e9", "Caf\u00e9")
    text = "KEEP-CAL-04-invite-text\n"
    body = multipart("mixed", "Apple-Mail=_3B2C4D5E-6F70-4182-93A4-B5C6D7E8F901", [
        leaf(['Content-Type: text/plain; charset=utf-8'], text),
        leaf(['Content-Type: text/calendar; charset=utf-8; method=REQUEST; name="iCal-20261103-183512.ics"',
              'Content-Disposition: attachment; filename="iCal-20261103-183512.ics"'], ics, "base64"),
    ])
    write("cal04_apple_request.eml", message([
        "From: %s <%s>" % (name, addr),
        "X-Mailer: Apple Mail (2.3826.200.121)",
        "To: Bob <%s>" % RCPT,
        "Subject: Board game night",
        "Date: Tue, 3 Nov 2026 19:35:12 +0100",
        "Message-Id: <2A6C1B3E-9F0D-4E7A-8B5C-6D1E3F9A0B47@oyelaran-haas.example>",
    ], body))
    entry("cal04_apple_request.eml", "calendar/apple",
          "Apple Calendar (macOS) invitation sent by Mail: text/calendar attachment METHOD=REQUEST with "
          "X-WR-CALNAME naming the sender's calendar, X-APPLE-STRUCTURED-LOCATION with the sender's home "
          "('Benedikt home') and EMAIL= parameters, the organizer also the CHAIR attendee",
          addr, ["Oyelaran", "benedikt", "oyelaran-haas.example"],
          ["Board game night", "KEEP-CAL-04-invite-text", "KEEP-CAL-04-bring-snacks", "Morgenrot"],
          "ORGANIZER (with EMAIL=) becomes the relay identity, the sender's CHAIR attendee line goes, "
          "X-WR-CALNAME and X-APPLE-* (structured location titled with the sender's name) go; the "
          "event, its plain LOCATION and the audio alarm stay.",
          {"benedikt": "calendar_name"})


def cal05():
    name, addr = "Ma\u00eblle Kerjean-Duval", "mk@kerjean-atelier.example"
    invited = "maelle.kerjean@kerjean-atelier.example"
    ics = fold("""BEGIN:VCALENDAR
PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN
VERSION:2.0
METHOD:REPLY
BEGIN:VTIMEZONE
TZID:Europe/Paris
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
CREATED:20261101T090000Z
LAST-MODIFIED:20261107T161004Z
DTSTAMP:20261107T161004Z
UID:b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e
SUMMARY:Kiln firing schedule
ORGANIZER;CN=Bob:mailto:bob@example.com
ATTENDEE;RSVP=TRUE;CN=Ma\u00eblle Kerjean-Duval;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:%s
DTSTART;TZID=Europe/Paris:20261126T080000
DTEND;TZID=Europe/Paris:20261126T120000
DESCRIPTION:KEEP-CAL-05-kiln-note
SEQUENCE:0
TRANSP:OPAQUE
X-MOZ-RECEIVED-SEQUENCE:0
X-MOZ-RECEIVED-DTSTAMP:20261105T120000Z
X-MOZ-GENERATION:2
X-MOZ-SEND-INVITATIONS:TRUE
X-MOZ-SEND-INVITATIONS-UNDISCLOSED:FALSE
END:VEVENT
END:VCALENDAR
""" % invited)
    text = "Accepted: Kiln firing schedule\nKEEP-CAL-05-reply-text\n"
    alt = multipart("alternative", "------------aB3cD4eF5gH6iJ7kL8mN9oP0", [
        leaf(["Content-Type: text/plain; charset=UTF-8"], text),
        leaf(["Content-Type: text/calendar; method=REPLY; charset=UTF-8"], ics, "8bit"),
    ])
    body = multipart("mixed", "------------qR1sT2uV3wX4yZ5aB6cD7eF8", [
        alt,
        leaf(['Content-Type: application/ics; name="invite.ics"',
              'Content-Disposition: attachment; filename="invite.ics"'], ics.encode(), "base64"),
    ], preamble="This is a multi-part message in MIME format.\n")
    write("cal05_thunderbird_reply.eml", message([
        "From: %s <%s>" % ("=?UTF-8?Q?Ma=C3=ABlle_Kerjean-Duval?=", addr),
        "To: Bob <%s>" % RCPT,
        "Subject: Accepted: Kiln firing schedule",
        "Date: Sat, 7 Nov 2026 17:10:04 +0100",
        "Message-ID: <7e8f9a0b-1c2d-4e3f-a4b5-c6d7e8f9a0b1@kerjean-atelier.example>",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: fr",
    ], body))
    entry("cal05_thunderbird_reply.eml", "calendar/thunderbird",
          "Thunderbird (Lightning) REPLY sent from an alias: the ATTENDEE is the invited address "
          "(maelle.kerjean@), not the envelope address (mk@); inline text/calendar plus invite.ics; X-MOZ-*",
          addr, ["Kerjean", "maelle", "kerjean-atelier.example"],
          ["Kiln firing schedule", "KEEP-CAL-05-reply-text", "KEEP-CAL-05-kiln-note"],
          "The replying attendee cannot be matched by address (the reply went out from an alias), "
          "but a REPLY carries only the replier (RFC 5546 section 3.2.3): rewrite that ATTENDEE to "
          "the relay identity, keep PARTSTAT, Bob's ORGANIZER and UID; drop X-MOZ-*.",
          {"maelle": "calendar_attendee_alias"})


def cal06():
    name, addr = "Radomir Vukasinovic", "r.vukasinovic@vukasinovic-eng.example"
    ics = fold("""BEGIN:VCALENDAR
METHOD:COUNTER
PRODID:Microsoft Exchange Server 2019
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Central Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER;CN=Bob:mailto:bob@example.com
ATTENDEE;PARTSTAT=TENTATIVE;CN=Radomir Vukasinovic:mailto:r.vukasinovic@vukasinovic-eng.example
COMMENT;LANGUAGE=en-US:KEEP-CAL-06-proposal: Thursday works better for the load tests.\\n
UID:040000008200E00074C5B7101A82E008000000007E2F5A9D3C4BDC01000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90
SUMMARY;LANGUAGE=en-US:Bridge load test planning
DTSTART;TZID=Central Europe Standard Time:20261127T093000
DTEND;TZID=Central Europe Standard Time:20261127T103000
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:20261108T083000Z
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:1
LOCATION;LANGUAGE=en-US:Site office
X-MICROSOFT-CDO-APPT-SEQUENCE:1
X-MICROSOFT-CDO-OWNERAPPTID:-1998765432
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE
X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MS-OLK-ORIGINALSTART:20261126T093000
X-MS-OLK-ORIGINALEND:20261126T103000
X-MS-OLK-SENDER;CN=Radomir Vukasinovic:mailto:r.vukasinovic@vukasinovic-eng.example
END:VEVENT
END:VCALENDAR
""")
    text = "New time proposed: Bridge load test planning\nKEEP-CAL-06-counter-text\n"
    html = "<html><body><p>New time proposed: Bridge load test planning</p><p>KEEP-CAL-06-counter-text</p></body></html>"
    subject = "New Time Proposed: Bridge load test planning"
    body = multipart("alternative", "_000_VI1PR08MB5325A1B2C3D4E5F6VI1PR08MB5325eurp_", [
        leaf(['Content-Type: text/plain; charset="us-ascii"'], text, "quoted-printable"),
        leaf(['Content-Type: text/html; charset="us-ascii"'], html, "quoted-printable"),
        leaf(['Content-Type: text/calendar; charset="utf-8"; method=COUNTER'], ics, "base64"),
    ])
    write("cal06_outlook_counter.eml", message(outlook_headers(
        name, addr, subject, "Sun, 8 Nov 2026 08:30:00 +0000",
        "VI1PR08MB5325A1B2C3D4E5F6A7B8C9D0E1F2A3B4@VI1PR08MB5325.eurprd08.prod.outlook.example"), body))
    entry("cal06_outlook_counter.eml", "calendar/outlook",
          "Outlook 'Propose New Time': METHOD=COUNTER, the proposing ATTENDEE is the sender, "
          "X-MS-OLK-ORIGINALSTART/END and X-MS-OLK-SENDER, the note in COMMENT",
          addr, ["Vukasinovic", "vukasinovic-eng.example"],
          [subject, "KEEP-CAL-06-counter-text", "KEEP-CAL-06-proposal", "Bridge load test planning"],
          "A COUNTER is sent by an attendee to the organizer (Bob): the proposing ATTENDEE becomes the "
          "relay identity, X-MS-OLK-SENDER goes, the UID (Bob's) and the proposed times stay.",
          {"Vukasinovic": "calendar_attendee"})


def cal07():
    name, addr = "Yusuf Demirtas-Lange", "yusuf@demirtas-lange.example"
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Demirtas-Lange Family//Event Export 2.1//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Yusuf Demirtas-Lange - Familie")
    cal.add("x-wr-timezone", "Europe/Berlin")
    ev = icalendar.Event()
    ev.add("uid", "20261109T101010Z-4711@demirtas-lange.example")
    ev.add("dtstamp", datetime.datetime(2026, 11, 9, 10, 10, 10, tzinfo=datetime.timezone.utc))
    ev.add("created", datetime.datetime(2026, 11, 1, 8, 0, 0, tzinfo=datetime.timezone.utc))
    ev.add("dtstart", datetime.date(2026, 12, 12))
    ev.add("dtend", datetime.date(2026, 12, 13))
    ev.add("summary", "Neighbourhood flea market")
    ev.add("description", "KEEP-CAL-07-stall-note. Questions: yusuf@demirtas-lange.example")
    ev.add("location", "Schulhof Kastanienallee")
    org = icalendar.vCalAddress("mailto:" + addr)
    org.params["cn"] = icalendar.vText(name)
    ev["organizer"] = org
    ev.add("contact", "%s, +49 30 5550 7788" % name)
    ev.add("attach", "https://drive.demirtas-lange.example/s/flyer-yusuf.pdf")
    cal.add_component(ev)
    ics = cal.to_ical()
    text = "Hi Bob, the date for your calendar.\nKEEP-CAL-07-body\n"
    body = multipart("mixed", "=_b7c8d9e0f1a2b3c4d5e6f7a8", [
        leaf(["Content-Type: text/plain; charset=UTF-8; format=flowed"], text),
        leaf(['Content-Type: text/calendar; charset=UTF-8; method=PUBLISH; name="flohmarkt.ics"',
              'Content-Disposition: attachment; filename="flohmarkt.ics"'], ics, "base64"),
    ])
    write("cal07_ics_attachment_publish.eml", message([
        "From: %s <%s>" % (name, addr),
        "To: " + RCPT,
        "Subject: Flea market date",
        "Date: Mon, 9 Nov 2026 11:10:10 +0100",
        "Message-ID: <c0ffee12-3456-4789-abcd-ef0123456789@demirtas-lange.example>",
        "User-Agent: Roundcube Webmail/1.6.9",
    ], body))
    entry("cal07_ics_attachment_publish.eml", "calendar/ics-export",
          "An exported .ics attached to a webmail message (python-icalendar, METHOD=PUBLISH): "
          "ORGANIZER CN=sender, X-WR-CALNAME with the sender's name, CONTACT with name and phone, "
          "ATTACH link into the sender's drive, a UID at the sender's domain",
          addr, ["Demirtas", "yusuf", "demirtas-lange.example", "5550 7788"],
          ["Flea market date", "KEEP-CAL-07-body", "KEEP-CAL-07-stall-note", "Neighbourhood flea market",
           "Kastanienallee"],
          "A published event: ORGANIZER becomes the relay identity, X-WR-CALNAME and the ATTACH link "
          "go, the UID (at the sender's domain) is replaced, the sender's address in DESCRIPTION "
          "becomes the relay address. CONTACT names the sender with a phone number: a careful "
          "anonymiser drops it.",
          {"5550 7788": "calendar_contact"})


def teams_block(html):
    """The block Teams writes into an invitation whose organizer's Teams is
    in German, as text (html=False) or HTML, after Teams's template."""
    join = ("https://teams.microsoft.com/l/meetup-join/19%3ameeting_OGRkYzE3ZTItNjQ4Ni00ZDlmLWI1MjAtNzRhMDI3ZGQ5OTZm"
            "%40thread.v2/0?context=%7b%22Tid%22%3a%226c1f0e2b-88a4-4d1e-9b7a-3f5e2d1c0b9a%22%2c%22Oid%22%3a"
            "%22d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70%22%7d")
    options = ("https://teams.microsoft.com/meetingOptions/?organizerId=d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70"
               "&tenantId=6c1f0e2b-88a4-4d1e-9b7a-3f5e2d1c0b9a&threadId=19_meeting_OGRkYzE3@thread.v2&messageId=0&language=de-DE")
    dialin = "https://dialin.teams.microsoft.com/6c1f0e2b-88a4-4d1e-9b7a-3f5e2d1c0b9a?id=517304882"
    sep = "_" * 80
    if not html:
        return "\n".join([
            sep,
            "Microsoft Teams Ben\u00f6tigen Sie Hilfe?<https://aka.ms/JoinTeamsMeeting?omkt=de-DE>",
            "Besprechung jetzt beitreten<%s>" % join,
            "Besprechungs-ID: 371 552 908 114",
            "Kennung: Qd3Rm8",
            "_" * 32,
            "Einwahl per Telefon",
            "+49 69 365052751,,517304882#<tel:+4969365052751,,517304882#> Deutschland, Frankfurt am Main",
            "Lokale Nummer suchen<%s>" % dialin,
            "Konferenz-ID: 517 304 882#",
            "F\u00fcr Organisatoren: Besprechungsoptionen<%s> | PIN f\u00fcr Einwahl zur\u00fccksetzen"
            "<https://dialin.teams.microsoft.com/usp/pstnconferencing>" % options,
            "Ben\u00f6tigen Sie Hilfe?<https://aka.ms/JoinTeamsMeeting?omkt=de-DE> | Systemreferenz"
            "<https://teams.microsoft.com/l/meeting-join-help?omkt=de-DE>",
            sep]) + "\n"
    amp = lambda u: u.replace("&", "&amp;")
    line = '<div style="width:100%%;height:20px"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36">%s</span></div>' % sep
    return (line +
            '<div class="me-email-text" lang="de-DE" style="color:#242424;font-family:\'Segoe UI\'">'
            '<div style="margin-top:24px;margin-bottom:20px"><span style="font-size:24px;font-weight:700">Microsoft Teams</span> '
            '<a href="https://aka.ms/JoinTeamsMeeting?omkt=de-DE" class="me-email-headline">Ben\u00f6tigen Sie Hilfe?</a></div>'
            '<div style="margin-bottom:6px"><a class="me-email-headline" href="%s" target="_blank" rel="noreferrer noopener">'
            'Besprechung jetzt beitreten</a></div>'
            '<div><span class="me-email-text-secondary">Besprechungs-ID: </span><span class="me-email-text">371 552 908 114</span></div>'
            '<div><span class="me-email-text-secondary">Kennung: </span><span class="me-email-text">Qd3Rm8</span></div>'
            '<div><span class="me-email-text-secondary">Einwahl per Telefon</span></div>'
            '<div><a class="me-email-link" href="tel:+4969365052751,,517304882#">+49 69 365052751,,517304882#</a>'
            '<span> Deutschland, Frankfurt am Main</span></div>'
            '<div><a class="me-email-link" href="%s">Lokale Nummer suchen</a></div>'
            '<div><span class="me-email-text-secondary">F\u00fcr Organisatoren: </span><a class="me-email-link" href="%s">'
            'Besprechungsoptionen</a></div>'
            '<div><a class="me-email-link" href="https://aka.ms/JoinTeamsMeeting?omkt=de-DE">Ben\u00f6tigen Sie Hilfe?</a> | '
            '<a class="me-email-link" href="https://teams.microsoft.com/l/meeting-join-help?omkt=de-DE">Systemreferenz</a></div>'
            '</div>' % (amp(join), amp(dialin), amp(options)) + line)


def cal12():
    name, addr = "Mareike Tiedemann", "m.tiedemann@kruk-logistik.example"
    block = teams_block(False)
    desc = ("KEEP-CAL-12-agenda: route planning for Q1.\n\n" + block).replace("\\", "\\\\").replace(
        ";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    ics = fold("""BEGIN:VCALENDAR
METHOD:REQUEST
PRODID:Microsoft Exchange Server 2019
VERSION:2.0
BEGIN:VEVENT
ORGANIZER;CN=Mareike Tiedemann:mailto:m.tiedemann@kruk-logistik.example
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob:mailto:to+bob=example.com@leak.example
DESCRIPTION;LANGUAGE=en-US:%s
UID:040000008200E00074C5B7101A82E00800000000D1A2B3C4D5E6DC0100000000000000001000000077A1B2C3D4E5F60718293A4B5C6D7E8F
SUMMARY;LANGUAGE=en-US:Route planning
DTSTART:20261124T130000Z
DTEND:20261124T140000Z
DTSTAMP:20261105T101530Z
URL:https://mail.kruk-logistik.example/owa/calendar/4f1c3b2a@kruk-logistik.example/9a8b7c6d/calendar.html
LOCATION;LANGUAGE=en-US:Microsoft Teams-Besprechung
X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/meetup-join/19%%3ameeting_OGRkYzE3%%40thread.v2/0
X-MICROSOFT-ONLINEMEETINGCONFLINK:conf:sip:m.tiedemann@kruk-logistik.example
END:VEVENT
END:VCALENDAR
""" % desc)
    text = "KEEP-CAL-12-agenda: route planning for Q1.\n\n" + block + "\nKEEP-CAL-12-body\n"
    html = ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>"
            "<div>KEEP-CAL-12-agenda: route planning for Q1.</div><div><br></div>" + teams_block(True) +
            "<div>KEEP-CAL-12-body</div></body></html>\n")
    subject = "Route planning"
    body = multipart("alternative", "_000_DB9PR03MB7450D1A2B3C4D5E6DB9PR03MB7450eurp_", [
        leaf(['Content-Type: text/plain; charset="utf-8"'], text, "base64"),
        leaf(['Content-Type: text/html; charset="utf-8"'], html, "base64"),
        leaf(['Content-Type: text/calendar; charset="utf-8"; method=REQUEST'], ics, "base64"),
    ])
    write("cal12_outlook_teams_request.eml", message(outlook_headers(
        name, addr, subject, "Thu, 5 Nov 2026 10:15:30 +0000",
        "DB9PR03MB7450D1A2B3C4D5E6F70718293A4B5C6D@DB9PR03MB7450.eurprd03.prod.outlook.example"), body))
    entry("cal12_outlook_teams_request.eml", "calendar/outlook",
          "Outlook meeting request with a Teams meeting whose organizer's Teams is in German: the Teams block "
          "in the text part, the HTML part (div.me-email-text) and DESCRIPTION, and an OWA calendar URL",
          addr, ["Tiedemann", "kruk-logistik", "6c1f0e2b", "d4e5f6a7", "Ben\u00f6tigen", "Besprechung jetzt",
                 "Kennung", "Systemreferenz", "Frankfurt", "omkt", "de-DE"],
          [subject, "KEEP-CAL-12-agenda", "KEEP-CAL-12-body",
           "https://teams.microsoft.com/l/meetup-join/19%3ameeting_OGRkYzE3ZTItNjQ4Ni00ZDlmLWI1MjAtNzRhMDI3ZGQ5OTZm%40thread.v2/0"],
          "The Teams block is labelled in the organizer's Teams language, not the invitation's, and its links "
          "carry the tenant (Tid), the organizer's directory id (Oid, organizerId) and language (omkt); the OWA "
          "URL is at the sender's domain. In all three parts the block becomes its join link, without context; "
          "the URL goes; the agenda and the body stay.",
          {"Tiedemann": "calendar_organizer", "6c1f0e2b": "teams_tenant", "d4e5f6a7": "teams_organizer"})


def google_guest(name, addr, note=""):
    if not addr:
        return ('<div style="padding-bottom:4px"><span class="primary-text notranslate">%s</span>'
                '<span class="secondary-text"> - %s</span></div>' % (name, note))
    return ('<div style="padding-bottom:4px"><span itemprop="attendee" itemscope '
            'itemtype="http://schema.org/Person"><span itemprop="name" class="notranslate">'
            '<a class="primary-text underline-on-hover" style="display:inline-block;color:#3c4043" '
            'href="mailto:%s">%s</a></span><meta itemprop="email" content="%s"/></span>%s</div>'
            % (addr, name, addr, '<span class="secondary-text"> - %s</span>' % note if note else ""))


def cal13():
    # The organizer booked a room of their Google Workspace: the room is an
    # ATTENDEE with CUTYPE=RESOURCE at resource.calendar.google.com, named
    # after the organisation's domain, and LOCATION is the building's
    # address with the floor and room after it, as Google writes it. The
    # text and HTML bodies follow Google's invitation template: a Location
    # section (the address, a "View map" Maps search) and the room among
    # the guests. (Google also links the organizer's address there, which
    # Leak refuses on its own; it is left out to test the rooms.)
    name, addr = "Zofia Kaczmarczyk", "zofia.kaczmarczyk@kaczmarczyk-legal.example"
    room = "Warsaw-Office-3-Kasztan (8) [TV]"
    room_addr = "kaczmarczyk-legal.example_3834373931353236@resource.calendar.google.com"
    location = "Warsaw Office, Z\u0142ota 59, 00-120 Warszawa, Poland-3-Kasztan (8) [TV]"
    maps = ("https://www.google.com/maps/search/Warsaw+Office,+Z%C5%82ota+59,+00-120+Warszawa,"
            "+Poland-3-Kasztan+(8)+%5BTV%5D?hl=en")
    eventid = "7h2k9m4p1q8r3s6t0v5w2x7y9z"
    ics = fold("""BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REQUEST
BEGIN:VEVENT
DTSTART:20261126T130000Z
DTEND:20261126T140000Z
DTSTAMP:20261110T091500Z
ORGANIZER;CN=%(name)s:mailto:%(addr)s
UID:%(eventid)s@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=%(name)s;X-NUM-GUESTS=0:mailto:%(addr)s
ATTENDEE;CUTYPE=RESOURCE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=%(room)s;X-NUM-GUESTS=0:mailto:%(room_addr)s
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Carla Rinaldi;X-NUM-GUESTS=0:mailto:carla@rinaldi-partners.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=to+bob=example.com@leak.example;X-NUM-GUESTS=0:mailto:to+bob=example.com@leak.example
CREATED:20261110T091400Z
DESCRIPTION:KEEP-CAL-13-invite-note
LAST-MODIFIED:20261110T091459Z
LOCATION:%(loc)s
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Contract review
TRANSP:OPAQUE
END:VEVENT
END:VCALENDAR
""" % {"name": name, "addr": addr, "eventid": eventid, "room": room, "room_addr": room_addr,
       "loc": location.replace(",", "\\,")})
    view = "https://calendar.google.example/calendar/event?action=VIEW&eid=%s" % eventid
    text = ("Contract review\nThursday Nov 26, 2026 \u22c5 2pm \u2013 3pm\n"
            "Central European Time - Warsaw\n\n"
            "Location\n%s\t\n%s\n\n"
            "KEEP-CAL-13-invite-text\n\n"
            "Guests\n%s - organizer\nCarla Rinaldi\n%s\nto+bob=example.com@leak.example\n"
            "View all guest info %s\n\n"
            "Reply for to+bob=example.com@leak.example\n\n"
            "Invitation from Google Calendar\n" % (location, maps, name, room, view))
    html = ("<!doctype html><html><head><meta charset=\"UTF-8\"></head><body>"
            "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr><td>"
            "<span itemscope itemtype=\"http://schema.org/Event\">"
            "<h2 class=\"primary-text\" itemprop=\"name\">Contract review</h2>"
            "<table><tr><td><h3 class=\"secondary-text\">When</h3></td></tr>"
            "<tr><td><span class=\"primary-text\">Thursday Nov 26, 2026 \u22c5 2pm \u2013 3pm "
            "(Central European Time - Warsaw)</span></td></tr></table>"
            "<table><tr><td><h3 class=\"secondary-text\">Location</h3></td></tr>"
            "<tr><td><span class=\"primary-text notranslate\" itemprop=\"location\" itemscope "
            "itemtype=\"http://schema.org/Place\"><span itemprop=\"name\">%(loc)s</span>"
            "<meta itemprop=\"address\" content=\"%(loc)s\"/></span> "
            "<a href=\"%(maps)s\" class=\"accent-text underline-on-hover\" target=\"_blank\">View map</a>"
            "</td></tr></table>"
            "<p>KEEP-CAL-13-invite-text</p>"
            "<table><tr><td><h3 class=\"secondary-text\">Guests</h3></td></tr><tr><td>"
            "%(guests)s"
            "<a href=\"%(view)s\" class=\"accent-text underline-on-hover\">View all guest info</a>"
            "</td></tr></table>"
            "</span></td></tr></table>"
            "<p>Invitation from Google Calendar</p></body></html>") % {
        "loc": location, "maps": maps.replace("&", "&amp;"), "view": view.replace("&", "&amp;"),
        "guests": (google_guest(name, None, "organizer") + google_guest("Carla Rinaldi", "carla@rinaldi-partners.example")
                   + google_guest(room, room_addr) + google_guest(RCPT, RCPT))}
    subject = "Invitation: Contract review @ Thu 26 Nov 2026 2pm - 3pm (CET) (to+bob=example.com@leak.example)"
    alt = multipart("alternative", "00000000000071c2a505f3b9d4e1", [
        leaf(['Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes'], text, "base64"),
        leaf(['Content-Type: text/html; charset="UTF-8"'], html, "base64"),
        leaf(['Content-Type: text/calendar; charset="UTF-8"; method=REQUEST'], ics, "base64"),
    ])
    body = multipart("mixed", "00000000000071c2a305f3b9d4df", [
        alt,
        leaf(['Content-Type: application/ics; name="invite.ics"',
              'Content-Disposition: attachment; filename="invite.ics"'], ics.encode(), "base64"),
    ])
    write("cal13_gcal_room_request.eml", message([
        "From: %s <%s>" % (name, addr),
        "Reply-To: %s <%s>" % (name, addr),
        "Sender: Google Calendar <calendar-notification@google.example>",
        "To: " + RCPT,
        "Subject: " + subject,
        "Date: Tue, 10 Nov 2026 09:15:00 +0000",
        "Message-ID: <calendar-3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f@google.example>",
    ], body))
    entry("cal13_gcal_room_request.eml", "calendar/google",
          "Google Calendar invitation whose organizer booked a room of their Workspace: the room is a "
          "CUTYPE=RESOURCE attendee at <domain>_<id>@resource.calendar.google.com, LOCATION is the "
          "building's address with the floor and room after it; the text and HTML bodies follow "
          "Google's template (Location with a 'View map' Maps search, the room among the guests)",
          addr, ["Kaczmarczyk", "kaczmarczyk-legal.example", "Kasztan", "Z\u0142ota 59", "00-120",
                 "3834373931353236", "resource.calendar.google.com", "Warszawa"],
          ["Contract review", "KEEP-CAL-13-invite-text", "KEEP-CAL-13-invite-note",
           "carla@rinaldi-partners.example", "Carla Rinaldi", "Guests"],
          "The room the sender booked and the building's address Google writes before it are the "
          "sender's office: they go from the calendar (the room's ATTENDEE, LOCATION) and from both "
          "bodies (the location line and its Maps link, the room's guest entry and its resource "
          "address); the other guests, the summary and the texts stay.",
          {"Kasztan": "calendar_room", "Z\u0142ota 59": "calendar_location"})


def vcf08():
    name, addr = "Wiebke Hollander-Stein", "w.hollander@hollander-stein.example"
    own = ("begin:vcard\nfn:Wiebke Hollander-Stein\nn:Hollander-Stein;Wiebke\n"
           "org:Hollander & Stein Architekten\nadr:;;M\u00fchlenstra\u00dfe 9;L\u00fcbeck;;23552;Germany\n"
           "email;internet:w.hollander@hollander-stein.example\ntitle:Partnerin\ntel;cell:+49 151 5550 2468\n"
           "x-mozilla-html:FALSE\nurl:https://hollander-stein.example/team/whollander\nversion:2.1\nend:vcard\n\n")
    card = vobject.vCard()
    card.add("fn").value = "Jonas Brandt"
    card.add("n").value = vobject.vcard.Name(family="Brandt", given="Jonas")
    card.add("org").value = ["Elektro Brandt GmbH"]
    tel = card.add("tel")
    tel.value = "+49 40 5550 1357"
    tel.type_param = "WORK"
    em = card.add("email")
    em.value = "kontakt@elektro-brandt.example"
    em.type_param = "INTERNET"
    card.add("note").value = "KEEP-CAL-08-electrician-card"
    third = card.serialize()
    text = "Hallo Bob,\n\nhere is the electrician for the kitchen.\nKEEP-CAL-08-body\n"
    body = multipart("mixed", "------------Hs7Kd2Lq9Wm4Xp6Zr1Tv3Ny8", [
        leaf(["Content-Type: text/plain; charset=UTF-8; format=flowed"], text),
        leaf(['Content-Type: text/vcard; charset=UTF-8; name="Jonas Brandt.vcf"',
              'Content-Disposition: attachment; filename="Jonas Brandt.vcf"'], third, "base64"),
        leaf(['Content-Type: text/x-vcard; charset=UTF-8; name="whollander.vcf"',
              'Content-Disposition: attachment; filename="whollander.vcf"'], crlf(own), "base64"),
    ], preamble="This is a multi-part message in MIME format.\n")
    write("vcf08_thunderbird_own_and_third_card.eml", message([
        "From: %s <%s>" % (name, addr),
        "To: Bob <%s>" % RCPT,
        "Subject: Electrician contact",
        "Date: Tue, 10 Nov 2026 18:02:33 +0100",
        "Message-ID: <5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f@hollander-stein.example>",
        "User-Agent: Mozilla Thunderbird",
    ], body))
    entry("vcf08_thunderbird_own_and_third_card.eml", "contacts/thunderbird",
          "Thunderbird 'Attach my vCard': the sender's own old-style lower-case vCard 2.1 (text/x-vcard, "
          "email;internet = the sender) beside a forwarded third-party vCard 3.0 made by vobject",
          addr, ["Hollander", "w.hollander", "hollander-stein.example", "5550 2468", "Mühlenstraße 9"],
          ["Electrician contact", "KEEP-CAL-08-body", "KEEP-CAL-08-electrician-card", "Jonas Brandt",
           "Elektro Brandt GmbH"],
          "The own card is attached by the client on every message: the card whose EMAIL is the sender's "
          "address is dropped with its part (and the file name naming the sender goes with it); the "
          "third-party card is content and stays byte for byte.",
          {"Hollander": "sender_vcard"})


def vcf09():
    name, addr = "Priyanka Raghunathan", "priyanka.r@raghunathan-consult.example"
    card = ("BEGIN:VCARD\nVERSION:3.0\nPRODID:-//Apple Inc.//iPhone OS 18.1//EN\nN:Fenwick;Lucia;;Dr.;\n"
            "FN:Dr. Lucia Fenwick\nORG:Fenwick Dental Practice;\nTITLE:Dentist\n"
            "item1.EMAIL;type=INTERNET;type=pref:lucia@fenwick-dental.example\nitem1.X-ABLabel:_$!<Other>!$_\n"
            "TEL;type=CELL;type=VOICE;type=pref:+44 20 7946 0321\n"
            "item2.ADR;type=WORK;type=pref:;;12 Harley Lane;London;;W1G 9QD;United Kingdom\n"
            "item2.X-ABADR:gb\nNOTE:KEEP-CAL-09-dentist-card\nEND:VCARD\n")
    text = "Here's the dentist I told you about\nKEEP-CAL-09-body\n\nSent from my iPhone\n"
    body = multipart("mixed", "Apple-Mail-7F3E2D1C-0B9A-4857-A6C5-D4E3F2A1B0C9", [
        leaf(["Content-Type: text/plain; charset=us-ascii"], text),
        leaf(['Content-Type: text/vcard; name="Dr. Lucia Fenwick.vcf"',
              'Content-Disposition: attachment; filename="Dr. Lucia Fenwick.vcf"'], crlf(card), "base64"),
    ])
    write("vcf09_ios_shared_contact.eml", message([
        "From: %s <%s>" % (name, addr),
        "To: " + RCPT,
        "Subject: Dentist",
        "Date: Wed, 11 Nov 2026 08:41:17 +0000",
        "Message-Id: <9B8A7C6D-5E4F-4321-A0B9-C8D7E6F5A4B3@raghunathan-consult.example>",
        "X-Mailer: iPhone Mail (22B83)",
    ], body))
    entry("vcf09_ios_shared_contact.eml", "contacts/ios",
          "iOS Contacts 'Share Contact' via Mail: a third party's vCard 3.0 with Apple item groups "
          "(item1.EMAIL, X-ABLabel) and PRODID; the sender's identity is only in the headers",
          addr, ["Raghunathan", "priyanka", "raghunathan-consult.example"],
          ["Dentist", "KEEP-CAL-09-body", "KEEP-CAL-09-dentist-card", "Lucia Fenwick", "fenwick-dental.example"],
          "A shared contact is content the sender chose to send: the card is not the sender's and must "
          "stay whole. 'Sent from my iPhone' is a device fingerprint for the text cleaner.",
          soft=["Sent from my iPhone"])


def tnef10():
    name, addr = "Hendrika Oudeman", "h.oudeman@oudeman-advies.example"
    sent = datetime.datetime(2026, 11, 12, 9, 30, 0)
    subject = "Quote for the roof insulation"
    text = ("Dear Bob,\r\n\r\nplease find the quote and my notes attached.\r\nKEEP-CAL-10-tnef-body\r\n")
    pdf = tiny_pdf("KEEP-CAL-10-quote-pdf")
    atts = [
        {"name": "Offerte 2027.pdf", "short": "OFFERT~1.PDF", "data": pdf, "mime": "application/pdf",
         "path": "C:\\Users\\houdeman\\Documents\\Offertes\\Offerte 2027.pdf"},
        {"name": "notes.txt", "short": "notes.txt", "data": b"KEEP-CAL-10-notes-txt\r\nR-value 6.0\r\n",
         "path": "C:\\Users\\houdeman\\Desktop\\notes.txt"},
    ]
    rtf = (b"{\\rtf1\\ansi\\ansicpg1252\\fromtext \\fbidis \\deff0{\\fonttbl\r\n{\\f0\\fswiss Arial;}}\r\n"
           b"{\\*\\generator Microsoft Exchange Server;}\r\n\\viewkind5\\viewscale100\r\n"
           b"{\\*\\bkmkstart BM_BEGIN}\\pard\\plain\\f0\\fs20 Dear Bob,\\par\\par please find the quote and my "
           b"notes attached.\\par KEEP-CAL-10-tnef-body\\par\r\n}")
    w = tnef(name, addr, subject, sent, body=text.replace("\r\n", "\n").replace("\n", "\r\n"), rtf=rtf,
             attachments=atts)
    plain = "Dear Bob,\n\nplease find the quote and my notes attached.\nKEEP-CAL-10-tnef-body\n"
    body = multipart("mixed", "_000_DB9PR04MB8412C0D1E2F3A4B5DB9PR04MB8412eurp_", [
        leaf(['Content-Type: text/plain; charset="us-ascii"'], plain, "quoted-printable"),
        leaf(['Content-Type: application/ms-tnef; name="winmail.dat"',
              'Content-Disposition: attachment; filename="winmail.dat"'], w, "base64"),
    ])
    write("tnef10_outlook_winmail_attachments.eml", message(outlook_headers(
        name, addr, subject, "Thu, 12 Nov 2026 09:30:00 +0000",
        "DB9PR04MB8412C0D1E2F3A4B5C6D7E8F9A0B1C2D3@DB9PR04MB8412.eurprd04.prod.outlook.example",
        ["X-MS-Has-Attach: yes", "X-MS-TNEF-Correlator: <DB9PR04MB8412C0D1E2F3A4B5@DB9PR04MB8412>"]), body))
    entry("tnef10_outlook_winmail_attachments.eml", "tnef/outlook",
          "Outlook/Exchange winmail.dat: attFrom triples, PR_SENDER_NAME_W, PR_SENT_REPRESENTING_*, "
          "PR_SENDER_SMTP_ADDRESS_W and the InternetAccountName named property (UTF-16LE), PR_BODY_W and "
          "PR_RTF_COMPRESSED, two attachments (PDF with MIME tag, TXT) with PR_ATTACH_LONG_PATHNAME under "
          "C:\\Users\\<user>",
          addr, ["Oudeman", "h.oudeman", "oudeman-advies.example", "houdeman"],
          [subject, "KEEP-CAL-10-tnef-body", "KEEP-CAL-10-notes-txt", "KEEP-CAL-10-quote-pdf"],
          "TNEF is a serialised MAPI message: the sender's name and address appear in UTF-16 in half a "
          "dozen properties, the attachment paths name their Windows account. Unpack the body and the "
          "two files into ordinary MIME parts and drop the rest of the stream.",
          {"Oudeman": "tnef_sender", "houdeman": "tnef_attach_path"},
          forbidden=["X-MS-TNEF-Correlator"])


def tnef11():
    name, addr = "Cornelis Tjeenkema", "c.tjeenkema@tjeenkema-notariaat.example"
    sent = datetime.datetime(2026, 11, 13, 14, 5, 0)
    subject = "Signing appointment"
    rtf = (b"{\\rtf1\\ansi\\ansicpg1252\\deff0\\nouicompat\\deflang1043{\\fonttbl{\\f0\\fswiss\\fcharset0 "
           b"Calibri;}}\r\n{\\colortbl ;\\red31\\green73\\blue125;}\r\n"
           b"{\\*\\generator Riched20 10.0.19041}\\viewkind4\\uc1 \r\n"
           b"\\pard\\sa200\\sl276\\slmult1\\f0\\fs22 Dear Bob,\\par\r\n"
           b"the deed is ready; we can sign on Friday at ten.\\par\r\n"
           b"\\b KEEP-CAL-11-rtf-body\\b0\\par\r\n"
           b"\\cf1 Kind regards\\cf0\\par\r\n}\r\n")
    atts = [{"name": "checklist.txt", "short": "CHECKL~1.TXT",
             "data": b"KEEP-CAL-11-checklist\r\n1. passport\r\n2. deed draft\r\n"}]
    w = tnef(name, addr, subject, sent, rtf=rtf, attachments=atts)
    assert lzfu_decompress(lzfu_compress(rtf)) == rtf
    plain = "Dear Bob,\nthe deed is ready; we can sign on Friday at ten.\nKEEP-CAL-11-rtf-body\nKind regards\n"
    body = multipart("mixed", "_000_AS8PR02MB9876F0E1D2C3B4A5AS8PR02MB9876eurp_", [
        leaf(['Content-Type: text/plain; charset="us-ascii"'], plain, "quoted-printable"),
        leaf(['Content-Type: application/ms-tnef; name="winmail.dat"',
              'Content-Disposition: attachment; filename="winmail.dat"'], w, "base64"),
    ])
    write("tnef11_outlook_rtf_only.eml", message(outlook_headers(
        name, addr, subject, "Fri, 13 Nov 2026 14:05:00 +0000",
        "AS8PR02MB9876F0E1D2C3B4A5968778695A4B3C2D@AS8PR02MB9876.eurprd02.prod.outlook.example",
        ["X-MS-Has-Attach: yes", "X-MS-TNEF-Correlator: <AS8PR02MB9876F0E1D2C3B4A5@AS8PR02MB9876>"]), body))
    entry("tnef11_outlook_rtf_only.eml", "tnef/outlook",
          "Outlook in Rich Text mode to an Internet recipient: text/plain rendering plus winmail.dat whose "
          "only body is PR_RTF_COMPRESSED (LZFu, [MS-OXRTFCP]), with the sender's MAPI properties and a "
          "TXT attachment",
          addr, ["Tjeenkema", "c.tjeenkema", "tjeenkema-notariaat.example"],
          [subject, "KEEP-CAL-11-rtf-body", "KEEP-CAL-11-checklist"],
          "The RTF body is compressed, so its text is only reachable by decompressing it; the sender's "
          "name and address sit in UTF-16 MAPI properties beside it. Unpack the RTF body and the "
          "attachment, drop the stream.",
          {"Tjeenkema": "tnef_sender"}, forbidden=["X-MS-TNEF-Correlator"])


def main():
    for f in (cal01, cal02, cal03, cal04, cal05, cal06, cal07, vcf08, vcf09, tnef10, tnef11, cal12, cal13):
        f()
    manifest = {
        "corpus": "content-calendar",
        "version": 1,
        "relay_domain": "leak.example",
        "default_recipient": RCPT,
        "deep_decode": True,
        "matching": "see /work/shared/corpus/README.md; tools/leakcheck.py deep_decode finds the UTF-16 runs of TNEF",
        "messages": ENTRIES,
    }
    with open(os.path.join(HERE, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
