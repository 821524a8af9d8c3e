package sqlstore_test

import (
	"database/sql"
	gosync "sync"
	"testing"

	"github.com/tobira-commerce/tobira/sync/ledger"
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
		prefixes := map[ledger.Store]string{}
		storetest.TestHarness(t, storetest.Harness{
			New: func(tb testing.TB) ledger.Store {
				prefix := uniquePrefix()
				s := newStore(tb, b.open(tb), b.dialect, prefix)
				mu.Lock()
				prefixes[s] = prefix
				mu.Unlock()
				return s
			},
			Reopen: func(tb testing.TB, old ledger.Store) ledger.Store {
				mu.Lock()
				prefix := prefixes[old]
				mu.Unlock()
				return reopen(tb, b.open(tb), b.dialect, prefix)
			},
		})
	})
}

func reopen(tb testing.TB, db *sql.DB, d sqlstore.Dialect, prefix string) ledger.Store {
	s, err := sqlstore.New(db, sqlstore.Options{Dialect: d, TablePrefix: prefix, AutoMigrate: true})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
