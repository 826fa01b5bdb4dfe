# Writes PDFs that show an address on their pages or hold it in a link,
# one set with the sender's own (alice@sender.example) and one with
# another person's (carol@elsewhere.example), for the text scan's tests
# (text_test.go, and relay/anonymize's TestSenderInPDF).
#
# LibreOffice (7.4) exports a flat OpenDocument text for each, as a
# sender who writes a letter and saves it as PDF does; its pages use
# subset fonts with ToUnicode CMaps and draw each formatting portion as
# its own text object:
#   lo-text-*.pdf   the address typed in a paragraph
#   lo-link-*.pdf   the address only in a mailto: link ("write to me"),
#                   percent-encoded in the document (LibreOffice decodes it)
#   lo-split-*.pdf  the domain bold, so the address is drawn in two pieces
# The rest are written here by hand, with simple fonts and no ToUnicode:
#   winansi-*.pdf   Helvetica with WinAnsiEncoding, the address kerned
#                   letter by letter in a TJ array, in a Flate stream
#   glyphs-*.pdf    a Type 1 font whose /Differences give its codes glyph
#                   names (at, period, hyphen, underscore, uni0040...),
#                   shown by a form XObject the page draws
#   uri-*.pdf       a link whose URI is mailto:alice%40sender.example
#   annot-*.pdf     the address only in a text field's appearance stream
#   cid-*.pdf       a composite font (Type0, Identity-H) with two-byte
#                   codes mapped by a ToUnicode CMap's bfrange and bfchar
#
#   python3 address.py   (needs soffice on the PATH)
import os
import subprocess
import zlib

PEOPLE = {'alice': ('alice', 'sender.example'), 'carol': ('carol', 'elsewhere.example')}

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"')
STYLES = ('<office:automatic-styles><style:style style:name="T1" style:family="text">'
          '<style:text-properties fo:font-weight="bold"/></style:style></office:automatic-styles>')


def fodt(name, body):
    with open(name + '.fodt', 'w') as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<office:document ' + NS +
                ' office:mimetype="application/vnd.oasis.opendocument.text">' + STYLES +
                '<office:body><office:text>' + body + '</office:text></office:body></office:document>')


def pdf(name, objects):
    """Writes objects (bodies of objects 1..n; bytes for streams' data
    follow a dictionary as (dict, data)) as a PDF with object 1 the catalog."""
    out = bytearray(b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
    offs = []
    for i, o in enumerate(objects, 1):
        offs.append(len(out))
        if isinstance(o, tuple):
            d, data = o
            out += b'%d 0 obj\n<<%s/Length %d>>\nstream\n' % (i, d.encode(), len(data)) + data + b'\nendstream\nendobj\n'
        else:
            out += b'%d 0 obj\n%s\nendobj\n' % (i, o.encode())
    xref = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objects) + 1)
    for o in offs:
        out += b'%010d 00000 n \n' % o
    out += b'trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n' % (len(objects) + 1, xref)
    with open(name + '.pdf', 'wb') as f:
        f.write(out)


def page(content, resources, extra=''):
    return ['<</Type/Catalog/Pages 2 0 R>>',
            '<</Type/Pages/Count 1/Kids[3 0 R]>>',
            '<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources %s/Contents 4 0 R%s>>' % (resources, extra),
            ('/Filter/FlateDecode', zlib.compress(content.encode('latin-1')))]


for who, (local, domain) in PEOPLE.items():
    addr = local + '@' + domain
    fodt('lo-text-' + who, '<text:p>Minutes of Thursday.</text:p><text:p>Questions to me at ' + addr + ', please.</text:p>')
    fodt('lo-link-' + who, '<text:p>Questions: <text:a xlink:type="simple" xlink:href="mailto:' + local + '%40' + domain +
         '?subject=Minutes">write to me</text:a>.</text:p>')
    fodt('lo-split-' + who, '<text:p>Reach me at ' + local + '@<text:span text:style-name="T1">' + domain +
         '</text:span> any time.</text:p>')

    # Kerned letter by letter, as a typesetter does; no space glyph
    # between "Contact" and the address, a move instead.
    kerned = ''.join('(%s)%d' % (c, -12 if i % 2 else 8) for i, c in enumerate(addr))
    pdf('winansi-' + who, page('BT /F1 11 Tf 72 720 Td (Contact) Tj 45 0 Td [' + kerned + '] TJ ET',
                               '<</Font<</F1 5 0 R>>>>') +
        ['<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>'])

    # Codes 1, 2, 3... named in /Differences in the order the address
    # first uses each character.
    names = {'@': 'uni0040', '.': 'period', '-': 'hyphen', '_': 'underscore', '+': 'plus'}
    codes = {}
    for c in addr:
        codes.setdefault(c, len(codes) + 1)
    diffs = ' '.join('/' + names.get(c, c) for c in codes)
    shown = ''.join('%02x' % codes[c] for c in addr)
    form = ('/Type/XObject/Subtype/Form/BBox[0 0 595 842]/Resources<</Font<</G1 6 0 R>>>>',
            ('BT /G1 12 Tf 72 700 Td <%s> Tj ET' % shown).encode())
    pdf('glyphs-' + who, page('q /Fm1 Do Q', '<</XObject<</Fm1 5 0 R>>>>') +
        [form, '<</Type/Font/Subtype/Type1/BaseFont/Times-Roman/Encoding<</Differences[1 %s]>>>>' % diffs])

    pdf('uri-' + who, page('BT /F1 11 Tf 72 720 Td (write to me) Tj ET', '<</Font<</F1 5 0 R>>>>',
                           '/Annots[6 0 R]') +
        ['<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>',
         '<</Type/Annot/Subtype/Link/Rect[72 715 140 732]/A<</S/URI/URI(mailto:%s%%40%s)>>>>' % (local, domain)])

    # A text field whose value is not the address: only its appearance,
    # which the viewer shows, draws it.
    ap = ('/Type/XObject/Subtype/Form/BBox[0 0 200 20]/Resources<</Font<</Helv 5 0 R>>>>',
          ('/Tx BMC BT /Helv 10 Tf 2 6 Td (%s) Tj ET EMC' % addr).encode())
    objs = page('', '<<>>', '/Annots[6 0 R]')
    objs[0] = '<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[6 0 R]>>>>'
    pdf('annot-' + who, objs +
        ['<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>',
         '<</Type/Annot/Subtype/Widget/FT/Tx/T(contact)/V(see the page)/Rect[72 700 272 720]/P 3 0 R/AP<</N 7 0 R>>>>',
         ap])

    # Glyph ids as a subset font numbers them: letters from 0x0100 (one
    # bfrange), digits and punctuation by bfchar, "@" through an array.
    def gid(c):
        if c.isalpha():
            return 0x100 + ord(c) - ord('a')
        return {'.': 0x200, '-': 0x201, '@': 0x300}[c]
    cmap = ('/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n'
            '1 begincodespacerange <0000> <FFFF> endcodespacerange\n'
            '2 beginbfchar <0200> <002E> <0201> <002D> endbfchar\n'
            '2 beginbfrange <0100> <0119> <0061> <0300> <0300> [<0040>] endbfrange\n'
            'endcmap CMapName currentdict /CMap defineresource pop end end\n')
    shown = ''.join('%04x' % gid(c) for c in addr)
    pdf('cid-' + who, page('BT /C1 10 Tf 72 720 Td [<%s>] TJ ET' % shown, '<</Font<</C1 5 0 R>>>>') +
        ['<</Type/Font/Subtype/Type0/BaseFont/ABCDEF+Sans/Encoding/Identity-H/DescendantFonts[6 0 R]/ToUnicode 7 0 R>>',
         '<</Type/Font/Subtype/CIDFontType2/BaseFont/ABCDEF+Sans/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>/DW 500>>',
         ('/Filter/FlateDecode', zlib.compress(cmap.encode()))])

lo = [n for n in sorted(os.listdir('.')) if n.endswith('.fodt')]
subprocess.run(['soffice', '-env:UserInstallation=file:///tmp/lo-prof-address', '--headless',
                '--convert-to', 'pdf'] + lo, check=True, stdout=subprocess.DEVNULL)
for n in lo:
    os.remove(n)
