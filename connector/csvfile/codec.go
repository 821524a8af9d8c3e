package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// Encoding is the character encoding of every file the connector writes and reads.
type Encoding int

// The encodings. The zero value is Shift_JIS, which most Japanese WMS imports and carrier
// systems take.
const (
	// ShiftJIS is Shift_JIS as Windows writes it (code page 932, also called Windows-31J), which
	// includes the NEC and IBM extensions (①, ㈱, 髙) that plain JIS X 0208 lacks.
	ShiftJIS Encoding = iota
	// UTF8 is UTF-8; a byte order mark at the start of a read file is skipped, and none is written.
	UTF8
)

// String returns the encoding's IANA name.
func (e Encoding) String() string {
	switch e {
	case ShiftJIS:
		return "Shift_JIS"
	case UTF8:
		return "UTF-8"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// substitute replaces a character Shift_JIS cannot hold (an emoji, 𠮷): 〓 (geta), the mark
// Japanese printing uses for a missing glyph, so that people at the warehouse see that something
// was there.
const substitute = "〓"

// encodeText turns UTF-8 text into the file's encoding. It reports how many characters it had to
// substitute.
func encodeText(s []byte, enc Encoding) ([]byte, int) {
	if enc == UTF8 {
		return s, 0
	}
	e := japanese.ShiftJIS.NewEncoder()
	if out, err := e.Bytes(s); err == nil {
		return out, 0
	}
	var buf bytes.Buffer
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		chunk := s[:size]
		s = s[size:]
		if r == utf8.RuneError && size <= 1 {
			chunk = []byte(substitute)
			n++
		}
		out, err := e.Bytes(chunk)
		if err != nil {
			n++
			out, _ = e.Bytes([]byte(substitute))
		}
		buf.Write(out)
	}
	return buf.Bytes(), n
}

// decodeText turns a file's bytes into UTF-8. Bytes that are not valid in the encoding become
// U+FFFD; the rows holding them fail their own checks, not the whole file.
func decodeText(b []byte, enc Encoding) []byte {
	if enc == UTF8 {
		return bytes.TrimPrefix(b, []byte("\ufeff"))
	}
	out, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil {
		// The decoder replaces what it cannot read rather than failing; this is a safety net.
		return bytes.ToValidUTF8(b, []byte("\ufffd"))
	}
	return out
}

// encodeTable writes a header (unless the layout has none) and rows as CSV with CRLF line ends,
// in the file's encoding.
func encodeTable(l Layout, rows []map[Field]string, enc Encoding) ([]byte, int) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	rec := make([]string, len(l.Columns))
	if !l.NoHeader {
		for i, c := range l.Columns {
			rec[i] = c.Name
		}
		_ = w.Write(rec) // writes to a bytes.Buffer cannot fail
	}
	for _, row := range rows {
		for i, c := range l.Columns {
			rec[i] = row[c.Field]
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return encodeText(buf.Bytes(), enc)
}

// row is one data record of a file as read.
type row struct {
	// Line is the line of the file where the record starts (1-based, the header being line 1).
	Line int
	// Index counts data records from 0; cursors count in it.
	Index  int
	fields []string
	cols   map[Field]int
	// Err is set when the record could not be parsed; fields is then empty.
	Err error
}

// get returns a field's value with surrounding white space (full-width included) removed.
func (r row) get(f Field) string {
	i, ok := r.cols[f]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// table is a decoded file.
type table struct {
	rows []row
	// Err is set when the file as a whole cannot be read (its header lacks a required column);
	// rows is then empty.
	Err error
}

// errBadFile is matched by a file-level decoding failure.
var errBadFile = errors.New("file unreadable")

// maxRecords bounds the records read from one file, whatever its size.
const maxRecords = 1 << 20

// decodeTable reads a file of the given kind. It never panics and never returns personal data in
// its errors: they name the line and the column, not the value.
func decodeTable(data []byte, enc Encoding, l Layout, kind string) table {
	text := decodeText(data, enc)
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = false
	cols := map[Field]int{}
	var t table
	if l.NoHeader {
		for i, c := range l.Columns {
			cols[c.Field] = i
		}
	} else {
		header, err := r.Read()
		if err == io.EOF {
			return t
		}
		if err != nil {
			t.Err = fmt.Errorf("%w: header row: %v", errBadFile, parseErrText(err))
			return t
		}
		byName := map[string]int{}
		for i, h := range header {
			h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
			if _, dup := byName[h]; !dup {
				byName[h] = i
			}
		}
		var missing []string
		for _, c := range l.Columns {
			if i, ok := byName[c.Name]; ok {
				cols[c.Field] = i
			}
		}
		for _, f := range required[kind] {
			if _, ok := cols[f]; !ok {
				missing = append(missing, string(f))
			}
		}
		if len(missing) > 0 {
			t.Err = fmt.Errorf("%w: header row lacks the columns for %s", errBadFile, strings.Join(missing, ", "))
			return t
		}
	}
	for n := 0; n < maxRecords; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		rw := row{Index: n, cols: cols}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rw.Line = pe.StartLine
			}
			rw.Err = errors.New(parseErrText(err))
			t.rows = append(t.rows, rw)
			continue
		}
		rw.Line, _ = r.FieldPos(0)
		if blankRecord(rec) {
			// Spreadsheet exports end with empty rows; they are not records. They keep their index
			// so that cursors stay stable.
			rw.fields = nil
			rw.Err = errBlank
			t.rows = append(t.rows, rw)
			continue
		}
		rw.fields = rec
		t.rows = append(t.rows, rw)
	}
	return t
}

// errBlank marks a record with no content, skipped silently.
var errBlank = errors.New("blank record")

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// parseErrText describes a CSV syntax error without quoting the line's content.
func parseErrText(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "CSV syntax: " + pe.Err.Error()
	}
	return "CSV syntax error"
}
