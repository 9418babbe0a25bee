package observe

// NotObservedError says no operation on a connection has been observed.
type NotObservedError struct{ ConnectionID string }

func (e *NotObservedError) Error() string {
	return "observe: no associate or disassociate of " + e.ConnectionID + " has been observed"
}
