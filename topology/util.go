package topology

import (
	"context"
	"sync"
)

// ctxBackground is for backend calls made by the data plane's own
// goroutines, which end through d.stop rather than a caller's context.
var ctxBackground = context.Background()

// runOnce makes f safe to call more than once: only the first call runs it.
func runOnce(f func()) func() {
	var once sync.Once
	return func() { once.Do(f) }
}
