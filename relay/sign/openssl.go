//go:build cgo && !purego

package sign

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

// OpenSSL's libcrypto is opened at run time (dlopen), not linked: a build
// needs a C compiler but no OpenSSL headers (libssl-dev), and a machine
// without libcrypto.so.3 still runs, signing with Go's crypto/rsa. The
// few functions used are declared here with OpenSSL 3's prototypes; the
// types stay opaque.
typedef struct leak_evp_pkey EVP_PKEY;
typedef struct leak_evp_pkey_ctx EVP_PKEY_CTX;
typedef struct leak_evp_md EVP_MD;

static EVP_PKEY *(*p_d2i_AutoPrivateKey)(EVP_PKEY **, const unsigned char **, long);
static void (*p_EVP_PKEY_free)(EVP_PKEY *);
static EVP_PKEY_CTX *(*p_EVP_PKEY_CTX_new)(EVP_PKEY *, void *);
static void (*p_EVP_PKEY_CTX_free)(EVP_PKEY_CTX *);
static int (*p_EVP_PKEY_sign_init)(EVP_PKEY_CTX *);
static int (*p_EVP_PKEY_CTX_set_rsa_padding)(EVP_PKEY_CTX *, int);
static int (*p_EVP_PKEY_CTX_set_signature_md)(EVP_PKEY_CTX *, const EVP_MD *);
static int (*p_EVP_PKEY_sign)(EVP_PKEY_CTX *, unsigned char *, size_t *, const unsigned char *, size_t);
static const EVP_MD *(*p_EVP_sha256)(void);
static const char *(*p_OpenSSL_version)(int);

#define LEAK_SYM(name) if ((*(void **)&p_##name = dlsym(h, #name)) == NULL) return "libcrypto.so.3 lacks " #name;

// leak_crypto_open loads libcrypto.so.3 and its functions. It returns
// NULL, or what went wrong.
static const char *leak_crypto_open(void) {
	void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		return e != NULL ? e : "libcrypto.so.3 could not be opened";
	}
	LEAK_SYM(d2i_AutoPrivateKey)
	LEAK_SYM(EVP_PKEY_free)
	LEAK_SYM(EVP_PKEY_CTX_new)
	LEAK_SYM(EVP_PKEY_CTX_free)
	LEAK_SYM(EVP_PKEY_sign_init)
	LEAK_SYM(EVP_PKEY_CTX_set_rsa_padding)
	LEAK_SYM(EVP_PKEY_CTX_set_signature_md)
	LEAK_SYM(EVP_PKEY_sign)
	LEAK_SYM(EVP_sha256)
	LEAK_SYM(OpenSSL_version)
	return NULL;
}

static const char *leak_crypto_version(void) { return p_OpenSSL_version(0); }

static EVP_PKEY *leak_load_key(const unsigned char *der, long len) {
	const unsigned char *p = der;
	return p_d2i_AutoPrivateKey(NULL, &p, len);
}

static void leak_free_key(EVP_PKEY *k) { p_EVP_PKEY_free(k); }

// leak_sign_ctx makes a context that signs SHA-256 digests with key by
// RSASSA-PKCS1-v1_5 (RFC 8017 8.2), the rsa-sha256 of DKIM, or returns
// NULL. A context serves one thread at a time, and any number of
// signatures in turn: EVP_PKEY_sign "can be called more than once on the
// same context if several operations are performed using the same
// parameters" (its manual). The key may be shared between contexts.
static EVP_PKEY_CTX *leak_sign_ctx(EVP_PKEY *key) {
	EVP_PKEY_CTX *ctx = p_EVP_PKEY_CTX_new(key, NULL);
	if (ctx == NULL)
		return NULL;
	if (p_EVP_PKEY_sign_init(ctx) > 0
		&& p_EVP_PKEY_CTX_set_rsa_padding(ctx, 1) > 0 // RSA_PKCS1_PADDING
		&& p_EVP_PKEY_CTX_set_signature_md(ctx, p_EVP_sha256()) > 0)
		return ctx;
	p_EVP_PKEY_CTX_free(ctx);
	return NULL;
}

static void leak_free_ctx(EVP_PKEY_CTX *ctx) { p_EVP_PKEY_CTX_free(ctx); }

// leak_sign signs a digest with a context of leak_sign_ctx. It returns the
// signature's length, or -1.
static int leak_sign(EVP_PKEY_CTX *ctx, const unsigned char *digest, size_t dlen,
		unsigned char *sig, size_t siglen) {
	return p_EVP_PKEY_sign(ctx, sig, &siglen, digest, dlen) > 0 ? (int)siglen : -1;
}
*/
import "C"

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"runtime"
	"sync"
	"unsafe"
)

// libcrypto loads OpenSSL once, and says which OpenSSL and which of its RSA
// code paths sign (probe.go).
var libcrypto = sync.OnceValues(func() (version string, err error) {
	var code string
	if os.Getenv(probeEnv) != probeToken {
		code = chooseRSACode()
	}
	if e := C.leak_crypto_open(); e != nil {
		return "", errors.New(C.GoString(e))
	}
	version = C.GoString(C.leak_crypto_version())
	if code != "" {
		version += "; " + code
	}
	return version, nil
})

// Backend names the RSA implementation this binary signs with: "openssl"
// when libcrypto.so.3 loaded, else "go"; detail says which OpenSSL, or why
// it did not load.
func Backend() (name, detail string) {
	v, err := libcrypto()
	if err != nil {
		return "go", "OpenSSL not loaded: " + err.Error()
	}
	return "openssl", v
}

// opensslRSA signs with OpenSSL's libcrypto. RSA-2048 signing is the
// largest CPU cost of the relay: OpenSSL takes 0.22 ms where Go's
// constant-time crypto/rsa takes 0.69 ms on a CPU with AVX-512 IFMA, and
// 0.60 (its AVX2 code, chosen in probe.go) against 1.19 ms on one without.
// PKCS#1 v1.5 is deterministic, so both produce the same bytes (tested).
type opensslRSA struct {
	pub  *rsa.PublicKey
	key  *C.EVP_PKEY
	size int
	// idle holds signing contexts ready for use. Making one per signature
	// (EVP_PKEY_CTX_new, EVP_PKEY_sign_init and the two settings) fetches
	// the algorithm from OpenSSL's provider each time, 3% of a signature;
	// a context taken from here is used by one goroutine at a time.
	idle chan *C.EVP_PKEY_CTX
}

// idleContexts bounds opensslRSA.idle: contexts beyond it, made when more
// goroutines sign at once, are freed after use.
const idleContexts = 16

// opensslKey is what an opensslRSA holds in OpenSSL's memory, freed when
// the signer is unreachable.
type opensslKey struct {
	key  *C.EVP_PKEY
	idle chan *C.EVP_PKEY_CTX
}

func (k opensslKey) free() {
	for {
		select {
		case ctx := <-k.idle:
			C.leak_free_ctx(ctx)
		default:
			C.leak_free_key(k.key)
			return
		}
	}
}

// fastSigner returns an OpenSSL signer for an RSA key, or s unchanged when
// the key is not RSA or libcrypto did not load.
func fastSigner(s crypto.Signer) crypto.Signer {
	k, ok := s.(*rsa.PrivateKey)
	if !ok {
		return s
	}
	if _, err := libcrypto(); err != nil {
		return s
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return s
	}
	pkey := C.leak_load_key((*C.uchar)(unsafe.Pointer(&der[0])), C.long(len(der)))
	clear(der)
	if pkey == nil {
		return s
	}
	o := &opensslRSA{pub: &k.PublicKey, key: pkey, size: k.Size(), idle: make(chan *C.EVP_PKEY_CTX, idleContexts)}
	runtime.AddCleanup(o, opensslKey.free, opensslKey{pkey, o.idle})
	return o
}

func (o *opensslRSA) Public() crypto.PublicKey { return o.pub }

func (o *opensslRSA) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != crypto.SHA256 || len(digest) != 32 {
		return nil, errors.New("sign: openssl: only rsa-sha256 (PKCS#1 v1.5, SHA-256) is supported")
	}
	var ctx *C.EVP_PKEY_CTX
	select {
	case ctx = <-o.idle:
	default:
		if ctx = C.leak_sign_ctx(o.key); ctx == nil {
			return nil, errors.New("sign: openssl: no RSA signing context")
		}
	}
	sig := make([]byte, o.size)
	n := C.leak_sign(ctx, (*C.uchar)(unsafe.Pointer(&digest[0])), C.size_t(len(digest)),
		(*C.uchar)(unsafe.Pointer(&sig[0])), C.size_t(len(sig)))
	if n < 0 {
		// A context that failed is not trusted with the next signature.
		C.leak_free_ctx(ctx)
		return nil, errors.New("sign: openssl: RSA signing failed")
	}
	select {
	case o.idle <- ctx:
	default:
		C.leak_free_ctx(ctx)
	}
	runtime.KeepAlive(o)
	return sig[:n], nil
}
