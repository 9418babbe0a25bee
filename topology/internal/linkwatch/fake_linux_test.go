package linkwatch

import (
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// fakeSource is a namespace in memory whose subscriptions can be made to
// fail or to be lost, as an overflowing socket is.
type fakeSource struct {
	mu            sync.Mutex
	links         map[string]netlink.Link
	nextIndex     int
	sub           *fakeSub // the live subscription, if any
	subs          []*fakeSub
	failSubscribe int // the next this many subscribes fail
	failList      int // the next this many lists fail
	subscribes    int // subscribe calls
	closed        bool
	wg            sync.WaitGroup
}

type fakeSub struct {
	feed chan netlink.LinkUpdate
	lose chan error
	done <-chan struct{}
}

func newFakeSource() *fakeSource {
	return &fakeSource{links: map[string]netlink.Link{}, nextIndex: 1}
}

var errFake = errors.New("fake: refused")

func (f *fakeSource) subscribe(ch chan<- netlink.LinkUpdate, done <-chan struct{}, onErr func(error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subscribes++
	if f.failSubscribe > 0 {
		f.failSubscribe--
		return errFake
	}
	s := &fakeSub{feed: make(chan netlink.LinkUpdate, 1024), lose: make(chan error, 1), done: done}
	f.sub = s
	f.subs = append(f.subs, s)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer close(ch)
		for {
			select {
			case u := <-s.feed:
				select {
				case ch <- u:
				case <-done:
					return
				}
			case err := <-s.lose:
				onErr(err)
				return
			case <-done:
				return
			}
		}
	}()
	return nil
}

func (f *fakeSource) list() ([]netlink.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failList > 0 {
		f.failList--
		return nil, errFake
	}
	out := make([]netlink.Link, 0, len(f.links))
	for _, l := range f.links {
		out = append(out, l)
	}
	return out, nil
}

func (f *fakeSource) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

// set makes or changes a link and announces it on the live subscription.
func (f *fakeSource) set(name string, up bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.announce(f.setLocked(name, up), unix.RTM_NEWLINK)
}

// del deletes a link and announces it.
func (f *fakeSource) del(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.links[name]
	delete(f.links, name)
	f.announce(l, unix.RTM_DELLINK)
}

func (f *fakeSource) setLocked(name string, up bool) netlink.Link {
	idx := f.nextIndex
	if l, ok := f.links[name]; ok {
		idx = l.Attrs().Index
	} else {
		f.nextIndex++
	}
	var flags uint32
	if up {
		flags = unix.IFF_UP | unix.IFF_LOWER_UP
	}
	l := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, Index: idx, RawFlags: flags}}
	f.links[name] = l
	return l
}

func (f *fakeSource) announce(l netlink.Link, typ uint16) {
	if f.sub == nil {
		return
	}
	a := l.Attrs()
	f.sub.feed <- netlink.LinkUpdate{
		IfInfomsg: nl.IfInfomsg{IfInfomsg: unix.IfInfomsg{Index: int32(a.Index), Flags: a.RawFlags}},
		Header:    unix.NlMsghdr{Type: typ},
		Link:      l,
	}
}

// lose ends the live subscription with err, as an overflow does, after
// changing the namespace in ways nobody hears of.
func (f *fakeSource) lose(err error, unheard func(f *fakeSource)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sub
	f.sub = nil
	if unheard != nil {
		unheard(f)
	}
	s.lose <- err
}

// ended reports whether every subscription made was let go of (its done
// closed) and its receiver returned.
func (f *fakeSource) ended(t *testing.T) {
	t.Helper()
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, s := range f.subs {
		select {
		case <-s.done:
		default:
			assert.Fail(t, "subscription was never released", "subscription %d", i)
		}
	}
	assert.True(t, f.closed, "source not closed")
}

// view is a Handler keeping what a caller would believe of each link: its
// index and whether it is up.
type view struct {
	mu      sync.Mutex
	links   map[string]linkState
	updates int
	resyncs int
	slow    time.Duration
}

type linkState struct {
	index int
	up    bool
}

func newView() *view { return &view{links: map[string]linkState{}} }

func (v *view) Update(u netlink.LinkUpdate) {
	time.Sleep(v.slow)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.updates++
	a := u.Link.Attrs()
	if u.Header.Type == unix.RTM_DELLINK {
		delete(v.links, a.Name)
		return
	}
	v.links[a.Name] = linkState{index: a.Index, up: linkUp(u.IfInfomsg.Flags)}
}

func (v *view) Resync(links []netlink.Link) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.resyncs++
	v.links = map[string]linkState{}
	for _, l := range links {
		a := l.Attrs()
		v.links[a.Name] = linkState{index: a.Index, up: linkUp(a.RawFlags)}
	}
}

func (v *view) get(name string) (linkState, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, ok := v.links[name]
	return s, ok
}

func (v *view) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.updates
}

func (v *view) names() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for n := range v.links {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// eventually polls cond until it holds, failing the test after a generous
// bound; it times nothing.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			require.FailNow(t, "never came true", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func linkUp(flags uint32) bool { return flags&unix.IFF_UP != 0 && flags&unix.IFF_LOWER_UP != 0 }
