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

// keyRows returns a query for the rows of table (orders or tombstones) of one merchant's channel
// with the order IDs ids, selecting order_id and then cols, with its arguments. On PostgreSQL
// the keys come as a set of rows (unnest) joined on the whole primary key, where
// "merchant = ? AND channel = ? AND order_id = ANY(?)" lets the planner, for a table it has no
// statistics of yet, read every row of the channel by the key's prefix and filter each against
// the array: it takes the constants to narrow the channel to about one row. Elsewhere the IDs
// are a list of placeholders.
func (s *Store) keyRows(table string, cols []string, merchant, channel string, ids []string) (string, []any) {
	if s.dialect != Postgres {
		var q strings.Builder
		q.WriteString("SELECT order_id, " + strings.Join(cols, ", ") + " FROM " + s.prefix + table + " WHERE merchant = ? AND channel = ? AND ")
		args := s.writeIn(&q, append(make([]any, 0, len(ids)+2), merchant, channel), "order_id", ids)
		return s.dialect.rebind(q.String()), args
	}
	var m, c, o pgArray
	m.grow((len(merchant) + 3) * len(ids))
	c.grow((len(channel) + 3) * len(ids))
	for _, id := range ids {
		m.text(merchant)
		c.text(channel)
		o.text(id)
	}
	q := "SELECT t.order_id, t." + strings.Join(cols, ", t.") + " FROM unnest($1::text[], $2::text[], $3::text[]) AS k (merchant, channel, order_id)" +
		" JOIN " + s.prefix + table + " AS t ON t.merchant = k.merchant AND t.channel = k.channel AND t.order_id = k.order_id"
	return q, []any{m.String(), c.String(), o.String()}
}

// writeIn writes the condition that col is one of ids, a placeholder each, and appends its
// arguments (PostgreSQL takes the keys as an array instead: keyRows).
func (s *Store) writeIn(q *strings.Builder, args []any, col string, ids []string) []any {
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
