package sim

// Store makes the control plane's state durable. Commit is atomic: after it
// returns nil, a Load after any crash sees the whole batch; after an error,
// none of it.
type Store interface {
	Load() (*State, error)
	Commit(b Batch) error
	Close() error
}

// Batch is one mutation's changes.
type Batch struct {
	Connections []*Connection
	LAGs        []*LAG
	VIFs        []*VIF
	Deleted     []string // IDs (dxcon-, dxlag-, dxvif-) to remove
	Intent      *Intent  // the operation's data-plane effects, kept until done
	Done        []uint64 // intents whose effects have all run
	// Records are association records, new or changed: a restart keeps
	// each connection's last interruption. A deleted connection's record
	// goes with it.
	Records []*AssociationRecord
	// Gone are objects deleted now, kept to be described for a while;
	// Purged those described long enough.
	Gone   []*Gone
	Purged []string
	// Direct Connect gateways, associations and proposals, new or changed;
	// GatewayDropped the IDs of those no longer described.
	Gateways            []*DXGateway
	GatewayAssociations []*GatewayAssociation
	GatewayProposals    []*GatewayProposal
	GatewayDropped      []string
	// Agreements are accounts' customer agreements, changed.
	Agreements []*Agreements
	// FailoverTests are BGP failover tests, new or changed.
	FailoverTests []*FailoverTest
	// Faults are training faults set; FaultsCleared the IDs of those
	// cleared.
	Faults        []*Fault
	FaultsCleared []string
}

// Empty reports whether the batch changes nothing.
func (b *Batch) Empty() bool {
	return len(b.Connections)+len(b.LAGs)+len(b.VIFs)+len(b.Deleted)+len(b.Done)+len(b.Records)+len(b.Gone)+len(b.Purged)+
		len(b.Gateways)+len(b.GatewayAssociations)+len(b.GatewayProposals)+len(b.GatewayDropped)+len(b.Agreements)+len(b.FailoverTests)+
		len(b.Faults)+len(b.FaultsCleared) == 0 && b.Intent == nil
}

// MemoryStore keeps nothing beyond the process; for tests and throwaway runs.
type MemoryStore struct{}

// Load returns an empty state.
func (MemoryStore) Load() (*State, error) { return NewState(), nil }

// Commit accepts every batch.
func (MemoryStore) Commit(Batch) error { return nil }

// Close does nothing.
func (MemoryStore) Close() error { return nil }
