module github.com/tobira-commerce/tobira

go 1.26.0

require (
	github.com/hashicorp/go-retryablehttp v0.7.8
	github.com/vektah/gqlparser/v2 v2.5.64
	golang.org/x/time v0.16.0
)

require (
	github.com/agnivade/levenshtein v1.2.2 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
)
