package linkwatch

import (
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/dxsim/dxsim/topology/netnstest"
)

// TestOverflowIsRepaired overflows a real subscription: a tiny receive
// buffer, a slow handler and a burst of veths made, brought up, taken down
// and deleted in a fresh namespace. The watcher must resync, and the
// handler's view must end as the kernel's: every link there with its state,
// none of the deleted ones, and a change made after the overflow seen.
func TestOverflowIsRepaired(t *testing.T) {
	netnstest.RequireRoot(t)
	ns, h := netnstest.NewNS(t)
	v := newView()
	v.slow = 200 * time.Microsecond
	w, err := Watch(ns, testLogger(t), v, WithReceiveBuffer(1))
	require.NoError(t, err)
	defer w.Stop()

	burst(t, h, 150)
	eventually(t, "a resync after the burst", func() bool { return w.Resyncs() > 0 })
	t.Logf("%d resyncs, %d updates handled during the burst", w.Resyncs(), v.count())

	// Changed after the overflow: only a working subscription tells.
	link, err := h.LinkByName("va1")
	require.NoError(t, err)
	require.NoError(t, h.LinkSetDown(link))
	eventually(t, "va1 seen down", func() bool { s, ok := v.get("va1"); return ok && !s.up })
	eventually(t, "the view agrees with the kernel", func() bool { return sameView(t, h, v) == "" })
	assert.Empty(t, sameView(t, h, v), "the view differs from the kernel")
}

// TestDefaultBufferHoldsABurst runs the same burst with the default buffer
// and a handler that keeps up, and reports how many resyncs it took (none
// expected; the figure is logged, not asserted, as it depends on the host).
func TestDefaultBufferHoldsABurst(t *testing.T) {
	netnstest.RequireRoot(t)
	ns, h := netnstest.NewNS(t)
	v := newView()
	w, err := Watch(ns, testLogger(t), v)
	require.NoError(t, err)
	defer w.Stop()
	burst(t, h, 150)
	eventually(t, "the view agrees with the kernel", func() bool { return sameView(t, h, v) == "" })
	t.Logf("default buffer: %d resyncs, %d updates", w.Resyncs(), v.count())
}

// burst makes n veth pairs va<i>/vb<i>, brings them up, takes every third
// down again and deletes every fifth.
func burst(t *testing.T, h *netlink.Handle, n int) {
	t.Helper()
	for i := range n {
		la := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("va%d", i)}, PeerName: fmt.Sprintf("vb%d", i)}
		require.NoError(t, h.LinkAdd(la))
	}
	for i := range n {
		for _, name := range []string{fmt.Sprintf("va%d", i), fmt.Sprintf("vb%d", i)} {
			l, err := h.LinkByName(name)
			require.NoError(t, err)
			require.NoError(t, h.LinkSetUp(l))
			if i%3 == 0 {
				require.NoError(t, h.LinkSetDown(l))
			}
		}
	}
	for i := 0; i < n; i += 5 {
		l, err := h.LinkByName(fmt.Sprintf("va%d", i))
		require.NoError(t, err)
		require.NoError(t, h.LinkDel(l)) // its peer goes with it
	}
}

// sameView returns how v differs from the namespace's veths, or "". Links
// that were there before the watcher (lo) are known only after a resync.
func sameView(t *testing.T, h *netlink.Handle, v *view) string {
	t.Helper()
	links, err := h.LinkList()
	require.NoError(t, err)
	want := map[string]linkState{}
	for _, l := range links {
		a := l.Attrs()
		if l.Type() != "veth" {
			continue
		}
		want[a.Name] = linkState{index: a.Index, up: linkUp(a.RawFlags)}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	var diff []string
	for name, w := range want {
		if got, ok := v.links[name]; !ok || got != w {
			diff = append(diff, fmt.Sprintf("%s: kernel %+v, view %+v (known %v)", name, w, got, ok))
		}
	}
	for name := range v.links {
		if _, ok := want[name]; !ok && name != "lo" {
			diff = append(diff, name+": gone from the kernel, still in the view")
		}
	}
	sort.Strings(diff)
	if len(diff) > 5 {
		diff = append(diff[:5], fmt.Sprintf("... %d more", len(diff)-5))
	}
	return strings.Join(diff, "; ")
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}
