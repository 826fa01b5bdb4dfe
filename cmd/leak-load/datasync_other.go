//go:build !linux

package main

import "os"

// datasync is fsync(2) where there is no fdatasync(2).
func datasync(f *os.File) error { return f.Sync() }
