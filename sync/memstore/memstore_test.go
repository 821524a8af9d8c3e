package memstore_test

import (
	"testing"

	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
	"github.com/tobira-commerce/tobira/sync/storetest"
)

func TestConformance(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) ledger.Store { return memstore.New() })
}
