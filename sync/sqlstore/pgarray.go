package sqlstore

import (
	"strconv"
	"strings"
)

// pgArray builds the text of a PostgreSQL array literal, passed as one string parameter and cast
// in SQL (?::text[]). A batch then has the same statement text whatever its size, so each
// connection prepares it once and the server plans it once, where a list of placeholders per
// row makes a new statement for every batch size; and it works with any driver, since the
// parameter is plain text.
type pgArray struct {
	b strings.Builder
	n int
}

// grow makes room for about n more bytes, so that a large array is not copied as it grows.
func (a *pgArray) grow(n int) { a.b.Grow(n) }

func (a *pgArray) sep() {
	if a.n == 0 {
		a.b.WriteByte('{')
	} else {
		a.b.WriteByte(',')
	}
	a.n++
}

// text adds s, quoted: every character but '"' and '\' stands for itself inside quotes.
func (a *pgArray) text(s string) {
	a.sep()
	a.b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			a.b.WriteString(s[start:i])
			a.b.WriteByte('\\')
			a.b.WriteByte(c)
			start = i + 1
		}
	}
	a.b.WriteString(s[start:])
	a.b.WriteByte('"')
}

func (a *pgArray) int(n int64) {
	a.sep()
	var buf [20]byte
	a.b.Write(strconv.AppendInt(buf[:0], n, 10))
}

func (a *pgArray) null() {
	a.sep()
	a.b.WriteString("NULL")
}

func (a *pgArray) bool(v bool) {
	a.sep()
	if v {
		a.b.WriteByte('t')
	} else {
		a.b.WriteByte('f')
	}
}

// String ends the array and returns the literal (once); an array with nothing added is "{}".
func (a *pgArray) String() string {
	if a.n == 0 {
		return "{}"
	}
	a.b.WriteByte('}')
	return a.b.String()
}

// writeIn writes the condition that col is one of ids and appends its arguments: on PostgreSQL
// one array parameter, elsewhere a placeholder each.
func (s *Store) writeIn(q *strings.Builder, args []any, col string, ids []string) []any {
	if s.dialect == Postgres {
		var a pgArray
		for _, id := range ids {
			a.text(id)
		}
		q.WriteString(col + " = ANY(?::text[])")
		return append(args, a.String())
	}
	q.WriteString(col + " IN (")
	for i, id := range ids {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("?")
		args = append(args, id)
	}
	q.WriteString(")")
	return args
}
