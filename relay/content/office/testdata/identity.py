# Writes identity.fodt and identity.fods, flat OpenDocument files
# holding what names the author besides the metadata: the author's
# language on the styles (Icelandic), fields that repeat the template's
# and the file's path, a user-defined property, who printed the document,
# database fields and ranges naming a private data source, and links
# relative to the document that climb to the author's home folder.
# identity.odt, identity.ods and identity.rtf are what
# LibreOffice 7.4 makes of them:
#   python3 identity.py
#   soffice -env:UserInstallation=file:///tmp/lo-prof --headless --convert-to odt identity.fodt
#   soffice -env:UserInstallation=file:///tmp/lo-prof --headless --convert-to ods identity.fods
#   soffice -env:UserInstallation=file:///tmp/lo-prof --headless --convert-to rtf identity.fodt
ns = '''xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" office:version="1.3"'''
lang = 'fo:language="is" fo:country="IS" style:language-asian="zh" style:country-asian="CN" style:language-complex="hi" style:country-complex="IN"'
meta = '''<office:meta><meta:initial-creator>Hollis Quartermaine</meta:initial-creator><dc:creator>Hollis Quartermaine</dc:creator>
<meta:printed-by>Hollis Quartermaine</meta:printed-by><meta:template xlink:type="simple" xlink:actuate="onRequest" xlink:title="QH-Letter" xlink:href="../../../../home/hquartermaine/Templates/QH-Letter.ott"/>
<meta:user-defined meta:name="Department">HQ-Secret-Dept</meta:user-defined></office:meta>'''
styles = '''<office:styles><style:default-style style:family="paragraph"><style:text-properties ''' + lang + '''/></style:default-style></office:styles>
<office:automatic-styles><style:style style:name="P1" style:family="paragraph"><style:text-properties fo:font-weight="bold" ''' + lang + '''/></style:style></office:automatic-styles>'''
rel = '../../../../home/hquartermaine/Private/plan-abs.odt'
text = '''<office:body><office:text>
<text:p text:style-name="P1">Íslenska: þetta er prófun á ð og æ.</text:p>
<text:p>Template: <text:template-name text:display="full">/home/hquartermaine/Templates/QH-Letter.ott</text:template-name> path: <text:template-name text:display="path">/home/hquartermaine/Templates</text:template-name> name: <text:template-name text:display="name">QH-Letter</text:template-name></text:p>
<text:p>File: <text:file-name text:display="full" text:fixed="true">/home/hquartermaine/Private/HQ-plan.odt</text:file-name></text:p>
<text:p>Dept: <text:user-defined text:name="Department" office:value-type="string" office:string-value="HQ-Secret-Dept">HQ-Secret-Dept</text:user-defined></text:p>
<text:p>Printed by: <text:printed-by>Hollis Quartermaine</text:printed-by> creator: <text:creator>Hollis Quartermaine</text:creator> initial: <text:initial-creator>Hollis Quartermaine</text:initial-creator></text:p>
<text:p>DB: <text:database-display text:database-name="HollisPrivateDB" text:table-name="hquartermaine_contacts" text:table-type="table" text:column-name="Name">Name</text:database-display> <text:database-name text:database-name="HollisPrivateDB" text:table-name="hquartermaine_contacts">HollisPrivateDB.hquartermaine_contacts</text:database-name></text:p>
<text:p>Rel: <text:a xlink:type="simple" xlink:href="''' + rel + '''">plan</text:a></text:p>
<text:p>Pic: <draw:frame draw:name="Image1" text:anchor-type="as-char" svg:width="1cm" svg:height="1cm"><draw:image xlink:href="../../../../home/hquartermaine/Private/pic-abs.png" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>
</office:text></office:body>'''
with open('identity.fodt', 'w') as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<office:document ' + ns + ' office:mimetype="application/vnd.oasis.opendocument.text">' + meta + styles + text + '</office:document>')
sheet = '''<office:body><office:spreadsheet>
<table:database-ranges>
<table:database-range table:name="SqlRange" table:target-range-address="Sheet1.A1:Sheet1.A2"><table:database-source-sql table:database-name="HollisPrivateDB" table:sql-statement="SELECT * FROM hquartermaine_contacts"/></table:database-range>
<table:database-range table:name="TableRange" table:target-range-address="Sheet1.B1:Sheet1.B2"><table:database-source-table table:database-name="HollisPrivateDB" table:database-table-name="hquartermaine_contacts"/></table:database-range>
<table:database-range table:name="QueryRange" table:target-range-address="Sheet1.C1:Sheet1.C2"><table:database-source-query table:database-name="HollisPrivateDB" table:query-name="hquartermaine_query"/></table:database-range>
</table:database-ranges>
<table:table table:name="Sheet1"><table:table-column table:number-columns-repeated="3"/>
<table:table-row><table:table-cell office:value-type="string"><text:p text:style-name="P1">KEEP-a1</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>KEEP-b1</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>KEEP-c1</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell></table:table-row>
</table:table>
<table:table table:name="Linked"><table:table-source table:mode="copy-all" xlink:type="simple" xlink:href="''' + rel.replace('.odt', '.ods') + '''" table:filter-name="calc8" table:table-name="Sheet1"/><table:table-column/><table:table-row><table:table-cell office:value-type="string"><text:p>KEEP-linked</text:p></table:table-cell></table:table-row></table:table>
<table:table table:name="Other"><table:table-column/><table:table-row><table:table-cell office:value-type="string" table:formula="of:=&apos;file:///home/hquartermaine/Private/x.ods&apos;#$Sheet1.A1"><text:p>x</text:p></table:table-cell></table:table-row></table:table>
</office:spreadsheet></office:body>'''
with open('identity.fods', 'w') as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<office:document ' + ns + ' office:mimetype="application/vnd.oasis.opendocument.spreadsheet">' + meta + styles + sheet + '</office:document>')
