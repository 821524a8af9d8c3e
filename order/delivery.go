package order

import (
	"fmt"
	"time"
)

// Date is a calendar date with no time zone, as buyers request delivery dates (配送希望日).
// The zero value means "no date requested".
type Date struct {
	Year  int        `json:"year"`
	Month time.Month `json:"month"`
	Day   int        `json:"day"`
}

// ParseDate parses "2006-01-02" (and "2006/01/02", common on Japanese platforms).
func ParseDate(s string) (Date, error) {
	for _, layout := range []string{"2006-01-02", "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Date{t.Year(), t.Month(), t.Day()}, nil
		}
	}
	return Date{}, fmt.Errorf("order: date %q is not YYYY-MM-DD", s)
}

// IsZero reports whether no date is set.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Valid reports whether d is a date that exists.
func (d Date) Valid() bool {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

// In returns the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// TimeSlot is a delivery time slot (時間帯指定) in the normalized form "HHMM" of start and end
// hour, as Japanese carriers define them. Connectors map their platform's codes to these.
type TimeSlot string

// The time slots Japanese carriers offer. Not every carrier offers every slot.
const (
	SlotNone    TimeSlot = ""
	SlotMorning TimeSlot = "0812" // 午前中
	Slot1214    TimeSlot = "1214"
	Slot1416    TimeSlot = "1416"
	Slot1618    TimeSlot = "1618"
	Slot1820    TimeSlot = "1820"
	Slot1821    TimeSlot = "1821"
	Slot1921    TimeSlot = "1921"
	Slot2021    TimeSlot = "2021"
)

var slots = map[TimeSlot]bool{SlotMorning: true, Slot1214: true, Slot1416: true, Slot1618: true,
	Slot1820: true, Slot1821: true, Slot1921: true, Slot2021: true}

// Valid reports whether s is SlotNone or one of the defined slots.
func (s TimeSlot) Valid() bool { return s == SlotNone || slots[s] }

// DeliveryRequest is the buyer's requested delivery date and time slot.
type DeliveryRequest struct {
	Date Date     `json:"date,omitzero"`
	Slot TimeSlot `json:"slot,omitempty"`
}

// Prefectures lists Japan's 47 prefectures (都道府県) in their official order.
var Prefectures = [47]string{
	"北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
	"埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
	"岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
	"鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
	"佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
}

// prefectures is Prefectures as a set: every order is validated at least twice on its way.
var prefectures = func() map[string]bool {
	m := make(map[string]bool, len(Prefectures))
	for _, p := range Prefectures {
		m[p] = true
	}
	return m
}()

func isPrefecture(s string) bool { return prefectures[s] }
