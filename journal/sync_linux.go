package journal

import (
	"errors"
	"os"
	"syscall"
)

// dataSyncer makes appended records durable with fdatasync(2) rather than
// fsync(2). For an append that is enough: fdatasync writes the data and
// every piece of metadata needed to read it back, the file size included;
// it skips only the timestamps. The directory entry was made durable by
// Create (with fsync on the file and on its directory), so a record that
// an fdatasync covered survives a crash of the machine. On this project's
// ext4 disk it is 5–10% faster than fsync (BenchmarkFsync).
type dataSyncer struct{ *os.File }

func (f dataSyncer) Sync() error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = fdatasync(int(fd))
			if !errors.Is(serr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

// File system magic numbers from statfs(2).
const (
	ext4Magic = 0xEF53 // ext2, ext3 and ext4
	xfsMagic  = 0x58465342
)

// canReserve reports whether f is on a file system that overwrites a
// file's blocks in place, where reserving space ahead of the records
// makes their syncs cheaper (reserve.go).
func canReserve(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var st syscall.Statfs_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstatfs(int(fd), &st) }); err != nil || serr != nil {
		return false
	}
	switch st.Type {
	case ext4Magic, xfsMagic:
		return true
	}
	return false
}
