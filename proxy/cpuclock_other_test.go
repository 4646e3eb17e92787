//go:build !linux

package proxy_test

import "time"

// cpuUsed is unavailable here: CPU metrics are not reported.
func cpuUsed(int) time.Duration { return 0 }
