package azurite

import (
	"sync"
	"testing"
)

// Shared is one emulator for a whole test package: the first test that asks starts it, and
// TestMain stops it after m.Run. Azurite takes a second or two to start, too long to pay for
// every test.
type Shared struct {
	// OAuth, when set before the first Server call, makes the emulator RunOAuth's.
	OAuth *OAuth

	once sync.Once
	srv  *Server
	err  error
}

// Server returns the package's emulator, starting it on first use. It fails t when the
// emulator is not installed or does not start, for this and every later caller.
func (sh *Shared) Server(t testing.TB) *Server {
	t.Helper()
	sh.once.Do(func() {
		bin, err := locate()
		if err != nil {
			sh.err = err
			return
		}
		sh.srv, sh.err = run(bin, sh.OAuth)
	})
	if sh.err != nil {
		t.Fatalf("azurite: %v", sh.err)
	}
	return sh.srv
}

// Close stops the emulator if a test started one. Call it from TestMain once m.Run returned.
func (sh *Shared) Close() {
	if sh.srv != nil {
		sh.srv.Close()
	}
}
