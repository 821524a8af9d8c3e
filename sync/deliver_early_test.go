package sync_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// A page's orders reach the warehouse before the next page is listed even when they move no
// stock (none on hand): a long backlog is delivered page by page, not after its last page.
func TestOrdersPageDeliveredBeforeNextPageWithoutStock(t *testing.T) {
	r := newRig(t, "shop") // pages of 3
	var submittedAtList []int
	r.chans["shop"].SetHook(func(op string) error {
		if op == "ListOrders" {
			submittedAtList = append(submittedAtList, r.whs["wh"].Submissions())
		}
		return nil
	})
	for i := range 7 {
		r.place("shop", newOrder(fmt.Sprint("s", i), "TEA", 1))
	}
	r.syncOrders("shop")
	require.Equal(t, 7, r.whs["wh"].Submissions())
	// Listings of empty windows come first (the lookback); the pages of orders then find the
	// warehouse holding the pages before them.
	require.Subset(t, submittedAtList, []int{3, 6}, "submissions made before a listing: %v", submittedAtList)
}
