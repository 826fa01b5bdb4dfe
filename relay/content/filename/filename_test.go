package filename

import "testing"

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
