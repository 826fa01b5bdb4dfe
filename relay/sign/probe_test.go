//go:build cgo && !purego

package sign

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The probe is this test binary run again (the init in probe.go): each way,
// it must sign with OpenSSL and hand back a time and a signature that
// verifies (probeOnce checks it).
func TestProbeRuns(t *testing.T) {
	for _, hide := range []bool{false, true} {
		d, err := probeOnce(hide)
		if err != nil {
			t.Fatalf("probe with ADX hidden %v: %v", hide, err)
		}
		if d <= 0 || d > time.Second {
			t.Errorf("probe with ADX hidden %v: %v a signature", hide, d)
		}
	}
}

// Both of OpenSSL's RSA code paths must sign byte for byte as Go does,
// whichever one this machine's probe picked for this process: each is run
// in a process of its own, as OPENSSL_ia32cap is read once, at load ("~0"
// clears no bit: OpenSSL's own choice).
func TestOpenSSLMatchesGoBothCodes(t *testing.T) {
	for _, v := range []string{hideADX, "~0"} {
		cmd := exec.Command(os.Args[0], "-test.run=^(TestOpenSSLMatchesGo|TestOpenSSLContexts)$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "OPENSSL_ia32cap="+v)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("OPENSSL_ia32cap=%s: %v\n%s", v, err, out)
		}
		if n := strings.Count(string(out), "--- PASS"); n != 2 {
			t.Fatalf("OPENSSL_ia32cap=%s: %d tests passed, want 2:\n%s", v, n, out)
		}
	}
}

// An OPENSSL_ia32cap the operator set is theirs: nothing is probed and it
// stays as it is.
func TestProbeLeavesOperatorsChoice(t *testing.T) {
	t.Setenv("OPENSSL_ia32cap", ":~0x100")
	got := chooseRSACode()
	if want := "OPENSSL_ia32cap=:~0x100 set outside leakd"; got != want {
		t.Errorf("chooseRSACode() = %q, want %q", got, want)
	}
	if v := os.Getenv("OPENSSL_ia32cap"); v != ":~0x100" {
		t.Errorf("OPENSSL_ia32cap = %q after the choice, want the operator's", v)
	}
}

func TestProbeDecides(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name       string
		mulx, avx2 time.Duration
		hide       bool
		note       string
	}{
		{"AVX2 much faster", 930 * ms / 1000, 610 * ms / 1000, true,
			"RSA by OpenSSL's AVX2 code, 0.61 ms a signature against 0.93 ms by its MULX code (probed at start; OPENSSL_ia32cap=:~0x80000)"},
		{"AVX2 faster by 6%", 1000 * ms / 1000, 940 * ms / 1000, true, ""},
		{"AVX2 faster by 4%, within noise", 1000 * ms / 1000, 960 * ms / 1000, false,
			"RSA by OpenSSL's MULX code, 1.00 ms a signature against 0.96 ms by its AVX2 code (probed at start)"},
		{"MULX faster", 220 * ms / 1000, 400 * ms / 1000, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("OPENSSL_ia32cap", "")
			os.Unsetenv("OPENSSL_ia32cap")
			note := decide(c.mulx, c.avx2)
			v, set := os.LookupEnv("OPENSSL_ia32cap")
			if c.hide && (!set || v != hideADX) {
				t.Errorf("OPENSSL_ia32cap = %q (set %v), want %q", v, set, hideADX)
			}
			if !c.hide && set {
				t.Errorf("OPENSSL_ia32cap = %q, want it unset", v)
			}
			if c.note != "" && note != c.note {
				t.Errorf("note %q\nwant %q", note, c.note)
			}
		})
	}
}

// probeBoth alternates the two ways, keeps the fastest of each, and stops
// at the first failure.
func TestProbeBoth(t *testing.T) {
	ms := time.Millisecond
	times := map[bool][]time.Duration{
		false: {9 * ms, 7 * ms, 8 * ms, 10 * ms},
		true:  {6 * ms, 5 * ms, 12 * ms, 6 * ms},
	}
	var order []bool
	probe := func(hide bool) (time.Duration, error) {
		order = append(order, hide)
		d := times[hide][0]
		times[hide] = times[hide][1:]
		return d, nil
	}
	mulx, avx2, err := probeBoth(probe)
	if err != nil || mulx != 7*ms || avx2 != 5*ms {
		t.Errorf("probeBoth = %v, %v, %v; want 7ms, 5ms, nil", mulx, avx2, err)
	}
	if len(order) != 2*probeRounds {
		t.Fatalf("%d probes, want %d", len(order), 2*probeRounds)
	}
	for i, hide := range order {
		if hide != (i%2 == 1) {
			t.Fatalf("probe %d hid ADX %v: the two ways must alternate", i, hide)
		}
	}

	boom := errors.New("no exec")
	calls := 0
	_, _, err = probeBoth(func(bool) (time.Duration, error) { calls++; return 0, boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("a failing probe: err %v after %d calls; want it at once", err, calls)
	}
}

// The probe's own key must load, or every probe fails.
func TestProbeKey(t *testing.T) {
	k, err := probeKey()
	if err != nil {
		t.Fatal(err)
	}
	if k.N.BitLen() != 2048 {
		t.Errorf("probe key of %d bits, want 2048: the probe times RSA-2048", k.N.BitLen())
	}
}
