package recent_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/tobira-commerce/tobira/internal/recent"
)

func TestSetKeepsTheNewest(t *testing.T) {
	s := recent.New(2)
	if !s.Add("a") || !s.Add("b") || s.Add("a") {
		t.Fatal("Add must report new IDs once")
	}
	s.Add("c") // "a" was made newest by the repeat, so "b" goes
	if !s.Has("a") || s.Has("b") || !s.Has("c") {
		t.Fatalf("after a, b, a, c with room for two: a %v b %v c %v", s.Has("a"), s.Has("b"), s.Has("c"))
	}
	s.Remove("a")
	if s.Has("a") || !s.Add("a") {
		t.Fatal("a removed ID must be new again")
	}
}

func TestSetConcurrent(t *testing.T) {
	s := recent.New(1000)
	var wg sync.WaitGroup
	newOnes := make([]int, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				if s.Add(fmt.Sprint(i)) {
					newOnes[g]++
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range newOnes {
		total += n
	}
	if total != 500 {
		t.Fatalf("%d IDs reported new across goroutines, want each of 500 once", total)
	}
}
