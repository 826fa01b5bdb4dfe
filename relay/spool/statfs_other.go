//go:build !linux

package spool

import "errors"

// freeBytes is only implemented on Linux: elsewhere the spool cannot tell
// how much room is left, and CheckSpace lets everything through.
func freeBytes(string) (int64, error) { return 0, errors.ErrUnsupported }
