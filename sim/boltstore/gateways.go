package boltstore

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/dxsim/dxsim/sim"
)

// loadGateways reads the Direct Connect gateways, associations and proposals.
func loadGateways(tx *bolt.Tx, st *sim.State) error {
	if err := loadBucket(tx, bucketGateways, st.Gateways); err != nil {
		return err
	}
	if err := loadBucket(tx, bucketAssociations, st.GatewayAssociations); err != nil {
		return err
	}
	return loadBucket(tx, bucketProposals, st.GatewayProposals)
}

// commitGateways writes a batch's Direct Connect gateway objects and removes
// those no longer described. Their IDs are UUIDs that name one object, so a
// dropped ID is removed from each of the three buckets.
func commitGateways(tx *bolt.Tx, b sim.Batch) error {
	for _, g := range b.Gateways {
		if err := put(tx, bucketGateways, g.ID, g); err != nil {
			return err
		}
	}
	for _, a := range b.GatewayAssociations {
		if err := put(tx, bucketAssociations, a.ID, a); err != nil {
			return err
		}
	}
	for _, p := range b.GatewayProposals {
		if err := put(tx, bucketProposals, p.ID, p); err != nil {
			return err
		}
	}
	for _, id := range b.GatewayDropped {
		for _, bucket := range [][]byte{bucketGateways, bucketAssociations, bucketProposals} {
			if err := tx.Bucket(bucket).Delete([]byte(id)); err != nil {
				return fmt.Errorf("forgetting %s: %w", id, err)
			}
		}
	}
	return nil
}
