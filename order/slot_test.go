package order_test

import (
	"testing"

	"github.com/tobira-commerce/tobira/order"
)

func TestParseSlot(t *testing.T) {
	cases := map[string]order.TimeSlot{
		"午前中": order.SlotMorning, "午前": order.SlotMorning, "AM": order.SlotMorning, "8-12": order.SlotMorning,
		"14-16": order.Slot1416, "14時～16時": order.Slot1416, "１４時〜１６時": order.Slot1416, "14:00-16:00": order.Slot1416,
		"1416": order.Slot1416, "16時-18時": order.Slot1618, "18-20": order.Slot1820, "19時～21時": order.Slot1921,
		"12-14": order.Slot1214, "20-21": order.Slot2021, "指定なし": order.SlotNone, "": order.SlotNone,
		"3-5": order.SlotNone, "夜": order.SlotNone, "99999999999999999999": order.SlotNone,
	}
	for in, want := range cases {
		if got := order.ParseSlot(in); got != want {
			t.Errorf("ParseSlot(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseSlot(f *testing.F) {
	for _, s := range []string{"午前中", "14-16", "１４時〜１６時", "18:00-21:00", "1921", "指定なし"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if slot := order.ParseSlot(s); !slot.Valid() {
			t.Fatalf("ParseSlot(%q) = invalid %q", s, slot)
		}
	})
}
