package boltstore

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketCheckpoints keeps what the data plane hands from one process to the
// next, per namespace: the userspace engine's LAGs, members, LACP state and
// VLANs (topology/userspace.HostCheckpoint, as JSON), so that a restarted
// serve adopts the TAPs the last one left and carries on without
// renegotiating LACP.
var bucketCheckpoints = []byte("dataplane-checkpoints")

// Checkpoints is the state's store of the data plane's checkpoints; it is
// a topology.Checkpoints. Each change is one fsynced transaction.
type Checkpoints struct{ db *bolt.DB }

// Checkpoints returns the state's store of data-plane checkpoints.
func (s *Store) Checkpoints() Checkpoints { return Checkpoints{db: s.db} }

// LoadCheckpoint returns the namespace's checkpoint, nil when there is none.
func (c Checkpoints) LoadCheckpoint(ns string) ([]byte, error) {
	var out []byte
	err := c.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketCheckpoints); b != nil {
			out = bytes.Clone(b.Get([]byte(ns)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoint of %s: %w", ns, err)
	}
	return out, nil
}

// SaveCheckpoint keeps the namespace's checkpoint; nil data forgets it.
func (c Checkpoints) SaveCheckpoint(ns string, data []byte) error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketCheckpoints)
		if err != nil {
			return err
		}
		if data == nil {
			return b.Delete([]byte(ns))
		}
		return b.Put([]byte(ns), data)
	})
	if err != nil {
		return fmt.Errorf("keeping the checkpoint of %s: %w", ns, err)
	}
	return nil
}
