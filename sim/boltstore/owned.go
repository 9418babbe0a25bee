package boltstore

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketNamespaces records the network namespaces the data plane serving
// this state made: only those are its to delete. The bucket exists once the
// record is started; a state without it is from before records were kept.
var bucketNamespaces = []byte("namespaces")

// Namespaces is the state's record of its data plane's network namespaces;
// it is a topology.Ownership. Each change is one fsynced transaction.
type Namespaces struct{ db *bolt.DB }

// Namespaces returns the state's record of its data plane's namespaces.
func (s *Store) Namespaces() Namespaces { return Namespaces{db: s.db} }

// Owned names the recorded namespaces: nil (not an empty map) when the
// record was never started.
func (n Namespaces) Owned() (map[string]bool, error) {
	var owned map[string]bool
	err := n.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNamespaces)
		if b == nil {
			return nil
		}
		owned = map[string]bool{}
		return b.ForEach(func(k, _ []byte) error {
			owned[string(k)] = true
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading recorded namespaces: %w", err)
	}
	return owned, nil
}

// Own records namespaces (each with the time it was recorded), starting the
// record if need be, even with no names.
func (n Namespaces) Own(names ...string) error {
	now := []byte(time.Now().UTC().Format(time.RFC3339Nano))
	err := n.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketNamespaces)
		if err != nil {
			return err
		}
		for _, name := range names {
			if name == "" {
				return errors.New("empty namespace name")
			}
			if b.Get([]byte(name)) != nil {
				continue
			}
			if err := b.Put([]byte(name), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording namespaces: %w", err)
	}
	return nil
}

// Disown forgets namespaces; forgetting one not recorded is not an error.
func (n Namespaces) Disown(names ...string) error {
	err := n.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketNamespaces)
		if err != nil {
			return err
		}
		for _, name := range names {
			if name == "" {
				continue
			}
			if err := b.Delete([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forgetting namespaces: %w", err)
	}
	return nil
}
