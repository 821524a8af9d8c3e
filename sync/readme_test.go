package sync_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeShowsExample keeps README.md's embedding example identical to Example, which the
// test run compiles and checks: the README cannot show code that does not work.
func TestReadmeShowsExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	start := strings.Index(s, "func Example() {")
	end := strings.Index(s, "\t// Output:")
	if start < 0 || end < start {
		t.Fatal("example_test.go has no func Example with an Output comment")
	}
	body := strings.TrimRight(s[start:end], "\n\t ") + "\n}"
	if !strings.Contains(string(readme), body) {
		t.Errorf("README.md's embedding example differs from sync/example_test.go's Example; paste:\n%s", body)
	}
}
