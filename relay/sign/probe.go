//go:build cgo && !purego

package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	_ "embed"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/cpu"
)

// OpenSSL has two ways to compute an RSA-2048 signature on an x86-64 CPU
// without AVX-512 IFMA: exponentiation with 64-bit MULX/ADCX/ADOX, and
// RSAZ-1024 with AVX2 vectors. It takes MULX whenever the CPU has BMI2 and
// ADX (rsaz_avx2_eligible), a choice made on Intel cores. On an AMD EPYC of
// the Zen 3 generation the AVX2 code signs in 0.60–0.75 ms where MULX takes
// 0.93–1.2 ms (`OPENSSL_ia32cap=:~0x80000 openssl speed rsa2048`, which hides
// ADX from OpenSSL). The choice is made once, when libcrypto is loaded, from
// the environment variable OPENSSL_ia32cap, so it cannot be tried both ways
// in one process: before loading libcrypto, leakd runs itself as a probe
// each way, probeRounds times, alternating, and keeps the faster. Where
// the two cannot compete (no AVX2, no ADX, or AVX-512 IFMA, which OpenSSL
// prefers to both), or when the operator set OPENSSL_ia32cap, nothing is
// probed.

// hideADX is the OPENSSL_ia32cap value that hides ADX (CPUID leaf 7, EBX
// bit 19) and with it OpenSSL's MULX exponentiation, leaving RSAZ-AVX2.
const hideADX = ":~0x80000"

// probeEnv names the environment variable that makes a binary holding this
// package a probe: its value must be probeToken, so that the name being set
// by chance does not turn leakd into one.
const (
	probeEnv   = "LEAK_SIGN_PROBE"
	probeToken = "rsa-2048-v1"
)

// probeRounds probes alternate, each way this many times; probeSignatures
// are timed in each, after probeWarmup untimed.
const (
	probeRounds     = 4
	probeSignatures = 32
	probeWarmup     = 4
)

//go:embed probe_key.pem
var probeKeyPEM []byte

// probeDigest is what every probe signs, so that its signature can be
// checked.
var probeDigest = sha256.Sum256([]byte("leak rsa probe"))

func init() {
	if os.Getenv(probeEnv) == probeToken {
		os.Exit(runProbe())
	}
}

// runProbe is the probe's whole life: load libcrypto as the environment
// says, sign, and print the median time of one signature in nanoseconds
// and the signature in hex.
func runProbe() int {
	if _, err := libcrypto(); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	k, err := probeKey()
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	s, ok := fastSigner(k).(*opensslRSA)
	if !ok {
		fmt.Fprintln(os.Stderr, "probe: OpenSSL refused the probe key")
		return 1
	}
	times := make([]time.Duration, 0, probeSignatures)
	var sig []byte
	for i := range probeWarmup + probeSignatures {
		start := time.Now()
		sig, err = s.Sign(nil, probeDigest[:], crypto.SHA256)
		if err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			return 1
		}
		if i >= probeWarmup {
			times = append(times, time.Since(start))
		}
	}
	slices.Sort(times)
	fmt.Printf("%d %x\n", times[len(times)/2], sig)
	return 0
}

func probeKey() (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(probeKeyPEM)
	if b == nil {
		return nil, errors.New("no PEM block in probe_key.pem")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("probe_key.pem is not an RSA key")
	}
	return rk, nil
}

// chooseRSACode runs before libcrypto is loaded. It probes OpenSSL's two
// RSA code paths where they compete and, when the AVX2 code is faster by
// more than 5%, sets OPENSSL_ia32cap so that this process's libcrypto uses
// it. It returns a note for Backend, empty when nothing was probed.
func chooseRSACode() string {
	if v, set := os.LookupEnv("OPENSSL_ia32cap"); set {
		return "OPENSSL_ia32cap=" + v + " set outside leakd"
	}
	if !cpu.X86.HasAVX2 || !cpu.X86.HasBMI2 || !cpu.X86.HasADX || cpu.X86.HasAVX512IFMA {
		return ""
	}
	mulx, avx2, err := probeBoth(probeOnce)
	if err != nil {
		return "OpenSSL's own choice of RSA code; the probe failed: " + err.Error()
	}
	return decide(mulx, avx2)
}

// decide sets OPENSSL_ia32cap when the AVX2 code is faster by more than 5%
// (less is within what the machine moves between probes), and says which
// code signs.
func decide(mulx, avx2 time.Duration) string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1e3, 'f', 2, 64) + " ms" }
	if avx2*100 < mulx*95 {
		os.Setenv("OPENSSL_ia32cap", hideADX)
		return "RSA by OpenSSL's AVX2 code, " + ms(avx2) + " a signature against " + ms(mulx) + " by its MULX code (probed at start; OPENSSL_ia32cap=" + hideADX + ")"
	}
	return "RSA by OpenSSL's MULX code, " + ms(mulx) + " a signature against " + ms(avx2) + " by its AVX2 code (probed at start)"
}

// probeBoth runs probe each way, alternating, and returns the fastest
// median of each.
func probeBoth(probe func(hideADX bool) (time.Duration, error)) (mulx, avx2 time.Duration, err error) {
	for range probeRounds {
		for _, hide := range []bool{false, true} {
			d, err := probe(hide)
			if err != nil {
				return 0, 0, err
			}
			best := &mulx
			if hide {
				best = &avx2
			}
			if *best == 0 || d < *best {
				*best = d
			}
		}
	}
	return mulx, avx2, nil
}

// probeOnce runs this binary as a probe, with ADX hidden from OpenSSL or
// not, checks the signature it made, and returns its median time.
func probeOnce(hide bool) (time.Duration, error) {
	// Linux's /proc/self/exe is this very binary, even after an upgrade
	// replaced the file at its path.
	exe := "/proc/self/exe"
	if runtime.GOOS != "linux" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return 0, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), probeEnv+"="+probeToken)
	if hide {
		cmd.Env = append(cmd.Env, "OPENSSL_ia32cap="+hideADX)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return 0, fmt.Errorf("%w: %s", err, msg)
		}
		return 0, err
	}
	ns, sigHex, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || n <= 0 {
		return 0, fmt.Errorf("unreadable probe output %q", out)
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil {
		return 0, fmt.Errorf("unreadable probe signature: %w", err)
	}
	k, err := probeKey()
	if err != nil {
		return 0, err
	}
	if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, probeDigest[:], sig); err != nil {
		return 0, fmt.Errorf("the probe's signature does not verify: %w", err)
	}
	return time.Duration(n), nil
}
