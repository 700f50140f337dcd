package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopTimeout is how long a child process may take to exit after SIGTERM.
const stopTimeout = 30 * time.Second

// child is a long-running process the bench started: bucketd or the Echo baseline.
type child struct {
	name     string
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	stopOnce sync.Once
	stopErr  error
}

// startChild starts cmd in a process group of its own, so that a Ctrl-C at the terminal reaches
// only the bench, which then stops its children in order.
func startChild(name string, cmd *exec.Cmd) (*child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// running reports an error when the process has already exited.
func (c *child) running() error {
	select {
	case <-c.exited:
		return fmt.Errorf("%s exited unexpectedly: %v", c.name, c.waitErr)
	default:
		return nil
	}
}

// stop sends SIGTERM and waits; the error says whether the process exited on its own before,
// did not exit in time, or exited with a status other than 0. Later calls return the first
// call's answer.
func (c *child) stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.terminate() })
	return c.stopErr
}

func (c *child) terminate() error {
	if err := c.running(); err != nil {
		return err
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", c.name, err)
	}
	select {
	case <-c.exited:
	case <-time.After(stopTimeout):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("%s did not exit within %s of SIGTERM", c.name, stopTimeout)
	}
	if c.waitErr != nil {
		return fmt.Errorf("%s exited after SIGTERM: %w", c.name, c.waitErr)
	}
	return nil
}

// childEnv is the bench's environment without any BUCKETD_ variable, so a developer's own
// bucketd configuration cannot change what the bench measures, plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BUCKETD_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
