package sqlstore

import (
	"database/sql"
	"strings"
	"testing"
	"time"
)

// The tests against real databases are in the db_*_test.go files; these cover what needs no
// database.

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		ok   bool
	}{
		{Options{Dialect: Postgres}, true},
		{Options{Dialect: SQLite, TablePrefix: "shop_tobira_"}, true},
		{Options{}, false},
		{Options{Dialect: Dialect(9)}, false},
		{Options{Dialect: MySQL, TablePrefix: "x; DROP TABLE y"}, false},
		{Options{Dialect: MySQL, TablePrefix: "1abc"}, false},
		{Options{Dialect: MySQL, TablePrefix: strings.Repeat("a", 41)}, false},
	} {
		if err := tc.opts.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tc.opts, err, tc.ok)
		}
	}
	if _, err := New(nil, Options{Dialect: Postgres}); err == nil {
		t.Error("New(nil) succeeded")
	}
	s, err := New(new(sql.DB), Options{Dialect: Postgres})
	if err != nil || s.prefix != DefaultTablePrefix || s.Tables()[0] != "tobira_cursors" {
		t.Errorf("New with the zero prefix: %v, %v", s, err)
	}
}

func TestRebind(t *testing.T) {
	q := "UPDATE t SET a = ? WHERE b = ? AND c = ?"
	if got := Postgres.rebind(q); got != "UPDATE t SET a = $1 WHERE b = $2 AND c = $3" {
		t.Errorf("postgres: %s", got)
	}
	if got := MySQL.rebind(q); got != q {
		t.Errorf("mysql: %s", got)
	}
	if got := placeholders(2, 3); got != "(?, ?, ?), (?, ?, ?)" {
		t.Errorf("placeholders: %s", got)
	}
}

func TestSchemaUsesPrefix(t *testing.T) {
	for _, d := range []Dialect{Postgres, MySQL, SQLite} {
		for _, stmt := range schemaV1(d, "p_") {
			for _, word := range strings.Fields(stmt) {
				if strings.HasPrefix(word, "orders") || strings.HasPrefix(word, "cursors") {
					t.Errorf("%v: unprefixed name in %s", d, stmt)
				}
			}
		}
	}
}

func TestFormatTimeOrders(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("JST", 9*3600))
	times := []time.Time{{}, base.Add(-time.Hour), base, base.Add(time.Nanosecond), base.Add(time.Second).UTC()}
	for i := 1; i < len(times); i++ {
		if a, b := formatTime(times[i-1]), formatTime(times[i]); a >= b {
			t.Errorf("%s >= %s", a, b)
		}
	}
}

func TestSeqIncreases(t *testing.T) {
	var c seqClock
	last := c.next()
	for range 1000 {
		n := c.next()
		if n <= last {
			t.Fatalf("%d after %d", n, last)
		}
		last = n
	}
}
