// Package boltstore keeps the control plane's state in a bbolt file: one
// bucket per kind of object, one JSON value per object, a bucket of deleted
// objects still described, a bucket of accounts' customer agreements, and a
// bucket of the operations' data-plane intents not yet done, keyed by
// commit order; each
// mutation one transaction, fsynced before the request it belongs to is
// acknowledged.
package boltstore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dxsim/dxsim/sim"
)

// FileName is the state file's name inside the state directory.
const FileName = "dxsim.db"

var (
	bucketConnections = []byte("connections")
	bucketLAGs        = []byte("lags")
	bucketVIFs        = []byte("vifs")
	bucketMeta        = []byte("meta")
	bucketIntents     = []byte("intents")
	bucketRecords     = []byte("records")
	bucketGone        = []byte("gone")
	// Direct Connect gateways, their associations and proposals; their
	// IDs are UUIDs, keyed in a bucket of their own each.
	bucketGateways     = []byte("dx-gateways")
	bucketAssociations = []byte("dx-gateway-associations")
	bucketProposals    = []byte("dx-gateway-proposals")
	bucketAgreements   = []byte("agreements")
	// BGP failover tests, running and past, by test ID.
	bucketFailoverTests = []byte("bgp-failover-tests")
	bucketFaults        = []byte("faults")
	keySchema           = []byte("schema")
)

// schemaVersion is bumped when the stored JSON changes incompatibly.
const schemaVersion = "1"

// Store is a sim.Store on a bbolt file.
type Store struct {
	db *bolt.DB
}

var _ sim.Store = (*Store)(nil)

// Open opens (creating if need be) the state in dir. It fails at once,
// rather than waiting, if another process has the file open.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("opening state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketConnections, bucketLAGs, bucketVIFs, bucketMeta, bucketIntents, bucketRecords, bucketGone, bucketGateways, bucketAssociations, bucketProposals, bucketAgreements, bucketFailoverTests, bucketFaults} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keySchema); {
		case v == nil:
			return meta.Put(keySchema, []byte(schemaVersion))
		case string(v) != schemaVersion:
			return fmt.Errorf("state schema %s, this dxsim reads %s", v, schemaVersion)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising state %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Load reads the whole state.
func (s *Store) Load() (*sim.State, error) {
	st := sim.NewState()
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := loadBucket(tx, bucketConnections, st.Connections); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketLAGs, st.LAGs); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketVIFs, st.VIFs); err != nil {
			return err
		}
		st.Records = map[string]*sim.AssociationRecord{}
		if err := loadBucket(tx, bucketRecords, st.Records); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketGone, st.Gone); err != nil {
			return err
		}
		if err := loadGateways(tx, st); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketAgreements, st.Agreements); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketFaults, st.Faults); err != nil {
			return err
		}
		if err := loadBucket(tx, bucketFailoverTests, st.FailoverTests); err != nil {
			return err
		}
		return loadIntents(tx, st)
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

func loadBucket[T any](tx *bolt.Tx, name []byte, into map[string]*T) error {
	return tx.Bucket(name).ForEach(func(k, v []byte) error {
		obj := new(T)
		if err := json.Unmarshal(v, obj); err != nil {
			return fmt.Errorf("decoding %s/%s: %w", name, k, err)
		}
		into[string(k)] = obj
		return nil
	})
}

// loadIntents reads the unfinished intents; bbolt keeps keys sorted, and
// the keys are big-endian sequence numbers, so they come in commit order.
func loadIntents(tx *bolt.Tx, st *sim.State) error {
	return tx.Bucket(bucketIntents).ForEach(func(k, v []byte) error {
		in := new(sim.Intent)
		if err := json.Unmarshal(v, in); err != nil {
			return fmt.Errorf("decoding intent %x: %w", k, err)
		}
		st.Pending = append(st.Pending, in)
		return nil
	})
}

func intentKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// Commit writes a batch in one transaction: the objects, the operation's
// intent and the intents it marks done, all or nothing.
func (s *Store) Commit(b sim.Batch) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if b.Intent != nil {
			raw, err := json.Marshal(b.Intent)
			if err != nil {
				return fmt.Errorf("encoding intent %d: %w", b.Intent.Seq, err)
			}
			if err := tx.Bucket(bucketIntents).Put(intentKey(b.Intent.Seq), raw); err != nil {
				return fmt.Errorf("writing intent %d: %w", b.Intent.Seq, err)
			}
		}
		for _, r := range b.Records {
			if err := put(tx, bucketRecords, r.ConnectionID, r); err != nil {
				return err
			}
		}
		for _, g := range b.Gone {
			if err := put(tx, bucketGone, g.ID(), g); err != nil {
				return err
			}
		}
		for _, a := range b.Agreements {
			if err := put(tx, bucketAgreements, a.Account, a); err != nil {
				return err
			}
		}
		for _, id := range b.Purged {
			if err := tx.Bucket(bucketGone).Delete([]byte(id)); err != nil {
				return fmt.Errorf("forgetting deleted %s: %w", id, err)
			}
		}
		for _, seq := range b.Done {
			if err := tx.Bucket(bucketIntents).Delete(intentKey(seq)); err != nil {
				return fmt.Errorf("marking intent %d done: %w", seq, err)
			}
		}
		for _, c := range b.Connections {
			if err := put(tx, bucketConnections, c.ID, c); err != nil {
				return err
			}
		}
		for _, l := range b.LAGs {
			if err := put(tx, bucketLAGs, l.ID, l); err != nil {
				return err
			}
		}
		for _, v := range b.VIFs {
			if err := put(tx, bucketVIFs, v.ID, v); err != nil {
				return err
			}
		}
		if err := commitGateways(tx, b); err != nil {
			return err
		}
		for _, f := range b.FailoverTests {
			if err := put(tx, bucketFailoverTests, f.ID, f); err != nil {
				return err
			}
		}
		for _, f := range b.Faults {
			if err := put(tx, bucketFaults, f.ID, f); err != nil {
				return err
			}
		}
		for _, id := range b.FaultsCleared {
			if err := tx.Bucket(bucketFaults).Delete([]byte(id)); err != nil {
				return fmt.Errorf("clearing fault %s: %w", id, err)
			}
		}
		for _, id := range b.Deleted {
			if err := tx.Bucket(bucketFor(id)).Delete([]byte(id)); err != nil {
				return fmt.Errorf("deleting %s: %w", id, err)
			}
			if err := tx.Bucket(bucketRecords).Delete([]byte(id)); err != nil {
				return fmt.Errorf("deleting %s's record: %w", id, err)
			}
		}
		return nil
	})
}

func put(tx *bolt.Tx, bucket []byte, id string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", id, err)
	}
	if err := tx.Bucket(bucket).Put([]byte(id), raw); err != nil {
		return fmt.Errorf("writing %s: %w", id, err)
	}
	return nil
}

func bucketFor(id string) []byte {
	switch {
	case strings.HasPrefix(id, sim.PrefixLAG):
		return bucketLAGs
	case strings.HasPrefix(id, sim.PrefixVIF):
		return bucketVIFs
	}
	return bucketConnections
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }
