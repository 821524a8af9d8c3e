package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

// backend is one database the tests run against.
type backend struct {
	name    string // subtest name
	dialect sqlstore.Dialect
	// open returns a new pool; each call gives a separate *sql.DB on the same database.
	open func(t testing.TB) *sql.DB
}

const (
	envPostgres = "TOBIRA_TEST_POSTGRES"
	envMySQL    = "TOBIRA_TEST_MYSQL"
)

func backends() []backend {
	return []backend{
		{"postgres", sqlstore.Postgres, func(t testing.TB) *sql.DB {
			return openEnv(t, "pgx", envPostgres, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
		}},
		{"mysql", sqlstore.MySQL, func(t testing.TB) *sql.DB {
			return openEnv(t, "mysql", envMySQL, "root@tcp(127.0.0.1:3306)/test")
		}},
		{"sqlite", sqlstore.SQLite, openSQLite},
	}
}

// requireEnv returns the DSN in env, or skips (fails under CI) when it is unset.
func requireEnv(t testing.TB, env, example string) string {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set, and CI is: CI must run the database tests (e.g. %s=%q)", env, env, example)
		}
		t.Skipf("%s is not set: skipping the tests against this database (e.g. %s=%q)", env, env, example)
	}
	return dsn
}

func openEnv(t testing.TB, driver, env, example string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, requireEnv(t, env, example))
	if err != nil {
		t.Fatalf("open %s from %s: %v", driver, env, err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("%s is set but the database cannot be reached: %v", env, err)
	}
	return db
}

// sqliteFiles maps a test to its database file, so that several pools in one test share it.
var (
	sqliteMu    gosync.Mutex
	sqliteFiles = map[testing.TB]string{}
)

func openSQLite(t testing.TB) *sql.DB {
	t.Helper()
	sqliteMu.Lock()
	path, ok := sqliteFiles[t]
	if !ok {
		path = filepath.Join(t.TempDir(), "tobira.db")
		sqliteFiles[t] = path
		t.Cleanup(func() {
			sqliteMu.Lock()
			delete(sqliteFiles, t)
			sqliteMu.Unlock()
		})
		// WAL lets several connections write; the file keeps the mode, so it is set once here.
		// Set by every new connection, it would fail with SQLITE_BUSY, without waiting, while
		// another connection writes.
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err != nil {
			sqliteMu.Unlock()
			t.Fatalf("create sqlite database: %v", err)
		}
	}
	sqliteMu.Unlock()
	// A file rather than ":memory:", because each connection of a pool would get its own memory
	// database. The busy timeout makes writers wait for each other.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// uniquePrefix names tables for one test run, so parallel runs on one database never collide.
func uniquePrefix() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "t" + hex.EncodeToString(b[:]) + "_"
}

// newStore migrates a store with a fresh prefix on db and drops its tables when the test ends.
func newStore(t testing.TB, db *sql.DB, d sqlstore.Dialect, prefix string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(db, sqlstore.Options{Dialect: d, TablePrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	dropTables(t, db, s)
	return s
}

// dropTables registers the removal of s's tables at the end of the test.
func dropTables(t testing.TB, db *sql.DB, s *sqlstore.Store) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, tbl := range s.Tables() {
			if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+tbl); err != nil {
				t.Errorf("drop %s: %v", tbl, err)
			}
		}
	})
}

// forEachBackend runs fn as the subtests "postgres", "mysql" and "sqlite".
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// openPostgresNoSync opens the PostgreSQL of TOBIRA_TEST_POSTGRES with synchronous_commit off for
// its sessions. Tests of coordination between replicas need many commits, not durability across
// a power cut, and on virtual disks each synchronous commit costs milliseconds.
func openPostgresNoSync(t testing.TB) *sql.DB {
	t.Helper()
	dsn := requireEnv(t, envPostgres, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("%s: %v", envPostgres, err)
	}
	cfg.RuntimeParams["synchronous_commit"] = "off"
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("%s is set but the database cannot be reached: %v", envPostgres, err)
	}
	return db
}
