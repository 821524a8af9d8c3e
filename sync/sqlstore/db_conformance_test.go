package sqlstore_test

import (
	"database/sql"
	gosync "sync"
	"testing"

	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
	"github.com/tobira-commerce/tobira/sync/storetest"
)

// TestConformance runs sync/storetest against each database, reopening stores on a new pool to
// check that nothing lives only in the Store value.
func TestConformance(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		// Opening the first pool here skips or fails the whole backend once, not per check.
		b.open(t)
		var mu gosync.Mutex
		prefixes := map[tobirasync.Store]string{}
		storetest.TestHarness(t, storetest.Harness{
			New: func(tb testing.TB) tobirasync.Store {
				prefix := uniquePrefix()
				s := newStore(tb, b.open(tb), b.dialect, prefix)
				mu.Lock()
				prefixes[s] = prefix
				mu.Unlock()
				return s
			},
			Reopen: func(tb testing.TB, old tobirasync.Store) tobirasync.Store {
				mu.Lock()
				prefix := prefixes[old]
				mu.Unlock()
				return reopen(tb, b.open(tb), b.dialect, prefix)
			},
		})
	})
}

func reopen(tb testing.TB, db *sql.DB, d sqlstore.Dialect, prefix string) tobirasync.Store {
	s, err := sqlstore.New(db, sqlstore.Options{Dialect: d, TablePrefix: prefix, AutoMigrate: true})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
