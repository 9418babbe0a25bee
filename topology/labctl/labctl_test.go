package labctl

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology"
	"github.com/dxsim/dxsim/topology/backend"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fill sets every field reachable from v (a pointer) to a value that is not
// its zero value and differs between fields, so a field that does not
// survive a round trip shows.
func fill(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), n)
	case reflect.Struct:
		for i := range v.NumField() {
			require.True(t, v.Type().Field(i).IsExported(), "%s.%s is unexported: JSON drops it", v.Type(), v.Type().Field(i).Name)
			fill(t, v.Field(i), n)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(t, v.Index(0), n)
		fill(t, v.Index(1), n)
	case reflect.String:
		v.SetString("s" + string(rune('a'+*n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint8, reflect.Uint64:
		v.SetUint(uint64(0x80 | *n)) // a high bit set: lacp.State's Expired
	default:
		require.FailNow(t, "kind not handled", "fill: %s (%s) not handled; add it and check it round-trips", v.Type(), v.Kind())
	}
}

// fullStatus is a Status with every field set.
func fullStatus(t *testing.T) topology.Status {
	var st topology.Status
	n := 0
	fill(t, reflect.ValueOf(&st).Elem(), &n)
	return st
}

func TestStatusJSONRoundTrip(t *testing.T) {
	t.Parallel()
	want := Report{PID: 7, Lab: "x", Backend: "userspace", Why: "no bonding", Status: fullStatus(t), BGP: sessions()}
	b, err := json.Marshal(want)
	require.NoError(t, err)
	var got Report
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, want, got, "round trip lost something; json %s", b)
	// Empty and absent parts come back as they went: nil stays nil.
	sparse := Report{Status: topology.Status{Ports: []topology.PortStatus{{ConnectionID: "dxcon-1", AWSLACP: &backend.MemberStatus{Actor: lacp.StateActivity}}}}}
	b, _ = json.Marshal(sparse)
	got = Report{}
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, sparse, got, "sparse round trip")
}

// sessions are BGP sessions with every field set.
func sessions() []sim.BGPSession {
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	return []sim.BGPSession{
		{Time: at, VIFID: "dxvif-aaaaaaaa", PeerID: "dxpeer-aaaaaaaa", State: "established", Prefixes: 1, Reason: "r"},
		{Time: at.Add(time.Second), VIFID: "dxvif-bbbbbbbb", PeerID: "dxpeer-bbbbbbbb", State: "idle", Prefixes: 2, Reason: "hold timer expired"},
	}
}

func TestSocketPath(t *testing.T) {
	t.Parallel()
	p, err := SocketPath("/run/dxsim", "dxsim-default")
	assert.NoError(t, err, "SocketPath")
	assert.Equal(t, "/run/dxsim/dxsim-default.sock", p, "SocketPath")
	for _, tc := range []struct{ name, prefix string }{
		{"empty", ""}, {"dot", "."}, {"dot-dot", ".."}, {"slash", "a/b"}, {"NUL", "a\x00b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := SocketPath("/run/dxsim", tc.prefix)
			assert.ErrorContains(t, err, "cannot name a socket", "SocketPath(%q), want an error naming the problem", tc.prefix)
		})
	}
}

func listen(t *testing.T, path string, f StatusFunc) *Server {
	t.Helper()
	s, err := Listen(context.Background(), path, f, quiet)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func fixed(r Report) StatusFunc {
	return func(context.Context) (Report, error) { return r, nil }
}

func TestServeStatus(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	path := filepath.Join(dir, "dxsim-t.sock")
	want := Report{Lab: "t", Backend: "userspace", Why: "no bonding", Status: fullStatus(t), BGP: sessions()}
	listen(t, path, fixed(want))

	for _, tc := range []struct {
		name, path string
		mode       os.FileMode
	}{
		{"directory", dir, 0o700 | os.ModeDir},
		{"socket", path, 0o600 | os.ModeSocket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fi, err := os.Stat(tc.path)
			require.NoError(t, err)
			assert.Equal(t, tc.mode, fi.Mode(), "%s: mode", tc.path)
		})
	}
	got, err := NewClient(path).Status(context.Background())
	require.NoError(t, err)
	want.PID = os.Getpid()
	assert.Equal(t, want, got, "status")
}

func TestStatusFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	listen(t, path, func(context.Context) (Report, error) { return Report{}, errors.New("listing links: boom") })
	_, err := NewClient(path).Status(context.Background())
	var se *ServerError
	if assert.ErrorAs(t, err, &se, "Status = %v", err) {
		assert.Equal(t, http.StatusInternalServerError, se.Status, "Status = %v (%#v)", err, se)
		assert.Equal(t, os.Getpid(), se.PID, "Status = %v (%#v)", err, se)
		assert.Equal(t, "listing links: boom", se.Msg, "Status = %v (%#v)", err, se)
	}
}

func TestNotRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	_, err := NewClient(path).Status(context.Background())
	assert.ErrorIs(t, err, ErrNotRunning, "no socket")
	stale(t, path)
	_, err = NewClient(path).Status(context.Background())
	assert.ErrorIs(t, err, ErrNotRunning, "stale socket")
}

// stale leaves a socket file at path with nothing listening, as a killed
// process does.
func stale(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	fi, err := os.Lstat(path)
	require.NoError(t, err, "no stale socket left")
	require.Equal(t, os.ModeSocket, fi.Mode().Type(), "no stale socket left")
}

func TestSecondListenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	first := listen(t, path, fixed(Report{Lab: "t"}))
	_, err := Listen(context.Background(), path, fixed(Report{}), quiet)
	var re *RunningError
	require.ErrorAs(t, err, &re, "second Listen, want a RunningError")
	require.Equal(t, os.Getpid(), re.PID, "second Listen = %v, want a RunningError naming our pid", err)
	require.Equal(t, path, re.Path, "second Listen = %v, want a RunningError naming the path", err)
	assert.Contains(t, err.Error(), "already running (pid ")
	// The first still serves, and a stopping one is still running.
	first.Stop()
	_, err = Listen(context.Background(), path, fixed(Report{}), quiet)
	if assert.ErrorAs(t, err, &re, "Listen beside a stopping server") {
		assert.Equal(t, "stopping", re.Msg, "Listen beside a stopping server = %v", err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	stale(t, path)
	listen(t, path, fixed(Report{Lab: "t"}))
	got, err := NewClient(path).Status(context.Background())
	assert.NoError(t, err, "after replacing a stale socket")
	assert.Equal(t, "t", got.Lab, "after replacing a stale socket")
}

func TestNotASocketLeftAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	require.NoError(t, os.WriteFile(path, []byte("mine"), 0o644))
	_, err := Listen(context.Background(), path, fixed(Report{}), quiet)
	assert.ErrorContains(t, err, "is not a socket", "Listen over a regular file")
	b, err := os.ReadFile(path)
	if assert.NoError(t, err, "the file was touched") {
		assert.Equal(t, "mine", string(b), "the file was touched")
	}
}

func TestStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	s := listen(t, path, fixed(Report{Lab: "t"}))
	c := NewClient(path)
	select {
	case <-s.StopRequested():
		require.FailNow(t, "stop requested before anyone asked")
	default:
	}
	pid, err := c.Stop(context.Background())
	require.NoError(t, err, "Stop")
	require.Equal(t, os.Getpid(), pid, "Stop")
	<-s.StopRequested()
	var se *ServerError
	_, err = c.Status(context.Background())
	if assert.ErrorAs(t, err, &se, "status while stopping") {
		assert.Equal(t, http.StatusServiceUnavailable, se.Status, "status while stopping = %v", err)
	}
	// A waiter sees the process go once it closes, not before.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	assert.Error(t, c.WaitGone(ctx, 5*time.Millisecond), "WaitGone returned while the socket was still served")
	cancel()
	waited := make(chan error)
	go func() { waited <- c.WaitGone(context.Background(), 5*time.Millisecond) }()
	require.NoError(t, s.Close())
	assert.NoError(t, <-waited, "WaitGone after Close")
	_, err = os.Lstat(path)
	assert.True(t, os.IsNotExist(err), "socket left after Close: %v", err)
}

func TestRemoveStale(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	removed, err := RemoveStale(ctx, filepath.Join(dir, "none", "dxsim-t.sock"))
	assert.NoError(t, err, "no directory")
	assert.False(t, removed, "no directory")

	path := filepath.Join(dir, "dxsim-t.sock")
	removed, err = RemoveStale(ctx, path)
	assert.NoError(t, err, "no socket")
	assert.False(t, removed, "no socket")

	stale(t, path)
	removed, err = RemoveStale(ctx, path)
	assert.NoError(t, err, "stale socket")
	assert.True(t, removed, "stale socket")
	_, err = os.Lstat(path)
	assert.ErrorIs(t, err, fs.ErrNotExist, "stale socket left")

	s := listen(t, path, fixed(Report{Lab: "t"}))
	removed, err = RemoveStale(ctx, path)
	assert.NoError(t, err, "served socket")
	assert.False(t, removed, "served socket")
	_, err = NewClient(path).Status(ctx)
	assert.NoError(t, err, "a served socket was taken away")
	require.NoError(t, s.Close())

	require.NoError(t, os.WriteFile(path, []byte("mine"), 0o644))
	removed, err = RemoveStale(ctx, path)
	assert.ErrorContains(t, err, "is not a socket", "a regular file")
	assert.False(t, removed, "a regular file")
	b, err := os.ReadFile(path)
	if assert.NoError(t, err, "the file was touched") {
		assert.Equal(t, "mine", string(b), "the file was touched")
	}
}

// TestCheckpointsKeepForgetAndRemove: a lab's checkpoint files beside its
// socket, kept whole, forgotten one by one and all at once; a namespace
// that is not one path element names none.
func TestCheckpointsKeepForgetAndRemove(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, err := CheckpointsFor(dir, "dxsim-lab")
	require.NoError(t, err)
	got, err := c.LoadCheckpoint("dxsim-lab-dx-d")
	require.NoError(t, err)
	assert.Nil(t, got, "a checkpoint never kept")
	require.NoError(t, c.SaveCheckpoint("dxsim-lab-dx-d", []byte(`{"a":1}`)))
	require.NoError(t, c.SaveCheckpoint("dxsim-lab-cr-d", []byte(`{"b":2}`)))
	got, err = c.LoadCheckpoint("dxsim-lab-dx-d")
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":1}`, string(got))
	assert.FileExists(t, filepath.Join(dir, "dxsim-lab.checkpoints", "dxsim-lab-dx-d.json"))
	require.NoError(t, c.SaveCheckpoint("dxsim-lab-dx-d", nil))
	got, err = c.LoadCheckpoint("dxsim-lab-dx-d")
	require.NoError(t, err)
	assert.Nil(t, got, "a forgotten checkpoint")
	require.NoError(t, c.SaveCheckpoint("dxsim-lab-dx-d", nil), "forgetting twice")
	require.NoError(t, c.RemoveAll())
	assert.NoDirExists(t, filepath.Join(dir, "dxsim-lab.checkpoints"))
	for _, bad := range []string{"", "..", "a/b"} {
		assert.Error(t, c.SaveCheckpoint(bad, []byte("x")), "namespace %q", bad)
	}
}
