//go:build !linux

package journal

import "os"

// dataSyncer syncs with (*os.File).Sync where fdatasync(2) is not used.
type dataSyncer struct{ *os.File }

// canReserve reports whether space is reserved ahead of the records
// (reserve.go); only the Linux build checks the file system for it.
func canReserve(*os.File) bool { return false }
