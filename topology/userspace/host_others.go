//go:build !linux

package userspace

// Host runs userspace LAGs and VLANs; on this system it cannot be made, and
// its methods fail with ErrUnsupported.
type Host struct{}

// New fails: userspace LAGs need Linux's TAP devices and AF_PACKET.
func New(Config) (*Host, error) { return nil, ErrUnsupported }

func (*Host) CreateLAG(LAGConfig) error            { return ErrUnsupported }
func (*Host) DeleteLAG(string) error               { return ErrUnsupported }
func (*Host) SetMinLinks(string, int) error        { return ErrUnsupported }
func (*Host) AddMember(string, string) error       { return ErrUnsupported }
func (*Host) AddMembers([]Membership) (int, error) { return 0, ErrUnsupported }
func (*Host) RemoveMember(string, string) error    { return ErrUnsupported }
func (*Host) SetFault(string, string, Fault) error { return ErrUnsupported }
func (*Host) LAGStatus(string) (LAGStatus, error)  { return LAGStatus{}, ErrUnsupported }
func (*Host) LAGs() []LAGStatus                    { return nil }
func (*Host) CreateVLAN(VLANConfig) error          { return ErrUnsupported }
func (*Host) MoveVLAN(VLANConfig) error            { return ErrUnsupported }
func (*Host) DeleteVLAN(string) error              { return ErrUnsupported }
func (*Host) VLANs() []VLANConfig                  { return nil }
func (*Host) Events() <-chan Event                 { return nil }
func (*Host) Dropped() uint64                      { return 0 }
func (*Host) LinkResyncs() uint64                  { return 0 }
func (*Host) Close() error                         { return nil }

// SetImpairment fails: impairments are the userspace data plane's.
func (*Host) SetImpairment(string, Impairment) error { return ErrUnsupported }

// Impairment reports none.
func (*Host) Impairment(string) (Impairment, ImpairmentStats) {
	return Impairment{}, ImpairmentStats{}
}

// Checkpoint is empty: there is nothing to hand over.
func (*Host) Checkpoint() HostCheckpoint { return HostCheckpoint{} }

// Resume fails: there is nothing to adopt.
func (*Host) Resume(HostCheckpoint) (ResumeReport, error) { return ResumeReport{}, ErrUnsupported }

// Detach is Close.
func (*Host) Detach() error { return nil }
