// Logging: one record per flow run and per failure, with the same attributes everywhere, and
// never an order's personal data.

package sync

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/order"
)

// Every record the engine logs names where it happened with these attributes: the merchant, the
// channel or the warehouse (whichever the flow works on), and the flow ("orders", "intake",
// "shipments", "shipment", "stock", "push", "credentials", "quarantine"). Records carry IDs,
// counts, durations and error texts, never an order's content: what the engine knows of an
// order's personal data (recipient, address, phone, e-mail, gift message) is cut out of error
// texts before they are logged. Credentials are the connectors': the engine never holds them.
const (
	attrMerchant  = "merchant"
	attrChannel   = "channel"
	attrWarehouse = "warehouse"
	attrFlow      = "flow"
)

// side names the attribute of a channel or warehouse ID.
func (e *Engine) side(m *merchant, id string) string {
	if m.warehouses[id] != nil {
		return attrWarehouse
	}
	return attrChannel
}

// logRun logs the outcome of one flow run when it returns: Info when it succeeded (or took in an
// order that stays quarantined), Debug when it was skipped (another replica's lease, a paused
// channel, a closed engine), Warn when it failed.
// side is attrChannel or attrWarehouse, or "" for a flow of the whole merchant.
func (e *Engine) logRun(ctx context.Context, flow, merchant, side, id string, start time.Time, err *error, counts func() []any) {
	l := e.opt.Logger
	level := slog.LevelInfo
	msg := "tobira: run"
	switch outcome(*err) {
	case OutcomeSkipped:
		level, msg = slog.LevelDebug, "tobira: run skipped"
	case OutcomeQuarantined:
		msg = "tobira: run; the order stays in quarantine" // logged when it was quarantined
	case OutcomeFailed:
		level, msg = slog.LevelWarn, "tobira: run failed; tried again at its next run"
	}
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := make([]any, 0, 16)
	attrs = append(attrs, attrMerchant, merchant)
	if side != "" {
		attrs = append(attrs, side, id)
	}
	attrs = append(attrs, attrFlow, flow, "duration", e.opt.Clock.Now().Sub(start))
	if counts != nil {
		attrs = append(attrs, counts()...)
	}
	if *err != nil {
		attrs = append(attrs, "err", (*err).Error())
	}
	l.Log(ctx, level, msg, attrs...)
}

// scrubbed is an error whose text had an order's personal data cut out; errors.Is and As see
// the original.
type scrubbed struct {
	err error
	msg string
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// scrubErr returns err with o's personal data cut out of its text (a warehouse or channel that
// quotes the address it refused), or err itself when its text holds none.
func scrubErr(err error, o *order.Order) error {
	if err == nil || o == nil {
		return err
	}
	msg := err.Error()
	if s := scrub(msg, o); s != msg {
		return &scrubbed{err: err, msg: s}
	}
	return err
}

// scrub cuts o's personal data out of s.
func scrub(s string, o *order.Order) string {
	if o == nil {
		return s
	}
	a := &o.ShipTo
	fields := [...]string{a.Name, a.Company, a.Phone, strings.ReplaceAll(a.Phone, "-", ""), a.Email, a.PostalCode, a.City, a.Line1, a.Line2, "", ""}
	if o.Gift != nil {
		fields[9], fields[10] = o.Gift.Message, o.Gift.Noshi
	}
	for _, f := range fields {
		if f = strings.TrimSpace(f); len(f) >= 3 && strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, "[redacted]")
		}
	}
	return s
}
