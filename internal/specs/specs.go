// Package specs finds the platforms' official specifications for the reference fakes and their
// tests. The project keeps them in shared/specs beside the repository, never inside it, so a
// checkout (or a git worktree) finds them by walking up from where the test runs.
package specs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Find returns the path of name, a slash-separated path below shared/specs (a file or a
// directory, such as "openlogi/openapi.json"): the path the environment variable env names when
// env is not empty and set, else shared/specs/name in the nearest directory above the working
// directory that holds it.
func Find(env, name string) (string, error) {
	if env != "" {
		if p := os.Getenv(env); p != "" {
			if _, err := os.Stat(p); err != nil {
				return "", err
			}
			return p, nil
		}
	}
	rel := filepath.Join("shared", "specs", filepath.FromSlash(name))
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s in any directory above the working directory: %w", filepath.ToSlash(rel), os.ErrNotExist)
		}
		dir = parent
	}
}

// Unavailable ends a test that cannot run without a specification (what names it; env, if not
// empty, is the variable that points at it): the test is skipped with the reason, or fails when
// the CI variable is set, since CI must never pass by skipping a fake's checks.
func Unavailable(tb testing.TB, what, env string, err error) {
	tb.Helper()
	hint := ""
	if env != "" {
		hint = " (set " + env + " to its path)"
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s not available%s, and CI must run this test: %v", what, hint, err)
	}
	tb.Skipf("%s not available%s: %v", what, hint, err)
}

// IsMissing reports whether err says a specification was not found.
func IsMissing(err error) bool { return errors.Is(err, os.ErrNotExist) }

// Once loads one specification once per test binary and hands it to every test that asks. What
// names it in messages; Env and Name find it (Find); Load reads what Find found.
type Once[T any] struct {
	What, Env, Name string
	Load            func(path string) (T, error)

	once sync.Once
	v    T
	err  error
}

// Get returns the specification, loading it on the first call. A test that cannot have it
// because it is missing ends through Unavailable; one whose specification is there but does not
// load fails.
func (o *Once[T]) Get(tb testing.TB) T {
	tb.Helper()
	o.once.Do(func() {
		var p string
		if p, o.err = Find(o.Env, o.Name); o.err == nil {
			o.v, o.err = o.Load(p)
		}
	})
	if IsMissing(o.err) {
		Unavailable(tb, o.What, o.Env, o.err)
	}
	if o.err != nil {
		tb.Fatalf("%s: %v", o.What, o.err)
	}
	return o.v
}
