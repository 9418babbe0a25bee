package sim_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any leaves a goroutine behind: the
// event consumer and subscriptions must end with Service.Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
