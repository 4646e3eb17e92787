//go:build !unix

package proxy

// socketIdle cannot peek at a socket here: the connection counts as
// alive, and a request that finds it closed is retried on a new one as
// on any reused connection (upstream.do).
func socketIdle(uintptr) bool { return true }
