// Package browsertest drives wms-host's operations console in a real browser: headless Chromium
// through chromedp opens the attention page, finds the order wms-host's story quarantined, retries
// it and sees it leave the page. It is a module of its own so that Tobira's core never depends on
// chromedp; its replace directive builds it against the checkout it sits in.
//
// The test needs Chromium (Debian's package chromium, or TOBIRA_CHROME naming a Chrome or
// Chromium binary) and the Shopify schema wms-host's fake shops load. Without either it is skipped,
// saying why, unless the CI environment variable is set: then it fails.
//
// It writes a screenshot of the attention page, with the quarantined order on it, to its artifact
// directory (go test -artifacts keeps it) and, with -screenshot FILE, to FILE:
//
//	go test -run Browser -args -screenshot ../../../sync/console/attention.png
package browsertest
