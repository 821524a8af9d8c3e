package csvfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// inbox takes in the files a partner drops in one directory. Taking a file in copies it into the
// journal (State/in/KIND/HASH.csv) and appends a line to the manifest (State/KIND.manifest); only
// then is the partner's file removed. The manifest fixes the order files arrived in, so a cursor
// is a position in it (file, record) and a file arriving late with an earlier name is not
// skipped. Whether a file was processed is not recorded here at all: it is the cursor the engine
// stores once what the file holds is recorded, so a crash before that lists the file again, and
// it yields the same items with the same IDs.
type inbox struct {
	c      *Connector
	kind   string
	layout Layout
	dir    string
	state  string

	mu      gosync.Mutex
	entries []entry           // the manifest without repeats, in arrival order
	last    map[string]string // file name -> content hash of its latest entry
	read    int64             // bytes of the manifest already read
	seen    map[string]seenFile
	tables  map[string]*table                   // decoded journal copies (immutable), by hash
	cached  []string                            // hashes in tables, oldest first
	keys    map[string]map[string]string        // per file: request key -> state it reports
	answers map[string]map[string]partnerAnswer // per file: instruction ID -> answer
}

// entry is one file taken in.
type entry struct {
	Hash string
	Name string
	// ModTime is the partner's file's modification time when it was taken in: when nothing in the
	// file says when its content was true, it was true then at the latest.
	ModTime time.Time
	// Big says the file exceeded MaxFileSize and was not copied.
	Big bool
}

// seenFile remembers a file left in place (KeepInbox), so it is not read again on every listing.
type seenFile struct {
	size int64
	mod  time.Time
}

func (b *inbox) journal() string  { return filepath.Join(b.state, "in", b.kind) }
func (b *inbox) manifest() string { return filepath.Join(b.state, b.kind+".manifest") }

// refresh reads the manifest lines appended since the last read, by this process or another.
// Called with b.mu held.
func (b *inbox) refresh() error {
	if b.last == nil {
		b.last = map[string]string{}
		b.seen = map[string]seenFile{}
		b.tables = map[string]*table{}
		b.keys = map[string]map[string]string{}
		b.answers = map[string]map[string]partnerAnswer{}
	}
	f, err := os.Open(b.manifest())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fsErr("reading the "+b.kind+" manifest", err)
	}
	defer f.Close()
	if _, err := f.Seek(b.read, io.SeekStart); err != nil {
		return fsErr("reading the "+b.kind+" manifest", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fsErr("reading the "+b.kind+" manifest", err)
	}
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return nil // nothing complete yet
	}
	for _, line := range strings.Split(string(data[:end]), "\n") {
		e, ok := parseEntry(line)
		if !ok {
			continue // a line torn by a crash mid-append; its file is taken in again
		}
		if b.last[e.Name] == e.Hash {
			continue // the same file again: taken in twice after a crash, or by two processes
		}
		b.last[e.Name] = e.Hash
		b.entries = append(b.entries, e)
	}
	b.read += int64(end + 1)
	return nil
}

func parseEntry(line string) (entry, bool) {
	parts := strings.SplitN(line, "\t", 4)
	if len(parts) != 4 || len(parts[0]) != 32 {
		return entry{}, false
	}
	ns, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || (parts[2] != "0" && parts[2] != "1") || parts[3] == "" {
		return entry{}, false
	}
	return entry{Hash: parts[0], ModTime: time.Unix(0, ns).UTC(), Big: parts[2] == "1", Name: parts[3]}, true
}

// ignored reports whether a name in the partner's directory is not (yet) a file to take in:
// hidden files, and the temporary names uploads and editors use.
func ignored(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") {
		return true
	}
	lower := strings.ToLower(name)
	for _, suffix := range []string{".tmp", ".part", ".filepart", ".partial", ".crdownload", ".swp"} {
		if strings.HasSuffix(lower, suffix) {
			return true
		}
	}
	return false
}

// adopt takes in every new file of the partner's directory, in name order. Called with b.mu held.
func (b *inbox) adopt(ctx context.Context) error {
	if err := b.refresh(); err != nil {
		return err
	}
	des, err := os.ReadDir(b.dir)
	if err != nil {
		return fsErr("listing the "+b.kind+" directory", err)
	}
	now := b.c.now()
	for _, de := range des {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !de.Type().IsRegular() || ignored(de.Name()) {
			continue
		}
		info, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // taken by another process meanwhile
		} else if err != nil {
			return fsErr("reading the "+b.kind+" directory", err)
		}
		if b.c.cfg.MinAge > 0 && now.Sub(info.ModTime()) < b.c.cfg.MinAge {
			continue
		}
		if s, ok := b.seen[de.Name()]; ok && s.size == info.Size() && s.mod.Equal(info.ModTime()) {
			continue
		}
		if err := b.take(de.Name(), info); err != nil {
			return err
		}
	}
	return nil
}

// take copies one file into the journal and appends it to the manifest, then removes it from the
// partner's directory. Each step can be repeated after a crash: the copy is named by its content,
// and a file whose name and content are those of the latest file taken in under that name is the
// same file again (delivered twice, or taken in before a crash removed it), not a new one. The
// same content under another name, or back under a name after different content, is new: a
// stock file saying 5, then 3, then 5 again is three reports.
func (b *inbox) take(name string, info fs.FileInfo) error {
	src := filepath.Join(b.dir, name)
	e := entry{Name: cleanName(name), ModTime: info.ModTime().UTC()}
	var data []byte
	if info.Size() > b.c.cfg.MaxFileSize {
		e.Big = true
		e.Hash = digest(fmt.Sprintf("big\x00%s\x00%d\x00%d", name, info.Size(), info.ModTime().UnixNano()))
	} else {
		var err error
		if data, err = readCapped(src, b.c.cfg.MaxFileSize); errors.Is(err, fs.ErrNotExist) {
			return nil
		} else if err != nil {
			return fsErr("reading a "+b.kind+" file", err)
		}
		e.Hash = digest(string(data))
	}
	if b.last[e.Name] != e.Hash {
		if !e.Big {
			if err := writeAtomic(b.journal(), e.Hash+".csv", data, false); err != nil {
				return fsErr("copying a "+b.kind+" file", err)
			}
		}
		if err := b.appendEntry(e); err != nil {
			return err
		}
		b.c.log.Info("csvfile: file taken in", "kind", b.kind, "file", name, "big", e.Big)
	}
	if b.c.cfg.KeepInbox {
		b.seen[name] = seenFile{size: info.Size(), mod: info.ModTime()}
		return nil
	}
	if err := os.Remove(src); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fsErr("removing a "+b.kind+" file taken in", err)
	}
	return nil
}

// cleanName is a file name as the manifest keeps it: one line, valid UTF-8.
func cleanName(name string) string {
	return strings.ToValidUTF8(strings.NewReplacer("\n", " ", "\r", " ").Replace(name), "\ufffd")
}

func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s grew past the size limit while being read", filepath.Base(path))
	}
	return data, nil
}

// appendEntry appends one line to the manifest and syncs it, then reads it back with whatever
// other processes appended meanwhile.
func (b *inbox) appendEntry(e entry) error {
	big := "0"
	if e.Big {
		big = "1"
	}
	line := fmt.Sprintf("%s\t%d\t%s\t%s\n", e.Hash, e.ModTime.UnixNano(), big, e.Name)
	f, err := os.OpenFile(b.manifest(), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return fsErr("appending to the "+b.kind+" manifest", err)
	}
	if info, err := f.Stat(); err == nil && info.Size() > b.read {
		// A line torn by a crash: end it, so that this one stands on its own.
		line = "\n" + line
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fsErr("appending to the "+b.kind+" manifest", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fsErr("appending to the "+b.kind+" manifest", err)
	}
	if err := f.Close(); err != nil {
		return fsErr("appending to the "+b.kind+" manifest", err)
	}
	return b.refresh()
}

// maxCached bounds the decoded files kept in memory.
const maxCached = 32

// load returns a taken-in file, decoded. Called with b.mu held.
func (b *inbox) load(e entry) (*table, error) {
	if t, ok := b.tables[e.Hash]; ok {
		return t, nil
	}
	t := &table{}
	if e.Big {
		t.Err = fmt.Errorf("%w: larger than %d bytes (Config.MaxFileSize)", errBadFile, b.c.cfg.MaxFileSize)
	} else {
		data, err := os.ReadFile(filepath.Join(b.journal(), e.Hash+".csv"))
		if err != nil {
			return nil, fsErr("reading the copy of "+e.Name, err)
		}
		*t = decodeTable(data, b.c.cfg.Encoding, b.layout, b.kind)
	}
	b.tables[e.Hash] = t
	b.cached = append(b.cached, e.Hash)
	if len(b.cached) > maxCached {
		delete(b.tables, b.cached[0])
		b.cached = slices.Delete(b.cached, 0, 1)
	}
	return t, nil
}

// position is a cursor's meaning: the next record to list is record rec of file file.
type position struct{ file, rec int }

func (p position) cursor() connector.Cursor {
	return connector.Cursor(strconv.Itoa(p.file) + ":" + strconv.Itoa(p.rec))
}

// parsePosition reads a cursor; "" is the start.
func (b *inbox) parsePosition(c connector.Cursor) (position, error) {
	if c == "" {
		return position{}, nil
	}
	f, r, ok := strings.Cut(string(c), ":")
	fi, err1 := strconv.Atoi(f)
	ri, err2 := strconv.Atoi(r)
	if !ok || err1 != nil || err2 != nil || fi < 0 || ri < 0 {
		return position{}, fmt.Errorf("csvfile: malformed %s cursor: %w", b.kind, connector.ErrPermanent)
	}
	if fi > len(b.entries) {
		return position{}, fmt.Errorf("csvfile: the %s cursor is past the files taken in (was the State directory lost?): %w", b.kind, connector.ErrPermanent)
	}
	return position{fi, ri}, nil
}

// rejectOf is a Reject for a row: its ID names the file and the line, its error says which
// column is wrong and never repeats a value.
func (b *inbox) rejectOf(e entry, r row, err error) connector.Reject {
	return connector.Reject{
		ID:  fmt.Sprintf("%s:%d", e.Name, r.Line),
		Err: fmt.Errorf("csvfile: %s file %s line %d: %w", b.kind, e.Name, r.Line, err),
	}
}

// fileReject is a Reject for a whole file that cannot be read.
func (b *inbox) fileReject(e entry, err error) connector.Reject {
	return connector.Reject{ID: e.Name, Err: fmt.Errorf("csvfile: %s file %s: %w", b.kind, e.Name, err)}
}

// colName is a field's header text, for errors people read.
func (b *inbox) colName(f Field) string {
	for _, c := range b.layout.Columns {
		if c.Field == f {
			if c.Name != "" {
				return c.Name + " (" + string(f) + ")"
			}
		}
	}
	return string(f)
}

func (b *inbox) colErr(f Field, problem string) error {
	return fmt.Errorf("column %s: %s", b.colName(f), problem)
}
