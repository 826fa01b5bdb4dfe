package image

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// exiftoolDeniedGroups are the metadata groups (exiftool -G1) that must not
// appear in a cleaned image; IFD0 is allowed for Orientation alone.
var exiftoolDeniedGroups = []string{
	"IFD1", "ExifIFD", "GPS", "InteropIFD", "MakerNotes", "XMP", "IPTC", "Photoshop",
	"ICC", "ICC_Profile", "ICC-header", "ICC-meas", "ICC-view", "Ducky", "MPF0", "MPImage",
	"FlashPix", "JFXX", "CIFF", "Samsung",
}

// exiftoolDeniedTags are tag names that name or date the sender in groups
// that are otherwise allowed (File, PNG, RIFF, GIF).
var exiftoolDeniedTags = []string{
	"Comment", "Author", "Source", "Description", "Software", "Make", "Model", "SerialNumber",
	"Artist", "Copyright", "Creator", "By-line", "ProfileDescription", "DateTimeOriginal",
	"ModifyDate", "CreateDate", "Warning", "Error", "XMPToolkit", "ApplicationExtension", "MetadataID",
}

// TestExiftool reads every cleaned image with exiftool, the tool a curious
// recipient would use. It skips when exiftool is not installed, unless
// LEAK_INTEROP=1 asks for every interoperability test to run.
func TestExiftool(t *testing.T) {
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatal("LEAK_INTEROP=1 but exiftool is not installed")
		}
		t.Skip("exiftool not installed")
	}
	tests := []struct {
		name, mediaType string
		in              []byte
		orientation     string // exiftool's IFD0 Orientation, "" for none
	}{
		{"photo.jpg", "image/jpeg", withMetadata(encodeJPEG(t, testPicture(64, 48)), cameraTIFF(binary.BigEndian, 1)), ""},
		{"portrait.jpg", "image/jpeg", withMetadata(encodeJPEG(t, testPicture(64, 48)), cameraTIFF(binary.LittleEndian, 6)), "Rotate 90 CW"},
		{"portrait8.jpg", "image/jpeg", withMetadata(encodeJPEG(t, testPicture(64, 48)), cameraTIFF(binary.BigEndian, 8)), "Rotate 270 CW"},
		{"progressive.jpg", "image/jpeg", readTestdata(t, "progressive.jpg"), "Rotate 90 CW"},
		{"cmyk.jpg", "image/jpeg", readTestdata(t, "cmyk.jpg"), "Rotate 90 CW"},
		{"drawing.png", "image/png", pngWithMetadata(encodePNG(t, testPicture(64, 48)), 1), ""},
		{"rotated.png", "image/png", pngWithMetadata(encodePNG(t, testPicture(64, 48)), 6), "Rotate 90 CW"},
		{"anim.gif", "image/gif", gifWithMetadata(t), ""},
		{"lossy.webp", "image/webp", readTestdata(t, "lossy.webp"), ""},
		{"alpha.webp", "image/webp", readTestdata(t, "alpha.webp"), ""},
		{"anim.webp", "image/webp", readTestdata(t, "anim.webp"), ""},
		{"drawing.svg", "image/svg+xml", []byte(inkscapeWithPhoto(t)), ""},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := Clean(tt.mediaType, &out, bytes.NewReader(tt.in)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			report, err := exec.Command(exiftool, "-a", "-G1", "-s", "-u", path).CombinedOutput()
			if err != nil {
				t.Fatalf("exiftool: %v: %s", err, report)
			}
			checkNoSecrets(t, report)
			orientation := ""
			for _, line := range strings.Split(string(report), "\n") {
				group, rest, ok := strings.Cut(strings.TrimPrefix(line, "["), "]")
				if !ok {
					continue
				}
				tag, value, _ := strings.Cut(strings.TrimSpace(rest), ":")
				tag, value = strings.TrimSpace(tag), strings.TrimSpace(value)
				switch {
				case group == "IFD0" && tag == "Orientation":
					orientation = value
				case group == "IFD0":
					t.Errorf("IFD0 tag %s survived", tag)
				case strings.HasPrefix(group, "SVG-"): // an editor's namespace
					t.Errorf("[%s] %s survived", group, tag)
				}
				for _, g := range exiftoolDeniedGroups {
					if group == g || strings.HasPrefix(group, g+"-") {
						t.Errorf("[%s] %s survived", group, tag)
					}
				}
				for _, d := range exiftoolDeniedTags {
					if tag == d {
						t.Errorf("[%s] %s survived", group, tag)
					}
				}
			}
			if orientation != tt.orientation {
				t.Errorf("orientation %q, want %q\n%s", orientation, tt.orientation, report)
			}
		})
	}
}
