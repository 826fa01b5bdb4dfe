//go:build !cgo || purego

package sign

import "crypto"

// Backend names the RSA implementation this binary signs with: Go's
// crypto/rsa, as the binary was built without cgo (CGO_ENABLED=0, or no C
// compiler) or with -tags purego. A cgo build opens OpenSSL's libcrypto at
// run time instead, several times faster; see openssl.go.
func Backend() (name, detail string) {
	return "go", "Go crypto/rsa (built without cgo, or with -tags purego)"
}

func fastSigner(s crypto.Signer) crypto.Signer { return s }
