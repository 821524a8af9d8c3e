package shopifytest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Schema is a Shopify Admin GraphQL schema ready to validate documents against.
type Schema struct {
	ast *ast.Schema
}

// LoadSchemaFile reads a schema from an introspection result, gzip-compressed or not (the form
// of specs/shopify/admin_2026-07.json.gz).
func LoadSchemaFile(path string) (*Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadSchema(f)
}

// LoadSchema reads an introspection result ({"data":{"__schema":…}} or {"__schema":…}),
// gzip-compressed or not, and builds the schema from it.
func LoadSchema(r io.Reader) (*Schema, error) {
	br := newPeekReader(r)
	var src io.Reader = br
	if br.gzipped() {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("shopifytest: schema: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	var doc struct {
		Data struct {
			Schema *introSchema `json:"__schema"`
		} `json:"data"`
		Schema *introSchema `json:"__schema"`
	}
	if err := json.NewDecoder(src).Decode(&doc); err != nil {
		return nil, fmt.Errorf("shopifytest: schema: %w", err)
	}
	s := doc.Data.Schema
	if s == nil {
		s = doc.Schema
	}
	if s == nil {
		return nil, fmt.Errorf("shopifytest: schema: no __schema in the introspection result")
	}
	sdl := s.sdl()
	as, err := gqlparser.LoadSchema(&ast.Source{Name: "introspection", Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("shopifytest: schema: %w", err)
	}
	return &Schema{ast: as}, nil
}

type peekReader struct {
	r    io.Reader
	head []byte
}

func newPeekReader(r io.Reader) *peekReader {
	head := make([]byte, 2)
	n, _ := io.ReadFull(r, head)
	return &peekReader{r: r, head: head[:n]}
}

func (p *peekReader) gzipped() bool {
	return len(p.head) == 2 && p.head[0] == 0x1f && p.head[1] == 0x8b
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.r.Read(b)
}

type introSchema struct {
	QueryType        *struct{ Name string } `json:"queryType"`
	MutationType     *struct{ Name string } `json:"mutationType"`
	SubscriptionType *struct{ Name string } `json:"subscriptionType"`
	Types            []introType            `json:"types"`
	Directives       []struct {
		Name         string       `json:"name"`
		IsRepeatable bool         `json:"isRepeatable"`
		Locations    []string     `json:"locations"`
		Args         []introInput `json:"args"`
	} `json:"directives"`
}

type introType struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Fields []struct {
		Name              string       `json:"name"`
		Args              []introInput `json:"args"`
		Type              introRef     `json:"type"`
		IsDeprecated      bool         `json:"isDeprecated"`
		DeprecationReason *string      `json:"deprecationReason"`
	} `json:"fields"`
	InputFields []introInput `json:"inputFields"`
	Interfaces  []introRef   `json:"interfaces"`
	EnumValues  []struct {
		Name string `json:"name"`
	} `json:"enumValues"`
	PossibleTypes []introRef `json:"possibleTypes"`
}

type introInput struct {
	Name         string   `json:"name"`
	Type         introRef `json:"type"`
	DefaultValue *string  `json:"defaultValue"`
}

type introRef struct {
	Kind   string    `json:"kind"`
	Name   string    `json:"name"`
	OfType *introRef `json:"ofType"`
}

func (r introRef) String() string {
	switch {
	case r.Kind == "NON_NULL" && r.OfType != nil:
		return r.OfType.String() + "!"
	case r.Kind == "LIST" && r.OfType != nil:
		return "[" + r.OfType.String() + "]"
	}
	return r.Name
}

// sdl renders the introspection result as SDL without descriptions, leaving out what the
// gqlparser prelude already declares (built-in scalars, introspection types and directives).
func (s *introSchema) sdl() string {
	builtin := map[string]bool{}
	// The prelude ships with gqlparser and always parses; were it not to, the duplicate
	// built-ins would make loading the schema fail with a clear error.
	prelude, _ := parser.ParseSchema(validator.Prelude)
	if prelude == nil {
		prelude = &ast.SchemaDocument{}
	}
	for _, d := range prelude.Definitions {
		builtin[d.Name] = true
	}
	builtinDir := map[string]bool{}
	for _, d := range prelude.Directives {
		builtinDir[d.Name] = true
	}
	var b strings.Builder
	b.WriteString("schema {")
	if s.QueryType != nil {
		b.WriteString(" query: " + s.QueryType.Name)
	}
	if s.MutationType != nil {
		b.WriteString(" mutation: " + s.MutationType.Name)
	}
	if s.SubscriptionType != nil {
		b.WriteString(" subscription: " + s.SubscriptionType.Name)
	}
	b.WriteString(" }\n")
	for _, d := range s.Directives {
		if builtinDir[d.Name] {
			continue
		}
		b.WriteString("directive @" + d.Name)
		writeArgs(&b, d.Args)
		if d.IsRepeatable {
			b.WriteString(" repeatable")
		}
		b.WriteString(" on " + strings.Join(d.Locations, " | ") + "\n")
	}
	for _, t := range s.Types {
		if builtin[t.Name] || strings.HasPrefix(t.Name, "__") {
			continue
		}
		switch t.Kind {
		case "SCALAR":
			b.WriteString("scalar " + t.Name + "\n")
		case "ENUM":
			b.WriteString("enum " + t.Name + " {")
			for _, v := range t.EnumValues {
				b.WriteString(" " + v.Name)
			}
			b.WriteString(" }\n")
		case "UNION":
			names := make([]string, len(t.PossibleTypes))
			for i, p := range t.PossibleTypes {
				names[i] = p.Name
			}
			b.WriteString("union " + t.Name + " = " + strings.Join(names, " | ") + "\n")
		case "INPUT_OBJECT":
			b.WriteString("input " + t.Name + " {\n")
			for _, f := range t.InputFields {
				b.WriteString("  " + f.Name + ": " + f.Type.String())
				if f.DefaultValue != nil {
					b.WriteString(" = " + *f.DefaultValue)
				}
				b.WriteString("\n")
			}
			b.WriteString("}\n")
		case "OBJECT", "INTERFACE":
			kw := "type "
			if t.Kind == "INTERFACE" {
				kw = "interface "
			}
			b.WriteString(kw + t.Name)
			if len(t.Interfaces) > 0 {
				names := make([]string, len(t.Interfaces))
				for i, p := range t.Interfaces {
					names[i] = p.Name
				}
				b.WriteString(" implements " + strings.Join(names, " & "))
			}
			b.WriteString(" {\n")
			for _, f := range t.Fields {
				b.WriteString("  " + f.Name)
				writeArgs(&b, f.Args)
				b.WriteString(": " + f.Type.String())
				if f.IsDeprecated {
					reason := "No longer supported"
					if f.DeprecationReason != nil {
						reason = *f.DeprecationReason
					}
					q, _ := json.Marshal(reason)
					b.WriteString(" @deprecated(reason: " + string(q) + ")")
				}
				b.WriteString("\n")
			}
			b.WriteString("}\n")
		}
	}
	return b.String()
}

func writeArgs(b *strings.Builder, args []introInput) {
	if len(args) == 0 {
		return
	}
	b.WriteString("(")
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Name + ": " + a.Type.String())
		if a.DefaultValue != nil {
			b.WriteString(" = " + *a.DefaultValue)
		}
	}
	b.WriteString(")")
}
