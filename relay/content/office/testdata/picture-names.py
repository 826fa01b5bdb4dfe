# Writes picture-names.odt: three drawings whose names, titles and
# descriptions are paths on the author's disk. picture-names.rtf is what
# LibreOffice 7.4 makes of it:
#   python3 picture-names.py
#   soffice -env:UserInstallation=file:///tmp/lo-prof --headless --convert-to rtf picture-names.odt
import struct, zipfile, zlib

def png():
    rows = b''.join(b'\x00' + b'\x80' * 4 for _ in range(4))
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 4, 4, 8, 0, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))

body = r'''<text:p>Photo:<draw:frame draw:name="Image1" text:anchor-type="as-char" svg:width="2cm" svg:height="2cm"><draw:image xlink:href="Pictures/p.png"/><svg:title>D:\alice.smith\Desktop\DSC_0042.JPG</svg:title><svg:desc>C:\Users\alice\Pictures\IMG_4032.JPG</svg:desc></draw:frame></text:p>
<text:p>Floating:<draw:frame draw:name="Image2" text:anchor-type="paragraph" svg:x="1cm" svg:y="1cm" svg:width="2cm" svg:height="2cm"><draw:image xlink:href="Pictures/p.png"/><svg:title>C:\Users\zoë\Pictures\Café.png</svg:title><svg:desc>/home/alice/Pictures/PXL_20240101_101010.jpg</svg:desc></draw:frame></text:p>
<text:p>Shape:<draw:custom-shape draw:name="C:\Users\zoë\Documents\Résumé {draft}.png" text:anchor-type="paragraph" svg:x="1cm" svg:y="4cm" svg:width="2cm" svg:height="2cm"><svg:desc>/home/alice/desc.jpg</svg:desc><draw:enhanced-geometry draw:type="rectangle"/></draw:custom-shape></text:p>'''
content = '''<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"><office:body><office:text>
''' + body + '''
</office:text></office:body></office:document-content>'''
manifest = '''<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="Pictures/p.png" manifest:media-type="image/png"/>
</manifest:manifest>'''
with zipfile.ZipFile('picture-names.odt', 'w') as z:
    z.writestr('mimetype', 'application/vnd.oasis.opendocument.text')
    z.writestr('content.xml', content, zipfile.ZIP_DEFLATED)
    z.writestr('META-INF/manifest.xml', manifest, zipfile.ZIP_DEFLATED)
    z.writestr('Pictures/p.png', png())
