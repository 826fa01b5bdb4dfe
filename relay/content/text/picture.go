package text

import (
	"regexp"
	"strings"

	"leak/relay/content/filename"
)

// Mail clients write where an inline picture was into the plain-text
// alternative: Gmail "[image: IMG_20261102_175540.jpg]", with the file name
// the camera made up, and Outlook "[cid:image001.png@01DA4F2E.8B5C9A10]",
// the picture's Content-ID, whose part after the @ is the time the
// message was written, in 100 ns steps (a Windows FILETIME). The header's
// Content-ID is replaced by the anonymizer; these copies in the text are
// rewritten here.
var (
	gmailPicture   = regexp.MustCompile(`\[image: ([^\]\r\n]{1,255})\]`)
	outlookPicture = regexp.MustCompile(`\[cid:[^\]\s]{1,255}\]`)
)

// pictureNames rewrites the picture placeholders of a line: Gmail's keeps
// its name unless a device made it up, Outlook's becomes "[image]".
func pictureNames(s string) string {
	if strings.Contains(s, "[image: ") {
		s = gmailPicture.ReplaceAllStringFunc(s, func(m string) string {
			name := m[len("[image: ") : len(m)-1]
			return "[image: " + filename.Neutral(name) + "]"
		})
	}
	if strings.Contains(s, "[cid:") {
		s = outlookPicture.ReplaceAllLiteralString(s, "[image]")
	}
	return s
}
