//go:build unix

package chromium

import (
	"os/exec"
	"syscall"
)

// ownGroup runs cmd in a process group of its own, so that killGroup
// stops Chromium's helper processes too.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills the process group of a command started with ownGroup.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
