package bgp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"

	"github.com/vishvananda/netns"

	"github.com/dxsim/dxsim/sim/bus"
	"github.com/dxsim/dxsim/topology/internal/nsthread"
)

// ErrStopped is returned by a speaker that has stopped.
var ErrStopped = errors.New("bgp: the speaker has stopped")

// Speaker is a speaker process in one network namespace.
type Speaker struct {
	name   string
	log    *slog.Logger
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events bus.Bus[Event]
	exited chan struct{} // closed when the process has exited
	err    error         // why it exited; read after exited

	mu      sync.Mutex
	seq     uint64
	pending map[uint64]chan error
	stopped bool
}

// Start starts a speaker in the namespace ns (0: this process's), named
// name in logs. Its stderr goes to log.
func Start(ns netns.NsHandle, name string, log *slog.Logger) (*Speaker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bgp: finding this program: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), speakerEnv+"="+name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	// Started from a thread inside ns, the process is in ns from its first
	// instruction, and every socket GoBGP makes is.
	if err := nsthread.Do(ns, cmd.Start); err != nil {
		return nil, fmt.Errorf("bgp: starting the speaker %s: %w", name, err)
	}
	s := &Speaker{name: name, log: log, cmd: cmd, stdin: stdin, exited: make(chan struct{}), pending: map[uint64]chan error{}}
	go s.logStderr(stderr)
	go s.read(stdout)
	return s, nil
}

func (s *Speaker) logStderr(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		s.log.Warn("bgp speaker", "speaker", s.name, "says", sc.Text())
	}
}

// read takes the speaker's replies and events until it exits.
func (s *Speaker) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var rep reply
		if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
			s.log.Warn("bgp speaker: a line that is not JSON", "speaker", s.name, "line", sc.Text())
			continue
		}
		switch {
		case rep.Event != nil:
			s.events.Publish(*rep.Event)
		case rep.Done != 0:
			s.mu.Lock()
			ch := s.pending[rep.Done]
			delete(s.pending, rep.Done)
			s.mu.Unlock()
			if ch != nil {
				var err error
				if rep.Error != "" {
					err = errors.New(rep.Error)
				}
				ch <- err
			}
		}
	}
	err := s.cmd.Wait()
	s.mu.Lock()
	s.stopped = true
	for seq, ch := range s.pending {
		ch <- ErrStopped
		delete(s.pending, seq)
	}
	s.mu.Unlock()
	s.err = err
	s.events.Close()
	close(s.exited)
}

// Subscribe returns the sessions' events from now on (see bus.Bus).
func (s *Speaker) Subscribe(limit int) *bus.Sub[Event] { return s.events.Subscribe(limit) }

// Set starts a router, or changes a running one to r, and returns once the
// speaker has done it.
func (s *Speaker) Set(ctx context.Context, r Router) error {
	return s.do(ctx, command{Set: &r})
}

// Delete stops a router: its sessions close and the routes it installed are
// removed. Deleting one that is not running is not an error.
func (s *Speaker) Delete(ctx context.Context, id string) error {
	return s.do(ctx, command{Delete: id})
}

func (s *Speaker) do(ctx context.Context, c command) error {
	ch := make(chan error, 1)
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrStopped
	}
	s.seq++
	c.Seq = s.seq
	s.pending[c.Seq] = ch
	line, err := json.Marshal(c)
	if err == nil {
		_, err = s.stdin.Write(append(line, '\n'))
	}
	if err != nil {
		delete(s.pending, c.Seq)
		s.mu.Unlock()
		return fmt.Errorf("bgp: speaker %s: %w", s.name, err)
	}
	s.mu.Unlock()
	select {
	case err := <-ch:
		if err != nil && !errors.Is(err, ErrStopped) {
			return fmt.Errorf("bgp: speaker %s: %w", s.name, err)
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the speaker: its sessions close, its installed routes are
// removed, and it exits.
func (s *Speaker) Close() error {
	s.mu.Lock()
	if !s.stopped {
		_ = s.stdin.Close()
	}
	s.mu.Unlock()
	<-s.exited
	var exit *exec.ExitError
	if errors.As(s.err, &exit) {
		return fmt.Errorf("bgp: speaker %s: %w", s.name, s.err)
	}
	return nil
}

// PID is the speaker process's ID.
func (s *Speaker) PID() int { return s.cmd.Process.Pid }

// Done is closed when the speaker has exited.
func (s *Speaker) Done() <-chan struct{} { return s.exited }
