package memstore_test

import (
	"testing"

	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
	"github.com/tobira-commerce/tobira/sync/storetest"
)

func TestConformance(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) tobirasync.Store { return memstore.New() })
}
