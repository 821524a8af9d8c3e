package sqlstore

import (
	gosync "sync"

	"github.com/tobira-commerce/tobira/sync/ledger"
)

// DefaultRecordCache is the number of order records a Store keeps decoded when
// Options.RecordCache is 0.
const DefaultRecordCache = 8192

// recordCache keeps order records this store wrote or decoded lately, each with the exact text of
// its data column. The engine reads a record back soon after writing it (to check the ledger,
// to deliver it, to compare it with a listing again), and decoding the JSON is most of what such
// a read costs the process: a row whose version and text are the ones kept is not decoded again.
//
// It is never a source of truth. Every read still asks the database, and only a row whose text
// equals the kept text byte for byte is served from it, so a record another process wrote, or
// removed and wrote again, is decoded as if there were no cache. A dialect that rewrites the text
// it stores (MySQL's JSON type) never matches a written record, only one read before.
//
// Entries live in two generations of at most half the capacity each: a lookup that finds one in
// the older moves it to the newer, and when the newer fills up it becomes the older, dropping
// the one before it. Records that are read again stay; the rest age out.
type recordCache struct {
	mu       gosync.Mutex
	half     int
	cur, old map[ledger.OrderKey]cachedRecord
}

// cachedRecord is one kept record. rec is shared by everyone it is handed to and never modified:
// it is either a record PutOrders took over or one decoded here.
type cachedRecord struct {
	data string
	rec  *ledger.OrderRecord
}

// newRecordCache returns a cache of about size records, or nil (no cache) when size is negative.
func newRecordCache(size int) *recordCache {
	if size < 0 {
		return nil
	}
	if size == 0 {
		size = DefaultRecordCache
	}
	half := max(size/2, 1)
	return &recordCache{half: half, cur: make(map[ledger.OrderKey]cachedRecord)}
}

// get returns the kept record of key if it has this version and data, else nil.
func (c *recordCache) get(key ledger.OrderKey, version int64, data []byte) *ledger.OrderRecord {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur[key]
	if !ok {
		if e, ok = c.old[key]; !ok {
			return nil
		}
		delete(c.old, key)
		c.putLocked(key, e)
	}
	if e.rec.Version != version || e.data != string(data) {
		return nil
	}
	return e.rec
}

// put keeps rec, which nobody may modify any more, as the record whose data column is data.
func (c *recordCache) put(key ledger.OrderKey, data string, rec *ledger.OrderRecord) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.putLocked(key, cachedRecord{data: data, rec: rec})
	c.mu.Unlock()
}

func (c *recordCache) putLocked(key ledger.OrderKey, e cachedRecord) {
	if _, ok := c.cur[key]; !ok && len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[ledger.OrderKey]cachedRecord, c.half)
	}
	c.cur[key] = e
}

// forget drops what is kept of key, for a row this store deleted.
func (c *recordCache) forget(key ledger.OrderKey) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.cur, key)
	delete(c.old, key)
	c.mu.Unlock()
}

// sharedOrder returns the record of a row, to read only: the kept one if the row is unchanged,
// else the row decoded (and kept).
func (s *Store) sharedOrder(key ledger.OrderKey, version int64, data []byte) (*ledger.OrderRecord, error) {
	if rec := s.cache.get(key, version, data); rec != nil {
		return rec, nil
	}
	rec, err := decodeOrder(version, data)
	if err != nil {
		return nil, err
	}
	if s.cache != nil && rec.Key == key {
		s.cache.put(key, string(data), rec)
	}
	return rec, nil
}

// ownedOrder is sharedOrder for a caller that may modify the record: a kept record is cloned.
func (s *Store) ownedOrder(key ledger.OrderKey, version int64, data []byte) (*ledger.OrderRecord, error) {
	if rec := s.cache.get(key, version, data); rec != nil {
		return rec.Clone(), nil
	}
	rec, err := decodeOrder(version, data)
	if err != nil {
		return nil, err
	}
	if s.cache != nil && rec.Key == key {
		s.cache.put(key, string(data), rec.Clone())
	}
	return rec, nil
}
