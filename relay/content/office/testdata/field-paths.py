# Writes field-paths.fodt: a relative hyperlink that climbs out of the
# document's folder, a hyperlink to a file URL, and the fields that show
# the author, the file's path and a custom property. field-paths.docx is
# what LibreOffice 7.4 makes of it, converted in /tmp/lo-gen: the file URL
# becomes "../../C:/Users/...", the FILENAME \p field shows
# /tmp/lo-gen/field-paths.fodt, AUTHOR an empty result, DOCPROPERTY the
# property's value:
#   mkdir /tmp/lo-gen && cd /tmp/lo-gen && python3 .../field-paths.py
#   soffice -env:UserInstallation=file:///tmp/lo-ooxml --headless --convert-to docx field-paths.fodt
body = r'''<text:p>Relative: <text:a xlink:type="simple" xlink:href="../../../home/hquartermaine/Private/plan-abs.odt">KEEP-relative</text:a>.</text:p>
<text:p>File: <text:a xlink:type="simple" xlink:href="file:///C:/Users/hquartermaine/Desktop/plan-HQ.docx">KEEP-file</text:a>.</text:p>
<text:p>Author: <text:initial-creator>Hollis Quartermaine</text:initial-creator> KEEP-after-author</text:p>
<text:p>Path: <text:file-name text:display="full">field-paths.odt</text:file-name> KEEP-after-path</text:p>
<text:p>Property: <text:user-defined office:value-type="string" text:name="Department">Hollis desk</text:user-defined> KEEP-after-property</text:p>'''
doc = '''<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta><meta:initial-creator>Hollis Quartermaine</meta:initial-creator><dc:creator>Hollis Quartermaine</dc:creator><meta:user-defined meta:name="Department">Hollis desk</meta:user-defined></office:meta>
<office:body><office:text>
''' + body + '''
</office:text></office:body></office:document>'''
with open('field-paths.fodt', 'w') as f:
    f.write(doc)
