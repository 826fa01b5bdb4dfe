# Writes field-dates.fodt: a date and a time field that show when the
# document is opened (not fixed), whose values LibreOffice keeps as the
# moment the author last opened or saved it, and a date and a time the
# author fixed. field-dates.odt, field-dates.docx and field-dates.rtf are
# what LibreOffice 7.4 makes of it; it writes the unfixed fields as Word's
# DATE and TIME fields with the result they showed when it converted, the
# fixed ones locked (docx w:fldLock, RTF \fldlock):
#   python3 field-dates.py
#   for f in odt docx rtf; do soffice -env:UserInstallation=file:///tmp/lo-prof --headless --convert-to $f field-dates.fodt; done
ns = '''xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" office:version="1.3"'''
styles = '''<office:automatic-styles>
<number:date-style style:name="N1"><number:day number:style="long"/><number:text> </number:text><number:month number:textual="true" number:style="long"/><number:text> </number:text><number:year number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:date-style>
<number:time-style style:name="N2"><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:time-style>
</office:automatic-styles>'''
text = '''<office:body><office:text>
<text:p>Today: <text:date style:data-style-name="N1" text:date-value="2024-03-05T07:41:00">05 March 2024 07:41</text:date> KEEP-after-date</text:p>
<text:p>Now: <text:time style:data-style-name="N2" text:time-value="2024-03-05T07:41:00">07:41</text:time> KEEP-after-time</text:p>
<text:p>Fixed: <text:date style:data-style-name="N1" text:fixed="true" text:date-value="1999-12-24T23:59:00">24 December 1999 23:59</text:date> KEEP-after-fixed-date</text:p>
<text:p>Fixed time: <text:time style:data-style-name="N2" text:fixed="true" text:time-value="1999-12-24T23:58:00">23:58</text:time> KEEP-after-fixed-time</text:p>
</office:text></office:body>'''
with open('field-dates.fodt', 'w') as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<office:document ' + ns + ' office:mimetype="application/vnd.oasis.opendocument.text">' + styles + text + '</office:document>')
