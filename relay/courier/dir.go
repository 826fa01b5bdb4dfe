package courier

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Dir delivers into a directory, as a local delivery agent would: each copy
// becomes <Path>/new/<id>.eml, written in <Path>/tmp/ first and renamed, as
// in Maildir, so a reader of new/ never sees a partial file. A copy for the
// same id already in new/ is replaced, which makes a re-delivery after a
// crash idempotent.
//
// Dir prepends the trace fields a delivery agent adds: Return-Path (RFC
// 5322 section 3.6.7, RFC 5321 section 4.4) with the envelope sender, and
// Delivered-To with the recipient, as Postfix and Dovecot do.
type Dir struct {
	Path string
}

// NewDir returns a Dir delivering into path, creating path/tmp and
// path/new (mode 0700) as needed.
func NewDir(path string) (*Dir, error) {
	for _, sub := range []string{"tmp", "new"} {
		if err := os.MkdirAll(filepath.Join(path, sub), 0o700); err != nil {
			return nil, fmt.Errorf("courier: dir: %w", err)
		}
	}
	return &Dir{Path: path}, nil
}

// Deliver writes m to new/<id>.eml and returns once the file and its
// directory entry are fsync'd. I/O failures are temporary; an id unsafe as
// a file name, or addresses that would break the header, are permanent.
func (d *Dir) Deliver(ctx context.Context, m *Message) error {
	if !safeName(m.ID) {
		return permanent(AboutMessage, "dir: message id unusable as a file name")
	}
	if strings.ContainsAny(m.To, "\r\n\x00") || m.To == "" {
		return permanent(AboutRecipient, "dir: recipient address unusable in a header field")
	}
	if strings.ContainsAny(m.From, "\r\n\x00") {
		return permanent(AboutMessage, "dir: sender address unusable in a header field")
	}
	if err := ctx.Err(); err != nil {
		return temporary("dir: not attempted", err)
	}

	name := m.ID + ".eml"
	tmp := filepath.Join(d.Path, "tmp", name)
	if err := writeFile(ctx, tmp, m); err != nil {
		os.Remove(tmp)
		return err
	}
	newDir := filepath.Join(d.Path, "new")
	if err := os.Rename(tmp, filepath.Join(newDir, name)); err != nil {
		os.Remove(tmp)
		return localFailure("dir: rename", err)
	}
	// The rename is only durable once new/ itself is synced.
	if err := syncDir(newDir); err != nil {
		return localFailure("dir: sync new/", err)
	}
	return nil
}

// writeFile writes the trace fields and the body to path and fsyncs it.
// An existing file (left by a crash) is truncated.
func writeFile(ctx context.Context, path string, m *Message) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return localFailure("dir: create", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", m.From, m.To); err != nil {
		return localFailure("dir: write", err)
	}
	// Through a pooled buffer: *os.File's ReadFrom would take a fresh
	// 32 KiB one for every message (struct{ io.Writer } hides it).
	buf := copyBufs.Get().(*[]byte)
	n, err := io.CopyBuffer(struct{ io.Writer }{f}, ctxReader{ctx, m.Body}, *buf)
	copyBufs.Put(buf)
	if err != nil {
		return localFailure("dir: copy body", err)
	}
	if m.Size > 0 && n != m.Size {
		return localFailure(fmt.Sprintf("dir: body is %d bytes, expected %d", n, m.Size), nil)
	}
	if err := f.Sync(); err != nil {
		return localFailure("dir: sync", err)
	}
	if err := f.Close(); err != nil {
		return localFailure("dir: close", err)
	}
	return nil
}

// safeName accepts ids that are a plain file name: 1 to 64 letters,
// digits, '-' or '_'. Spool ids are 32 hex digits.
func safeName(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// syncDir fsyncs a directory so the names created in it are durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
