// Package console is Tobira's operations console: an http.Handler a host mounts, behind its
// own authentication, to see what the engine is doing and act on what is stuck.
//
// Its pages are server-rendered HTML (html/template, a little inline CSS, no JavaScript):
//
//   - Overview: every merchant (paged, filtered by ID) with each channel and warehouse, its state
//     (running, paused, stopped for credentials), when its credential expires, the last time
//     each flow did something for it, and what its connectors spent on the platform
//     (tobirasync.Engine.Usage): calls, throttles, retries and errors, the budget the platform
//     allows, and each hourly or daily cap with its forecast at the current rate, marked when the
//     forecast passes the cap.
//   - Attention: quarantined items with their reason and a Retry action, held orders with a
//     Release action for holds placed by hand, refused changes and cancellations; each list paged
//     and filtered by merchant.
//   - Order: one order's ledger record (versions, requests per warehouse, shipments) and the
//     timeline of its events, found by merchant, channel and channel order ID.
//   - SKU: what each channel may sell of a SKU and why (tobirasync.Engine.Explain).
//
// The engine lists quarantine itself; channel states, holds, refusals and timelines come from its
// events, which a Recorder keeps. The host creates the Recorder first and chains it into the
// engine's observer:
//
//	rec := console.NewRecorder(console.RecorderOptions{})
//	engine := tobirasync.New(store, tobirasync.Options{Observer: rec})
//	mux.Handle("/ops/tobira/", auth(http.StripPrefix("/ops/tobira", console.New(engine, console.Options{Recorder: rec}))))
//
// # Security
//
// The console has no login: whoever reaches it can retry quarantined items and release held
// orders, and sees every merchant's orders and stock (the console shows no buyer's address,
// but quarantine reasons quote what the engine could not read). Mount it only behind the host's
// authentication. It refuses cross-origin POSTs with net/http's CrossOriginProtection.
//
// # Actions
//
// Actions are POST forms shown on a confirmation page. Each carries the version of what it acts
// on (the time an item was quarantined, an order record's version), and the console runs each
// such action at most once: a form submitted twice, by a double click or a reload, acts once and
// answers the second time that it was done.
//
// # Stability
//
// The pages and their URLs may still change; New, Options and Recorder keep their meaning.
package console
