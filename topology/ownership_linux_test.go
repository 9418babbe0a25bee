package topology

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/netnstest"
)

// memOwnership is an Ownership in memory. It notes, for each name it is
// asked to own, whether the namespace existed already at that moment.
type memOwnership struct {
	mu           sync.Mutex
	owned        map[string]bool // nil: never started
	existedAtOwn map[string]bool
	disowned     []string
}

func newMemOwnership(names ...string) *memOwnership {
	m := &memOwnership{owned: map[string]bool{}, existedAtOwn: map[string]bool{}}
	for _, n := range names {
		m.owned[n] = true
	}
	return m
}

func (m *memOwnership) Owned() (map[string]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.owned == nil {
		return nil, nil
	}
	return maps.Clone(m.owned), nil
}

func (m *memOwnership) Own(names ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.owned == nil {
		m.owned = map[string]bool{}
	}
	for _, n := range names {
		m.owned[n] = true
		m.existedAtOwn[n] = nsExists(n)
	}
	return nil
}

func (m *memOwnership) Disown(names ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		delete(m.owned, n)
		m.disowned = append(m.disowned, n)
	}
	return nil
}

func (m *memOwnership) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.owned))
}

// lockedBuffer is a log sink safe for the data plane's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// openOwned opens a userspace data plane on prefix that keeps its record in
// own. When the test ends it is torn down (which must leave nothing of its
// own) and closed; namespaces it does not own are the test's to remove.
func openOwned(t *testing.T, prefix string, own Ownership, logs io.Writer) *DataPlane {
	t.Helper()
	netnstest.RequireRoot(t)
	if logs == nil {
		logs = io.Discard
	}
	d, err := open(context.Background(), Options{
		Backend: "userspace", Prefix: prefix, Ownership: own,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), PollInterval: 50 * time.Millisecond,
	}, ProbeFeatures)
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, d.Teardown(context.Background()))
		_ = d.Close()
		owned, err := own.Owned()
		assert.NoError(t, err)
		for name := range owned {
			assert.False(t, nsExists(name), "owned namespace %s left after teardown", name)
		}
	})
	return d
}

// foreign builds a port on device dev as another instance would (a data
// plane with the same prefix and no record), and closes that data plane,
// leaving its namespaces and veth pair, which are removed when the test
// ends.
func foreign(t *testing.T, prefix, dev, conn string) (aws, cust string) {
	t.Helper()
	netnstest.RequireRoot(t)
	other, err := open(context.Background(), Options{Backend: "userspace", Prefix: prefix,
		Logger: slog.New(slog.DiscardHandler)}, ProbeFeatures)
	require.NoError(t, err)
	require.NoError(t, other.CreatePort(context.Background(), sim.PortSpec{ConnectionID: conn, DeviceID: dev}))
	require.NoError(t, other.Close())
	aws, cust = Namespaces(prefix, dev)
	t.Cleanup(func() {
		_ = deleteNS(aws)
		_ = deleteNS(cust)
	})
	return aws, cust
}

func hasLink(t *testing.T, ns, name string) bool {
	t.Helper()
	_, err := handleIn(t, ns).LinkByName(name)
	return err == nil
}

func TestReconcileLeavesUnownedNamespaceAlone(t *testing.T) {
	netnstest.RequireRoot(t)
	prefix := testPrefix()
	aws, cust := foreign(t, prefix, "theirs", "dxcon-own00001")
	var logs lockedBuffer
	own := newMemOwnership()
	d := openOwned(t, prefix, own, &logs)
	ctx := context.Background()

	for range 2 {
		drift, err := d.Reconcile(ctx, sim.Snapshot{Ports: []sim.PortSpec{{ConnectionID: "dxcon-own00002", DeviceID: "mine"}}})
		require.NoError(t, err)
		for _, dr := range drift {
			assert.NotContains(t, dr.ObjectID, "theirs", "drift %+v touches the other instance's device", dr)
			assert.NotEqual(t, "dxcon-own00001", dr.ObjectID)
		}
	}
	assert.True(t, nsExists(aws) && nsExists(cust), "the unowned namespaces were deleted")
	assert.True(t, hasLink(t, aws, "dxcon-own00001") && hasLink(t, cust, "dxcon-own00001"), "the unowned namespaces' link was deleted")
	assert.NotContains(t, d.devices, "theirs", "the unowned device was adopted")
	_, adopted := d.ports["dxcon-own00001"]
	assert.False(t, adopted, "the unowned port was adopted")
	assert.Equal(t, 1, strings.Count(logs.String(), "ns="+aws), "the unowned namespace is logged once: %s", logs.String())
	assert.NotContains(t, own.names(), aws)

	// Nor is it used: a port on that device is refused rather than made
	// in another instance's namespace.
	err := d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-own00003", DeviceID: "theirs"})
	require.ErrorIs(t, err, ErrNotOwned)
	assert.Contains(t, err.Error(), aws)
	assert.False(t, hasLink(t, aws, "dxcon-own00003"))

	// Teardown deletes its own and leaves the other instance's.
	require.NoError(t, d.Teardown(ctx))
	mineAWS, mineCust := d.Namespaces("mine")
	assert.False(t, nsExists(mineAWS) || nsExists(mineCust), "teardown left its own namespaces")
	assert.True(t, hasLink(t, aws, "dxcon-own00001"), "teardown deleted the other instance's namespace")
	assert.Empty(t, own.names(), "teardown forgets what it deleted")
}

func TestReconcileDeletesOwnedNamespaceNotInSnapshot(t *testing.T) {
	netnstest.RequireRoot(t)
	prefix := testPrefix()
	aws, cust := foreign(t, prefix, "stale", "dxcon-own00011") // made by an earlier run of this instance
	own := newMemOwnership(aws, cust)
	d := openOwned(t, prefix, own, nil)
	require.Contains(t, d.devices, "stale", "an owned device is adopted when opened")

	drift, err := d.Reconcile(context.Background(), sim.Snapshot{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []sim.Drift{
		{ObjectID: "dxcon-own00011", Problem: "unexpected", Action: "deleted"},
		{ObjectID: aws, Problem: "unexpected namespace", Action: "deleted"},
		{ObjectID: cust, Problem: "unexpected namespace", Action: "deleted"},
	}, drift)
	assert.False(t, nsExists(aws) || nsExists(cust), "owned namespaces the state lacks remain")
	assert.Empty(t, own.names(), "deleted namespaces stay recorded")
	assert.ElementsMatch(t, []string{aws, cust}, own.disowned)
}

func TestCreatedNamespacesAreRecordedBeforeTheyAreMade(t *testing.T) {
	netnstest.RequireRoot(t)
	prefix := testPrefix()
	own := newMemOwnership()
	d := openOwned(t, prefix, own, nil)
	ctx := context.Background()
	aws, cust := d.Namespaces("dev1")

	_, err := d.Reconcile(ctx, sim.Snapshot{Ports: []sim.PortSpec{{ConnectionID: "dxcon-own00021", DeviceID: "dev1"}}})
	require.NoError(t, err)
	require.NoError(t, d.CreatePort(ctx, sim.PortSpec{ConnectionID: "dxcon-own00022", DeviceID: "dev2"}))
	aws2, cust2 := d.Namespaces("dev2")
	assert.Equal(t, []string{cust, cust2, aws, aws2}, own.names())
	for _, n := range []string{aws, cust, aws2, cust2} {
		assert.True(t, nsExists(n), "%s not made", n)
		existed, asked := own.existedAtOwn[n]
		assert.True(t, asked, "%s never recorded", n)
		assert.False(t, existed, "%s was recorded only after it was made", n)
	}

	// Deleted (dev2 is not in the state), it is forgotten; dev1 stays.
	_, err = d.Reconcile(ctx, sim.Snapshot{Ports: []sim.PortSpec{{ConnectionID: "dxcon-own00021", DeviceID: "dev1"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{cust, aws}, own.names())
	assert.False(t, nsExists(aws2) || nsExists(cust2))
}

func TestReconcileClaimsTheStatesDevicesWithoutARecord(t *testing.T) {
	netnstest.RequireRoot(t)
	prefix := testPrefix()
	// An earlier dxsim, which kept no record, made "ours"; someone else
	// made "unknown".
	oursAWS, oursCust := foreign(t, prefix, "ours", "dxcon-own00031")
	unknownAWS, unknownCust := foreign(t, prefix, "unknown", "dxcon-own00032")
	own := &memOwnership{existedAtOwn: map[string]bool{}} // never started
	var logs lockedBuffer
	d := openOwned(t, prefix, own, &logs)
	assert.Empty(t, d.devices, "nothing is adopted before the state says what is its")
	assert.NotContains(t, logs.String(), "left alone", "no warning before the state says what is its")

	drift, err := d.Reconcile(context.Background(), sim.Snapshot{Ports: []sim.PortSpec{{ConnectionID: "dxcon-own00031", DeviceID: "ours"}}})
	require.NoError(t, err)
	assert.Empty(t, drift, "the state's own port was there already")
	assert.Equal(t, []string{oursCust, oursAWS}, own.names(), "the state's devices' namespaces are recorded")
	assert.True(t, hasLink(t, oursAWS, "dxcon-own00031"))
	assert.True(t, hasLink(t, unknownAWS, "dxcon-own00032") && nsExists(unknownCust), "an unknown namespace was touched")
	assert.Contains(t, logs.String(), "ns="+unknownAWS)

	// The record is started: a later Reconcile does not claim the unknown
	// device even when asked for it.
	_, err = d.Reconcile(context.Background(), sim.Snapshot{Ports: []sim.PortSpec{
		{ConnectionID: "dxcon-own00031", DeviceID: "ours"}, {ConnectionID: "dxcon-own00033", DeviceID: "unknown"}}})
	require.ErrorIs(t, err, ErrNotOwned)
	assert.NotContains(t, own.names(), unknownAWS)
}

func TestNoRecordStartsOneAtTheFirstReconcile(t *testing.T) {
	netnstest.RequireRoot(t)
	own := &memOwnership{existedAtOwn: map[string]bool{}}
	d := openOwned(t, testPrefix(), own, nil)
	_, err := d.Reconcile(context.Background(), sim.Snapshot{})
	require.NoError(t, err)
	owned, err := own.Owned()
	require.NoError(t, err)
	assert.NotNil(t, owned, "an empty state's first Reconcile starts the record")
}

func TestTeardownOwned(t *testing.T) {
	netnstest.RequireRoot(t)
	prefix := testPrefix()
	mineAWS, mineCust := foreign(t, prefix, "mine", "dxcon-own00041")
	theirAWS, theirCust := foreign(t, prefix, "theirs", "dxcon-own00042")
	own := newMemOwnership(mineAWS, mineCust)
	n, err := TeardownOwned(prefix, own)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.False(t, nsExists(mineAWS) || nsExists(mineCust))
	assert.True(t, nsExists(theirAWS) && nsExists(theirCust))
	assert.Empty(t, own.names())

	n, err = TeardownOwned(prefix, &memOwnership{})
	require.NoError(t, err)
	assert.Zero(t, n, "a record never started owns nothing")
}
