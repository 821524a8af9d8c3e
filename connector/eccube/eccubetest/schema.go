package eccubetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tobira-commerce/tobira/internal/specs"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// SchemaEnv names the environment variable that points tests at the schema page; it wins over
// the default location.
const SchemaEnv = "TOBIRA_ECCUBE_SCHEMA"

// SchemaFile is the schema page's path below the directory that holds shared/: the plugin's
// docs/_pages/schema.md, a GraphQL SDL dump wrapped in Markdown. The project keeps shared
// material beside the repository, never inside it.
const SchemaFile = "shared/specs/eccube4/schema.md"

// Schema is the plugin's GraphQL schema, ready to validate documents against.
type Schema struct {
	ast *ast.Schema
}

// ExtractSDL returns the GraphQL SDL of a Markdown page: the contents of its ```graphql fences,
// joined. The page is the plugin's own; nothing of it is copied into this repository.
func ExtractSDL(md []byte) (string, error) {
	var b strings.Builder
	in := false
	found := false
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case !in && strings.HasPrefix(trimmed, "```graphql"):
			in, found = true, true
		case in && strings.HasPrefix(trimmed, "```"):
			in = false
		case in:
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if !found {
		return "", errors.New("eccubetest: no ```graphql block in the schema page")
	}
	return b.String(), nil
}

// LoadSchema builds the schema from the Markdown page md.
func LoadSchema(md []byte) (*Schema, error) {
	sdl, err := ExtractSDL(md)
	if err != nil {
		return nil, err
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "eccube4/schema.md", Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("eccubetest: schema: %w", err)
	}
	if s.Query == nil || s.Mutation == nil {
		return nil, errors.New("eccubetest: schema: no Query or Mutation type")
	}
	return &Schema{ast: s}, nil
}

// LoadSchemaFile reads the Markdown page at path.
func LoadSchemaFile(path string) (*Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return LoadSchema(b)
}

// Validate parses and validates a GraphQL document against the schema, as the plugin's
// webonyx/graphql-php does before executing it.
func (s *Schema) Validate(query string) error {
	_, errs := gqlparser.LoadQueryWithRules(s.ast, query, rules.NewDefaultRules())
	if len(errs) > 0 {
		return fmt.Errorf("eccubetest: invalid document: %w", errs)
	}
	return nil
}

// FindSchema returns the schema page's path: $TOBIRA_ECCUBE_SCHEMA if set, else SchemaFile
// below the nearest directory above the working directory that holds shared/.
func FindSchema() (string, error) { return specs.Find(schema.Env, schema.Name) }

var schema = specs.Once[*Schema]{What: "EC-CUBE schema", Env: SchemaEnv, Name: "eccube4/schema.md",
	Load: LoadSchemaFile}

// TestSchema loads the schema once per test binary (FindSchema). When it is missing, the test is
// skipped with the reason, or fails if the CI environment variable is set: CI must never pass
// by skipping the fake.
func TestSchema(tb testing.TB) *Schema {
	tb.Helper()
	return schema.Get(tb)
}

// NewTest starts a fake for a test with the schema from TestSchema and closes it at the end.
func NewTest(tb testing.TB, opts Options) *Server {
	tb.Helper()
	opts.Schema = TestSchema(tb)
	s, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}
