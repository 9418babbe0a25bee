package nsthread

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"
)

func name(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("DXSIM_REQUIRE_PRIVILEGED") == "1" {
			t.Fatal("needs root, and DXSIM_REQUIRE_PRIVILEGED=1 says privileged tests must run")
		}
		t.Skip("needs root: makes network namespaces")
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "dxsim-nsthread-" + hex.EncodeToString(b[:])
}

// TestDoRunsInTheNamespaceAndLeavesTheCallerWhereItWas: fn sees the
// namespace it was given; neither the caller's thread nor any other is left
// in it.
func TestDoRunsInTheNamespaceAndLeavesTheCallerWhereItWas(t *testing.T) {
	n := name(t)
	ns, err := NewNamed(n)
	require.NoError(t, err)
	t.Cleanup(func() {
		ns.Close()
		_ = netns.DeleteNamed(n)
	})
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := netns.Get()
	require.NoError(t, err)
	defer before.Close()
	require.False(t, before.Equal(ns), "NewNamed left the caller in the new namespace")

	var inside netns.NsHandle
	require.NoError(t, Do(ns, func() error {
		var err error
		inside, err = netns.Get()
		return err
	}))
	defer inside.Close()
	assert.True(t, inside.Equal(ns), "fn ran in the namespace given")

	after, err := netns.Get()
	require.NoError(t, err)
	defer after.Close()
	assert.True(t, after.Equal(before), "the caller's thread is where it was")

	// Many more calls than threads: none comes back in the namespace.
	for range 4 * runtime.GOMAXPROCS(0) {
		require.NoError(t, Do(ns, func() error { return nil }))
	}
	for range 50 {
		done := make(chan bool)
		go func() {
			h, err := netns.Get()
			if err != nil {
				done <- false
				return
			}
			defer h.Close()
			done <- !h.Equal(ns)
		}()
		assert.True(t, <-done, "a goroutine ran in the namespace Do entered")
	}
}

func TestDoZeroIsTheCallersNamespace(t *testing.T) {
	t.Parallel()
	ran := false
	require.NoError(t, Do(0, func() error { ran = true; return nil }))
	assert.True(t, ran)
}

func TestNewNamedOfAnExistingNameFails(t *testing.T) {
	n := name(t)
	ns, err := NewNamed(n)
	require.NoError(t, err)
	t.Cleanup(func() {
		ns.Close()
		_ = netns.DeleteNamed(n)
	})
	_, err = NewNamed(n)
	require.Error(t, err)
}
