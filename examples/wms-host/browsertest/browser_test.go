package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
)

var screenshot = flag.String("screenshot", "", "also write the attention page's screenshot (PNG) to this file")

// unavailable skips the test, saying why, or fails it under CI, which must never pass by skipping.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set, so this fails instead of skipping; .ci/run installs Debian's chromium)", msg)
	}
	t.Skip(msg)
}

// findBrowser returns the Chrome or Chromium binary: $TOBIRA_CHROME, else the first on PATH.
func findBrowser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TOBIRA_CHROME"); p != "" {
		if _, err := os.Stat(p); err != nil {
			unavailable(t, "TOBIRA_CHROME=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	unavailable(t, "no browser: neither chromium, chromium-browser nor google-chrome is on PATH, and TOBIRA_CHROME is unset (apt-get install chromium)")
	return ""
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	consoleLine = regexp.MustCompile(`(?m)^console: (http://\S+/ops/tobira/)`)
	stuckLine   = regexp.MustCompile(`(?m)^attention: order (\S+) of (\S+) from (\S+) quarantined: (.*)$`)
)

// startHost builds wms-host, runs its story with -console on a free port and returns the
// console's URL and the quarantined order's channel ID, once the story is told and the console
// serves.
func startHost(t *testing.T) (base, orderID string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wms-host")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build wms-host: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-console", "127.0.0.1:0")
	var out lockedBuffer
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = out.Write([]byte(line + "\n"))
			if consoleLine.MatchString(line) {
				found <- consoleLine.FindStringSubmatch(line)[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	select {
	case base = <-found:
	case err := <-exited:
		t.Fatalf("wms-host exited before serving its console (%v):\n%s", err, out.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("wms-host did not serve its console within 3 minutes:\n%s", out.String())
	}
	m := stuckLine.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("wms-host's story quarantined no order:\n%s", out.String())
	}
	t.Logf("console at %s; quarantined: order %s of %s: %s", base, m[1], m[2], m[4])
	return base, m[1]
}

// TestBrowserConsoleRetry opens wms-host's console in headless Chromium, finds the order the story
// quarantined on the attention page, clicks Retry, confirms, and sees the order leave the page
// and go to the warehouse.
func TestBrowserConsoleRetry(t *testing.T) {
	chrome := findBrowser(t)
	shot := *screenshot
	if shot != "" {
		abs, err := filepath.Abs(shot)
		if err != nil {
			t.Fatal(err)
		}
		shot = abs
	}
	// wms-host's own directory, where it finds the Shopify schema as it does when run there.
	t.Chdir("..")
	if _, err := shopifytest.FindSchema(); err != nil {
		unavailable(t, "wms-host cannot run: no Shopify schema for its fake shops (set %s): %v", shopifytest.SchemaEnv, err)
	}

	// The browser first: if it cannot start, the host need not be built.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil { // starts the browser, bound to bctx
		unavailable(t, "cannot start %s: %v", chrome, err)
	}

	base, orderID := startHost(t)
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	// text reads the visible text of the first element sel (XPath or CSS) finds.
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}

	// The attention page lists the order the warehouse refused, with its reason.
	const quarantine = `//h2[.="Quarantined"]/following-sibling::table[1]`
	row := fmt.Sprintf(`%s//tr[td/a[normalize-space()=%q]]`, quarantine, orderID)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"attention"), chromedp.WaitVisible(row)); err != nil {
		t.Fatalf("the attention page does not list order %s: %v", orderID, err)
	}
	if reason := text(row + `/td[6]`); !strings.Contains(reason, "item master") {
		t.Errorf("order %s's reason on the attention page: %q", orderID, reason)
	}
	picture, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	writeScreenshot(t, picture, shot)

	// Retry…, then the confirmation page's button.
	const confirm = `//form[@method="post"]//button[normalize-space()="Retry"]`
	if err := chromedp.Do(ctx,
		chromedp.Click(row+`//a[starts-with(normalize-space(), "Retry")]`),
		chromedp.WaitVisible(confirm),
	); err != nil {
		t.Fatalf("opening the retry of order %s: %v", orderID, err)
	}
	if q := text(`//main/p[1]`); !strings.Contains(q, "Retry order "+orderID) {
		t.Errorf("the confirmation asks %q", q)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(confirm),
		chromedp.WaitVisible(`//a[normalize-space()="Back to attention"]`),
	); err != nil {
		t.Fatalf("confirming the retry of order %s: %v", orderID, err)
	}
	if r := text(`//main/p[1]`); !strings.Contains(r, "Retried order "+orderID) {
		t.Fatalf("after confirming, the console says %q", r)
	}

	// Back on the attention page, the order is gone; its own page shows it sent to the warehouse.
	if err := chromedp.Do(ctx,
		chromedp.Click(`//a[normalize-space()="Back to attention"]`),
		chromedp.WaitVisible(quarantine),
	); err != nil {
		t.Fatalf("back to the attention page: %v", err)
	}
	if left, count := text(quarantine), text(`//h2[.="Quarantined"]/following-sibling::p[1]`); strings.Contains(left, "item master") || !strings.Contains(count, "0 in all") {
		t.Errorf("order %s is still quarantined after the retry: %q (%s)", orderID, left, count)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"order?merchant=kyoto-wagashi&channel=woocommerce&order="+orderID),
		chromedp.WaitVisible(`//h1[.="Order"]`),
	); err != nil {
		t.Fatal(err)
	}
	if timeline := text(`//main`); !strings.Contains(timeline, "sent to warehouse tokyo-dc") {
		t.Errorf("order %s's page does not show it sent to tokyo-dc:\n%s", orderID, timeline)
	}
}

// writeScreenshot checks that picture is a PNG of a page and writes it to the test's artifact
// directory and, if set, to shot.
func writeScreenshot(t *testing.T, picture []byte, shot string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(picture))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 300 {
		t.Errorf("the screenshot is %v, too small for a page", b)
	}
	paths := []string{filepath.Join(t.ArtifactDir(), "attention.png")}
	if shot != "" {
		paths = append(paths, shot)
	}
	for _, p := range paths {
		if err := os.WriteFile(p, picture, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the attention page: %s", p)
	}
}
