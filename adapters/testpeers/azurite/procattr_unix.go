//go:build unix && !linux

package azurite

import "syscall"

// procAttr puts the emulator in a process group of its own, so stop can kill everything it
// started.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
