// Package dbtest runs sync/sqlstore against real databases: PostgreSQL and MySQL/MariaDB named by
// the environment, and SQLite in a temporary file. It is a module of its own so that the database
// drivers it needs (and the Go version they require) stay out of the module that importers of
// Tobira build; it holds only tests.
//
// Run it from this directory:
//
//	TOBIRA_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	TOBIRA_TEST_MYSQL='root@tcp(127.0.0.1:3306)/test' \
//	go test -race ./...
//
// A database whose variable is unset is skipped with a message, unless CI is set, in which case
// the test fails: CI must not pass by testing nothing. A variable that is set but names a database
// that cannot be reached fails the test. Every test uses tables with a prefix of its own and drops
// them when it ends, so runs may share a database.
package dbtest
