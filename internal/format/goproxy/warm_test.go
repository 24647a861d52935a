package goproxy

import (
	"strings"
	"testing"
)

func TestWarmGoSum(t *testing.T) {
	sum := "github.com/BurntSushi/toml v1.4.0 h1:x=\ngithub.com/BurntSushi/toml v1.4.0/go.mod h1:y=\n" +
		"golang.org/x/mod v0.20.0/go.mod h1:z=\n\n"
	items, err := (Type{}).Warm(nil, "go.sum", strings.NewReader(sum))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Name != "github.com/BurntSushi/toml@v1.4.0" ||
		strings.Join(items[0].Paths, " ") != "github.com/!burnt!sushi/toml/@v/v1.4.0.info github.com/!burnt!sushi/toml/@v/v1.4.0.mod github.com/!burnt!sushi/toml/@v/v1.4.0.zip" ||
		strings.Join(items[1].Paths, " ") != "golang.org/x/mod/@v/v0.20.0.mod" {
		t.Fatalf("%+v", items)
	}
	for _, bad := range []string{"", "not a go.sum line\n", "example.com/m v1.0.0 sha256:x\n", "Bad..Path v1.0.0 h1:x\n"} {
		if _, err := (Type{}).Warm(nil, "go.sum", strings.NewReader(bad)); err == nil {
			t.Errorf("%q warmed", bad)
		}
	}
}
