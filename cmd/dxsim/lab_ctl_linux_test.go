package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim/lab"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/labctl"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// lockedBuffer is written by lab up's event printer and its main flow at
// once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func runLab(ctx context.Context, out io.Writer, args ...string) error {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(out)
	return root.ExecuteContext(ctx)
}

// writeLab writes a lab of one device under a fresh name and returns the
// file and the lab.
func writeLab(t *testing.T, device string) (string, *lab.Lab) {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	file := filepath.Join(t.TempDir(), "lab.json")
	j := `{"name": "c` + hex.EncodeToString(b[:]) + `", "devices": [` + device + `]}`
	require.NoError(t, os.WriteFile(file, []byte(j), 0o644))
	l, err := lab.Load(file)
	require.NoError(t, err)
	return file, l
}

// labUpRun is a lab up running in the background.
type labUpRun struct {
	out  lockedBuffer
	done chan struct{} // closed when lab up has returned err
	err  error
}

// wait returns lab up's result once it has ended.
func (r *labUpRun) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(time.Minute):
		require.FailNow(t, fmt.Sprintf("lab up still running:\n%s", &r.out))
		return nil
	}
}

// startLabUp runs lab up in the background until the test ends (then
// cancelled), and waits until it answers on the lab's socket.
func startLabUp(t *testing.T, file string, l *lab.Lab, args ...string) (*labctl.Client, *labUpRun) {
	t.Helper()
	t.Cleanup(func() { runLabCmd(t, "lab", "down", "-f", file) })
	ctx, cancel := context.WithCancel(context.Background())
	r := &labUpRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = runLab(ctx, &r.out, append([]string{"lab", "up", "-f", file}, args...)...)
	}()
	t.Cleanup(func() {
		cancel()
		r.wait(t)
	})
	path, err := labctl.SocketPath(labctl.DefaultDir, l.Prefix)
	require.NoError(t, err)
	c := labctl.NewClient(path)
	poll(t, "lab up to answer on "+path, func() (bool, string) {
		select {
		case <-r.done:
			require.FailNow(t, fmt.Sprintf("lab up ended before it answered: %v\n%s", r.err, &r.out))
		default:
		}
		_, err := c.Status(ctx)
		return err == nil, fmt.Sprint(err)
	})
	return c, r
}

// poll calls f until it reports true; a generous limit keeps a loaded host
// from failing the test.
func poll(t *testing.T, what string, f func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, last := f()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, fmt.Sprintf("gave up waiting for %s; last: %s", what, last))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestLabStatusAsksRunningLabUp(t *testing.T) {
	netnstest.RequireRoot(t)
	before := labHostLinks(t)
	file, l := writeLab(t, `{"id": "EqDC2-ctl", "location": "EqDC2",
		"lags": [{"id": "dxlag-ctl00001", "minimumLinks": 1}],
		"connections": [{"id": "dxcon-ctl00001", "lag": "dxlag-ctl00001"}, {"id": "dxcon-ctl00002", "lag": "dxlag-ctl00001"}]}`)
	c, up := startLabUp(t, file, l, "--dataplane", "userspace")
	pid := fmt.Sprintf("pid %d", os.Getpid())

	// Another process's view: a data plane without the engine has no LAG.
	// That is what lab status printed before it asked the socket.
	dp, err := topology.Open(context.Background(), topology.Options{Backend: "userspace", Prefix: l.Prefix, Logger: quietLog()})
	require.NoError(t, err)
	st, err := dp.Status(context.Background())
	dp.Close()
	require.NoError(t, err)
	for _, s := range st.LAGs {
		require.Empty(t, s.AWS.Name, "a fresh data plane sees the LAG %+v: the test cannot tell where status came from", s)
		require.Empty(t, s.Customer.Name, "a fresh data plane sees the LAG %+v: the test cannot tell where status came from", s)
	}

	t.Run("second lab up fails", func(t *testing.T) {
		var out bytes.Buffer
		err := runLab(context.Background(), &out, "lab", "up", "-f", file, "--dataplane", "userspace")
		require.Error(t, err, "second lab up succeeded\n%s", &out)
		require.Contains(t, err.Error(), "already running ("+pid, "second lab up should name the running one's %s\n%s", pid, &out)
		_, err = c.Status(context.Background())
		assert.NoError(t, err, "the first stopped answering after the second failed")
	})

	// Active, fast, aggregatable, in sync, collecting, distributing on both
	// ends of each member, as the engine negotiated; each side learns its
	// partner's last step from the partner's next LACPDU, so poll for all of
	// it at once.
	want := []*regexp.Regexp{
		regexp.MustCompile(`dxlag-ctl00001 +EqDC2-ctl +up \(min 1\) +up \(min 1\) +2/2 members +2/2 members`),
	}
	for _, id := range []string{"dxcon-ctl00001", "dxcon-ctl00002"} {
		want = append(want, regexp.MustCompile(id+` +dxlag-ctl00001 +up +up +..DCSGSA/..DCSGSA +..DCSGSA/..DCSGSA`))
	}
	var out string
	poll(t, "lab status to show the LAG up with both members collecting and distributing on both ends", func() (bool, string) {
		var b bytes.Buffer
		err := runLab(context.Background(), &b, "lab", "status", "-f", file, "--dataplane", "userspace")
		require.NoError(t, err, "lab status\n%s", &b)
		out = b.String()
		for _, re := range want {
			if !re.MatchString(out) {
				return false, out
			}
		}
		return true, out
	})
	assert.Contains(t, out, "status from the running `dxsim lab up`, "+pid, "lab status does not say where its status came from")
	assert.NotContains(t, out, "missing", "lab status shows something missing")

	down := runLabCmd(t, "lab", "down", "-f", file)
	assert.Contains(t, down, "stopped the running `dxsim lab up` ("+pid+")", "lab down")
	assert.Contains(t, down, "deleted 2 namespaces", "lab down")
	assert.NoError(t, up.wait(t), "lab up stopped by lab down")
	assert.Contains(t, up.out.String(), "asked to by `dxsim lab down`", "lab up did not say why it stopped")
	_, err = os.Lstat(c.Path())
	assert.ErrorIs(t, err, fs.ErrNotExist, "lab up left its socket")
	out = runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "userspace")
	assert.Contains(t, out, "no `dxsim lab up` is running for this lab", "lab status with nothing running")
	assert.Regexp(t, `dxlag-ctl00001 +EqDC2-ctl +missing +missing`, out, "lab status with nothing running")
	down = runLabCmd(t, "lab", "down", "-f", file)
	assert.NotContains(t, down, "stopped", "lab down again")
	assert.Contains(t, down, "deleted 0 namespaces", "lab down again")
	assert.Equal(t, before, labHostLinks(t), "host links changed")
}

func TestLabUpReplacesStaleSocket(t *testing.T) {
	netnstest.RequireRoot(t)
	file, l := writeLab(t, `{"id": "EqDC2-stale", "location": "EqDC2", "connections": [{"id": "dxcon-stale001"}]}`)
	path, err := labctl.SocketPath(labctl.DefaultDir, l.Prefix)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(labctl.DefaultDir, 0o700))
	// What a killed lab up leaves: a socket file nothing listens on.
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	t.Cleanup(func() { os.Remove(path) })

	assert.Regexp(t, `dxcon-stale001 +EqDC2-stale +missing +missing`, runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "userspace"),
		"lab status beside a stale socket")
	c, _ := startLabUp(t, file, l, "--dataplane", "userspace", "--watch")
	rep, err := c.Status(context.Background())
	if assert.NoError(t, err, "status on the replaced socket") {
		assert.Equal(t, os.Getpid(), rep.PID, "status on the replaced socket: %+v", rep)
		assert.Equal(t, l.Name, rep.Lab, "status on the replaced socket: %+v", rep)
		assert.Len(t, rep.Status.Ports, 1, "status on the replaced socket: %+v", rep)
	}
	if fi, err := os.Stat(path); assert.NoError(t, err, "socket") {
		assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "socket mode")
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
