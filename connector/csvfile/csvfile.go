package csvfile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	gosync "sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// Config configures a Connector. Only Dir is required; every other zero value takes the
// documented default.
type Config struct {
	// Dir is the directory the host shares with the partner (by SFTP, a synced folder, a mounted
	// share: the host's choice). Required.
	Dir string
	// Orders, Shipments, Stock and Status name the subdirectories of Dir for each kind of file,
	// or absolute paths; defaults "orders" (written by the connector), "shipments", "stock" and
	// "status" (written by the partner).
	Orders, Shipments, Stock, Status string
	// State is the connector's own directory: what it wrote, and the files it took in. It must
	// survive restarts and must not be synced to the partner. Default Dir/.tobira.
	State string
	// Encoding of every file; default Shift_JIS.
	Encoding Encoding
	// Layouts are the files' columns; a zero Layout takes DefaultLayouts' of its kind.
	Layouts Layouts
	// FilePrefix begins the names of the order files the connector writes; default "order".
	FilePrefix string
	// PageSize bounds the shipments, or stock levels, on one page; default 100.
	PageSize int
	// MaxFileSize bounds the size of a file the connector reads; a larger one is reported as a
	// Reject and skipped. Default 32 MiB.
	MaxFileSize int64
	// MinAge leaves a partner's file alone until it is at least this old (by modification time),
	// for partners whose uploads are not atomic. Zero takes files at once.
	MinAge time.Duration
	// KeepInbox leaves the partner's files where they are once taken in; by default they are
	// removed from the partner's directories after their copy is safely in State.
	KeepInbox bool
	// Location is the time zone of dates and times in the files; default Japan Standard Time.
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives what the connector does; nil logs nothing. It never logs addresses, names or
	// phone numbers.
	Logger *slog.Logger
	// AwaitAnswers makes Change and Cancel wait for the partner's answer (a status row whose
	// 指示ID names the instruction, 結果 OK or NG) instead of accepting what the partner has not
	// reported as picked or shipped: until it arrives they return ErrAwaitingAnswer, a temporary
	// error, and the engine asks again later. For partners that answer every instruction.
	AwaitAnswers bool
	// OnRefusal, when set, hears of every 変更 or 取消 the partner answered NG in a status file
	// after the connector had accepted it (see the package documentation): the host tells the
	// merchant, as for a refusal the engine reports. It is called while listing shipments, at least
	// once per answer (again after a restart); it must not block or call the Connector.
	OnRefusal func(Refusal)
}

// Refusal is a partner's late NG to an instruction: which request, which instruction (the change's
// or cancellation's idempotency key) and the partner's reason.
type Refusal struct {
	Key, InstructionID, Reason string
}

// Validate reports what is wrong with the configuration.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Dir) == "" {
		errs = append(errs, errors.New("csvfile: Config.Dir is required"))
	}
	if c.Encoding != ShiftJIS && c.Encoding != UTF8 {
		errs = append(errs, fmt.Errorf("csvfile: Config.Encoding: unknown %v", c.Encoding))
	}
	if c.PageSize < 0 || c.MaxFileSize < 0 || c.MinAge < 0 {
		errs = append(errs, errors.New("csvfile: Config.PageSize, MaxFileSize and MinAge must not be negative"))
	}
	if strings.ContainsAny(c.FilePrefix, `/\`+"\x00") {
		errs = append(errs, errors.New("csvfile: Config.FilePrefix must not contain a path separator"))
	}
	ls := c.Layouts.withDefaults()
	for kind, l := range map[string]Layout{"orders": ls.Orders, "shipments": ls.Shipments, "stock": ls.Stock, "status": ls.Status} {
		if err := l.validate(kind); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// jst is Japan Standard Time; Japan has no daylight saving time, so a fixed zone is exact and
// needs no time zone database.
var jst = time.FixedZone("JST", 9*60*60)

// Connector exchanges files with a warehouse partner. It implements connector.Fulfiller,
// connector.ShipmentSource and connector.StockSource and is safe for concurrent use.
type Connector struct {
	cfg     Config
	layouts Layouts
	log     *slog.Logger
	orders  string
	reqDir  string // markers of what was written: State/requests

	mu     gosync.Mutex // serializes writes of order files and their markers
	lastAt time.Time

	shipments, stock, status *inbox
}

var (
	_ connector.Fulfiller      = (*Connector)(nil)
	_ connector.ShipmentSource = (*Connector)(nil)
	_ connector.StockSource    = (*Connector)(nil)
)

// New checks the configuration and creates the directories the connector uses.
func New(cfg Config) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	under := func(p, def string) string {
		if p == "" {
			p = def
		}
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(cfg.Dir, p)
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 100
	}
	if cfg.MaxFileSize == 0 {
		cfg.MaxFileSize = 32 << 20
	}
	if cfg.Location == nil {
		cfg.Location = jst
	}
	if cfg.FilePrefix == "" {
		cfg.FilePrefix = "order"
	}
	c := &Connector{cfg: cfg, layouts: cfg.Layouts.withDefaults(), log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	state := under(cfg.State, ".tobira")
	c.orders = under(cfg.Orders, "orders")
	c.reqDir = filepath.Join(state, "requests")
	c.shipments = &inbox{c: c, kind: "shipments", layout: c.layouts.Shipments, dir: under(cfg.Shipments, "shipments"), state: state}
	c.stock = &inbox{c: c, kind: "stock", layout: c.layouts.Stock, dir: under(cfg.Stock, "stock"), state: state}
	c.status = &inbox{c: c, kind: "status", layout: c.layouts.Status, dir: under(cfg.Status, "status"), state: state}
	for _, d := range []string{c.orders, c.reqDir, c.shipments.dir, c.stock.dir, c.status.dir,
		c.shipments.journal(), c.stock.journal(), c.status.journal()} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("csvfile: %w: %w", connector.ErrPermanent, err)
		}
	}
	return c, nil
}

func (c *Connector) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

// digest names something by a hash of its text: keys may hold characters no file name can.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// fsErr wraps a file system failure. It is temporary whatever its cause: a full disk, a share
// that went away or a permission the host got wrong is no fault of the order or the file at hand,
// so nothing is quarantined for it and the engine tries again once the host has fixed it. The
// error names the path, never a file's content.
func fsErr(op string, err error) error {
	return fmt.Errorf("csvfile: %s: %w: %w", op, connector.ErrTemporary, err)
}

// writeAtomic puts data at dir/name so that a reader sees either nothing or the whole file: it
// writes a hidden temporary file in the same directory, syncs it, and renames it into place
// (exclusive: links it, failing with fs.ErrExist if the name is taken), then syncs the directory
// so that the new name survives a power cut.
func writeAtomic(dir, name string, data []byte, exclusive bool) error {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename there is nothing left to remove; after a link, the temp name
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	final := filepath.Join(dir, name)
	if exclusive {
		err = os.Link(tmp, final)
	} else {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be synced there; NTFS journals the rename itself
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// readJSON reads a marker; ok is false when there is none.
func readJSON(path string, v any) (ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("marker %s is corrupt: %w", filepath.Base(path), err)
	}
	return true, nil
}
