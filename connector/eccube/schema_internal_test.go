package eccube

import (
	"testing"

	"github.com/tobira-commerce/tobira/connector/eccube/eccubetest"
)

// Every document the connector can send is valid against the plugin's SDL.
func TestDocumentsMatchSchema(t *testing.T) {
	schema := eccubetest.TestSchema(t)
	docs := map[string]string{
		"ListOrders": ordersQuery, "GetOrder": orderQuery, "OrderShippings": shippingsQuery,
		"UpdateShipped": updateShippedMutation, "SetStock(1)": stockMutation(1), "SetStock(20)": stockMutation(20),
		"ReadStock(1)": readStockQuery(1), "ReadStock(20)": readStockQuery(20),
	}
	for name, doc := range docs {
		if err := schema.Validate(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
