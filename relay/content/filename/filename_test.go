package filename

import (
	"strings"
	"testing"
)

func TestNeutral(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Made up by a device or a program: a time, a counter.
		{"IMG_4032.JPG", "photo.jpg"},
		{"IMG_4032 (1).jpeg", "photo.jpeg"},
		{"PXL_20261205_091422123.jpg", "photo.jpg"},
		{"PXL_20261205_091422123.PORTRAIT.jpg", "photo.jpg"},
		{"IMG_20261205_101422.jpg", "photo.jpg"},
		{"DSC_0012.JPG", "photo.jpg"},
		{"DSCF1234.RAF.jpg", "photo.jpg"},
		{"P1010123.JPG", "photo.jpg"},
		{"Screenshot 2026-12-05 at 10.14.22.png", "screenshot.png"},
		{"Screen Shot 2026-12-05 at 10.14.22 AM.png", "screenshot.png"},
		{"Screenshot_20261205-101422_WhatsApp.jpg", "screenshot.jpg"},
		{"Bildschirmfoto 2026-12-05 um 10.14.22.png", "screenshot.png"},
		{"WhatsApp Image 2026-12-05 at 10.14.22.jpeg", "photo.jpeg"},
		{"signal-2026-12-05-101422.jpg", "photo.jpg"},
		{"photo_2026-12-05_10-14-22.jpg", "photo.jpg"},
		{"Scan_20261205.pdf", "scan.pdf"},
		{"image001.png", "photo.png"},
		{"VID_20261205_101422.mp4", "video.mp4"},
		{"20261205_101422.jpg", "photo.jpg"},
		{"1796544600123.jpg", "photo.jpg"},
		{"Recording 2026-12-05 101422.m4a", "recording.m4a"},
		// Chosen by the sender: kept.
		{"floor plan.png", "floor plan.png"},
		{"minutes 2026-12-03.docx", "minutes 2026-12-03.docx"},
		{"capture 2026 strategy.pptx", "capture 2026 strategy.pptx"},
		{"photo 2019 paris.jpg", "photo 2019 paris.jpg"},
		{"release-1.10.12.zip", "release-1.10.12.zip"},
		{"Q3 numbers.xlsx", "Q3 numbers.xlsx"},
		{"signal processing 101.pdf", "signal processing 101.pdf"},
		{"images.zip", "images.zip"},
		{"README", "README"},
	} {
		if got := Neutral(c.in); got != c.want {
			t.Errorf("Neutral(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"IMG_4032.JPG", "photo.jpg"},
		{"trip/IMG_4032.JPG", "trip/photo.jpg"},
		// Info-ZIP given an absolute path: the account's name goes.
		{"home/alice/Pictures/IMG_4032.JPG", "Pictures/photo.jpg"},
		{"Users/alice.smith/Desktop/floor plan.png", "Desktop/floor plan.png"},
		{"Documents and Settings/ASmith/My Documents/q3.xlsx", "My Documents/q3.xlsx"},
		{"home/alice/home/bob/notes.txt", "notes.txt"},
		{"home/alice/", ""},
		{"home/", ""},
		{"users/alice/minutes/", "minutes/"},
		// A camera's folders name its maker.
		{"DCIM/100APPLE/IMG_4032.JPG", "photo.jpg"},
		{"trip/DCIM/101MSDCF/DSC01234.JPG", "trip/photo.jpg"},
		{"DCIM/Camera/PXL_20261205_091422123.jpg", "photo.jpg"},
		{"DCIM/100APPLE/", ""},
		{"home/alice/DCIM/100APPLE/x.jpg", "x.jpg"},
		{"DCIM/home/alice/x.jpg", "x.jpg"},
		// Folders the sender named: kept.
		{"home/notes.txt", "home/notes.txt"},
		{"Users/notes.txt", "Users/notes.txt"},
		{"house/alice/plan.pdf", "house/alice/plan.pdf"},
		{"photos/100 best/a.jpg", "photos/100 best/a.jpg"},
		{"minutes 2026-12-03/", "minutes 2026-12-03/"},
	} {
		if got := Path(c.in); got != c.want {
			t.Errorf("Path(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzPath: a path made plain stays as it is when made plain again, and a
// file's path never loses its file name.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"home/alice/DCIM/100APPLE/IMG_4032.JPG", "a/b/", "home//x", "DCIM/DCIM/100APPLE/a", "/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := Path(p)
		if again := Path(got); again != got {
			t.Fatalf("Path(%q) = %q, then %q", p, got, again)
		}
		if p != "" && !strings.HasSuffix(p, "/") && (got == "" || strings.HasSuffix(got, "/")) {
			t.Fatalf("Path(%q) = %q: the file name is gone", p, got)
		}
	})
}

// FuzzNeutral: a name is kept or made plain, never emptied, and a plain
// name stays as it is.
func FuzzNeutral(f *testing.F) {
	for _, s := range []string{"IMG_4032.JPG", "Screenshot 2026-12-05 at 10.14.22.png", "notes.txt", ".jpg", "1234567", "a."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := Neutral(name)
		if name != "" && got == "" {
			t.Fatalf("Neutral(%q) is empty", name)
		}
		if again := Neutral(got); again != got {
			t.Fatalf("Neutral(%q) = %q, then %q", name, got, again)
		}
	})
}
