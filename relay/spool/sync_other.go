//go:build !linux

package spool

import "os"

// datasync flushes f to the disk. Only Linux gets fdatasync(2).
func datasync(f *os.File) error { return f.Sync() }
