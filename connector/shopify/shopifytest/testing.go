package shopifytest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// SchemaEnv names the environment variable that points tests at the schema file; it wins over
// the default location.
const SchemaEnv = "TOBIRA_SHOPIFY_SCHEMA"

// SchemaFile is the schema's path relative to the directory holding the module's go.mod: the
// project keeps shared material beside the repository, never inside it.
const SchemaFile = "../shared/specs/shopify/admin_" + APIVersion + ".json.gz"

// FindSchema returns the schema file's path: $TOBIRA_SHOPIFY_SCHEMA if set, else SchemaFile
// relative to the nearest directory above the working directory that holds go.mod (or to its
// parent, for a git worktree one level deeper).
func FindSchema() (string, error) {
	if p := os.Getenv(SchemaEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", err
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, filepath.FromSlash(SchemaFile))
			_, err := os.Stat(p)
			if err != nil {
				// A git worktree sits one level deeper than the main checkout.
				if alt := filepath.Join(dir, "..", filepath.FromSlash(SchemaFile)); fileExists(alt) {
					return alt, nil
				}
				return "", err
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

var (
	schemaOnce sync.Once
	schemaVal  *Schema
	schemaErr  error
)

// TestSchema loads the schema once per test binary (FindSchema). When it cannot, the test is
// skipped with the reason, or fails if the CI environment variable is set: CI must never pass
// by skipping the fake.
func TestSchema(tb testing.TB) *Schema {
	tb.Helper()
	schemaOnce.Do(func() {
		var p string
		p, schemaErr = FindSchema()
		if schemaErr == nil {
			schemaVal, schemaErr = LoadSchemaFile(p)
		}
	})
	if schemaErr != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("Shopify schema not available (set %s): %v", SchemaEnv, schemaErr)
		}
		tb.Skipf("Shopify schema not available (set %s to run): %v", SchemaEnv, schemaErr)
	}
	return schemaVal
}

// NewTest starts a fake for a test with the schema from TestSchema and closes it at the end.
func NewTest(tb testing.TB, opts Options) *Server {
	tb.Helper()
	opts.Parsed = TestSchema(tb)
	s, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// VirtualClock is a clock whose Sleep advances time at once. Share one between the fake
// (Options.Now) and the client (shopify.Config.Clock) to pace by the cost bucket without
// waiting.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtualClock returns a clock set to start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
}

// Sleep advances the clock by d, unless ctx is done.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
