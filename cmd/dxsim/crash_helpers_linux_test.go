package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/dxsim/dxsim/topology/afpacket"
)

// crashBuildDxsim builds the dxsim binary of this package into dir.
func crashBuildDxsim(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "dxsim")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build\n%s", out)
	return bin
}

// crashLog is a goroutine-safe log of every serve run, dumped on failure.
type crashLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *crashLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.WriteString(line)
	l.buf.WriteByte('\n')
}

func (l *crashLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// crashServe is one `dxsim serve` process.
type crashServe struct {
	cmd     *exec.Cmd
	addr    string
	started time.Time // the process was started
	serving time.Time // it logged its address: recovery is over
	exited  chan struct{}
	err     error // of Wait, once exited is closed
}

var crashListenRE = regexp.MustCompile(`msg="serving the Direct Connect API" listen=(\S+)`)

// crashStartServe starts `dxsim serve` and waits for it to log its address.
func crashStartServe(t *testing.T, bin string, args []string, run int, logs *crashLog) *crashServe {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	s := &crashServe{cmd: cmd, exited: make(chan struct{})}
	s.started = time.Now()
	require.NoError(t, cmd.Start(), "starting serve")
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			logs.add(fmt.Sprintf("[run %d] %s", run, line))
			if m := crashListenRE.FindStringSubmatch(line); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		s.err = cmd.Wait()
		close(s.exited)
	}()
	select {
	case a := <-addrc:
		s.addr, s.serving = a, time.Now()
		return s
	case <-s.exited:
		require.FailNow(t, fmt.Sprintf("serve (run %d) exited before serving: %v\n%s", run, s.err, logs))
	case <-time.After(60 * time.Second):
		s.kill()
		require.FailNow(t, fmt.Sprintf("serve (run %d) did not serve within 60s\n%s", run, logs))
	}
	return nil
}

// kill SIGKILLs the process and waits until it is gone.
func (s *crashServe) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// crashKernel is what the kernel shows of one connection in one of a
// device's namespaces.
type crashKernel struct {
	ns       string
	exists   bool
	veth     bool
	adminUp  bool
	operUp   bool
	lagLinks map[string]bool // LAG interface (the userspace engine's TAP) → exists
	// LACPDUs seen on the port while listening, sent from this namespace
	// (out) and received from the other end (in), and the actor state of
	// the last of each: a member's engine speaks LACP every second (fast
	// timeouts), a standalone port is silent.
	lacpOut, lacpIn           int
	lastOutState, lastInState byte
}

func (k crashKernel) String() string {
	return fmt.Sprintf("%s: exists=%v veth=%v up=%v/%v lags=%v LACPDUs out=%d (actor state %#02x) in=%d (actor state %#02x)",
		k.ns, k.exists, k.veth, k.adminUp, k.operUp, k.lagLinks, k.lacpOut, k.lastOutState, k.lacpIn, k.lastInState)
}

// collectingDistributing: both ends' last LACPDU says collecting and distributing.
func (k crashKernel) collectingDistributing() bool {
	const cd = 0x30
	return k.lacpOut > 0 && k.lacpIn > 0 && k.lastOutState&cd == cd && k.lastInState&cd == cd
}

// crashReadKernel reads a connection's port and the LAG interfaces in the
// named namespace, and listens for LACPDUs on the port for listen (stopping
// once it has seen one each way).
func crashReadKernel(ns, port string, lags []string, listen time.Duration) (crashKernel, error) {
	k := crashKernel{ns: ns, lagLinks: map[string]bool{}}
	h, err := netns.GetFromName(ns)
	if err != nil {
		return k, fmt.Errorf("namespace %s: %w", ns, err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h, unix.NETLINK_ROUTE)
	if err != nil {
		return k, err
	}
	defer nl.Close()
	for _, l := range lags {
		_, err := nl.LinkByName(l)
		k.lagLinks[l] = err == nil
	}
	link, err := nl.LinkByName(port)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return k, nil
	}
	if err != nil {
		return k, err
	}
	a := link.Attrs()
	k.exists, k.veth = true, link.Type() == "veth"
	k.adminUp = a.RawFlags&unix.IFF_UP != 0
	k.operUp = a.OperState == netlink.OperUp
	if listen <= 0 {
		return k, nil
	}
	filter, err := afpacket.EtherTypeFilter(0x8809) // Slow Protocols
	if err != nil {
		return k, err
	}
	c, err := afpacket.Open(afpacket.Config{NetNS: h, Ifindex: a.Index, Filter: filter})
	if err != nil {
		return k, fmt.Errorf("listening on %s in %s: %w", port, ns, err)
	}
	defer c.Close()
	deadline := time.Now().Add(listen)
	buf := make([]byte, 2048)
	for time.Now().Before(deadline) && (k.lacpOut == 0 || k.lacpIn == 0) {
		if err := c.SetReadDeadline(deadline); err != nil {
			return k, err
		}
		n, info, err := c.ReadFrame(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return k, err
		}
		// Ethernet (14), subtype 1 = LACP, version, actor TLV (type 1,
		// length 20): the actor state is byte 32.
		if n < 33 || buf[14] != 1 || buf[16] != 1 {
			continue
		}
		if info.Direction == afpacket.DirectionOut {
			k.lacpOut++
			k.lastOutState = buf[32]
		} else {
			k.lacpIn++
			k.lastInState = buf[32]
		}
	}
	return k, nil
}

// crashNamespaces lists the network namespaces whose names start with prefix.
func crashNamespaces(prefix string) []string {
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}
