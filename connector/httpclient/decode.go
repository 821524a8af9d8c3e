package httpclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
)

// DecodeError says where a JSON document did not fit the Go value: the field path (as
// encoding/json names it, "data.orders.nodes.id") and the byte offset. It never contains the
// offending value, which may be personal data. It matches connector.ErrPermanent.
type DecodeError struct {
	Path   string
	Offset int64
	// Problem is what is wrong ("unknown field", "cannot use string as int", "syntax error").
	Problem string
}

// Error names the path, the problem and the offset.
func (e *DecodeError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("httpclient: decode: %s at offset %d", e.Problem, e.Offset)
	}
	return fmt.Sprintf("httpclient: decode: field %s: %s at offset %d", e.Path, e.Problem, e.Offset)
}

// Unwrap makes a DecodeError match connector.ErrPermanent: the same bytes fail again.
func (e *DecodeError) Unwrap() error { return connector.ErrPermanent }

// DecodeOptions tune Decode.
type DecodeOptions struct {
	// DisallowUnknownFields fails on a field the Go value does not have. Use it in tests and for
	// platforms whose responses contain exactly what was asked (GraphQL); leave it off for
	// payloads that grow (webhooks, REST).
	DisallowUnknownFields bool
}

// Decode unmarshals one JSON value from data into v, and fails on trailing data.
func Decode(data []byte, v any, opt DecodeOptions) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if opt.DisallowUnknownFields {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return decodeError(err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return &DecodeError{Offset: dec.InputOffset(), Problem: "trailing data after the JSON value"}
	}
	return nil
}

func decodeError(err error, offset int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &DecodeError{Offset: se.Offset, Problem: "syntax error: " + se.Error()}
	case errors.As(err, &te):
		return &DecodeError{Path: te.Field, Offset: te.Offset, Problem: "cannot use JSON " + te.Value + " as " + te.Type.String()}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &DecodeError{Offset: offset, Problem: "unexpected end of input"}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return &DecodeError{Path: strings.Trim(name, `"`), Offset: offset, Problem: "unknown field"}
	}
	return &DecodeError{Offset: offset, Problem: Redact(strings.TrimPrefix(msg, "json: "))}
}
