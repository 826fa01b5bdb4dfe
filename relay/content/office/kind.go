package office

import (
	"bytes"
	"path"
	"strings"
)

// The names Kind returns.
const (
	KindOOXML = "ooxml"
	KindODF   = "odf"
	KindZip   = "zip"
	KindRTF   = "rtf"
)

// Kind tells which cleaner a media type (lower case) or, for application/octet-stream, a file name extension selects:
// "ooxml", "odf", "zip", "rtf" or "" for none.
//
// The legacy binary types (application/msword, .doc, .xls, .ppt) select
// "ooxml": OOXML recognises the compound file and refuses it with a reply
// that tells the sender which format to use instead.
func Kind(mediaType, filename string) string {
	switch mt := strings.TrimSpace(mediaType); {
	case mt == "application/msword", mt == "application/vnd.ms-excel", mt == "application/vnd.ms-powerpoint":
		// Outlook labels .csv files application/vnd.ms-excel; the name
		// decides when there is one.
		if filename != "" {
			return byExtension(filename)
		}
		return KindOOXML
	case strings.HasPrefix(mt, "application/vnd.openxmlformats-officedocument."),
		strings.HasPrefix(mt, "application/vnd.ms-word.") && strings.Contains(mt, "macroenabled"),
		strings.HasPrefix(mt, "application/vnd.ms-excel.") && strings.Contains(mt, "macroenabled"),
		strings.HasPrefix(mt, "application/vnd.ms-powerpoint.") && strings.Contains(mt, "macroenabled"):
		return KindOOXML
	case strings.HasPrefix(mt, "application/vnd.oasis.opendocument.") && !strings.HasSuffix(mt, "-flat-xml"):
		return KindODF
	case mt == "application/zip", mt == "application/x-zip-compressed", mt == "application/x-zip":
		return KindZip
	case mt == "application/rtf", mt == "text/rtf", mt == "application/x-rtf":
		return KindRTF
	case mt != "application/octet-stream" && mt != "":
		return ""
	}
	return byExtension(filename)
}

func byExtension(filename string) string {
	switch strings.ToLower(path.Ext(filename)) {
	case ".docx", ".docm", ".dotx", ".dotm", ".xlsx", ".xlsm", ".xltx", ".xltm", ".pptx", ".pptm",
		".potx", ".potm", ".ppsx", ".ppsm", ".doc", ".xls", ".ppt":
		return KindOOXML
	case ".odt", ".ods", ".odp", ".odg", ".ott", ".ots", ".otp", ".otg":
		return KindODF
	case ".zip":
		return KindZip
	case ".rtf":
		return KindRTF
	}
	return ""
}

// Sniff tells the cleaner from the leading bytes, for parts whose label is
// missing or wrong: a zip with [Content_Types].xml is OOXML, one with a
// mimetype member ODF, another zip a zip; a compound file goes to OOXML
// (which refuses it); "{\rtf" is RTF.
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		// The first local header's name starts at offset 30 (APPNOTE 4.3.7).
		if len(data) >= 38 && string(data[30:38]) == "mimetype" {
			return KindODF
		}
		if bytes.Contains(data, []byte("[Content_Types].xml")) {
			return KindOOXML
		}
		if bytes.Contains(data, []byte("META-INF/manifest.xml")) {
			return KindODF
		}
		return KindZip
	case bytes.HasPrefix(data, olePrefix):
		return KindOOXML
	case bytes.HasPrefix(data, []byte(`{\rtf`)):
		return KindRTF
	}
	return ""
}
