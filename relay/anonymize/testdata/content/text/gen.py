#!/usr/bin/python3
"""Generate the text/HTML content corpus: replies shaped like real mail
clients' output, each carrying what the client added that identifies the
sender (device lines, attributions, signatures, Outlook header blocks,
SafeLinks, local paths, tracking) next to typed text that must survive.

Run with /usr/bin/python3 (standard library only). Writes the .eml files
and manifest.json beside this script. Everything is invented: people,
companies, .example domains.
"""
import binascii
import hashlib
import email.policy
import json
import os
from email.message import EmailMessage

HERE = os.path.dirname(os.path.abspath(__file__))
RCPT = "to+bob=example.com@leak.example"
POLICY = email.policy.SMTP.clone(max_line_length=78)

entries = []


def message(name, frm, subject, msgid, plain=None, html=None, mailer=None, plain_cte="quoted-printable", calendar=None):
    m = EmailMessage(policy=POLICY)
    m["From"] = frm
    m["To"] = "<%s>" % RCPT
    m["Subject"] = subject
    m["Date"] = "Tue, 3 Nov 2026 09:14:22 +0100"
    m["Message-ID"] = msgid
    if mailer:
        k, v = mailer
        m[k] = v
    if plain is not None:
        m.set_content(plain, cte=plain_cte)
        if html is not None:
            m.add_alternative(html, subtype="html", cte="quoted-printable")
            if calendar is not None:
                # Outlook's invitation: the event is the third alternative.
                m.add_alternative(calendar, subtype="calendar", cte="quoted-printable", params={"method": "REQUEST"})
            # A fixed boundary keeps the output the same on every run.
            m.set_boundary("=_" + hashlib.sha256(name.encode()).hexdigest()[:28])
    else:
        m.set_content(html, subtype="html", cte="quoted-printable")
    raw = m.as_bytes(policy=POLICY)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(raw)


def entry(file, client, detail, sender, secrets, keep, rationale, category="text", kinds=None,
          expected=None, soft=None, notes=""):
    e = {
        "file": file,
        "client": client,
        "client_detail": detail,
        "envelope": {"mail_from": sender, "rcpt_to": [RCPT]},
        "session": {},
        "deliveries": [{"rcpt": RCPT, "deliver_to": "bob@example.com"}],
        "secrets": secrets,
        "secret_kinds": kinds or {},
        "session_secrets": [],
        "forbidden_headers": [],
        "must_keep": keep,
        "must_keep_parts": [],
        "fingerprint_regex": [],
        "soft_fingerprints": soft or [],
        "optional_secrets": [],
        "sources": [],
        "notes": notes,
        "category": category,
        "deep_decode": True,
        "rationale": rationale,
    }
    if expected:
        e["expected"] = expected
    entries.append(e)


# --- iPhone replies: device line + attribution, four languages -------------

IPHONE = [
    ("txt01_iphone_en.eml", "en", "Devika Raghunathan <devika@raghu-labs.example>", "devika@raghu-labs.example",
     "Re: Thursday",
     "Yes, Thursday works. I'll bring the prototypes.\nKEEP-TXT-01-thursday-works\n\nSent from my iPhone\n\n"
     "> On 2 Nov 2026, at 18:20, Arjun Menon <arjun.menon@raghu-labs.example> wrote:\n>\n"
     "> \ufeffCan you make Thursday at 3?\n",
     ["Sent from my iPhone", "Arjun Menon", "arjun.menon@raghu-labs.example", "raghu-labs.example"],
     ["Re: Thursday", "KEEP-TXT-01-thursday-works", "Can you make Thursday at 3?"]),
    ("txt02_iphone_de.eml", "de", "Katrin Brandt <katrin@brandt-bau.example>", "katrin@brandt-bau.example",
     "AW: Baustelle Freitag",
     "Freitag passt, ich bringe die Pläne mit.\nKEEP-TXT-02-freitag-passt\n\nVon meinem iPhone gesendet\n\n"
     "> Am 02.11.2026 um 18:20 schrieb Jörg Lindemann <joerg.lindemann@brandt-bau.example>:\n>\n"
     "> Können wir am Freitag auf die Baustelle?\n",
     ["Von meinem iPhone gesendet", "Jörg Lindemann", "joerg.lindemann@", "brandt-bau.example"],
     ["Baustelle Freitag", "KEEP-TXT-02-freitag-passt", "Können wir am Freitag auf die Baustelle?"]),
    ("txt03_iphone_fr.eml", "fr", "Luc Marchand <luc@marchand-conseil.example>", "luc@marchand-conseil.example",
     "Re: Devis",
     "Le devis me convient, on signe lundi.\nKEEP-TXT-03-devis-ok\n\nEnvoyé de mon iPhone\n\n"
     "> Le 2 nov. 2026 à 18:20, Élodie Fournier <elodie.fournier@marchand-conseil.example> a écrit :\n>\n"
     "> Le devis te convient-il ?\n",
     ["Envoyé de mon iPhone", "Élodie Fournier", "elodie.fournier@", "marchand-conseil.example"],
     ["Re: Devis", "KEEP-TXT-03-devis-ok", "Le devis te convient-il ?"]),
    ("txt04_iphone_es.eml", "es", "Lucía Rivera <lucia@rivera-abogados.example>", "lucia@rivera-abogados.example",
     "RE: Contrato",
     "Revisé el contrato, está bien.\nKEEP-TXT-04-contrato-bien\n\nEnviado desde mi iPhone\n\n"
     "> El 2 nov 2026, a las 18:20, Tomás Herrera <tomas.herrera@rivera-abogados.example> escribió:\n>\n"
     "> ¿Puedes revisar el contrato?\n",
     ["Enviado desde mi iPhone", "Tomás Herrera", "tomas.herrera@", "rivera-abogados.example"],
     ["Contrato", "KEEP-TXT-04-contrato-bien", "¿Puedes revisar el contrato?"]),
]
for file, lang, frm, sender, subject, body, secrets, keep in IPHONE:
    message(file, frm, subject, "<%s-7C2E-4608-9A1C-3E5F7B9D0C2E@%s>" % (file[:5].upper(), sender.split("@")[1]),
            plain=body, mailer=("X-Mailer", "iPhone Mail (22B83)"))
    entry(file, "iPhone Mail", "iPhone Mail reply (%s): default device line and an attribution naming a colleague "
          "at the sender's domain" % lang, sender, secrets, keep,
          "The device line is a client default, the attribution is generated from the quoted message's From and "
          "names a colleague at the sender's own domain: drop the first, rewrite the second to a neutral "
          "'someone wrote' keeping the date; the quoted text stays.",
          kinds={secrets[-1]: "sender_domain"})

# --- Gmail web: "-- " signature in plain, gmail_signature + gmail_attr in HTML -

message("txt05_gmail_web.eml", "Alice Okafor <alice@okafor-widgets.example>", "Re: Draft v2",
        "<CAF7x9Lm2Qp7Vz4Rt1Wn8Yb3Kc6Fh0=sDe5_TuB@mail.gmail.com>",
        plain="Hi Bob,\n\nThe draft looks good to me.\nKEEP-TXT-05-draft-good\n\n-- \nAlice Okafor\n"
              "Head of Widgets | Okafor Widgets Ltd\n+44 20 7946 0321\n\n"
              "On Mon, 2 Nov 2026 at 17:05, Rafael Ortega <\nrafael.ortega@okafor-widgets.example> wrote:\n\n"
              "> Could you review the draft?\n",
        html='<div dir="ltr">Hi Bob,<div><br></div><div>The draft looks good to me.</div>'
             '<div>KEEP-TXT-05-draft-good</div><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
             '<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr"><b>Alice Okafor</b>'
             '<div>Head of Widgets | Okafor Widgets Ltd</div><div>+44 20 7946 0321</div><div>'
             '<img src="https://ci3.googleusercontent.com/mail-sig/AIorK4zOKAFORsig01Xy4Za" width="96" height="32">'
             '</div></div></div></div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
             'On Mon, 2 Nov 2026 at 17:05, Rafael Ortega &lt;<a href="mailto:rafael.ortega@okafor-widgets.example">'
             'rafael.ortega@okafor-widgets.example</a>&gt; wrote:<br></div><blockquote class="gmail_quote" '
             'style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
             '<div dir="ltr">Could you review the draft?</div></blockquote></div>\n')
entry("txt05_gmail_web.eml", "Gmail web", "Gmail web reply: '-- ' signature block above the quote in the plain part "
      "and the attribution wrapped over two lines; gmail_signature (data-smartmail) with a signature image and "
      "gmail_attr in the HTML part", "alice@okafor-widgets.example",
      ["Okafor", "7946 0321", "AIorK4zOKAFORsig01Xy4Za", "Rafael Ortega", "rafael.ortega@"],
      ["Re: Draft v2", "KEEP-TXT-05-draft-good", "The draft looks good to me", "Could you review the draft?"],
      "The stored signature ('-- ' block, gmail_signature container) and the generated attribution are removable "
      "by their markers; the signature ends where the attribution of the quote begins, so the quote stays.",
      category="html")

# --- Outlook desktop: Word HTML, local file link, SafeLinks, header block ------

SAFE = ("https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fshop.example%2Foffer%3Fid%3D42"
        "%26utm_campaign%3Dfall&data=05%7C02%7Cmagda.hartl%40hartl-eng.example%7C8f1c2d3e4b5a69788796a5b4c3d2e1f0"
        "%7C3b7e9d1a44c24f0e9a516c2d8e7f1b90%7C0%7C0%7C638661234567890123%7CUnknown%7CTWFpbGZsb3d8eyJWIjoiMC4wLjAwMDAi"
        "LCJQIjoiV2luMzIiLCJBTiI6Ik1haWwiLCJXVCI6Mn0%3D%7C0%7C%7C%7C&sdata=Zm9vYmFyYmF6cXV1eEhhcnRs%3D&reserved=0")
WORD_HEAD = ('<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
             'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40"><head>'
             '<meta http-equiv=Content-Type content="text/html; charset=utf-8">\n'
             '<meta name=Generator content="Microsoft Word 15 (filtered medium)">\n'
             '<meta name=ProgId content=Word.Document><meta name=Originator content="Microsoft Word 15">\n'
             '<!--[if gte mso 9]><xml>\n<o:DocumentProperties>\n<o:Author>Magda Hartl</o:Author>\n'
             '<o:Company>Hartl Engineering GmbH</o:Company>\n</o:DocumentProperties>\n</xml><![endif]-->\n'
             '<!--[if gte mso 9]><xml>\n<w:WordDocument><w:TrackMoves/></w:WordDocument>\n</xml><![endif]-->\n'
             '<style><!--\np.MsoNormal {margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}\n'
             'span.EmailStyle17 {mso-style-type:personal-compose;}\n--></style>\n'
             '<!--[if gte mso 9]><xml>\n<o:shapedefaults v:ext="edit" spidmax="1026" />\n</xml><![endif]--></head>\n')
message("txt06_outlook_desktop.eml", "Magda Hartl <magda.hartl@hartl-eng.example>", "RE: Q3 numbers",
        "<AM9PR07MB7011A1B2C3D4E5F60718293A4B5C6D7E8F90@AM9PR07MB7011.eurprd07.prod.outlook.example>",
        plain="Hi Bob,\n\nKEEP-TXT-06-numbers The numbers are in Q3 forecast<file:///C:\\Users\\mhartl\\Documents\\Q3%20forecast.xlsx>"
              " on the share.\nThe offer page: " + SAFE + "\n\n________________________________\n"
              "From: Carl Weber <carl.weber@hartl-eng.example>\nSent: Monday, November 2, 2026 5:05 PM\n"
              "To: Magda Hartl <magda.hartl@hartl-eng.example>\nCc: Dana Roth <dana.roth@hartl-eng.example>\n"
              "Subject: Q3 numbers\n\nWhere are the Q3 numbers?\n",
        html=WORD_HEAD + '<body lang=EN-GB link="#0563C1" vlink="#954F72" style=\'word-wrap:break-word\'>'
             '<div class=WordSection1><p class=MsoNormal>Hi Bob,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>\n'
             '<p class=MsoNormal>KEEP-TXT-06-numbers The numbers are in <a href="file:///C:/Users/mhartl/Documents/Q3%20forecast.xlsx">'
             'Q3 forecast</a> on the share.<o:p></o:p></p>\n<p class=MsoNormal>The offer page: <a href="' + SAFE.replace("&", "&amp;") +
             '" originalsrc="https://shop.example/offer?id=42">offer</a><o:p></o:p></p>\n'
             '<p class=MsoNormal><o:p>&nbsp;</o:p></p><div style=\'border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\'>'
             '<p class=MsoNormal><b><span lang=EN-US>From:</span></b><span lang=EN-US> Carl Weber &lt;'
             '<a href="mailto:carl.weber@hartl-eng.example">carl.weber@hartl-eng.example</a>&gt; <br><b>Sent:</b> Monday, '
             'November 2, 2026 5:05 PM<br><b>To:</b> Magda Hartl &lt;<a href="mailto:magda.hartl@hartl-eng.example">'
             'magda.hartl@hartl-eng.example</a>&gt;<br><b>Cc:</b> Dana Roth &lt;dana.roth@hartl-eng.example&gt;<br>'
             '<b>Subject:</b> Q3 numbers<o:p></o:p></span></p></div>\n<p class=MsoNormal><o:p>&nbsp;</o:p></p>'
             '<p class=MsoNormal>Where are the Q3 numbers?<o:p></o:p></p></div></body></html>\n',
        mailer=("X-Mailer", "Microsoft Outlook 16.0"))
entry("txt06_outlook_desktop.eml", "Outlook desktop", "Outlook 16 reply: Word-generated HTML (Generator/ProgId/"
      "Originator meta, o:DocumentProperties with author and company in conditional comments, mso styles), a pasted "
      "link to a file under C:\\Users\\<account>, a SafeLinks URL whose data= names the sender's mailbox and tenant, "
      "and the From/Sent/To/Cc/Subject block above the quote", "magda.hartl@hartl-eng.example",
      ["Hartl", "mhartl", "Carl Weber", "Dana Roth", "3b7e9d1a44c24f0e9a516c2d8e7f1b90", "TWFpbGZsb3d8",
       "Zm9vYmFyYmF6cXV1eEhhcnRs", "hartl-eng.example"],
      ["RE: Q3 numbers", "KEEP-TXT-06-numbers", "Q3 forecast", "https://shop.example/offer?id=42", "Subject: Q3 numbers",
       "Where are the Q3 numbers?"],
      "Word's metadata and the quoted header block name the sender and colleagues; the file: link target holds the "
      "account name; SafeLinks carries the mailbox and tenant. Keep the link text, unwrap SafeLinks to the "
      "destination, reduce the header block to a neutral From and the subject.",
      category="html", kinds={"3b7e9d1a44c24f0e9a516c2d8e7f1b90": "tenant_id", "mhartl": "local_path"})

# --- Apple Mail (iPad): AppleMailSignature, data detectors ---------------------

message("txt07_apple_mail.eml", "Ines Novak <ines@novak-studio.example>", "Re: Dinner",
        "<5E2B7C4A-19D3-4E8F-A06B-2C4D6E8F0A1B@novak-studio.example>",
        plain="Sounds good, see you there. Call me on 020 7946 0552 if you are late.\nKEEP-TXT-07-see-you\n\n"
              "Sent from my iPad\n\n> On 2 Nov 2026, at 18:20, Pavel Kral <pavel.kral@novak-studio.example> wrote:\n"
              ">\n> Dinner at 8?\n",
        html='<html aria-label="message body"><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
             '<body dir="auto"><div dir="ltr">Sounds good, see you there. Call me on <a href="tel:02079460552" '
             'x-apple-data-detectors="true" x-apple-data-detectors-type="telephone" x-apple-data-detectors-result="0">'
             '020 7946 0552</a> if you are late.</div><div dir="ltr">KEEP-TXT-07-see-you</div><div dir="ltr"><br></div>'
             '<div id="AppleMailSignature" dir="ltr">Sent from my iPad</div><div dir="ltr"><br><blockquote type="cite">'
             'On <a href="x-apple-data-detectors://1" dir="ltr" x-apple-data-detectors="true" '
             'x-apple-data-detectors-type="calendar-event" x-apple-data-detectors-result="1">2 Nov 2026, at 18:20</a>, '
             'Pavel Kral &lt;<a href="mailto:pavel.kral@novak-studio.example">pavel.kral@novak-studio.example</a>&gt; '
             'wrote:<br><br></blockquote></div><blockquote type="cite"><div dir="ltr">Dinner at 8?</div></blockquote>'
             '</body></html>\n',
        mailer=("X-Mailer", "iPad Mail (22B83)"))
entry("txt07_apple_mail.eml", "Apple Mail (iPadOS)", "iPad Mail reply: AppleMailSignature div with the device line, "
      "x-apple-data-detectors links around the date and a phone number, attribution split over data-detector links",
      "ines@novak-studio.example", ["Sent from my iPad", "Pavel Kral", "pavel.kral@", "novak-studio.example"],
      ["Re: Dinner", "KEEP-TXT-07-see-you", "020 7946 0552", "Dinner at 8?"],
      "The device line and the attribution are generated; the attribution's date is a data-detector link, so it "
      "must be matched across nodes. The typed phone number stays (typed, and a link the sender chose to give).",
      category="html", soft=["x-apple-data-detectors", "AppleMailSignature"])

# --- Thunderbird: moz-cite-prefix, cite=mid:, moz-signature --------------------

message("txt08_thunderbird.eml", "Lena Berg <lena@berg-labs.example>", "Re: Release",
        "<8d2e4f6a-1b3c-4d5e-9f70-8192a3b4c5d6@berg-labs.example>",
        plain="On 02/11/2026 17:05, Jonas Lund wrote:\n> Shall we ship on Friday?\n\n"
              "KEEP-TXT-08-ship Agreed, let us ship it.\n\n-- \nLena Berg\nBerg Labs AB, Uppsala\n",
        html='<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\n'
             '  </head>\n  <body>\n    <div class="moz-cite-prefix">On 02/11/2026 17:05, Jonas Lund wrote:<br>\n    </div>\n'
             '    <blockquote type="cite"\n      cite="mid:5f3a9c1e-7d2b-4c8a-9e6f-1a2b3c4d5e6f@berg-labs.example">'
             'Shall we ship on Friday?<br>\n    </blockquote>\n    <p>KEEP-TXT-08-ship Agreed, let us ship it.</p>\n'
             '    <pre class="moz-signature" cols="72">-- \nLena Berg\nBerg Labs AB, Uppsala</pre>\n  </body>\n</html>\n',
        mailer=("User-Agent", "Mozilla Thunderbird"))
entry("txt08_thunderbird.eml", "Thunderbird", "Thunderbird reply below the quote: moz-cite-prefix attribution, "
      "blockquote cite=\"mid:...\" carrying the quoted Message-ID at the sender's domain, moz-signature pre",
      "lena@berg-labs.example",
      ["Jonas Lund", "Uppsala", "Berg Labs", "5f3a9c1e-7d2b-4c8a-9e6f-1a2b3c4d5e6f", "berg-labs.example"],
      ["Re: Release", "KEEP-TXT-08-ship", "Shall we ship on Friday?"],
      "The cite attribute is invisible but carries the quoted Message-ID; the signature is marked in both parts.",
      category="html", kinds={"5f3a9c1e-7d2b-4c8a-9e6f-1a2b3c4d5e6f": "message_id"})

# --- Proton Mail: signature block and Proton line ------------------------------

message("txt09_proton.eml", "Nils Ek <nils@ek-consult.example>", "Re: Keys",
        "<xK2vP9qL4mN7rT1wY5zB8cD3fG6hJ0aS=@ek-consult.example>",
        plain="KEEP-TXT-09-keys The keys are under the mat.\n\nSent with Proton Mail secure email.\n\n"
              "------- Original Message -------\nOn Monday, November 2nd, 2026 at 17:05, Ida Strand "
              "<ida.strand@ek-consult.example> wrote:\n\n\n> Where are the keys?\n",
        html='<div style="font-family: Arial, sans-serif; font-size: 14px;">KEEP-TXT-09-keys The keys are under the mat.</div>'
             '<div style="font-family: Arial, sans-serif; font-size: 14px;"><br></div>\n'
             '<div class="protonmail_signature_block" style="font-family: Arial, sans-serif; font-size: 14px;">\n'
             '    <div class="protonmail_signature_block-user protonmail_signature_block-empty"></div>\n'
             '    <div class="protonmail_signature_block-proton">\n        Sent with <a target="_blank" '
             'href="https://proton.me/mail/home">Proton Mail</a> secure email.\n    </div>\n</div>\n'
             '<div style="font-family: Arial, sans-serif; font-size: 14px;"><br></div><div class="protonmail_quote">\n'
             '        ------- Original Message -------<br>\n        On Monday, November 2nd, 2026 at 17:05, Ida Strand '
             '&lt;ida.strand@ek-consult.example&gt; wrote:<br><br>\n        <blockquote class="protonmail_quote" type="cite">\n'
             '            <div>Where are the keys?</div>\n        </blockquote><br>\n    </div>\n')
entry("txt09_proton.eml", "Proton Mail", "Proton Mail web reply: protonmail_signature_block with the Proton line, "
      "'------- Original Message -------' and an attribution naming a colleague", "nils@ek-consult.example",
      ["Sent with Proton Mail", "Ida Strand", "ida.strand@", "ek-consult.example"],
      ["Re: Keys", "KEEP-TXT-09-keys", "Where are the keys?"],
      "The Proton line tells the recipient the client; the attribution names a colleague at the sender's domain.",
      category="html")

# --- Newsletter-style HTML: pixel, remote background, @import, <base>, cite=mid -

message("txt10_newsletter.eml", "Greenhouse Co-op <events@greenhouse-coop.example>", "November events",
        "<20261103091422.7f3c9a21b4@greenhouse-coop.example>",
        plain="KEEP-TXT-10-events Seed swap on 14 November.\nTickets: https://tickets.example/ev/2026-11?"
              "utm_source=newsletter&utm_medium=email&mc_eid=7f3c9a21b4\n",
        html='<!DOCTYPE html><html><head><base href="https://cdn.mailer-track.example/acct/GHC-55812/"><title>November</title>'
             '<style>@import url("https://fonts.mailer-track.example/css?acct=GHC-55812"); body * { display:none }</style>'
             '<link rel="stylesheet" href="https://cdn.mailer-track.example/acct/GHC-55812/s.css"></head>\n'
             '<body style="display:none" class="hideall" bgcolor="#ffffff" text="#ffffff">\n'
             '<table background="https://cdn.mailer-track.example/acct/GHC-55812/bg.png" width="600"><tr>'
             '<td style="background-image:url(\'https://cdn.mailer-track.example/acct/GHC-55812/bg2.png\'); color:#333">\n'
             '<h1>KEEP-TXT-10-events Seed swap on 14 November.</h1>\n'
             '<p>Tickets: <a href="https://tickets.example/ev/2026-11?utm_source=newsletter&amp;utm_medium=email&amp;'
             'mc_eid=7f3c9a21b4">book here</a></p>\n'
             '<blockquote type="cite" cite="mid:20261102170512.GA4411@greenhouse-coop.example">A member asked: '
             'can I bring cuttings?</blockquote>\n'
             '<img src="https://t.mailer-track.example/open.gif?sub=7f3c9a21b4" width="1" height="1" alt="">\n'
             '</td></tr></table></body></html>\n')
entry("txt10_newsletter.eml", "newsletter tool", "Newsletter-style HTML: <base href> and @import/link naming the "
      "sending account, remote background images, a tracking pixel and mc_eid click id naming the subscriber, "
      "cite=\"mid:\" with a Message-ID at the sender's domain, a body style that hides everything",
      "events@greenhouse-coop.example",
      ["7f3c9a21b4", "GHC-55812", "mailer-track.example", "20261102170512.GA4411"],
      ["November events", "KEEP-TXT-10-events", "book here", "https://tickets.example/ev/2026-11",
       "can I bring cuttings?"],
      "Every remote fetch (pixel, background, style sheet, font) tells the tracker when the message is read; "
      "<base> and @import name the account; mc_eid names the subscriber; the body style would hide the footer.",
      category="html")

# --- HTML that tries to hide the footer ---------------------------------------

message("txt11_hide_footer.eml", "Omar Haddad <omar@haddad-travel.example>", "Itinerary",
        "<b7d1e3f5-2a4c-4e6f-8a0b-1c3d5e7f9a2b@haddad-travel.example>",
        plain="KEEP-TXT-11-visible Your itinerary is attached below.\n",
        html='<html><body><div>KEEP-TXT-11-visible Your itinerary is attached below.</div>\n'
             '<div style="display:none">KEEP-TXT-11-hidden typed but hidden\n<table><tr><td>\n'
             '<font color="#ffffff">\n<!-- Internal ref HX-44821 owner: Omar Haddad, haddad-travel back office\n')
entry("txt11_hide_footer.eml", "hand-written HTML", "HTML that leaves a display:none div, a table and a white font "
      "open and ends inside an unclosed comment, so that a footer appended after it would be hidden or commented out",
      "omar@haddad-travel.example", ["HX-44821", "back office"],
      ["Itinerary", "KEEP-TXT-11-visible", "KEEP-TXT-11-hidden"],
      "Re-serialising from a parse tree closes every element before the footer and drops the comment; the hidden "
      "text was typed and stays hidden.", category="html")

# --- Refusals -----------------------------------------------------------------

message("txt12_own_address.eml", "Nina Holm <nina.holm@holm-design.example>", "Portfolio",
        "<3c5e7a9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d@holm-design.example>",
        plain="KEEP-TXT-12-portfolio Here is my portfolio link: https://portfolio.example/nh\n"
              "Reply to me directly at Nina.Holm@holm-design.example, not through the list.\n")
entry("txt12_own_address.eml", "any", "The sender typed their own address in the body", "nina.holm@holm-design.example",
      ["nina.holm@holm-design.example"], ["Portfolio", "KEEP-TXT-12-portfolio"],
      "The address was typed: removing it changes what was written, keeping it names the sender. Refuse.",
      expected={"outcome": "reject", "reply": "550 5.7.1"})

photo = b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00MM\x00*Canon EOS R6 GPS 59.3293N 18.0686E owner Arvid Sand" + bytes(range(256)) * 2 + b"\xff\xd9"
uu = ["begin 644 IMG_2231.JPG"]
for i in range(0, len(photo), 45):
    uu.append(binascii.b2a_uu(photo[i:i + 45]).decode("ascii").rstrip("\n"))
uu += ["`", "end"]
message("txt13_uuencode.eml", "Arvid Sand <arvid@sand-foto.example>", "Photo",
        "<f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9@sand-foto.example>",
        plain="KEEP-TXT-13-photo The photo from Saturday:\n\n" + "\n".join(uu) + "\n", plain_cte="7bit",
        mailer=("X-Mailer", "Forte Agent 1.93"))
entry("txt13_uuencode.eml", "old newsreader-style client", "A photo uuencoded inside the text part (begin 644 ... end)",
      "arvid@sand-foto.example", ["IMG_2231.JPG"], ["Photo", "KEEP-TXT-13-photo"],
      "The uuencoded payload is a file (with its EXIF) inside the text; it cannot be cleaned in place. Refuse and "
      "ask for an attachment.", expected={"outcome": "reject", "reply": "554 5.6.1"})

# --- Outlook plain, German, Original Message block naming the sender ----------

message("txt14_outlook_plain_de.eml", "Franz Wagner <f.wagner@wagner-steuer.example>", "AW: Steuererklärung 2025",
        "<VI1PR08MB5021C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8@VI1PR08MB5021.eurprd08.prod.outlook.example>",
        plain="Hallo Bob,\n\nKEEP-TXT-14-unterlagen die Unterlagen sind vollständig.\n\n"
              "-----Ursprüngliche Nachricht-----\nVon: Bob <bob@example.com>\nGesendet: Montag, 2. November 2026 17:05\n"
              "An: Franz Wagner <f.wagner@wagner-steuer.example>\nCc: Sekretariat Wagner <office@wagner-steuer.example>\n"
              "Betreff: Steuererklärung 2025\n\nSind die Unterlagen vollständig?\n",
        mailer=("X-Mailer", "Microsoft Outlook 16.0"))
entry("txt14_outlook_plain_de.eml", "Outlook desktop (plain text, German)", "Outlook plain-text reply with the "
      "'-----Ursprüngliche Nachricht-----' block whose An:/Cc: fields name the sender and their office",
      "f.wagner@wagner-steuer.example",
      ["Franz Wagner", "f.wagner@wagner-steuer.example", "Sekretariat Wagner", "wagner-steuer.example", "Montag, 2. November"],
      ["Steuererklärung 2025", "KEEP-TXT-14-unterlagen", "Sind die Unterlagen vollständig?"],
      "The quoted header block is generated; its An: field is the sender. Keep the subject, neutral Von:, drop "
      "Gesendet/An/Cc.", kinds={"f.wagner@wagner-steuer.example": "sender_address"})

# --- Yahoo Mail Android ---------------------------------------------------------

message("txt15_yahoo_android.eml", "Sven Dahl <sven.dahl@yahoo.example>", "Re: Boat",
        "<1846302775.4412093.1762157662210@mail.yahoo.example>",
        plain="KEEP-TXT-15-boat The boat is ready on Saturday.\n\nSent from Yahoo Mail on Android\n\n"
              "  On Mon, Nov 2, 2026 at 17:05, Maja Lind<maja.lind@dahl-fiske.example> wrote:   Is the boat ready?\n",
        html='<html><head></head><body><div dir="ltr">KEEP-TXT-15-boat The boat is ready on Saturday.</div><br>'
             '<div id="ymail_android_signature"><a id="ymail_android_signature_link" '
             'href="https://go.onelink.example/107872968?pid=InProduct&amp;c=Global_Internal_YGrowth_AndroidEmailSig__'
             'AndroidUsers&amp;af_wl=ym&amp;af_sub1=Internal">Sent from Yahoo Mail on Android</a></div> <br> <br> '
             '<blockquote style="margin: 0 0 20px 0;"> <div style="font-family:Roboto, sans-serif; color:#6D00F6;"> '
             '<div>On Mon, Nov 2, 2026 at 17:05, Maja Lind</div><div>&lt;maja.lind@dahl-fiske.example&gt; wrote:</div>'
             '</div> <div style="padding: 10px 0 0 20px; margin: 10px 0 0 0; border-left: 1px solid #6D00F6;"> '
             '<div>Is the boat ready?</div> </div> </blockquote></body></html>\n')
entry("txt15_yahoo_android.eml", "Yahoo Mail (Android)", "Yahoo Mail Android reply: ymail_android_signature link "
      "with the device line, attribution split over two divs, plain part with the quote run into one line",
      "sven.dahl@yahoo.example", ["Sent from Yahoo Mail", "Maja Lind", "maja.lind@", "Global_Internal_YGrowth"],
      ["Re: Boat", "KEEP-TXT-15-boat", "Is the boat ready?"],
      "The device line and its tracking link are generated; the attribution names the quoted author.",
      category="html",
      notes="The plain part runs the attribution and the quote into one line, as Yahoo's Android app does; the HTML "
            "part splits the attribution over two divs.")

# --- Outlook on the web: SafeLinks, Signature div, divRplyFwdMsg ----------------

SAFE2 = ("https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwiki.example%2Fonboarding&data=05%7C02%7C"
         "rkhan%40khan-partners.example%7Cd41d8cd98f00b204e9800998ecf8427e%7C9a8b7c6d5e4f40312a1b0c9d8e7f6a5b%7C0%7C0%7C"
         "638661234500000000%7CUnknown%7CTWFpbGZsb3d8OWA%3D%7C0%7C%7C%7C&sdata=cmtoYW5zZGF0YQ%3D%3D&reserved=0")
message("txt16_outlook_web.eml", "Rehana Khan <rkhan@khan-partners.example>", "RE: Onboarding",
        "<SA1PR12MB7777E1F2A3B4C5D6E7F8091A2B3C4D5E6F7A@SA1PR12MB7777.namprd12.prod.outlook.example>",
        plain="KEEP-TXT-16-wiki The onboarding notes are here: " + SAFE2 + "\n\nRehana\n\n"
              "________________________________\nFrom: Priya Nair <priya.nair@khan-partners.example>\n"
              "Sent: Monday, November 2, 2026 17:05\nTo: Rehana Khan <rkhan@khan-partners.example>\n"
              "Subject: Onboarding\n\nWhere are the onboarding notes?\n",
        html='<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><style type="text/css" '
             'style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head><body dir="ltr">'
             '<div class="elementToProof" style="font-family: Aptos, Calibri, Helvetica, sans-serif; font-size: 12pt;">'
             'KEEP-TXT-16-wiki The onboarding notes are <a href="' + SAFE2.replace("&", "&amp;") + '" originalsrc="'
             'https://wiki.example/onboarding" shash="x">here</a>.</div><div class="elementToProof">Rehana</div>'
             '<div id="Signature"><p>Rehana Khan | Khan &amp; Partners | +1 555 0142</p></div>'
             '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
             '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
             '<b>From:</b> Priya Nair &lt;priya.nair@khan-partners.example&gt;<br><b>Sent:</b> Monday, November 2, 2026 17:05'
             '<br><b>To:</b> Rehana Khan &lt;rkhan@khan-partners.example&gt;<br><b>Subject:</b> Onboarding</font><div>&nbsp;</div>'
             '</div><div class="BodyFragment"><font size="2"><span style="font-size:11pt;"><div class="PlainText">'
             'Where are the onboarding notes?</div></span></font></div></body></html>\n')
entry("txt16_outlook_web.eml", "Outlook on the web", "OWA reply: SafeLinks URL whose data= holds the sender's "
      "mailbox and tenant, Signature div, divRplyFwdMsg header block naming the sender in To:",
      "rkhan@khan-partners.example",
      ["Rehana Khan", "Priya Nair", "9a8b7c6d5e4f40312a1b0c9d8e7f6a5b", "khan-partners.example", "555 0142", "cmtoYW5zZGF0YQ"],
      ["RE: Onboarding", "KEEP-TXT-16-wiki", "https://wiki.example/onboarding", "Where are the onboarding notes?"],
      "SafeLinks is unwrapped to the destination; the stored signature and the quoted header block are generated. "
      "The typed first-name sign-off stays.", category="html", kinds={"9a8b7c6d5e4f40312a1b0c9d8e7f6a5b": "tenant_id"})

# --- Cases a review found (stop 23): each leaked before its fix -----------------

# Outlook desktop HTML: the signature marked only by the _MailAutoSig anchor,
# mso-* styles carrying the locale, and lang on <body>.
message("txt17_outlook_autosig.eml", "Aoife Brennan <a.brennan@brennan-procure.example>", "RE: Q3 numbers",
        "<DB9PR01MB9911A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6@DB9PR01MB9911.eurprd01.prod.outlook.example>",
        plain="KEEP-TXT-17-numbers The numbers are in.\n\nAoife Brennan\nHead of Procurement | Brennan Procurement\n"
              "Tel: +353 1 555 0187\n",
        html='<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta name=Generator content="Microsoft Word 15 '
             '(filtered medium)"></head><body lang=EN-IE link="#0563C1" vlink="#954F72" style="word-wrap:break-word">'
             '<div class=WordSection1><p class=MsoNormal><span style="font-size:11.0pt;mso-fareast-language:EN-IE;'
             'mso-ligatures:none">KEEP-TXT-17-numbers The numbers are in.<o:p></o:p></span></p>'
             '<p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal><a name="_MailAutoSig"><b><span style="color:#1F3864;'
             'mso-no-proof:yes">Aoife Brennan<o:p></o:p></span></b></a></p><p class=MsoNormal><span style="color:#1F3864;'
             'mso-no-proof:yes">Head of Procurement | Brennan Procurement<o:p></o:p></span></p><p class=MsoNormal>'
             '<span style="color:#1F3864;mso-no-proof:yes">Tel: +353 1 555 0187<o:p></o:p></span></p></div></body></html>\n',
        mailer=("X-Mailer", "Microsoft Outlook 16.0"))
entry("txt17_outlook_autosig.eml", "Outlook desktop (HTML)", "Outlook for Windows reply whose signature is marked "
      "only by the _MailAutoSig anchor, with mso-* styles naming the locale and lang on <body>",
      "a.brennan@brennan-procure.example",
      ["Aoife Brennan", "Head of Procurement", "555 0187", "EN-IE", "mso-"],
      ["RE: Q3 numbers", "KEEP-TXT-17-numbers"],
      "Outlook marks its stored signature by an anchor on its first paragraph; the paragraphs after it are the "
      "signature too; the plain part carries it without '-- ', from the line that is the sender's full name. "
      "mso-fareast-language and body lang are the sender's locale.", category="html")

# A SafeLinks URL pasted as a link's text: its data= holds the sender's mailbox.
SAFE3 = ("https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fshare.example%2Fplan&data=05%7C02%7C"
         "t.oconnor%40oconnor-build.example%7C8f3a2b1c0d9e4f5a6b7c08d8e9f0a1b2%7Ca1b2c3d4000040008000000000000001%7C0%7C0%7C"
         "638672812345678901%7CUnknown%7CTWFpbGZsb3d8%7C0%7C%7C%7C&sdata=AbCdEfGh%3D&reserved=0")
message("txt18_outlook_pasted_safelink.eml", "Tadhg O'Connor <t.oconnor@oconnor-build.example>", "Plan",
        "<AM0PR02MB4433B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6@AM0PR02MB4433.eurprd02.prod.outlook.example>",
        plain="KEEP-TXT-18-plan The plan: " + SAFE3 + "\n",
        html='<html><body><p>KEEP-TXT-18-plan The plan: <a href="' + SAFE3.replace("&", "&amp;") + '">'
             + SAFE3.replace("&", "&amp;") + '</a></p></body></html>\n')
entry("txt18_outlook_pasted_safelink.eml", "Outlook on the web", "A link copied from a received mail and pasted: "
      "Outlook writes the SafeLinks URL as the link's text too, its data= holding the sender's mailbox",
      "t.oconnor@oconnor-build.example", ["t.oconnor%40oconnor-build.example", "safelinks", "a1b2c3d4000040008000000000000001"],
      ["Plan", "KEEP-TXT-18-plan"],
      "Unwrap the link in the text as in the href.", category="html")

# Apple Mail's HTML forward: one div per header field.
def apple_field(k, v):
    return ('<div style="margin-top: 0px; margin-right: 0px; margin-bottom: 0px; margin-left: 0px;"><span style="font-family: '
            '-webkit-system-font, Helvetica Neue, Helvetica, sans-serif; color:rgba(0, 0, 0, 1.0);"><b>' + k + ': </b></span>'
            '<span style="font-family: -webkit-system-font, Helvetica Neue, Helvetica, sans-serif;">' + v + '<br></span></div>\n')
message("txt19_apple_forward.eml", "Ines Moreau <ines@moreau-atelier.example>", "Fwd: Budget",
        "<8E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B@moreau-atelier.example>",
        plain="KEEP-TXT-19-fyi FYI\n\nBegin forwarded message:\n\nFrom: Luc Garnier <luc.garnier@moreau-atelier.example>\n"
              "Subject: Budget\nDate: 2 November 2026 at 22:07:12 CET\nTo: Ines Moreau <ines@moreau-atelier.example>\n\n"
              "KEEP-TXT-19-quoted Numbers attached.\n",
        html='<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: '
             'break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">KEEP-TXT-19-fyi FYI<br id="lineBreakAtBeginningOfMessage">'
             '<div><br><blockquote type="cite"><div>Begin forwarded message:</div><br class="Apple-interchange-newline">'
             + apple_field("From", 'Luc Garnier &lt;<a href="mailto:luc.garnier@moreau-atelier.example">luc.garnier@moreau-atelier.example</a>&gt;')
             + apple_field("Subject", "<b>Budget</b>") + apple_field("Date", "2 November 2026 at 22:07:12 CET")
             + apple_field("To", 'Ines Moreau &lt;<a href="mailto:ines@moreau-atelier.example">ines@moreau-atelier.example</a>&gt;')
             + '<br><div><div>KEEP-TXT-19-quoted Numbers attached.</div></div></blockquote></div></body></html>\n',
        mailer=("X-Mailer", "Apple Mail (2.3826.200.121)"))
entry("txt19_apple_forward.eml", "Apple Mail", "Apple Mail forward: 'Begin forwarded message:' then one div per "
      "header field, naming a colleague at the sender's domain and the time in the sender's zone",
      "ines@moreau-atelier.example", ["Luc Garnier", "luc.garnier@", "22:07:12", "Ines Moreau", "-webkit-"],
      ["Fwd: Budget", "KEEP-TXT-19-fyi", "KEEP-TXT-19-quoted"],
      "Reduce the header fields to 'From: someone' and the Subject, as the plain part's are.", category="html")

# Thunderbird's HTML forward: moz-forward-container with a header table.
message("txt20_thunderbird_forward.eml", "Jonas Berg <jonas@berg-ritning.example>", "Fwd: Drawings",
        "<7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d@berg-ritning.example>",
        plain="KEEP-TXT-20-fyi See below.\n\n\n-------- Forwarded Message --------\nSubject: \tDrawings\n"
              "Date: \tMon, 2 Nov 2026 22:07:12 +0100\nFrom: \tElsa Nyqvist <elsa.nyqvist@berg-ritning.example>\n"
              "To: \tJonas Berg <jonas@berg-ritning.example>\n\n\n\nKEEP-TXT-20-quoted The drawings are ready.\n",
        html='<html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8"></head><body><p>KEEP-TXT-20-fyi '
             'See below.</p><div class="moz-forward-container"><br><br>-------- Forwarded Message --------\n'
             '<table class="moz-email-headers-table" cellspacing="0" cellpadding="0" border="0"><tbody>\n'
             '<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Subject: </th><td>Drawings</td></tr>\n'
             '<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Date: </th><td>Mon, 2 Nov 2026 22:07:12 +0100</td></tr>\n'
             '<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">From: </th><td>Elsa Nyqvist <a class="moz-txt-link-rfc2396E" '
             'href="mailto:elsa.nyqvist@berg-ritning.example">&lt;elsa.nyqvist@berg-ritning.example&gt;</a></td></tr>\n'
             '<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">To: </th><td>Jonas Berg <a class="moz-txt-link-rfc2396E" '
             'href="mailto:jonas@berg-ritning.example">&lt;jonas@berg-ritning.example&gt;</a></td></tr>\n'
             '</tbody></table><br><br>KEEP-TXT-20-quoted The drawings are ready.</div></body></html>\n',
        mailer=("User-Agent", "Mozilla Thunderbird"))
entry("txt20_thunderbird_forward.eml", "Thunderbird", "Thunderbird forward: moz-forward-container with the "
      "moz-email-headers-table naming a colleague and the sender",
      "jonas@berg-ritning.example", ["Elsa Nyqvist", "elsa.nyqvist@", "Jonas Berg", "22:07:12", "+0100"],
      ["Fwd: Drawings", "KEEP-TXT-20-fyi", "KEEP-TXT-20-quoted"],
      "Reduce the header table to 'From: someone' and the Subject.", category="html")

# A clearsigned body and a pasted key (gpg 2, key "Alice Smith <alice@sender.example>").
PGPSIG = ("-----BEGIN PGP SIGNATURE-----\n\n"
          "iIsEARYIADMWIQS4jopiClNGmgNgKsNWB0Y/MNA7igUCaxU8dBUcYWxpY2VAc2Vu\n"
          "ZGVyLmV4YW1wbGUACgkQVgdGPzDQO4pSFQD+NE090ChtnraZjL0q6vLH68cKgyJN\n"
          "uTW4EttRacR4cIUBAKH6Ofyeqivz8vtVoCQRFTGzdpn4LRByiaXhzn0xaVIH\n=H2eP\n-----END PGP SIGNATURE-----\n")
PGPKEY = ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
          "mDMEaxU8dBYJKwYBBAHaRw8BAQdAqFE5xt/QUp102tZHCtGzQrxmHb4YVcCccNwk\n"
          "morlEb60IkFsaWNlIFNtaXRoIDxhbGljZUBzZW5kZXIuZXhhbXBsZT6IkAQTFggA\n"
          "OBYhBLiOimIKU0aaA2Aqw1YHRj8w0DuKBQJrFTx0AhsDBQsJCAcCBhUKCQgLAgQW\n"
          "AgMBAh4BAheAAAoJEFYHRj8w0DuKeIsA/AwCUWYe+tMB0cnMTg+R3asfTXWWc+og\n"
          "epBXZ0aYYLqtAP9AN+rNjMs/dquNKjQfqN50/wawh2iLfy1/mOROtYXWAQ==\n=/2hg\n-----END PGP PUBLIC KEY BLOCK-----\n")
message("txt21_pgp_inline.eml", "Alice Smith <alice@sender.example>", "Meeting",
        "<c0ffee00-1111-4222-8333-444455556666@sender.example>",
        plain="-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nKEEP-TXT-21-meeting The meeting is at 5.\n"
              "- -- a line that starts with a dash\n" + PGPSIG + "\nMy key, if you want to write back:\n\n" + PGPKEY,
        plain_cte="7bit", mailer=("User-Agent", "Mozilla Thunderbird"))
entry("txt21_pgp_inline.eml", "Thunderbird (inline OpenPGP)", "A clearsigned body (gpg 2 --clearsign) and a pasted "
      "public key: the signature's packets carry the signer's user id and key fingerprint, the key the name and address",
      "alice@sender.example", ["BEGIN PGP SIGNATURE", "iIsEARYIADMWIQS4", "mDMEaxU8dBYJ", "BEGIN PGP PUBLIC KEY"],
      ["Meeting", "KEEP-TXT-21-meeting", "-- a line that starts with a dash"],
      "Keep the signed text (undoing the dash escape), drop the signature, replace the key.")

# A German Outlook reply to a forward, with a Swedish attribution quoted.
message("txt22_outlook_de_prefixes.eml", "Katrin Vogel <k.vogel@vogel-bau.example>", "AW: WG: Angebot",
        "<FR3P281MB1234A1B2C3D4E5F6A7B8C9D0E1F2A3B4@FR3P281MB1234.DEUP281.PROD.OUTLOOK.example>",
        plain="KEEP-TXT-22-angebot Das Angebot passt.\n\n"
              "Den tis 3 nov. 2026 kl 22:07 skrev Nils Ek <nils.ek@vogel-bau.example>:\n> Hej, passar offerten?\n",
        mailer=("X-Mailer", "Microsoft Outlook 16.0"))
entry("txt22_outlook_de_prefixes.eml", "Outlook desktop (plain text, German)", "German Outlook's 'AW: WG:' "
      "prefixes and a quoted Swedish attribution naming a colleague at the sender's domain, with its time of day",
      "k.vogel@vogel-bau.example", ["AW: WG:", "Nils Ek", "nils.ek@", "22:07"],
      ["Angebot", "KEEP-TXT-22-angebot", "Hej, passar offerten?"],
      "The prefixes tell the client's language; the attribution names a colleague and, by its time, the zone.")

# Device lines with a link and a carrier.
message("txt23_device_lines.eml", "Dwayne Carter <dwayne.c@carter-haul.example>", "Re: Pickup",
        "<CAJx8c2d+Q7Lm3fK9vT0pR5sW1yN4bH6gE2uA8iO3jD7kZ0qX@mail.example>",
        plain="KEEP-TXT-23-pickup Pickup at 9 works.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n\n"
              "KEEP-TXT-23-second And the second load at noon.\n\nSent from my Verizon, Samsung Galaxy smartphone\n")
entry("txt23_device_lines.eml", "Outlook mobile / Samsung Email", "Outlook mobile's device line with its link "
      "as its plain-text form writes it, and a carrier-branded Samsung line",
      "dwayne.c@carter-haul.example", ["Get Outlook for iOS", "aka.ms", "Verizon", "Samsung Galaxy"],
      ["Re: Pickup", "KEEP-TXT-23-pickup", "KEEP-TXT-23-second"],
      "Both lines are the client's, and name the device and the carrier.")

# A OneDrive personal-site link: the path spells the sender's UPN.
message("txt24_onedrive_link.eml", "Maeve Quinn <maeve.quinn@quinn-legal.example>", "Contract draft",
        "<BY5PR11MB2233C1D2E3F4A5B6C7D8E9F0A1B2C3D4@BY5PR11MB2233.namprd11.prod.outlook.example>",
        plain="KEEP-TXT-24-draft The draft: https://quinnlegal-my.sharepoint.example/:w:/g/personal/"
              "maeve_quinn_quinn-legal_example/EaBcDeFgHiJkLmNoPqRsTuVw?e=Xy12Ab\n")
entry("txt24_onedrive_link.eml", "Outlook (OneDrive share)", "A OneDrive link whose path is the sender's UPN with "
      "its punctuation written '_'", "maeve.quinn@quinn-legal.example", ["maeve_quinn_quinn-legal_example"],
      ["Contract draft", "KEEP-TXT-24-draft"],
      "The link names the sender's account; it cannot be rewritten without breaking it. Refuse.",
      expected={"outcome": "reject", "reply": "550 5.7.1"})

# --- Signatures the plain part carries with no marker (stop 24) -------------
# The HTML part marks the stored signature (_MailAutoSig, id="Signature");
# the plain-text alternative writes the same lines with no marker, and they
# do not start with the sender's full name. Each leaked before it was
# carried from the HTML part.

message("txt25_outlook_regards_sig.eml", "Aoife Brennan <a.brennan@brennan-procure.example>", "RE: Tender",
        "<DB9PR01MB9911B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7@DB9PR01MB9911.eurprd01.prod.outlook.example>",
        plain="KEEP-TXT-25-tender The tender closes on Friday.\n\nKind regards,\nAoife\n"
              "Head of Procurement | Brennan Procurement\nTel: +353 1 555 0187\n"
              "www.brennan-procure.example<https://www.brennan-procure.example/>\n[cid:image001.png@01DA4F2E.8B5C9A10]\n\n"
              "From: Bob Jones <bob@example.com>\nSent: Monday, November 2, 2026 17:02\nTo: Aoife Brennan "
              "<a.brennan@brennan-procure.example>\nSubject: Tender\n\nKEEP-TXT-25-quoted When does it close?\n",
        html='<html><head><meta name=Generator content="Microsoft Word 15 (filtered medium)"></head><body lang=EN-IE>'
             '<div class=WordSection1><p class=MsoNormal>KEEP-TXT-25-tender The tender closes on Friday.</p>'
             '<p class=MsoNormal>&nbsp;</p><p class=MsoNormal><a name="_MailAutoSig">Kind regards,</a></p>'
             '<p class=MsoNormal>Aoife</p><p class=MsoNormal><b><span style="color:#1F3864">Head of Procurement</span></b>'
             '<span style="color:#1F3864"> | Brennan Procurement</span></p><p class=MsoNormal>Tel: +353 1 555 0187</p>'
             '<p class=MsoNormal><a href="https://www.brennan-procure.example/">www.brennan-procure.example</a></p>'
             '<p class=MsoNormal><img width=120 height=40 src="cid:image001.png@01DA4F2E.8B5C9A10"></p>'
             '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class=MsoNormal>'
             '<b>From:</b> Bob Jones &lt;bob@example.com&gt;<br><b>Sent:</b> Monday, November 2, 2026 17:02<br>'
             '<b>To:</b> Aoife Brennan &lt;a.brennan@brennan-procure.example&gt;<br><b>Subject:</b> Tender</p></div>'
             '<p class=MsoNormal>KEEP-TXT-25-quoted When does it close?</p></div></body></html>\n',
        mailer=("X-Mailer", "Microsoft Outlook 16.0"))
entry("txt25_outlook_regards_sig.eml", "Outlook desktop (HTML)", "Outlook for Windows reply whose stored signature "
      "starts with a sign-off and the first name, marked by _MailAutoSig in the HTML part and by nothing in the "
      "plain part", "a.brennan@brennan-procure.example",
      ["Head of Procurement", "555 0187", "brennan-procure.example/", "01DA4F2E"],
      ["RE: Tender", "KEEP-TXT-25-tender", "KEEP-TXT-25-quoted"],
      "The plain part's signature is the HTML part's _MailAutoSig paragraphs; with no marker and no full name it "
      "is found by the HTML part's lines.", category="html")

message("txt26_owa_signature.eml", "Niamh Quinn <niamh.quinn@quinn-legal.example>", "Re: Lease",
        "<BY5PR11MB2233D2E3F4A5B6C7D8E9F0A1B2C3D4E5@BY5PR11MB2233.namprd11.prod.outlook.example>",
        plain="KEEP-TXT-26-lease Clause 4 is fine as it is.\n\nCheers,\nNiamh\nSenior Counsel, Quinn Legal\n"
              "M: +353 87 555 0144\n\n________________________________\nFrom: Bob Jones <bob@example.com>\n"
              "Sent: Monday, November 2, 2026 17:02\nTo: Niamh Quinn <niamh.quinn@quinn-legal.example>\n"
              "Subject: Lease\n\nKEEP-TXT-26-quoted Is clause 4 fine?\n",
        html='<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body dir="ltr">'
             '<div class="elementToProof">KEEP-TXT-26-lease Clause 4 is fine as it is.</div><div><br></div>'
             '<div id="Signature"><div>Cheers,</div><div>Niamh</div><div>Senior Counsel, Quinn Legal</div>'
             '<div>M: +353 87 555 0144</div></div><div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
             '<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Bob Jones &lt;bob@example.com&gt;<br><b>Sent:</b> Monday, '
             'November 2, 2026 17:02<br><b>To:</b> Niamh Quinn &lt;niamh.quinn@quinn-legal.example&gt;<br>'
             '<b>Subject:</b> Lease</div><div>KEEP-TXT-26-quoted Is clause 4 fine?</div></body></html>\n')
entry("txt26_owa_signature.eml", "Outlook on the web", "Outlook on the web reply: the HTML signature is the "
      "div id=Signature, the plain part writes its lines with no marker, starting 'Cheers,' and the first name",
      "niamh.quinn@quinn-legal.example", ["Senior Counsel", "555 0144"],
      ["Re: Lease", "KEEP-TXT-26-lease", "KEEP-TXT-26-quoted"],
      "The plain part's signature is the HTML part's Signature div.", category="html")

INVITE = ("BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange Server 2010\nVERSION:2.0\nBEGIN:VEVENT\n"
          "ORGANIZER;CN=Aoife Brennan:mailto:a.brennan@brennan-procure.example\n"
          "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob Jones:mailto:bob@example.com\n"
          "DESCRIPTION;LANGUAGE=en-US:KEEP-TXT-27-agenda We go through the tender.\\n\\nKind regards\\,\\nAoife\\n"
          "Head of Procurement | Brennan Procurement\\nTel: +353 1 555 0187\\n\\n\n"
          "UID:040000008200E00074C5B7101A82E00800000000B1C2D3E4F5A6B701000000000000000010000000\n"
          "SUMMARY;LANGUAGE=en-US:Tender review\nDTSTART:20261210T100000Z\nDTEND:20261210T110000Z\n"
          "DTSTAMP:20261103T081422Z\nSEQUENCE:0\nEND:VEVENT\nEND:VCALENDAR\n")
message("txt27_outlook_invite_sig.eml", "Aoife Brennan <a.brennan@brennan-procure.example>", "Tender review",
        "<DB9PR01MB9911C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8@DB9PR01MB9911.eurprd01.prod.outlook.example>",
        plain="KEEP-TXT-27-agenda We go through the tender.\n\nKind regards,\nAoife\n"
              "Head of Procurement | Brennan Procurement\nTel: +353 1 555 0187\n\n",
        html='<html><body><div class=WordSection1><p class=MsoNormal>KEEP-TXT-27-agenda We go through the tender.</p>'
             '<p class=MsoNormal>&nbsp;</p><p class=MsoNormal><a name="_MailAutoSig">Kind regards,</a></p>'
             '<p class=MsoNormal>Aoife</p><p class=MsoNormal>Head of Procurement | Brennan Procurement</p>'
             '<p class=MsoNormal>Tel: +353 1 555 0187</p></div></body></html>\n',
        calendar=INVITE, mailer=("X-Mailer", "Microsoft Outlook 16.0"))
entry("txt27_outlook_invite_sig.eml", "Outlook desktop (invitation)", "Outlook meeting request: text, HTML and "
      "calendar alternatives; the calendar's DESCRIPTION repeats the text, stored signature included",
      "a.brennan@brennan-procure.example",
      ["Head of Procurement", "555 0187", "Aoife Brennan", "a.brennan@"],
      ["Tender review", "KEEP-TXT-27-agenda"],
      "The signature goes from the plain part and from DESCRIPTION, found by the HTML part's _MailAutoSig lines.",
      category="html")

message("txt28_outlook_plain_sig.eml", "Aoife Brennan <a.brennan@brennan-procure.example>", "RE: Tender",
        "<DB9PR01MB9911D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9@DB9PR01MB9911.eurprd01.prod.outlook.example>",
        plain="KEEP-TXT-28-tender The tender closes on Friday.\n\nKind regards,\nAoife\n"
              "Head of Procurement | Brennan Procurement\nTel: +353 1 555 0187\nwww.brennan-procure.example\n\n"
              "-----Original Message-----\nFrom: Bob Jones <bob@example.com>\nSent: Monday, November 2, 2026 17:02\n"
              "To: Aoife Brennan <a.brennan@brennan-procure.example>\nSubject: Tender\n\nKEEP-TXT-28-quoted When does it close?\n",
        mailer=("X-Mailer", "Microsoft Outlook 16.0"))
entry("txt28_outlook_plain_sig.eml", "Outlook desktop (plain text)", "Outlook for Windows reply in plain text: "
      "the stored signature starts with a sign-off and the first name, with nothing to mark it and no HTML part",
      "a.brennan@brennan-procure.example",
      ["Head of Procurement", "555 0187", "brennan-procure.example", "Aoife"],
      ["RE: Tender", "KEEP-TXT-28-tender", "Kind regards,", "KEEP-TXT-28-quoted"],
      "The signature is found by the sign-off line, the name under it and the phone number and web address after it; "
      "it runs to the quoted message, which stays.")

message("txt29_apple_de_plain_sig.eml", "Jörg Müller <j.mueller@mueller-vertrieb.example>", "Re: Angebot",
        "<8C2D4F6A-1B3E-4C5D-9E7F-0A1B2C3D4E5F@mueller-vertrieb.example>",
        plain="KEEP-TXT-29-angebot Anbei das Angebot.\n\nMit freundlichen Grüßen\n\nJörg\nVertrieb\n"
              "Müller Vertrieb GmbH, Musterstraße 1, 10115 Berlin\nTel. 030 1234567\nj.mueller@mueller-vertrieb.example\n",
        plain_cte="8bit", mailer=("X-Mailer", "Apple Mail (2.3826.300.87.4.3)"))
entry("txt29_apple_de_plain_sig.eml", "Apple Mail (plain text, de)", "Apple Mail plain-text message in German: "
      "the stored signature under 'Mit freundlichen Grüßen' starts with the first name, then company, address and phone",
      "j.mueller@mueller-vertrieb.example",
      ["Musterstraße", "030 1234567", "Müller Vertrieb GmbH", "j.mueller@"],
      ["Re: Angebot", "KEEP-TXT-29-angebot", "Mit freundlichen Grüßen"],
      "The signature is found by the sign-off, the name line and the contact details.")

message("txt30_signoff_ps_kept.eml", "Bob Okafor <bob.okafor@okafor-events.example>", "Re: Saturday",
        "<CAO5kT2pQx9bV3nL8mR1sW4yZ7aC6dE0fG2hJ5kM@mail.gmail.example>",
        plain="KEEP-TXT-30-saturday Saturday works.\n\nThanks,\nBob\n\nP.S. The venue is at www.hall.example KEEP-TXT-30-ps\n")
entry("txt30_signoff_ps_kept.eml", "Gmail (plain text)", "A sign-off and a first name, then a P.S. with a link the "
      "sender wrote: no stored signature, nothing to cut",
      "bob.okafor@okafor-events.example", [],
      ["KEEP-TXT-30-saturday", "Thanks,", "P.S. The venue is at www.hall.example KEEP-TXT-30-ps"],
      "The line after the name is a P.S., which no signature holds: the text stays whole.")

manifest = {
    "corpus": "leak-content-text",
    "version": 1,
    "relay_domain": "leak.example",
    "default_recipient": RCPT,
    "deep_decode": True,
    "matching": "same format and rules as /work/shared/corpus (tools/leakcheck.py); generated by gen.py",
    "messages": entries,
}
with open(os.path.join(HERE, "manifest.json"), "w", encoding="utf-8") as f:
    json.dump(manifest, f, indent=1, ensure_ascii=False)
    f.write("\n")
