//go:build !syncsim

package journal

import "syscall"

// fdatasync is fdatasync(2). Builds with the syncsim tag replace it
// (syncsim_linux.go).
func fdatasync(fd int) error { return syscall.Fdatasync(fd) }
