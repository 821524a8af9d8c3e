package amazon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/internal/recent"
)

// MaxNotification is the largest notification body Handle reads (Amazon SQS's message limit).
const MaxNotification = 256 << 10

// Notifications turns ORDER_CHANGE notifications into orders for an Intake. Amazon delivers
// them through Amazon SQS or EventBridge, with no signature (AWS secures the transport): the
// host's own consumer receives each message and hands its body to Handle, deleting the message
// when Handle returns nil or a permanent error. Handle re-reads the order (the notification's
// summary has no address and is not the order), so a late or repeated notification can only
// bring the order as it is now.
//
// Duplicates (SQS delivers at least once) are dropped by NotificationId; the last
// Config.NotificationDedup IDs are remembered. Notifications is safe for concurrent use.
type Notifications struct {
	c      *Client
	intake connector.Intake

	seen *recent.Set // notification IDs handled
}

// Notifications returns the ORDER_CHANGE adapter feeding intake.
func (c *Client) Notifications(intake connector.Intake) *Notifications {
	return &Notifications{c: c, intake: intake, seen: recent.New(c.cfg.NotificationDedup)}
}

// ErrNotOurs says a notification is for another seller, or not an ORDER_CHANGE: the host's queue
// carries more than this adapter takes. It matches connector.ErrPermanent.
var ErrNotOurs = fmt.Errorf("amazon: notification is not an ORDER_CHANGE of this seller: %w", connector.ErrPermanent)

// notification is the ORDER_CHANGE envelope, as far as Handle reads it.
type notification struct {
	NotificationType string `json:"NotificationType"`
	Payload          struct {
		OrderChangeNotification struct {
			SellerID      string `json:"SellerId"`
			AmazonOrderID string `json:"AmazonOrderId"`
			Summary       struct {
				MarketplaceID   string `json:"MarketplaceId"`
				FulfillmentType string `json:"FulfillmentType"`
			} `json:"Summary"`
		} `json:"OrderChangeNotification"`
	} `json:"Payload"`
	NotificationMetadata struct {
		NotificationID string `json:"NotificationId"`
	} `json:"NotificationMetadata"`
}

// ParseNotification reads an ORDER_CHANGE notification: the SQS message body, or an EventBridge
// event whose detail holds it. It returns the notification's ID and the order it is about.
func ParseNotification(body []byte) (id, orderID string, afn bool, sellerID string, err error) {
	if len(body) > MaxNotification {
		return "", "", false, "", fmt.Errorf("amazon: notification of %d bytes: %w", len(body), connector.ErrPermanent)
	}
	var env struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Detail) > 0 && env.Detail[0] == '{' {
		body = env.Detail
	}
	var n notification
	if err := httpclient.Decode(body, &n, httpclient.DecodeOptions{}); err != nil {
		return "", "", false, "", fmt.Errorf("amazon: notification: %w", err)
	}
	oc := n.Payload.OrderChangeNotification
	switch {
	case n.NotificationType != "ORDER_CHANGE":
		return "", "", false, "", ErrNotOurs
	case n.NotificationMetadata.NotificationID == "" || oc.AmazonOrderID == "":
		return "", "", false, "", fmt.Errorf("amazon: notification without NotificationId or AmazonOrderId: %w", connector.ErrPermanent)
	}
	return n.NotificationMetadata.NotificationID, oc.AmazonOrderID, oc.Summary.FulfillmentType == "AFN", oc.SellerID, nil
}

// Handle takes one notification. It returns nil for a duplicate and for an order Amazon
// fulfils (AFN, not the warehouse's), ErrNotOurs for another seller's or another type, a
// permanent error for a body it cannot read, and the re-read's or the intake's error otherwise
// (the host leaves the message on its queue to be delivered again).
func (n *Notifications) Handle(ctx context.Context, body []byte) error {
	id, orderID, afn, seller, err := ParseNotification(body)
	if err != nil {
		return err
	}
	if seller != "" && seller != n.c.cfg.SellerID {
		return ErrNotOurs
	}
	if n.seen.Has(id) {
		return nil
	}
	if afn {
		n.c.log.InfoContext(ctx, "amazon notification skipped", "order", orderID, "reason", "fulfilled by Amazon (AFN)")
		n.seen.Add(id)
		return nil
	}
	o, err := n.c.ReadOrder(ctx, orderID)
	if err != nil {
		if errors.Is(err, connector.ErrPermanent) && o.ID != "" {
			// An AFN order found on re-reading, or one that fails validation: polling will
			// quarantine the latter with its reason; the notification is done.
			n.seen.Add(id)
		}
		return err
	}
	if err := n.intake.IngestOrder(ctx, o); err != nil {
		return err
	}
	n.seen.Add(id)
	return nil
}
