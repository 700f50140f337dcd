package azurite

import "syscall"

// procAttr puts the emulator in a process group of its own, so stop can kill everything it
// started, and has the kernel kill it should the test binary die without cleaning up (a panic,
// a timeout), so no emulator outlives its tests.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
