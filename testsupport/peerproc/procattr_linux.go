package peerproc

import "syscall"

// procAttr puts the peer in a process group of its own, so Stop can kill everything it
// started, and has the kernel kill it should the test binary die without cleaning up (a panic,
// a timeout), so no peer outlives its tests.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
