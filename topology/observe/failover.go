package observe

import (
	"slices"
	"sync"
	"time"

	"github.com/dxsim/dxsim/sim"
	"github.com/dxsim/dxsim/topology/bgp"
	"github.com/dxsim/dxsim/topology/probe"
)

// Failover tests observed: the routed probe as the traffic leaves the
// tested VIF and as it comes back, beside the session's BGP.

// FailoverSource is the control plane as the failover observer uses it; a
// *sim.Service is one.
type FailoverSource interface {
	Subscribe(buf int) (<-chan sim.StateChange, func())
	FailoverTest(id string) (*sim.FailoverTest, bool)
}

// VIFTarget names the routed probe of a VIF; false when there is nothing
// to probe.
type VIFTarget func(vifID string) (RoutedTarget, bool)

// failoverWindow is how long the routed probe runs from a test's start:
// long enough to see the traffic leave the tested VIF and settle, short
// enough that a test of hours keeps no more than a few seconds of echoes.
const failoverWindow = 5 * time.Second

// failoverSession is one observed failover test.
type failoverSession struct {
	test      *sim.FailoverTest
	target    *RoutedTarget
	completed chan struct{} // closed when the test is seen completed
	once      sync.Once

	mu          sync.Mutex
	marks       []bgp.Mark
	completedAt time.Time
	failover    *probe.Result
	ret         *probe.Result
}

// FollowFailoverTests observes every failover test src starts from now on.
func (o *Observer) FollowFailoverTests(src FailoverSource, target VIFTarget) {
	changes, stop := src.Subscribe(1024)
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		stop()
		return
	}
	o.wg.Add(1)
	o.mu.Unlock()
	go func() {
		defer o.wg.Done()
		defer stop()
		for {
			select {
			case <-o.stop:
				return
			case c, ok := <-changes:
				if !ok {
					return
				}
				o.failoverChange(src, target, c)
			}
		}
	}()
}

// failoverChange starts or ends a test's observation.
func (o *Observer) failoverChange(src FailoverSource, target VIFTarget, c sim.StateChange) {
	switch c.To {
	case sim.TestInProgress:
		f, ok := src.FailoverTest(c.ID)
		if !ok {
			return
		}
		fs := &failoverSession{test: f, completed: make(chan struct{})}
		if t, ok := target(f.VIFID); ok {
			fs.target = &t
		}
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			return
		}
		o.failovers[f.ID] = fs
		o.foReports[f.ID] = fs.report(false)
		o.wg.Add(1)
		o.mu.Unlock()
		go func() {
			defer o.wg.Done()
			o.followFailover(fs)
		}()
	case sim.TestCompleted:
		o.mu.Lock()
		fs := o.failovers[c.ID]
		o.mu.Unlock()
		if fs != nil {
			fs.mu.Lock()
			fs.completedAt = c.Time
			fs.mu.Unlock()
			fs.once.Do(func() { close(fs.completed) })
		}
	}
}

// FailoverReport returns a failover test's report, running or done.
func (o *Observer) FailoverReport(testID string) (*sim.FailoverReport, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, ok := o.foReports[testID]
	return r, ok
}

func (fs *failoverSession) addMark(m bgp.Mark) {
	if m.VIFID != fs.test.VIFID || m.From != "" || m.Side != bgp.SideAmazon || m.Time.Before(fs.test.Start) {
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.marks = append(fs.marks, m)
}

// followFailover runs the probe from the test's start for failoverWindow
// (or until the test ends), then from its end until the sessions are back
// with their routes and an echo has come since, or Config.Settle passes.
func (o *Observer) followFailover(fs *failoverSession) {
	defer func() {
		o.mu.Lock()
		o.foReports[fs.test.ID] = fs.report(true)
		delete(o.failovers, fs.test.ID)
		o.mu.Unlock()
	}()
	p := o.startProbe(fs)
	window := time.NewTimer(failoverWindow)
	select {
	case <-window.C:
	case <-fs.completed:
	case <-o.stop:
	}
	window.Stop()
	if p != nil {
		r := p.Stop()
		fs.mu.Lock()
		fs.failover = &r
		fs.mu.Unlock()
	}
	o.mu.Lock()
	o.foReports[fs.test.ID] = fs.report(false)
	o.mu.Unlock()
	select {
	case <-fs.completed:
	case <-o.stop:
		return
	}
	p = o.startProbe(fs)
	deadline := time.NewTimer(o.cfg.Settle)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !fs.back(p) {
		select {
		case <-tick.C:
			continue
		case <-deadline.C:
		case <-o.stop:
		}
		break
	}
	if p != nil {
		r := p.Stop()
		fs.mu.Lock()
		fs.ret = &r
		fs.mu.Unlock()
	}
}

// startProbe starts the routed probe of a test's VIF, nil when it has none.
func (o *Observer) startProbe(fs *failoverSession) *probe.Routed {
	if fs.target == nil {
		return nil
	}
	p, err := o.startRoutedProbe(*fs.target)
	if err != nil {
		o.cfg.Logger.Warn("routed probe", "test", fs.test.ID, "err", err)
		return nil
	}
	return p
}

// back reports whether the test's VIF is back after the test: its session
// established with routes since the test ended, and (with a probe) an echo
// since.
func (fs *failoverSession) back(p *probe.Routed) bool {
	_, _, restored := fs.bgpAfter()
	if restored.IsZero() {
		return false
	}
	if p == nil {
		return true
	}
	last, ok := p.Last()
	return ok && last.At.After(restored)
}

// bgpAfter is when the session went down after the test's start, and when
// it was established and had routes again after its end.
func (fs *failoverSession) bgpAfter() (down, established, restored time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	marks := slices.Clone(fs.marks)
	slices.SortStableFunc(marks, func(a, b bgp.Mark) int { return a.Time.Compare(b.Time) })
	for _, m := range marks {
		switch {
		case down.IsZero() && m.State != bgp.StateEstablished:
			down = m.Time
		case fs.completedAt.IsZero() || m.Time.Before(fs.completedAt):
		case m.State == bgp.StateEstablished && established.IsZero():
			established = m.Time
			if m.Accepted > 0 {
				restored = m.Time
			}
		case m.State == bgp.StateEstablished && m.Accepted > 0 && restored.IsZero():
			restored = m.Time
		}
	}
	return down, established, restored
}

// report is the test's report as it stands.
func (fs *failoverSession) report(done bool) *sim.FailoverReport {
	start := fs.test.Start
	r := &sim.FailoverReport{TestID: fs.test.ID, VIFID: fs.test.VIFID, Started: start, Done: done}
	down, established, restored := fs.bgpAfter()
	fs.mu.Lock()
	completed, failover, ret := fs.completedAt, fs.failover, fs.ret
	fs.mu.Unlock()
	add := func(name string, t time.Time) {
		if !t.IsZero() && !t.Before(start) {
			r.Milestones = append(r.Milestones, sim.Milestone{Name: name, Time: t, VIF: fs.test.VIFID})
		}
	}
	add(sim.MilestoneTestStarted, start)
	add(sim.MilestoneBGPDown, down)
	add(sim.MilestoneTestCompleted, completed)
	add(sim.MilestoneBGPEstablished, established)
	add(sim.MilestoneRoutesRestored, restored)
	if fs.target != nil {
		r.Failover = routedProbe(fs.target, failover)
		r.Return = routedProbe(fs.target, ret)
		if failover != nil && failover.Outage.Lost > 0 {
			add(sim.MilestoneRoutedLost, failover.Outage.LastBefore.At)
			add(sim.MilestoneRoutedRestored, failover.Outage.FirstAfter.At)
		}
		if ret != nil && ret.Outage.Lost > 0 {
			add(sim.MilestoneReturnLost, ret.Outage.LastBefore.At)
			add(sim.MilestoneReturnRestored, ret.Outage.FirstAfter.At)
		}
	}
	slices.SortStableFunc(r.Milestones, func(a, b sim.Milestone) int { return a.Time.Compare(b.Time) })
	for i := range r.Milestones {
		r.Milestones[i].TMS = ms(r.Milestones[i].Time.Sub(start))
	}
	return r
}

// routedProbe is a routed probe's run as a report gives it; nil before it
// has run.
func routedProbe(t *RoutedTarget, res *probe.Result) *sim.RoutedProbe {
	if res == nil {
		return nil
	}
	rp := &sim.RoutedProbe{VIFID: t.VIFID, From: t.From.String(), To: t.To.String(), Sent: res.Sent, Lost: res.Lost, Rate: res.Rate}
	if res.Outage.Lost > 0 && res.Rate > 0 {
		rp.OutageMS = msp(time.Duration(res.Outage.Lost)*time.Second/time.Duration(res.Rate), true)
	}
	return rp
}
