//go:build openssl && cgo

package sign

/*
#cgo LDFLAGS: -lcrypto
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

static EVP_PKEY *leak_load_key(const unsigned char *der, long len) {
	const unsigned char *p = der;
	return d2i_AutoPrivateKey(NULL, &p, len);
}

// leak_sign signs a SHA-256 digest with RSASSA-PKCS1-v1_5 (RFC 8017 8.2),
// the rsa-sha256 of DKIM. It returns the signature's length, or -1. A
// context per call: an EVP_PKEY may be shared between threads that way.
static int leak_sign(EVP_PKEY *key, const unsigned char *digest, size_t dlen,
		unsigned char *sig, size_t siglen) {
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	if (ctx == NULL)
		return -1;
	int ok = EVP_PKEY_sign_init(ctx) > 0
		&& EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0
		&& EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0
		&& EVP_PKEY_sign(ctx, sig, &siglen, digest, dlen) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok ? (int)siglen : -1;
}
*/
import "C"

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"io"
	"runtime"
	"unsafe"
)

// Backend names the RSA implementation this binary signs with.
const Backend = "openssl"

// opensslRSA signs with OpenSSL's libcrypto. RSA-2048 signing is the
// largest CPU cost of the relay, and on the machines Leak is measured on
// OpenSSL takes 0.21 ms where Go's constant-time crypto/rsa takes 0.75 ms.
// PKCS#1 v1.5 is deterministic, so both produce the same bytes (tested).
type opensslRSA struct {
	pub  *rsa.PublicKey
	key  *C.EVP_PKEY
	size int
}

// fastSigner returns an OpenSSL signer for an RSA key, or s unchanged.
func fastSigner(s crypto.Signer) crypto.Signer {
	k, ok := s.(*rsa.PrivateKey)
	if !ok {
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
	o := &opensslRSA{pub: &k.PublicKey, key: pkey, size: k.Size()}
	runtime.AddCleanup(o, func(p *C.EVP_PKEY) { C.EVP_PKEY_free(p) }, pkey)
	return o
}

func (o *opensslRSA) Public() crypto.PublicKey { return o.pub }

func (o *opensslRSA) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != crypto.SHA256 || len(digest) != 32 {
		return nil, errors.New("sign: openssl: only rsa-sha256 (PKCS#1 v1.5, SHA-256) is supported")
	}
	sig := make([]byte, o.size)
	n := C.leak_sign(o.key, (*C.uchar)(unsafe.Pointer(&digest[0])), C.size_t(len(digest)),
		(*C.uchar)(unsafe.Pointer(&sig[0])), C.size_t(len(sig)))
	runtime.KeepAlive(o)
	if n < 0 {
		return nil, errors.New("sign: openssl: RSA signing failed")
	}
	return sig[:n], nil
}
