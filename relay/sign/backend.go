//go:build !openssl || !cgo

package sign

import "crypto"

// Backend names the RSA implementation this binary signs with: Go's
// crypto/rsa. Build with -tags openssl (cgo, libcrypto) for OpenSSL's,
// several times faster; see openssl.go.
const Backend = "go"

func fastSigner(s crypto.Signer) crypto.Signer { return s }
