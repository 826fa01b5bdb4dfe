package spool

import (
	"fmt"
	"syscall"
)

// freeBytes returns the bytes free for an unprivileged process on the file
// system holding dir.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	for {
		err := syscall.Statfs(dir, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("spool: statfs %s: %w", dir, err)
		}
		return int64(st.Bavail) * int64(st.Bsize), nil
	}
}
