package specs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tobira-commerce/tobira/internal/specs"
)

func TestFindWalksUpAndHonoursEnv(t *testing.T) {
	root := t.TempDir()
	want := filepath.Join(root, "shared", "specs", "acme", "api.json")
	if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(want, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "repo", "connector", "acme")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	if got, err := specs.Find("", "acme/api.json"); err != nil || got != want {
		t.Fatalf("Find = %q, %v; want %q", got, err, want)
	}
	if _, err := specs.Find("", "acme/other.json"); !specs.IsMissing(err) {
		t.Fatalf("a missing spec gave %v, want an error matching os.ErrNotExist", err)
	}
	other := filepath.Join(root, "elsewhere.json")
	if err := os.WriteFile(other, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOBIRA_TEST_ACME_SPEC", other)
	if got, err := specs.Find("TOBIRA_TEST_ACME_SPEC", "acme/api.json"); err != nil || got != other {
		t.Fatalf("Find with the variable set = %q, %v; want %q", got, err, other)
	}
}

func TestOnceLoadsOnce(t *testing.T) {
	p := filepath.Join(t.TempDir(), "api.json")
	if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOBIRA_TEST_ACME_SPEC", p)
	loads := 0
	o := specs.Once[string]{What: "Acme spec", Env: "TOBIRA_TEST_ACME_SPEC", Name: "acme/api.json",
		Load: func(path string) (string, error) {
			loads++
			b, err := os.ReadFile(path)
			return string(b), err
		}}
	for range 3 {
		if got := o.Get(t); got != "{}" {
			t.Fatalf("Get = %q, want the file's content", got)
		}
	}
	if loads != 1 {
		t.Fatalf("loaded %d times, want once", loads)
	}
}
