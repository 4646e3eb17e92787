//go:build !linux

package journal

import "os"

// dataSyncer syncs with (*os.File).Sync where fdatasync(2) is not used.
type dataSyncer struct{ *os.File }
