// Package nsthread runs code inside a network namespace, on an OS thread of
// its own: the one way dxsim enters a namespace. A Go thread's namespace is
// per thread, so the work runs on a fresh goroutine locked to its thread,
// and the thread is moved back afterwards. If it cannot be moved back, it is
// never returned to the scheduler: its goroutine exits with the thread still
// locked, and the runtime retires it, so no other goroutine ever runs in the
// wrong namespace.
package nsthread

import "errors"

// ErrUnsupported is returned where there are no network namespaces.
var ErrUnsupported = errors.New("nsthread: network namespaces need Linux")
