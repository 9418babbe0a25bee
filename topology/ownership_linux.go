package topology

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
)

// ownership is a data plane's view of its Ownership record. d.mu guards it
// once the data plane is open.
type ownership struct {
	rec       Ownership       // nil: every namespace matching the prefix is ours
	owned     map[string]bool // the record, as last read or written
	unstarted bool            // the record was never started
	claim     bool            // the first Reconcile takes its devices' namespaces as owned
	warned    map[string]bool // namespaces already logged as left alone
}

// loadOwnership reads the record, if there is one.
func (d *DataPlane) loadOwnership() error {
	d.own = ownership{rec: d.opts.Ownership, owned: map[string]bool{}, warned: map[string]bool{}}
	if d.own.rec == nil {
		return nil
	}
	owned, err := d.own.rec.Owned()
	if err != nil {
		return fmt.Errorf("reading the record of this data plane's namespaces: %w", err)
	}
	if owned == nil {
		// A state from before records were kept: what it made is what its
		// objects need, which only Reconcile is told.
		d.own.unstarted, d.own.claim = true, true
		d.log.Info("no record of this data plane's namespaces yet: the state's devices' namespaces will be taken as its own")
		return nil
	}
	for name := range owned {
		d.own.owned[name] = true
	}
	var other []string
	for name := range owned {
		if _, _, ok := d.names.parse(name); !ok {
			other = append(other, name)
		}
	}
	if len(other) > 0 {
		sort.Strings(other)
		d.log.Warn("the record holds namespaces made under another prefix: left alone (serve with that prefix to use or remove them)",
			"prefix", d.opts.Prefix, "namespaces", other)
	}
	return nil
}

// mine reports whether a namespace is this data plane's to adopt, repair and
// delete.
func (d *DataPlane) mine(name string) bool {
	return d.own.rec == nil || d.own.owned[name]
}

// leftAlone logs, once per namespace, that one matching the prefix is not
// this data plane's.
func (d *DataPlane) leftAlone(name string) {
	if d.own.warned[name] {
		return
	}
	d.own.warned[name] = true
	d.log.Warn("namespace matches this data plane's prefix but is not in its record: left alone (another dxsim's?)",
		"ns", name, "prefix", d.opts.Prefix)
}

// record records names as this data plane's, durably, before they are made.
// With a record never started, it starts one even with no names.
func (d *DataPlane) record(names ...string) error {
	if d.own.rec == nil {
		return nil
	}
	var add []string
	for _, n := range names {
		if !d.own.owned[n] {
			add = append(add, n)
		}
	}
	if len(add) == 0 && !d.own.unstarted {
		return nil
	}
	if err := d.own.rec.Own(add...); err != nil {
		return fmt.Errorf("recording namespaces %v as this data plane's: %w", add, err)
	}
	for _, n := range add {
		d.own.owned[n] = true
	}
	d.own.unstarted = false
	return nil
}

// forget disowns names after they are deleted.
func (d *DataPlane) forget(names ...string) error {
	if d.own.rec == nil || len(names) == 0 {
		return nil
	}
	if err := d.own.rec.Disown(names...); err != nil {
		return fmt.Errorf("forgetting namespaces %v: %w", names, err)
	}
	for _, n := range names {
		delete(d.own.owned, n)
	}
	return nil
}

// openDeviceNS opens a device's namespace, making it if it does not exist:
// one of this data plane's is opened (or remade); a missing one is recorded
// first, then made; one that exists but is not in the record is refused.
// d.mu is held.
func (d *DataPlane) openDeviceNS(name string) (*netNS, error) {
	if d.mine(name) {
		return openOrCreateNS(name)
	}
	if nsExists(name) {
		d.leftAlone(name)
		return nil, &NotOwnedError{Namespace: name}
	}
	if err := d.record(name); err != nil {
		return nil, err
	}
	ns, err := createNS(name)
	if errors.Is(err, fs.ErrExist) {
		// Another process made it between the check and here: its.
		if ferr := d.forget(name); ferr != nil {
			d.log.Warn("forgetting a namespace another process made", "ns", name, "err", ferr)
		}
		d.leftAlone(name)
		return nil, &NotOwnedError{Namespace: name}
	}
	return ns, err
}

// claimWanted is the first Reconcile's migration of a state with no record:
// the namespaces of the devices it asks for are its own. d.mu is held.
func (d *DataPlane) claimWanted(w wanted) error {
	if !d.own.claim {
		return nil
	}
	var names []string
	for _, id := range sortedKeys(w.devices) {
		names = append(names, d.names.ns(roleDevice, id), d.names.ns(roleRouter, id))
	}
	if err := d.record(names...); err != nil {
		return err
	}
	d.own.claim = false
	if len(names) > 0 {
		d.log.Info("started the record of this data plane's namespaces with the state's devices'", "namespaces", len(names))
	}
	return nil
}

// pruneRecord forgets recorded namespaces with this prefix that no longer
// exist and that neither the data plane holds nor the state wants, so that a
// namespace of the same name another instance makes later is not taken for
// ours. d.mu is held.
func (d *DataPlane) pruneRecord(w wanted) error {
	if d.own.rec == nil {
		return nil
	}
	var gone []string
	for name := range d.own.owned {
		_, dev, ok := d.names.parse(name)
		if !ok || nsExists(name) {
			continue
		}
		if _, held := d.devices[dev]; held || w.devices[dev] {
			continue
		}
		gone = append(gone, name)
	}
	sort.Strings(gone)
	return d.forget(gone...)
}
