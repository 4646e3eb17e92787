//go:build unix

package proxy

import (
	"errors"
	"syscall"
)

// socketIdle peeks at an idle upstream socket without blocking: nothing
// to read means it is still open. Zero bytes (the server's FIN), bytes or
// an error mean it cannot be reused.
func socketIdle(fd uintptr) bool {
	var buf [1]byte
	_, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
}
