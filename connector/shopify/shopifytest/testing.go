package shopifytest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/internal/specs"
)

// SchemaEnv names the environment variable that points tests at the schema file; it wins over
// the default location.
const SchemaEnv = "TOBIRA_SHOPIFY_SCHEMA"

// SchemaFile is the schema's path relative to the directory holding the module's go.mod: the
// project keeps shared material beside the repository, never inside it.
const SchemaFile = "../shared/specs/shopify/admin_" + APIVersion + ".json.gz"

// FindSchema returns the schema file's path: $TOBIRA_SHOPIFY_SCHEMA if set, else the schema in
// shared/specs in the nearest directory above the working directory that holds it.
func FindSchema() (string, error) {
	return specs.Find(schema.Env, schema.Name)
}

var schema = specs.Once[*Schema]{What: "Shopify schema", Env: SchemaEnv,
	Name: "shopify/admin_" + APIVersion + ".json.gz", Load: LoadSchemaFile}

// TestSchema loads the schema once per test binary (FindSchema). When it is missing, the test is
// skipped with the reason, or fails if the CI environment variable is set: CI must never pass
// by skipping the fake.
func TestSchema(tb testing.TB) *Schema {
	tb.Helper()
	return schema.Get(tb)
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
