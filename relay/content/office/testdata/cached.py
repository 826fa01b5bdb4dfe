# Writes cached.fodp and cached.fods: a presentation and a spreadsheet
# that compute the moment they are opened and the file they are opened
# from, and keep what they computed last.
# cached.fodp: a slide with a date and a time field (not fixed) and one
# fixed date, and the master's footer date that shows the current date
# (its declaration holds a text LibreOffice does not keep).
# cached.fods: cells computing NOW(), TODAY(), HOUR(NOW()), an array of
# NOW()+{0;1}, CELL("filename") (the workbook's full path), INFO("system"),
# one computing 1+41 and a date typed by hand.
# cached.odp, cached.pptx, cached.ods and cached.xlsx are what LibreOffice
# 7.4 makes of them, run in a folder named for an author, so that
# CELL("filename") caches a path naming them:
#   mkdir -p /tmp/hquartermaine/Private && cd /tmp/hquartermaine/Private
#   python3 .../cached.py
#   for f in odp pptx; do soffice -env:UserInstallation=file:///tmp/lo-prof --headless --convert-to $f cached.fodp; done
#   for f in ods xlsx; do soffice -env:UserInstallation=file:///tmp/lo-prof --headless --convert-to $f cached.fods; done
ns = '''xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.3"'''
dates = '''<number:date-style style:name="N1"><number:day number:style="long"/><number:text> </number:text><number:month number:textual="true" number:style="long"/><number:text> </number:text><number:year number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:date-style>
<number:time-style style:name="N2"><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:time-style>'''
styles = '''<office:styles/><office:automatic-styles>''' + dates + '''
<style:page-layout style:name="PM1"><style:page-layout-properties fo:page-width="28cm" fo:page-height="15.75cm" style:print-orientation="landscape"/></style:page-layout>
<style:style style:name="dp1" style:family="drawing-page"><style:drawing-page-properties presentation:display-footer="true" presentation:display-page-number="false" presentation:display-date-time="true"/></style:style>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Default" style:page-layout-name="PM1">
<draw:frame presentation:class="date-time" svg:x="1.4cm" svg:y="14.3cm" svg:width="6.5cm" svg:height="1.1cm"><draw:text-box><text:p><presentation:date-time/></text:p></draw:text-box></draw:frame>
<draw:frame presentation:class="footer" svg:x="9.5cm" svg:y="14.3cm" svg:width="9cm" svg:height="1.1cm"><draw:text-box><text:p><presentation:footer/></text:p></draw:text-box></draw:frame>
</style:master-page></office:master-styles>'''
slides = '''<office:body><office:presentation>
<presentation:footer-decl presentation:name="ftr1">KEEP-slide-footer</presentation:footer-decl>
<presentation:date-time-decl presentation:name="dtd1" presentation:source="current-date" style:data-style-name="N1">05 March 2024 07:41</presentation:date-time-decl>
<draw:page draw:name="page1" draw:style-name="dp1" draw:master-page-name="Default" presentation:use-footer-name="ftr1" presentation:use-date-time-name="dtd1">
<draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box>
<text:p>Today: <text:date style:data-style-name="N1" text:date-value="2024-03-05T07:41:00">05 March 2024 07:41</text:date> KEEP-slide-date</text:p>
<text:p>Now: <text:time style:data-style-name="N2" text:time-value="2024-03-05T07:41:00">07:41</text:time> KEEP-slide-time</text:p>
<text:p>Fixed: <text:date style:data-style-name="N1" text:fixed="true" text:date-value="1999-12-24T23:59:00">24 December 1999 23:59</text:date> KEEP-slide-fixed</text:p>
</draw:text-box></draw:frame>
</draw:page>
</office:presentation></office:body>'''
with open('cached.fodp', 'w') as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<office:document ' + ns + ' office:mimetype="application/vnd.oasis.opendocument.presentation">' + styles + slides + '</office:document>')

def row(label, cell):
    return '<table:table-row><table:table-cell office:value-type="string"><text:p>' + label + '</text:p></table:table-cell>' + cell + '</table:table-row>'
def formula(f, attrs=''):
    return '<table:table-cell ' + attrs + ' table:formula="of:=' + f + '"/>'
rows = [
    row('KEEP-cell-now', formula('NOW()', 'table:style-name="ce1"')),
    row('KEEP-cell-today', formula('TODAY()', 'table:style-name="ce1"')),
    row('KEEP-cell-hour', formula('HOUR(NOW())+1000')),
    row('KEEP-cell-array', formula('NOW()+{0;1}', 'table:style-name="ce1" table:number-matrix-columns-spanned="1" table:number-matrix-rows-spanned="2"')),
    row('KEEP-cell-array2', '<table:table-cell table:style-name="ce1"/>'),
    row('KEEP-cell-path', formula('CELL(&quot;filename&quot;)')),
    row('KEEP-cell-system', formula('INFO(&quot;system&quot;)')),
    row('KEEP-cell-sum', formula('1+41')),
    row('KEEP-cell-typed', '<table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="1999-12-24T23:59:00"><text:p>24 December 1999 23:59</text:p></table:table-cell>'),
]
sheet = '''<office:automatic-styles>''' + dates + '''<style:style style:name="ce1" style:family="table-cell" style:data-style-name="N1"/></office:automatic-styles>
<office:body><office:spreadsheet><table:table table:name="Sheet1"><table:table-column table:number-columns-repeated="2"/>''' + ''.join(rows) + '''</table:table></office:spreadsheet></office:body>'''
with open('cached.fods', 'w') as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<office:document ' + ns + ' office:mimetype="application/vnd.oasis.opendocument.spreadsheet">' + sheet + '</office:document>')
