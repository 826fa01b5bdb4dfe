# Writes field-links.odt: hyperlinks to a file in the author's Documents,
# to a share, to the home folder, to a web page and a mail address, and a
# picture linked from the author's disk. field-links.rtf is what
# LibreOffice 7.4 makes of it (HYPERLINK fields; the missing linked
# picture becomes an embedded placeholder):
#   python3 field-links.py
#   soffice -env:UserInstallation=file:///tmp/lo-prof --headless --convert-to rtf field-links.odt
import zipfile
body = r'''<text:p>Plan: <text:a xlink:type="simple" xlink:href="file:///C:/Users/alice/Documents/plan.docx">plan</text:a>, web: <text:a xlink:type="simple" xlink:href="https://example.com/x">site</text:a>, share: <text:a xlink:type="simple" xlink:href="file://srv/alice/notes%20x.txt">notes</text:a>.</text:p>
<text:p>Home: <text:a xlink:type="simple" xlink:href="file:///home/alice/">home</text:a> mail: <text:a xlink:type="simple" xlink:href="mailto:bob@example.com">bob</text:a></text:p>
<text:p>Linked:<draw:frame draw:name="Image1" text:anchor-type="as-char" svg:width="2cm" svg:height="2cm"><draw:image xlink:href="file:///C:/Users/alice/Pictures/IMG_4032.JPG" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>
<text:p>Framelink:<draw:a xlink:type="simple" xlink:href="file:///C:/Users/alice/Documents/frame.odt"><draw:frame draw:name="Image2" text:anchor-type="as-char" svg:width="2cm" svg:height="2cm"><draw:image xlink:href="file:///home/alice/Pictures/b.png"/></draw:frame></draw:a></text:p>'''
content = '''<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"><office:body><office:text>
''' + body + '''
</office:text></office:body></office:document-content>'''
manifest = '''<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>'''
with zipfile.ZipFile('field-links.odt', 'w') as z:
    z.writestr('mimetype', 'application/vnd.oasis.opendocument.text')
    z.writestr('content.xml', content, zipfile.ZIP_DEFLATED)
    z.writestr('META-INF/manifest.xml', manifest, zipfile.ZIP_DEFLATED)
