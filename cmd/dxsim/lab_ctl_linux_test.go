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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

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
	path := staleSocket(t, l)

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

// TestLabStatusShowsDeletedPortMissing: with no lab up running, status
// reads the kernel, where a port deleted by hand is missing; the next lab up
// makes it again.
func TestLabStatusShowsDeletedPortMissing(t *testing.T) {
	netnstest.RequireRoot(t)
	file, l := writeLab(t, `{"id": "EqDC2-gone", "location": "EqDC2", "connections": [{"id": "dxcon-gone0001"}, {"id": "dxcon-gone0002"}]}`)
	t.Cleanup(func() { runLabCmd(t, "lab", "down", "-f", file) })
	runLabCmd(t, "lab", "up", "-f", file, "--dataplane", "userspace")
	_, cust := labHandles(t, l, "EqDC2-gone")
	delLinkIn(t, cust, "dxcon-gone0002")

	out := runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "userspace")
	assert.Regexp(t, `dxcon-gone0001 +EqDC2-gone +up +up`, out, "lab status")
	assert.Regexp(t, `dxcon-gone0002 +EqDC2-gone +missing +missing`, out, "lab status")
	out = runLabCmd(t, "lab", "up", "-f", file, "--dataplane", "userspace")
	assert.Regexp(t, `dxcon-gone0002 +missing +created`, out, "lab up after the port was deleted")
	assert.Regexp(t, `dxcon-gone0002 +EqDC2-gone +up +up`, out, "lab up after the port was deleted")
}

// labHandles opens netlink handles in a lab device's two namespaces, as
// `ip -n` would.
func labHandles(t *testing.T, l *lab.Lab, device string) (aws, cust *netlink.Handle) {
	t.Helper()
	a, c := topology.Namespaces(l.Prefix, device)
	return nsHandle(t, a), nsHandle(t, c)
}

func nsHandle(t *testing.T, name string) *netlink.Handle {
	t.Helper()
	ns, err := netns.GetFromName(name)
	require.NoError(t, err, "namespace %s", name)
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	require.NoError(t, err, "handle in %s", name)
	t.Cleanup(h.Close)
	return h
}

func delLinkIn(t *testing.T, h *netlink.Handle, name string) {
	t.Helper()
	l, err := h.LinkByName(name)
	require.NoError(t, err, "%s", name)
	require.NoError(t, h.LinkDel(l), "ip link del %s", name)
}

// TestLabDownRemovesStaleSocket: the socket a killed lab up leaves (nothing
// listens on it) goes with lab down.
func TestLabDownRemovesStaleSocket(t *testing.T) {
	netnstest.RequireRoot(t)
	file, l := writeLab(t, `{"id": "EqDC2-stale", "location": "EqDC2", "connections": [{"id": "dxcon-stale001"}]}`)
	path := staleSocket(t, l)

	out := runLabCmd(t, "lab", "down", "-f", file)
	assert.Contains(t, out, fmt.Sprintf("lab %s: removed %s, left by a `dxsim lab up` that did not stop cleanly", l.Name, path), "lab down")
	_, err := os.Lstat(path)
	assert.ErrorIs(t, err, fs.ErrNotExist, "lab down left the stale socket")
	assert.NotContains(t, runLabCmd(t, "lab", "down", "-f", file), "removed", "lab down with no socket")
}

// TestLabUpRunsBGP: a lab VIF with an ASN gets its BGP session, against
// the builtin customer router, while lab up runs; lab status shows it
// established with the customer's network, and shows it not running once
// lab down has stopped lab up (whose speakers end with it).
func TestLabUpRunsBGP(t *testing.T) {
	netnstest.RequireRoot(t)
	before := labHostLinks(t)
	file, l := writeLab(t, `{"id": "EqDC2-bgp", "location": "EqDC2",
		"connections": [{"id": "dxcon-bgp00001"}],
		"vifs": [{"id": "dxvif-bgp00001", "on": "dxcon-bgp00001", "vlan": 101,
			"amazonAddress": "169.254.20.1/30", "customerAddress": "169.254.20.2/30",
			"asn": 65010, "announce": ["10.20.0.0/16"]}]}`)
	c, up := startLabUp(t, file, l, "--dataplane", "userspace")

	want := regexp.MustCompile(`dxpeer-bgp00001 +bgp on dxvif-bgp00001 +AS 64512 established, 1 prefix accepted +AS 65010 \(builtin router\)`)
	var out string
	poll(t, "lab status to show the session established with the customer's network", func() (bool, string) {
		var b bytes.Buffer
		err := runLab(context.Background(), &b, "lab", "status", "-f", file, "--dataplane", "userspace")
		require.NoError(t, err, "lab status\n%s", &b)
		out = b.String()
		return want.MatchString(out), out + "\nlab up:\n" + up.out.String()
	})
	assert.Regexp(t, `dxvif-bgp00001 +vlan 101 on dxcon-bgp00001 +up 169.254.20.1/30 +up 169.254.20.2/30`, out)

	rep, err := c.Status(context.Background())
	require.NoError(t, err)
	if assert.Len(t, rep.BGP, 1, "the report's sessions") {
		s := rep.BGP[0]
		assert.Equal(t, "dxvif-bgp00001", s.VIFID)
		assert.Equal(t, lab.PeerID("dxvif-bgp00001"), s.PeerID)
		assert.True(t, s.Up(), "%+v", s)
		assert.Equal(t, uint64(1), s.Prefixes, "%+v", s)
	}
	upOut := up.out.String()
	assert.Contains(t, upOut, "MD5 key "+lab.AuthKey(l.Name, "dxvif-bgp00001"), "lab up does not say the session's key")
	assert.Regexp(t, `bgp  amazon +dxvif-bgp00001 dxpeer-bgp00001: established, 1 prefix accepted`, upOut, "lab up's events")
	require.Len(t, speakers(t), 2, "the Amazon side's and the customer router's speakers")

	runLabCmd(t, "lab", "down", "-f", file)
	require.NoError(t, up.wait(t), "lab up stopped by lab down")
	assert.Empty(t, speakers(t), "speakers outlived lab up")
	out = runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "userspace")
	assert.Regexp(t, `dxpeer-bgp00001 +bgp on dxvif-bgp00001 +AS 64512 not running \(no .dxsim lab up.\) +AS 65010`, out)
	assert.Equal(t, before, labHostLinks(t), "host links changed")
}

// speakers are this process's children that run its program: a BGP
// speaker is this binary started again.
func speakers(t *testing.T) []int {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	require.NoError(t, err)
	var pids []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		var pid, ppid int
		var state string
		rest := b[bytes.LastIndexByte(b, ')')+1:]
		if _, err := fmt.Sscan(string(rest), &state, &ppid); err != nil || ppid != os.Getpid() {
			continue
		}
		fmt.Sscan(filepath.Base(filepath.Dir(f)), &pid)
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && exe == self {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestLabUpDefaultOnKernel builds the built-in lab (under a name of its
// own) with bonds and VLANs, and its VIF's BGP; scripts/vmtest runs it on a
// kernel that has them.
func TestLabUpDefaultOnKernel(t *testing.T) {
	netnstest.RequireBondingAndVLAN(t)
	before := labHostLinks(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	file := filepath.Join(t.TempDir(), "lab.json")
	def := strings.Replace(string(lab.DefaultJSON()), `"name": "default"`, `"name": "k`+hex.EncodeToString(b[:])+`"`, 1)
	require.NoError(t, os.WriteFile(file, []byte(def), 0o644))
	l, err := lab.Load(file)
	require.NoError(t, err)
	// The VIF's BGP speakers live in lab up: it stays in the foreground.
	_, up := startLabUp(t, file, l, "--dataplane", "kernel")
	var out string
	poll(t, "lab status to show everything up and the VIF's BGP established", func() (bool, string) {
		out = runLabCmd(t, "lab", "status", "-f", file, "--dataplane", "kernel")
		return regexp.MustCompile(`dxpeer-lab00001 +bgp on dxvif-lab00001 +AS 64512 established, 1 prefix accepted`).MatchString(out), out
	})
	assert.NotContains(t, out, "missing", "lab status")
	assert.Contains(t, out, "backend kernel", "lab status")
	assert.Regexp(t, `dxvif-lab00001 +vlan 101 on dxcon-lab00003 +up 169.254.10.1/30 +up 169.254.10.2/30`, out,
		"lab status does not show the VIF up with its addresses")
	upOut := up.out.String()
	for _, id := range []string{"dxlag-lab00001", "dxcon-lab00001", "dxcon-lab00002", "dxcon-lab00003", "dxvif-lab00001"} {
		assert.Regexp(t, id+` +missing +created`, upOut, "lab up did not report %s created", id)
	}
	runLabCmd(t, "lab", "down", "-f", file)
	require.NoError(t, up.wait(t), "lab up stopped by lab down")
	assert.Equal(t, before, labHostLinks(t), "host links changed")
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// staleSocket leaves what a killed lab up leaves: the lab's socket file,
// with nothing listening on it. It returns its path.
func staleSocket(t *testing.T, l *lab.Lab) string {
	t.Helper()
	path, err := labctl.SocketPath(labctl.DefaultDir, l.Prefix)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(labctl.DefaultDir, 0o700))
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	t.Cleanup(func() { os.Remove(path) })
	return path
}
