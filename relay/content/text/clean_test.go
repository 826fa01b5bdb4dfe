package text

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"leak/relay/content/refusal"
)

// crlf turns a test's LF lines into the CRLF the cleaner receives.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func clean(t *testing.T, in string, o Options) (string, error) {
	t.Helper()
	var b strings.Builder
	err := Clean(&b, strings.NewReader(crlf(in)), o)
	return strings.ReplaceAll(b.String(), "\r\n", "\n"), err
}

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "Hello\nworld\n", "Hello\nworld\n"},
		{"no final newline", "Hello\nworld", "Hello\nworld"},
		{"iphone device line and attribution",
			"Yes, Thursday works.\n\nSent from my iPhone\n\n> On 2 Nov 2026, at 18:20, Arjun Menon <arjun.menon@r.example> wrote:\n>\n> Can you make Thursday at 3?\n",
			"Yes, Thursday works.\n\n> On 2 Nov 2026, someone wrote:\n>\n> Can you make Thursday at 3?\n"},
		{"signature then quote (Gmail)",
			"Fine as written.\n\n-- \nLic. Marisol Quintero\n+52 55 4187 2290\n\nOn Mon, 2 Nov 2026 at 17:05, Rafael Ortega <rafael.ortega@q.ex=\nample> wrote:\n\n> Can you check clause 7?\n",
			"Fine as written.\n\nOn Mon, 2 Nov 2026, someone wrote:\n\n> Can you check clause 7?\n"},
		{"signature to the end",
			"Body\n-- \nAlice Smith\nACME\n",
			"Body\n"},
		{"double dash alone is text", "a\n--\nb\n", "a\n--\nb\n"},
		{"gmail wrapped attribution",
			"Sure.\n\nOn Tue, 3 Nov 2026 at 10:12, Alice Smith <\nalice@x.example> wrote:\n\n> Lunch?\n",
			"Sure.\n\nOn Tue, 3 Nov 2026, someone wrote:\n\n> Lunch?\n"},
		{"gmail US attribution",
			"On Mon, Nov 2, 2026 at 5:05 PM Rafael Ortega <rafael@q.example> wrote:\n> hi\n",
			"On Mon, Nov 2, 2026, someone wrote:\n> hi\n"},
		{"month as a first name",
			"On 3 Nov 2026, at 10:12, June Carter <june@q.example> wrote:\n",
			"On 3 Nov 2026, someone wrote:\n"},
		{"german",
			"Ja.\n\nVon meinem iPhone gesendet\n\nAm 02.11.2026 um 18:20 schrieb Arjun Menon <arjun@r.example>:\n> Geht Donnerstag?\n",
			"Ja.\n\nAm 02.11.2026 schrieb jemand:\n> Geht Donnerstag?\n"},
		{"german reversed",
			"Arjun Menon <arjun@r.example> schrieb am Di., 3. Nov. 2026, 10:12:\n",
			"Am Di., 3. Nov. 2026 schrieb jemand:\n"},
		{"french", "Envoyé de mon iPhone\n\nLe 2 nov. 2026 à 18:20, Arjun Menon <arjun@r.example> a écrit :\n",
			"Le 2 nov. 2026, quelqu'un a écrit :\n"},
		{"spanish", "El mar., 3 nov. 2026 a las 10:12, Alice Smith (<alice@x.example>) escribió:\n",
			"El mar., 3 nov. 2026, alguien escribió:\n"},
		{"italian", "Il giorno mar 3 nov 2026 alle ore 10:12 Alice Smith <alice@x.example> ha scritto:\n",
			"Il giorno mar 3 nov 2026 qualcuno ha scritto:\n"},
		{"dutch", "Op di 3 nov 2026 om 10:12 schreef Alice Smith <alice@x.example>:\n",
			"Op di 3 nov 2026 schreef iemand:\n"},
		{"prose is not an attribution", "On the other hand, the committee wrote:\n", "On the other hand, the committee wrote:\n"},
		{"quoted device line and nested attribution",
			"ok\n> Sent from my iPad\n> \n> > On Mon, 2 Nov 2026 at 17:05, Bo Li <bo@x.example> wrote:\n> > hi\n",
			"ok\n> > On Mon, 2 Nov 2026, someone wrote:\n> > hi\n"},
		{"quoted signature ends with the quote level",
			"ok\n> text\n> -- \n> Bo Li\n> Tel 123\nafter\n",
			"ok\n> text\nafter\n"},
		{"outlook header block",
			"Agreed.\n\n________________________________\nFrom: Hartl, Magda <magda@h.example>\nSent: Monday, November 2, 2026 5:05 PM\nTo: Bob <bob@example.com>; Team\n  <team@h.example>\nCc: Carl <carl@h.example>\nSubject: Budget\n\nPlease review.\n",
			"Agreed.\n\n________________________________\nFrom: someone\nSubject: Budget\n\nPlease review.\n"},
		{"original message block german",
			"-----Ursprüngliche Nachricht-----\nVon: Magda Hartl <magda@h.example>\nGesendet: Montag, 2. November 2026 17:05\nAn: Bob\nBetreff: Budget\n\nText\n",
			"-----Ursprüngliche Nachricht-----\nVon: someone\nBetreff: Budget\n\nText\n"},
		{"french header block",
			"________________________________\nDe : Magda Hartl <magda@h.example>\nEnvoyé : lundi 2 novembre 2026 17:05\nÀ : Bob\nObjet : Budget\n\nTexte\n",
			"________________________________\nDe : someone\nObjet : Budget\n\nTexte\n"},
		{"spanish header block without separator",
			"De: Magda Hartl <magda@h.example>\nEnviado: lunes, 2 de noviembre de 2026 17:05\nPara: Bob\nAsunto: Presupuesto\n\nTexto\n",
			"De: someone\nAsunto: Presupuesto\n\nTexto\n"},
		{"yahoo attribution run into the quote",
			"ok\n  On Mon, Nov 2, 2026 at 17:05, Maja Lind<maja@d.example> wrote:   Is it ready?\n",
			"ok\nOn Mon, Nov 2, 2026, someone wrote: Is it ready?\n"},
		{"bold outlook fields", "*From:* Magda Hartl <magda@h.example>\n*Sent:* Monday\n*Subject:* Budget\n",
			"*From:* someone\n*Subject:* Budget\n"},
		{"typed from line", "From: the committee\nWe agree.\n", "From: the committee\nWe agree.\n"},
		{"safelinks", "See https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fshop.example%2Fa%3Futm_source%3Dx%26id%3D7&data=05%7C02%7Cm%40h.example&reserved=0.\n",
			"See https://shop.example/a?id=7.\n"},
		{"outlook file link target", "See Q3 forecast<file:///C:\\Users\\mhartl\\Q3.xlsx> now\n", "See Q3 forecast now\n"},
		{"other address", "write to xalice@x.example or alice@x.example.org\n", "write to xalice@x.example or alice@x.example.org\n"},
		{"sender in removed signature", "hi\n-- \nAlice <alice@x.example>\n", "hi\n"},
		{"begin in prose", "begin 644 is a mode\nfine\n", "begin 644 is a mode\nfine\n"},
		{"safelinks us government cloud", "See https://gcc02.safelinks.protection.office365.us/?url=https%3A%2F%2Fshop.example%2Fa&data=05%7C02%7Calice%40x.example%7C0&reserved=0\n",
			"See https://shop.example/a\n"},
		{"other mailboxes encoded", "alice%40x.example.org, xalice%40x.example, /personal/alice_x_example_org/ and 100%40 stay\n",
			"alice%40x.example.org, xalice%40x.example, /personal/alice_x_example_org/ and 100%40 stay\n"},
		{"pgp clearsigned",
			"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nHi Bob,\n- -----BEGIN quoted dashes\nthe meeting is at 5.\n-----BEGIN PGP SIGNATURE-----\n\niHUEARYIAB0WIQS4jopiClNGmgAKCRCqRMOMXL7a1w\n=u4Bz\n-----END PGP SIGNATURE-----\n",
			"Hi Bob,\n-----BEGIN quoted dashes\nthe meeting is at 5.\n"},
		{"pgp clearsigned with signature separator",
			"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nok\n- -- \nAlice\n-----BEGIN PGP SIGNATURE-----\niHUE\n-----END PGP SIGNATURE-----\n> quoted\n",
			"ok\n> quoted\n"},
		{"pgp public key", "Here is my key:\n\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0Nl2hYJKwYBBAHaRw8BAQdA\n=ab12\n-----END PGP PUBLIC KEY BLOCK-----\nthanks\n",
			"Here is my key:\n\n[PGP key removed]\nthanks\n"},
		{"quoted pgp signature", "ok\n> text\n> -----BEGIN PGP SIGNATURE-----\n> iHUE\n> -----END PGP SIGNATURE-----\n> more\n",
			"ok\n> text\n> more\n"},
		{"outlook mobile device line with link", "See you.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n", "See you.\n\n"},
	}
	o := Options{Sender: []string{"alice@x.example"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clean(t, tt.in, o)
			if err != nil {
				t.Fatalf("Clean: %v", err)
			}
			if got != tt.want {
				t.Errorf("Clean:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestRefuse(t *testing.T) {
	long := strings.Repeat("x", 9000)
	tests := []struct {
		name string
		in   string
		kind refusal.Kind
	}{
		{"own address", "Mail me at Alice@X.example.\n", refusal.Identifying},
		{"own address in mailto", "<mailto:alice@x.example>\n", refusal.Identifying},
		{"own address in quote", "> alice@x.example\n", refusal.Identifying},
		{"own address in long line", long + " alice@x.example " + long + "\n", refusal.Identifying},
		{"own address across chunks", strings.Repeat("y", 4090) + " alice@x.example\n", refusal.Identifying},
		{"typed file url", "see file:///home/alice/notes.txt\n", refusal.Identifying},
		{"path as a link's text", "It is here: C:\\Users\\asmith\\Q3.xlsx<file:///C:\\Users\\asmith\\Q3.xlsx>\n", refusal.Identifying},
		{"share as a link's text", "\\\\fs01.corp.example\\home$\\asmith\\Q3.xlsx<file:///\\\\fs01.corp.example\\home$\\asmith\\Q3.xlsx>\n", refusal.Identifying},
		{"own address percent-encoded in a link", "https://tracker.example/c?r=05%7C02%7Calice%40x.example%7C1\n", refusal.Identifying},
		{"own address encoded twice", "https://a.example/r?u=https%3A%2F%2Fb.example%2F%3Fm%3Dalice%2540x.example\n", refusal.Identifying},
		{"own address in a onedrive link", "https://xcorp-my.sharepoint.com/:x:/g/personal/alice_x_example/EaBcDe?e=Xy12Ab\n", refusal.Identifying},
		{"own address encoded in long line", long + " a?u=alice%40x.example " + long + "\n", refusal.Identifying},
		{"inline pgp message", "-----BEGIN PGP MESSAGE-----\n\nhQEMA9ZsvQ\n-----END PGP MESSAGE-----\n", refusal.Encrypted},
		{"uuencoded", "photo:\nbegin 644 photo.jpg\nM_]C_X``02D9)1@`!`0$`2`!(``#_VP!#``,\"`@,\"`@,#`P,$`P,$!0@%!00$\n`\nend\n", refusal.Unsupported},
	}
	o := Options{Sender: []string{"alice@x.example"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := clean(t, tt.in, o)
			r, ok := refusal.As(err)
			if !ok || r.Kind != tt.kind {
				t.Fatalf("Clean = %v, want a %v refusal", err, tt.kind)
			}
			if strings.Contains(r.Text, "alice") {
				t.Errorf("refusal text carries a value from the message: %q", r.Text)
			}
		})
	}
}

func TestLongLineCopied(t *testing.T) {
	in := "a\n" + strings.Repeat("z", 10000) + "\nSent from my iPhone\n"
	got, err := clean(t, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\n" + strings.Repeat("z", 10000) + "\n"; got != want {
		t.Errorf("long line: got %d bytes, want %d", len(got), len(want))
	}
}

func TestIsDeviceLine(t *testing.T) {
	yes := []string{"Sent from my iPhone", "Sent from my iPhone.", "  sent from my ipad ", "Sent from my Samsung Galaxy smartphone.",
		"Sent from my Galaxy", "Sent from my Android", "Sent from my BlackBerry 10 smartphone.", "Sent from Mail for Windows",
		"Sent from Outlook", "Get Outlook for iOS", "Get Outlook for Android", "Sent from Yahoo Mail for iPhone",
		"Sent from Yahoo Mail on Android", "Sent from my Huawei phone", "Sent from my Pixel 9", "Sent with Proton Mail secure email.",
		"Sent via Superhuman", "Envoyé de mon iPhone", "Von meinem iPhone gesendet", "Gesendet von meinem iPhone",
		"Enviado desde mi iPhone", "Enviado do meu iPhone", "Inviato da iPhone", "Verzonden vanaf mijn iPhone",
		"Wysłane z iPhone'a", "Skickat från min iPhone", "Sendt fra min iPhone", "iPhoneから送信", "發自我的 iPhone",
		"Отправлено с iPhone", "Telefonumdan gönderildi", "iPhone'umdan gönderildi",
		"Get Outlook for iOS<https://aka.ms/o0ukef>", "Get Outlook for Android<https://aka.ms/AAb9ysg>",
		"Sent from my Verizon, Samsung Galaxy smartphone", "Sent from my T-Mobile 4G LTE Device",
		"Sent from my Sprint Samsung Galaxy S9.", "Sent from my Sony Xperia™ smartphone", "Sent from my HTC",
		"Sent with Spark", "Sent from BlueMail", "Sent from AOL Mobile Mail",
		"Sent from Yahoo Mail for iPhone <https://overview.mail.yahoo.com?.src=iOS>", "Sent from my iPhone 15 Pro"}
	for _, s := range yes {
		if !IsDeviceLine(s) {
			t.Errorf("IsDeviceLine(%q) = false", s)
		}
	}
	no := []string{"Sent from my desk, as promised", "I sent it from my iPhone yesterday", "Outlook", "",
		"Sent from my desk at the office.", "Sent with love <https://a.example/>", "Sent from my Verizon account settings page"}
	for _, s := range no {
		if IsDeviceLine(s) {
			t.Errorf("IsDeviceLine(%q) = true", s)
		}
	}
}

func TestCleanURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.google.com/url?q=https://a.example/p?x%3D1&sa=D&ust=1", "https://a.example/p?x=1"},
		{"https://urldefense.proofpoint.com/v2/url?u=https-3A__a.example_p-3Fx-3D1&d=DwMF&c=abc", "https://a.example/p?x=1"},
		{"https://urldefense.com/v3/__https://a.example/p__;!!Abc!def$", "https://a.example/p"},
		{"https://l.facebook.com/l.php?u=https%3A%2F%2Fa.example%2F&h=AT0", "https://a.example/"},
		{"https://a.example/p?utm_source=x&fbclid=1&id=2#top", "https://a.example/p?id=2#top"},
		{"https://a.example/p?utm_source=x", "https://a.example/p"},
		{"https://mimecast.example/s/opaque", "https://mimecast.example/s/opaque"},
		{"https://eur01.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)&data=x", "https://eur01.safelinks.protection.outlook.com/?url=javascript%3Aalert(1)&data=x"},
	}
	for _, tt := range tests {
		if got := CleanURL(tt.in); got != tt.want {
			t.Errorf("CleanURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Clean's buffers are pooled between calls: cleaning many bodies at once
// must give each exactly what cleaning it alone gives, with nothing of one
// body in another's output (a body's text is its sender's).
func TestCleanConcurrentBodiesStayApart(t *testing.T) {
	body := func(g, i int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "Hello from body-%d-%d.\r\n", g, i)
		for j := range i % 7 {
			fmt.Fprintf(&b, "line %d of body-%d-%d\r\n", j, g, i)
		}
		if i%3 == 0 {
			// A line longer than the buffer, copied in chunks.
			b.WriteString(strings.Repeat(fmt.Sprintf("body-%d-%d ", g, i), 1+2*chunk/10) + "\r\n")
		}
		b.WriteString("Sent from my iPhone\r\n")
		return b.String()
	}
	o := Options{Sender: []string{"alice@x.example"}}
	want := map[string]string{}
	for g := range 8 {
		for i := range 50 {
			var out strings.Builder
			if err := Clean(&out, strings.NewReader(body(g, i)), o); err != nil {
				t.Fatal(err)
			}
			want[fmt.Sprint(g, "/", i)] = out.String()
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				var out strings.Builder
				if err := Clean(&out, strings.NewReader(body(g, i)), o); err != nil {
					errs <- err
					return
				}
				if out.String() != want[fmt.Sprint(g, "/", i)] {
					errs <- fmt.Errorf("body-%d-%d cleaned alongside others differs from cleaned alone:\n%q", g, i, out.String())
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The placeholders of inline pictures in a plain-text alternative lose
// what a device or Outlook put in them.
func TestPictureNames(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"[image: IMG_20261102_175540.jpg]", "[image: photo.jpg]"},
		{"see [image: floor plan.png] and [image: IMG_4821.jpeg]", "see [image: floor plan.png] and [image: photo.jpeg]"},
		{"Regards [cid:image001.png@01DA4F2E.8B5C9A10]", "Regards [image]"},
		{"[cid:] and [image: ] and plain text", "[cid:] and [image: ] and plain text"},
	} {
		if got := pictureNames(c.in); got != c.want {
			t.Errorf("pictureNames(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A display name broken over two lines, by a format=flowed soft break or a
// hard one, is still the sender's name.
func TestNameAcrossLines(t *testing.T) {
	o := Options{Names: []string{"Alice Smith"}}
	for _, c := range []struct{ in, want string }{
		{"the summary that Alice \nSmith promised to send.\n", "the summary that Someone \npromised to send.\n"},
		{"> from Alice\n> SMITH, who wrote\n", "> from Someone\n> , who wrote\n"},
		{"from Alice\u00a0Smith\nby ALICE  SMITH\nSmith, Alice\n", "from Someone\nby Someone\nSmith, Alice\n"},
		{"Alice \nSmithson stays\n", "Alice \nSmithson stays\n"},
	} {
		got, err := clean(t, c.in, o)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Outlook and Apple Mail write a stored signature into the plain-text part
// without "-- ": the line that is the sender's full name starts it, up to
// the quoted message or the end of the part.
func TestNameLineSignature(t *testing.T) {
	o := Options{Names: []string{"Aoife Brennan"}}
	for _, c := range []struct{ in, want string }{
		{"The numbers are in.\n\nAoife Brennan\nHead of Procurement | Brennan Procurement\nTel: +353 1 555 0187\n",
			"The numbers are in.\n\n"},
		{"Fine.\n\nAOIFE BRENNAN.\nHead of Procurement\n\n> On Mon, 2 Nov 2026, Bob <bob@example.com> wrote:\n> Numbers?\n",
			"Fine.\n\n> On Mon, 2 Nov 2026, someone wrote:\n> Numbers?\n"},
		// Apple Mail's signatures often shorten the name.
		{"See you.\n\nAoife B.\nBrennan Procurement | +353 1 555 0187\n", "See you.\n\n"},
		// The name in a sentence starts nothing; nor does the first
		// name alone, the usual sign-off, nor the name as an item of a
		// list.
		{"Thanks,\nAoife\nKEEP\n", "Thanks,\nAoife\nKEEP\n"},
		{"Aoife Brennan will call you.\nKEEP\n", "Someone will call you.\nKEEP\n"},
		{"> Aoife Brennan will call.\n> KEEP\n", "> Someone will call.\n> KEEP\n"},
		{"Team for Saturday:\nAoife Brennan\nBob Jones\n\nKEEP\n", "Team for Saturday:\nSomeone\nBob Jones\n\nKEEP\n"},
		{"Drivers\nBob Jones\nAoife Brennan\nKEEP\n", "Drivers\nBob Jones\nSomeone\nKEEP\n"},
		// The sender's own earlier signature in a quote goes, to the end
		// of its quote.
		{"Yes.\n\n> Numbers below.\n>\n> Aoife Brennan\n> Head of Procurement\n> Tel: +353 1 555 0187\n>> KEEP\n",
			"Yes.\n\n> Numbers below.\n>\n>> KEEP\n"},
	} {
		got, err := clean(t, c.in, o)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
