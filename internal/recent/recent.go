// Package recent keeps a bounded set of recently seen IDs, for connectors that deduplicate
// pushes (webhook deliveries, notifications) which platforms deliver at least once.
package recent

import (
	"container/list"
	"sync"
)

// Set remembers the newest IDs added, at most its size; adding an ID again makes it newest. It is
// safe for concurrent use.
type Set struct {
	mu    sync.Mutex
	max   int
	order *list.List // newest first
	index map[string]*list.Element
}

// New returns a Set of at most n IDs (at least one).
func New(n int) *Set {
	return &Set{max: max(n, 1), order: list.New(), index: map[string]*list.Element{}}
}

// Add records id and reports whether it was new.
func (s *Set) Add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.index[id]; ok {
		s.order.MoveToFront(e)
		return false
	}
	s.index[id] = s.order.PushFront(id)
	for s.order.Len() > s.max {
		old := s.order.Back()
		s.order.Remove(old)
		delete(s.index, old.Value.(string))
	}
	return true
}

// Has reports whether id is remembered.
func (s *Set) Has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.index[id]
	return ok
}

// Remove forgets id, so that a delivery whose handling failed is taken again.
func (s *Set) Remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.index[id]; ok {
		s.order.Remove(e)
		delete(s.index, id)
	}
}
