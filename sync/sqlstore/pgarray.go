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
	b []byte
}

func (a *pgArray) sep() {
	if len(a.b) == 0 {
		a.b = append(a.b, '{')
	} else {
		a.b = append(a.b, ',')
	}
}

// text adds s, quoted: every character but '"' and '\' stands for itself inside quotes.
func (a *pgArray) text(s string) {
	a.sep()
	a.b = append(a.b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			a.b = append(a.b, s[start:i]...)
			a.b = append(a.b, '\\', c)
			start = i + 1
		}
	}
	a.b = append(a.b, s[start:]...)
	a.b = append(a.b, '"')
}

func (a *pgArray) int(n int64) {
	a.sep()
	a.b = strconv.AppendInt(a.b, n, 10)
}

func (a *pgArray) null() {
	a.sep()
	a.b = append(a.b, "NULL"...)
}

func (a *pgArray) bool(v bool) {
	a.sep()
	if v {
		a.b = append(a.b, 't')
	} else {
		a.b = append(a.b, 'f')
	}
}

// String returns the literal; an array with nothing added is "{}".
func (a *pgArray) String() string {
	if len(a.b) == 0 {
		return "{}"
	}
	return string(append(a.b, '}'))
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
