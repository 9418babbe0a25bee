package labctl

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dxsim/dxsim/lacp"
	"github.com/dxsim/dxsim/topology"
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
			if !v.Type().Field(i).IsExported() {
				t.Fatalf("%s.%s is unexported: JSON drops it", v.Type(), v.Type().Field(i).Name)
			}
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
		t.Fatalf("fill: %s (%s) not handled; add it and check it round-trips", v.Type(), v.Kind())
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
	want := Report{PID: 7, Lab: "x", Backend: "userspace", Why: "no bonding", Status: fullStatus(t)}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip lost something:\n got %+v\nwant %+v\njson %s", got, want, b)
	}
	// Empty and absent parts come back as they went: nil stays nil.
	sparse := Report{Status: topology.Status{Ports: []topology.PortStatus{{ConnectionID: "dxcon-1", AWSLACP: &topology.MemberStatus{Actor: lacp.StateActivity}}}}}
	b, _ = json.Marshal(sparse)
	got = Report{}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sparse) {
		t.Errorf("sparse round trip:\n got %+v\nwant %+v", got, sparse)
	}
}

func TestSocketPath(t *testing.T) {
	p, err := SocketPath("/run/dxsim", "dxsim-default")
	if err != nil || p != "/run/dxsim/dxsim-default.sock" {
		t.Errorf("SocketPath = %q, %v", p, err)
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a\x00b"} {
		if _, err := SocketPath("/run/dxsim", bad); err == nil || !strings.Contains(err.Error(), "cannot name a socket") {
			t.Errorf("SocketPath(%q) = %v, want an error naming the problem", bad, err)
		}
	}
}

func listen(t *testing.T, path string, f StatusFunc) *Server {
	t.Helper()
	s, err := Listen(context.Background(), path, f, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fixed(r Report) StatusFunc {
	return func(context.Context) (Report, error) { return r, nil }
}

func TestServeStatus(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	path := filepath.Join(dir, "dxsim-t.sock")
	want := Report{Lab: "t", Backend: "userspace", Why: "no bonding", Status: fullStatus(t)}
	listen(t, path, fixed(want))

	for p, mode := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600 | os.ModeSocket} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %s, want %s", p, fi.Mode(), mode)
		}
	}
	got, err := NewClient(path).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want.PID = os.Getpid()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("status:\n got %+v\nwant %+v", got, want)
	}
}

func TestStatusFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	listen(t, path, func(context.Context) (Report, error) { return Report{}, errors.New("listing links: boom") })
	_, err := NewClient(path).Status(context.Background())
	var se *ServerError
	if !errors.As(err, &se) || se.Status != http.StatusInternalServerError || se.PID != os.Getpid() || se.Msg != "listing links: boom" {
		t.Errorf("Status = %v (%#v)", err, se)
	}
}

func TestNotRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	if _, err := NewClient(path).Status(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("no socket: %v, want ErrNotRunning", err)
	}
	stale(t, path)
	if _, err := NewClient(path).Status(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("stale socket: %v, want ErrNotRunning", err)
	}
}

// stale leaves a socket file at path with nothing listening, as a killed
// process does.
func stale(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("no stale socket left: %v", err)
	}
}

func TestSecondListenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	first := listen(t, path, fixed(Report{Lab: "t"}))
	_, err := Listen(context.Background(), path, fixed(Report{}), quiet)
	var re *RunningError
	if !errors.As(err, &re) || re.PID != os.Getpid() || re.Path != path {
		t.Fatalf("second Listen = %v, want a RunningError naming pid %d", err, os.Getpid())
	}
	if want := "already running (pid "; !strings.Contains(err.Error(), want) {
		t.Errorf("message %q lacks %q", err, want)
	}
	// The first still serves, and a stopping one is still running.
	first.Stop()
	_, err = Listen(context.Background(), path, fixed(Report{}), quiet)
	if !errors.As(err, &re) || re.Msg != "stopping" {
		t.Errorf("Listen beside a stopping server = %v", err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	stale(t, path)
	listen(t, path, fixed(Report{Lab: "t"}))
	got, err := NewClient(path).Status(context.Background())
	if err != nil || got.Lab != "t" {
		t.Errorf("after replacing a stale socket: %+v, %v", got, err)
	}
}

func TestNotASocketLeftAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	if err := os.WriteFile(path, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Listen(context.Background(), path, fixed(Report{}), quiet)
	if err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Errorf("Listen over a regular file = %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "mine" {
		t.Errorf("the file was touched: %q, %v", b, err)
	}
}

func TestStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dxsim-t.sock")
	s := listen(t, path, fixed(Report{Lab: "t"}))
	c := NewClient(path)
	select {
	case <-s.StopRequested():
		t.Fatal("stop requested before anyone asked")
	default:
	}
	pid, err := c.Stop(context.Background())
	if err != nil || pid != os.Getpid() {
		t.Fatalf("Stop = %d, %v", pid, err)
	}
	<-s.StopRequested()
	var se *ServerError
	if _, err := c.Status(context.Background()); !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable {
		t.Errorf("status while stopping = %v", err)
	}
	// A waiter sees the process go once it closes, not before.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if err := c.WaitGone(ctx, 5*time.Millisecond); err == nil {
		t.Error("WaitGone returned while the socket was still served")
	}
	cancel()
	waited := make(chan error)
	go func() { waited <- c.WaitGone(context.Background(), 5*time.Millisecond) }()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Errorf("WaitGone after Close: %v", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket left after Close: %v", err)
	}
}
