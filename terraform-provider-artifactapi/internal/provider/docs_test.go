package provider

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/ from the schemas")

// TestDocsUpToDate keeps docs/ (the registry's layout) generated from the
// schemas themselves, so they cannot drift: go test -run TestDocs -update-docs.
func TestDocsUpToDate(t *testing.T) {
	srv, _ := providerserver.NewProtocol6WithError(New("docs")())()
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{"index.md": providerDoc(resp.Provider)}
	for name, s := range resp.ResourceSchemas {
		docs["resources/"+strings.TrimPrefix(name, "artifactapi_")+".md"] = schemaDoc(name, "Resource", s)
	}
	for name, s := range resp.DataSourceSchemas {
		docs["data-sources/"+strings.TrimPrefix(name, "artifactapi_")+".md"] = schemaDoc(name, "Data Source", s)
	}
	for file, want := range docs {
		p := filepath.Join("../../docs", file)
		if *updateDocs {
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(want), 0o644)
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Errorf("%s is not up to date: go test ./internal/provider -run TestDocs -update-docs", p)
		}
	}
}

func providerDoc(s *tfprotov6.Schema) string {
	var b strings.Builder
	b.WriteString("# ArtifactAPI Provider\n\n" + s.Block.Description + "\n\n")
	b.WriteString("Source address `artifactapi/artifactapi`. One resource per package type manages remotes (`artifactapi_remote_{type}`: " +
		strings.Join(PackageTypes, ", ") + "); `artifactapi_virtual` manages virtual repositories.\n\n")
	b.WriteString("## Example Usage\n\n```hcl\n" + example("provider.tf") + "```\n\n")
	b.WriteString(attributes(s.Block.Attributes))
	return b.String()
}

func example(file string) string {
	b, _ := os.ReadFile(filepath.Join("../../examples", file))
	return string(b)
}

func schemaDoc(name, kind string, s *tfprotov6.Schema) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s (%s)\n\n%s\n\n", name, kind, s.Block.Description)
	if kind == "Resource" {
		if ex := exampleFor(name); ex != "" {
			b.WriteString("## Example Usage\n\n```hcl\n" + ex + "\n```\n\n")
		}
	}
	b.WriteString(attributes(s.Block.Attributes))
	if kind == "Resource" {
		b.WriteString("\n## Import\n\nBy name:\n\n```shell\ntofu import " + name + ".example NAME\n```\n")
	}
	return b.String()
}

// exampleFor takes the resource's block from the seed example.
func exampleFor(name string) string {
	src := example("main.tf")
	i := strings.Index(src, `resource "`+name+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(src[i:], "\n}")
	return src[i : i+j+2]
}

var typeNames = strings.NewReplacer("tftypes.List[tftypes.String]", "List of String", "tftypes.String", "String",
	"tftypes.Number", "Number", "tftypes.Bool", "Boolean")

func attributes(attrs []*tfprotov6.SchemaAttribute) string {
	slices.SortFunc(attrs, func(a, b *tfprotov6.SchemaAttribute) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	b.WriteString("## Schema\n\n")
	for _, group := range []struct {
		title string
		keep  func(*tfprotov6.SchemaAttribute) bool
	}{
		{"Required", func(a *tfprotov6.SchemaAttribute) bool { return a.Required }},
		{"Optional", func(a *tfprotov6.SchemaAttribute) bool { return a.Optional }},
		{"Read-Only", func(a *tfprotov6.SchemaAttribute) bool { return a.Computed && !a.Optional }},
	} {
		var lines []string
		for _, a := range attrs {
			if group.keep(a) {
				note := ""
				if a.Sensitive {
					note = " Sensitive."
				}
				lines = append(lines, fmt.Sprintf("- `%s` (%s) %s%s", a.Name, typeNames.Replace(a.Type.String()), a.Description, note))
			}
		}
		if len(lines) > 0 {
			b.WriteString("### " + group.title + "\n\n" + strings.Join(lines, "\n") + "\n\n")
		}
	}
	return b.String()
}
