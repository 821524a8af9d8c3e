module github.com/tobira-commerce/tobira

go 1.24
