//go:build unix && !linux

package peerproc

import "syscall"

// procAttr puts the peer in a process group of its own, so Stop can kill everything it
// started.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
