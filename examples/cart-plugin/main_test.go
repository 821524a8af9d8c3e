package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
)

// TestMain lets the test binary play the program: TestCartPlugin runs it again with
// CART_PLUGIN_RUN set, so the test sees the real output and exit status.
func TestMain(m *testing.M) {
	if os.Getenv("CART_PLUGIN_RUN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var summaryLine = regexp.MustCompile(`^cart-plugin: orders=(\d+) shipments=(\d+) stock_updates=(\d+) lost=(\d+) duplicates=(\d+)$`)

func TestCartPlugin(t *testing.T) {
	if _, err := shopifytest.FindSchema(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the Shopify schema is missing: %v", err)
		}
		t.Skipf("the Shopify schema is missing (set %s to run): %v", shopifytest.SchemaEnv, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CART_PLUGIN_RUN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cart-plugin failed: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("cart-plugin printed %d lines, want exactly the summary:\n%s", len(lines), out)
	}
	m := summaryLine.FindStringSubmatch(lines[0])
	if m == nil {
		t.Fatalf("the summary line %q is not in the expected form", lines[0])
	}
	if m[1] != "6" || m[2] != "6" || m[3] == "0" || m[4] != "0" || m[5] != "0" {
		t.Errorf("summary %q: want 6 orders, 6 shipments, some stock updates, nothing lost or doubled", lines[0])
	}
}

// TestCannotRun: without the Shopify schema the program says what to do and exits non-zero.
func TestCannotRun(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CART_PLUGIN_RUN=1", shopifytest.SchemaEnv+"=/nonexistent/admin.json.gz")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil {
		t.Fatalf("cart-plugin ran without its schema: %s", out)
	}
	if !strings.Contains(stderr.String(), shopifytest.SchemaEnv) || len(out) != 0 {
		t.Errorf("stderr %q, stdout %q: want a message naming %s and no summary", stderr.String(), out, shopifytest.SchemaEnv)
	}
}
