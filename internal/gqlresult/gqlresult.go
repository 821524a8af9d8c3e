// Package gqlresult builds GraphQL answers for the fakes that speak GraphQL (shopifytest,
// eccubetest): a JSON object whose keys keep the order of the query's selections, as GraphQL
// requires, and in which a field selected twice (directly and through a fragment) appears once.
package gqlresult

import (
	"bytes"
	"encoding/json"
)

// Field is one key of an Object.
type Field struct {
	Key   string
	Value any
}

// Object is a JSON object in the order its fields were set.
type Object []Field

// Set adds a field, or merges it into the one already there: objects are merged field by field,
// anything else replaces the value.
func (o *Object) Set(k string, v any) {
	for i := range *o {
		if (*o)[i].Key != k {
			continue
		}
		if a, ok := (*o)[i].Value.(Object); ok {
			if b, ok := v.(Object); ok {
				for _, f := range b {
					a.Set(f.Key, f.Value)
				}
				(*o)[i].Value = a
				return
			}
		}
		(*o)[i].Value = v
		return
	}
	*o = append(*o, Field{k, v})
}

// Get returns the value of field k.
func (o Object) Get(k string) (any, bool) {
	for _, f := range o {
		if f.Key == k {
			return f.Value, true
		}
	}
	return nil, false
}

// MarshalJSON writes the fields in their order.
func (o Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
