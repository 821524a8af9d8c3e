package sqlstore

import (
	"strconv"
	"strings"
)

// Dialect names the SQL flavour of the host's database. The zero value is not a dialect: Options
// must name one, because a *sql.DB does not say reliably which database is behind it.
type Dialect int

// Dialects the store speaks.
const (
	// Postgres is PostgreSQL 12 or later (for example through github.com/jackc/pgx/v5/stdlib).
	Postgres Dialect = iota + 1
	// MySQL is MySQL 8 or MariaDB 10.5 or later (github.com/go-sql-driver/mysql).
	MySQL
	// SQLite is SQLite 3.35 or later (for example modernc.org/sqlite or github.com/mattn/go-sqlite3).
	SQLite
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

func (d Dialect) valid() bool { return d >= Postgres && d <= SQLite }

// Column types. MySQL compares VARCHAR keys case-insensitively and ignores trailing spaces under
// its default collations, which would merge distinct order IDs, so its keys are VARBINARY; the
// others compare text byte for byte on equality already.
func (d Dialect) keyType() string {
	if d == MySQL {
		return "VARBINARY(255)"
	}
	return "TEXT"
}

func (d Dialect) longKeyType() string {
	if d == MySQL {
		return "VARBINARY(1024)"
	}
	return "TEXT"
}

// timeType holds times as fixed-width UTC text (see formatTime), compared as strings. PostgreSQL's
// default collation may order text by locale rules, so it is pinned to byte order there.
func (d Dialect) timeType() string {
	switch d {
	case MySQL:
		return "VARBINARY(40)"
	case Postgres:
		return `TEXT COLLATE "C"`
	}
	return "TEXT"
}

// jsonType holds records. PostgreSQL gets json rather than jsonb: jsonb refuses the escaped NUL
// character a channel's free text may carry, and json keeps the text as written, which is also
// cheaper to insert; hosts can still query it with the JSON operators.
func (d Dialect) jsonType() string {
	if d == SQLite {
		return "TEXT"
	}
	return "JSON"
}

// jsonIs is the SQL condition that a record's top-level string field has the value. PostgreSQL's
// JSON operators refuse a document holding an escaped NUL, which free text may carry, so there it
// finds the field in the text as encoding/json writes it (no spaces); no nested object of a record
// has a field of that name with that value.
func (d Dialect) jsonIs(col, field, value string) string {
	switch d {
	case Postgres:
		return "strpos(" + col + "::text, '\"" + field + "\":\"" + value + "\"') > 0"
	case MySQL:
		return "JSON_UNQUOTE(JSON_EXTRACT(" + col + ", '$." + field + "')) = '" + value + "'"
	}
	return "json_extract(" + col + ", '$." + field + "') = '" + value + "'"
}

// orderNumberIs is the SQL condition, with one parameter, that a record's order has a number:
// the number itself, or on PostgreSQL the text `"number":"…"` (see jsonIs).
func (d Dialect) orderNumberIs(col string) string {
	switch d {
	case Postgres:
		return "strpos(" + col + "::text, ?) > 0"
	case MySQL:
		return "JSON_UNQUOTE(JSON_EXTRACT(" + col + ", '$.order.number')) = ?"
	}
	return "json_extract(" + col + ", '$.order.number') = ?"
}

// blobType holds cursors: they are opaque, so they are kept as bytes rather than text that a
// database might validate or transcode.
func (d Dialect) blobType() string {
	switch d {
	case Postgres:
		return "BYTEA"
	case MySQL:
		return "LONGBLOB"
	}
	return "BLOB"
}

func (d Dialect) tableSuffix() string {
	if d == MySQL {
		return " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	}
	return ""
}

// insertIgnoring returns an INSERT that does nothing when the key exists, for the dialects that
// can say so without also swallowing other errors. MySQL's INSERT IGNORE would also turn a too-long
// key into a silent truncation, so there the store runs a plain INSERT and looks the key up when it
// fails (see Store.insert).
func (d Dialect) insertIgnoring(insert, conflictCols string) string {
	if d == MySQL {
		return insert
	}
	return insert + " ON CONFLICT (" + conflictCols + ") DO NOTHING"
}

// upsert returns INSERT ... plus the clause that replaces cols on a duplicate key.
func (d Dialect) upsert(insert, conflictCols string, cols ...string) string {
	var b strings.Builder
	b.WriteString(insert)
	if d == MySQL {
		b.WriteString(" ON DUPLICATE KEY UPDATE ")
		for i, c := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c + " = VALUES(" + c + ")")
		}
		return b.String()
	}
	b.WriteString(" ON CONFLICT (" + conflictCols + ") DO UPDATE SET ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = excluded." + c)
	}
	return b.String()
}

// rebind turns the "?" placeholders the queries are written with into PostgreSQL's "$1", "$2", ….
// The queries hold no "?" inside literals, so a plain scan is enough.
func (d Dialect) rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// placeholders returns "(?, ?, ?), (?, ?, ?)" for rows rows of cols columns.
func placeholders(rows, cols int) string {
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(one+", ", rows-1) + one
}
