package api

import "context"

// SetOperation replaces an operation's implementation, so tests can make
// one misbehave.
func (h *Handler) SetOperation(name string, f func(ctx context.Context, body []byte) (any, error)) {
	h.table[name] = f
}

// OperationNames lists the operations the handler serves.
func (h *Handler) OperationNames() []string {
	names := make([]string, 0, len(h.table))
	for n := range h.table {
		names = append(names, n)
	}
	return names
}
