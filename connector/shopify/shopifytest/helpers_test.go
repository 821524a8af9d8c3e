package shopifytest_test

import "time"

var testStart = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
