package sts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
)

// maxPolicySize bounds a policy file (RFC 8461 section 3.3 suggests 64
// KiB); real ones are a few hundred bytes.
const maxPolicySize = 64 << 10

// newClient returns the HTTPS client of policy fetches: certificates
// verified against roots (nil: the system's), no redirects, no proxy, no
// HTTP cache, no connection kept (RFC 8461 section 3.3). It is built
// here rather than taken as an option so that none of that can be lost.
func newClient(dial func(ctx context.Context, network, addr string) (net.Conn, error), roots *x509.CertPool) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:            dial,
			TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			DisableKeepAlives:      true,
			MaxResponseHeaderBytes: 16 << 10,
		},
		// "HTTP 3xx redirects MUST NOT be followed": the 3xx itself comes
		// back, and is refused as any status but 200.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// fetch gets domain's policy from its policy host. Its errors do not name
// the domain nor the host's addresses: they are logged.
func (c *Cache) fetch(ctx context.Context, domain string) (*Policy, error) {
	u := "https://mta-sts." + domain + "/.well-known/mta-sts.txt"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("sts: policy request: %w", err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sts: policy fetch: %w", scrub(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sts: policy fetch: HTTP status %d, want 200", resp.StatusCode)
	}
	// Only text/plain, so that a host where users may upload files
	// cannot be made to serve a policy by accident (RFC 8461 section
	// 3.2).
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		return nil, errors.New("sts: policy fetch: Content-Type is not text/plain")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPolicySize+1))
	if err != nil {
		return nil, fmt.Errorf("sts: policy fetch: %w", scrub(err))
	}
	if len(body) > maxPolicySize {
		return nil, fmt.Errorf("sts: policy fetch: policy over %d bytes", maxPolicySize)
	}
	return Parse(body)
}

// scrub removes what names the domain from err: the URL, the addresses
// of a network error, the names a certificate error quotes.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if e, ok := TLSProblem(err); ok {
		return errors.New(e)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return errors.New("the policy host does not exist")
		}
		return errors.New("the policy host's address lookup failed")
	}
	return err
}

// TLSProblem describes err, if it is a certificate verification failure,
// without the host names and certificate subjects its own text quotes:
// they would name the recipient's domain in the logs. ok is false for
// any other error.
func TLSProblem(err error) (problem string, ok bool) {
	var (
		ve   *tls.CertificateVerificationError
		host x509.HostnameError
		auth x509.UnknownAuthorityError
		inv  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &host):
		return "the certificate is not valid for the host name", true
	case errors.As(err, &auth):
		return "the certificate is not signed by a trusted authority", true
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return "the certificate has expired or is not valid yet", true
	case errors.As(err, &inv):
		return "the certificate is not valid", true
	case errors.As(err, &ve):
		return "the certificate does not verify", true
	}
	return "", false
}
