package labctl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Checkpoints keeps a lab's data-plane checkpoints (topology.Checkpoints)
// as files beside its socket, one per namespace:
// "<dir>/<prefix>.checkpoints/<namespace>.json". They live as long as the
// lab's TAPs can (until a reboot: the directory is a tmpfs), so a
// userspace lab's next `lab up` adopts what the last one left.
type Checkpoints struct {
	dir string
}

// CheckpointsFor is the store of the lab whose namespaces start with
// prefix, under dir (DefaultDir).
func CheckpointsFor(dir, prefix string) (Checkpoints, error) {
	sock, err := SocketPath(dir, prefix)
	if err != nil {
		return Checkpoints{}, err
	}
	return Checkpoints{dir: sock[:len(sock)-len(".sock")] + ".checkpoints"}, nil
}

func (c Checkpoints) path(ns string) (string, error) {
	if ns == "" || ns == "." || ns == ".." || filepath.Base(ns) != ns {
		return "", fmt.Errorf("namespace %q cannot name a checkpoint", ns)
	}
	return filepath.Join(c.dir, ns+".json"), nil
}

// LoadCheckpoint returns the namespace's checkpoint, nil when there is none.
func (c Checkpoints) LoadCheckpoint(ns string) ([]byte, error) {
	p, err := c.path(ns)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoint of %s: %w", ns, err)
	}
	return b, nil
}

// SaveCheckpoint keeps the namespace's checkpoint, whole or not at all (a
// file written aside, then renamed); nil data forgets it.
func (c Checkpoints) SaveCheckpoint(ns string, data []byte) error {
	p, err := c.path(ns)
	if err != nil {
		return err
	}
	if data == nil {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("forgetting the checkpoint of %s: %w", ns, err)
		}
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("keeping the checkpoint of %s: %w", ns, err)
	}
	tmp := p + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("keeping the checkpoint of %s: %w", ns, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("keeping the checkpoint of %s: %w", ns, err)
	}
	return nil
}

// RemoveAll forgets every checkpoint of the lab: `lab down` deletes the
// namespaces they describe.
func (c Checkpoints) RemoveAll() error {
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("removing the lab's checkpoints: %w", err)
	}
	return nil
}
