package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
)

// Product is one SKU a channel lists: a single warehouse SKU, or a bundle (セット商品) of
// several. Platforms do not know what a bundle holds, so a sale of either never lowers the
// other on the same platform: only the engine's pool links them.
type Product struct {
	SKU   string
	Items []inventory.Item
	Hot   bool
}

// Catalogue is the merchant's assortment and stock.
type Catalogue struct {
	Products []Product
	// Initial is the warehouse's stock at the start.
	Initial map[string]int
	// Restocks arrive during the sale.
	Restocks []Restock
}

// Restock is a delivery to the warehouse.
type Restock struct {
	At    time.Duration // since the start
	SKU   string
	Units int
}

// Intent is one buyer's visit: what they want to buy, where, and what they will do later.
// Every strategy replays the same intents; whether a visit becomes an order depends on the
// stock the channel shows at that moment.
type Intent struct {
	ID      string
	At      time.Duration
	Channel int
	Lines   []IntentLine
	// ChangeAfter (if positive) is when the buyer edits the order: lowers a quantity when
	// ChangeQty, else changes the address. CancelAfter (if positive) cancels the order.
	ChangeAfter time.Duration
	ChangeQty   bool
	CancelAfter time.Duration
	// PushDelay is how long the platform's push takes to arrive, as a fraction of its typical
	// delay, drawn once so that every strategy sees the same delivery.
	PushJitter float64
}

// IntentLine is a product and quantity.
type IntentLine struct {
	SKU string
	Qty int
}

// Sale is the flash sale's window, in time since the start.
type Sale struct {
	Start, End time.Duration
	// Factor multiplies the order rate during the sale; HotShare is the part of lines that
	// go to hot products then.
	Factor   float64
	HotShare float64
}

// workload draws the catalogue and the buyers' intents for a seed.
func workload(cfg Config, plats []Platform) (Catalogue, []Intent, Sale) {
	r := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	run := cfg.Duration
	sale := Sale{Start: run * 2 / 5, Factor: 10, HotShare: 0.75}
	sale.End = sale.Start + min(time.Hour, run/8)

	cat := Catalogue{Initial: map[string]int{}}
	const singles, hot = 30, 6
	for i := range singles {
		sku := fmt.Sprintf("SKU-%02d", i)
		p := Product{SKU: sku, Items: []inventory.Item{{SKU: sku, Quantity: 1}}, Hot: i < hot}
		cat.Products = append(cat.Products, p)
		cat.Initial[sku] = 100000 // hot items are sized below, from the demand drawn
	}
	// Bundles pair a hot item with an ordinary one, some with two of the hot item.
	for i := range 4 {
		cat.Products = append(cat.Products, Product{
			SKU: fmt.Sprintf("SET-%d", i+1), Hot: true,
			Items: []inventory.Item{{SKU: fmt.Sprintf("SKU-%02d", i), Quantity: 1 + i%2}, {SKU: fmt.Sprintf("SKU-%02d", hot+i), Quantity: 1}},
		})
	}
	var hotP, coldP []string
	for _, p := range cat.Products {
		if p.Hot {
			hotP = append(hotP, p.SKU)
		} else {
			coldP = append(coldP, p.SKU)
		}
	}
	var share float64
	for _, p := range plats {
		share += p.Share
	}
	// Base rate (orders an hour, all channels) such that the run holds OrdersPerDay orders per
	// channel per day on average, sale included.
	saleH := (sale.End - sale.Start).Hours()
	base := float64(cfg.OrdersPerDay) * float64(len(plats)) * run.Hours() / 24 / (run.Hours() - saleH + sale.Factor*saleH)
	var out []Intent
	for c, p := range plats {
		rate := base * p.Share / share // orders per hour on this channel outside the sale
		t := time.Duration(0)
		n := 0
		for {
			f := 1.0
			if t >= sale.Start && t < sale.End {
				f = sale.Factor
			}
			gap := time.Duration(r.ExpFloat64() / (rate * f) * float64(time.Hour))
			// A gap that crosses a rate change is redrawn from the boundary, which keeps the
			// process Poisson on both sides.
			if t < sale.Start && t+gap >= sale.Start {
				t = sale.Start
				continue
			}
			if t < sale.End && t >= sale.Start && t+gap >= sale.End {
				t = sale.End
				continue
			}
			t += gap
			if t >= run {
				break
			}
			n++
			in := Intent{ID: fmt.Sprintf("%s-%06d", p.Name, n), At: t, Channel: c, PushJitter: 0.5 + r.Float64()}
			hotShare := 0.25
			if t >= sale.Start && t < sale.End {
				hotShare = sale.HotShare
			}
			lines := 1
			if r.Float64() < 0.2 {
				lines = 2
			}
			seen := map[string]bool{}
			for range lines {
				var sku string
				if r.Float64() < hotShare {
					// Zipf-like: the first hot products draw most of the demand.
					sku = hotP[int(math.Floor(math.Pow(r.Float64(), 2)*float64(len(hotP))))]
				} else {
					sku = coldP[r.IntN(len(coldP))]
				}
				if seen[sku] {
					continue
				}
				seen[sku] = true
				q := 1
				switch u := r.Float64(); {
				case u < 0.03:
					q = 3
				case u < 0.15:
					q = 2
				}
				in.Lines = append(in.Lines, IntentLine{SKU: sku, Qty: q})
			}
			if r.Float64() < 0.06 {
				in.ChangeAfter = time.Duration((1 + r.ExpFloat64()*15) * float64(time.Minute))
				in.ChangeQty = r.Float64() < 0.5
			}
			if r.Float64() < 0.04 {
				in.CancelAfter = time.Duration((1 + r.ExpFloat64()*20) * float64(time.Minute))
			}
			out = append(out, in)
		}
	}
	slices.SortStableFunc(out, func(a, b Intent) int { return cmp.Compare(a.At, b.At) })

	// Hot items are scarce: each holds 40-80% of what buyers will ask of it, so the sale sells
	// it out and every strategy must decide who gets the last units.
	want := map[string]int{}
	units := map[string][]inventory.Item{}
	for _, p := range cat.Products {
		units[p.SKU] = p.Items
	}
	for _, in := range out {
		for _, l := range in.Lines {
			for _, it := range units[l.SKU] {
				want[it.SKU] += l.Qty * it.Quantity
			}
		}
	}
	for i := range hot {
		sku := fmt.Sprintf("SKU-%02d", i)
		cat.Initial[sku] = max(5, int(float64(want[sku])*(0.4+0.4*r.Float64())))
	}
	for _, p := range cat.Products {
		if !p.Hot {
			cat.Initial[p.SKU] = max(50, want[p.SKU]*2)
		}
	}
	// Half the hot items are restocked once, some time after the sale, with a quarter of
	// their stock.
	for i := 0; i < hot; i += 2 {
		sku := fmt.Sprintf("SKU-%02d", i)
		cat.Restocks = append(cat.Restocks, Restock{At: sale.End + run/10, SKU: sku, Units: cat.Initial[sku] / 4})
	}
	return cat, out, sale
}
