package shipbob_test

import (
	"io"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector/shipbob"
	"github.com/tobira-commerce/tobira/connector/shipbob/internal/specvalidate"
	"github.com/tobira-commerce/tobira/connector/shipbob/shipbobtest"
)

// rig is a fake whose every exchange is checked against the OpenAPI file, and a client on it.
type rig struct {
	fake   *shipbobtest.Server
	client *shipbob.Client
	spec   *specvalidate.Recorder
}

func newRig(t testing.TB, mod func(*shipbob.Config)) *rig {
	t.Helper()
	r := &rig{spec: specvalidate.NewRecorder(t, specvalidate.Load(t))}
	r.fake = shipbobtest.New(shipbobtest.Options{Observe: func(e shipbobtest.Exchange) {
		r.spec.Check(e.Method, e.URL, e.Header, e.Body, e.Status, e.ResponseHeader, e.ResponseBody)
	}})
	t.Cleanup(r.fake.Close)
	cfg := shipbob.Config{BaseURL: r.fake.URL(), Token: r.fake.Token(), ChannelID: r.fake.ChannelID(),
		Rate: rate.Inf, PageSize: 5}
	if mod != nil {
		mod(&cfg)
	}
	c, err := shipbob.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.client = c
	return r
}

func itoa(n int) string { return strconv.Itoa(n) }

func ioNop(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
