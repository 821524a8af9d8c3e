// Package httpclient is the HTTP layer every Tobira connector shares, exported so third-party
// connector authors get the same behaviour as the reference connectors.
//
// A Client wraps go-retryablehttp and adds what the sales platforms need:
//
//   - a rate.Limiter per credential (Request.Key), sized from the platform's published limits and
//     waited on, with the caller's ctx, before every attempt, retries included;
//   - a timeout on every attempt and a cap on the size of every response body;
//   - a retry policy that honours Retry-After (seconds or an HTTP date) and a platform's own
//     throttle signal (Config.Throttle), retries a non-GET only when it carries an idempotency
//     key or the caller marks it safe, and never retries a 4xx other than 429;
//   - final failures mapped to the connector error values, so the engine can decide;
//   - strict JSON decoding whose errors name the field path and byte offset (Decode);
//   - a logger that redacts tokens and personal data (Logger), silent unless given one;
//   - a Meter (Client.Meter) counting every call per credential and operation (Request.Operation):
//     calls, retries, throttle answers, errors, bytes, with the budget the platform allows (the
//     published Rate and Burst, or what its answers state through Config.Budget) and each cap of
//     Config.Caps forecast at the current rate. Connectors hand it to the engine as a
//     connector.UsageReporter.
//   - every call reported, once it ended, to the connector.CallObserver its context carries
//     (connector.WithCallObserver): credential, operation, last status, attempts, throttling,
//     bytes and duration, for metrics and traces.
//
// # Stability
//
// Config, Request, Response, Decode, Meter and the error types may gain fields and options; existing
// names keep their meaning.
//
// # Errors
//
// Do returns errors matching, with errors.Is: connector.ErrUnauthorized (401, 403),
// connector.ErrNotFound (404), connector.ErrPermanent (400, 422, other 4xx, a body over the cap),
// connector.ErrTemporary (5xx, transport failures) and connector.ErrOutcomeUnknown (a write that
// timed out after it was sent). A 429 or a throttle signal is a *connector.RateLimitError (found
// with errors.As) carrying the wait. A *StatusError carries the status and the body. No error
// message contains a header value, a query string or a response body.
package httpclient
