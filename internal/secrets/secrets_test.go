package secrets

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/sqlite"
)

func TestSealOpenRotate(t *testing.T) {
	oldKey, _ := Generate()
	newKey, _ := Generate()
	k, err := Parse(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal("hunter2", "r/password")
	if err != nil || strings.Contains(sealed, "hunter2") || !strings.HasPrefix(sealed, prefix) {
		t.Fatalf("sealed %q %v", sealed, err)
	}
	if got, err := k.Open(sealed, "r/password"); err != nil || got != "hunter2" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := k.Open(sealed, "other/password"); err == nil {
		t.Fatal("a value sealed for one remote opened for another")
	}
	if got, _ := k.Open("plain-from-before", "r/password"); got != "plain-from-before" {
		t.Fatal("a plain value of the previous version")
	}
	rotated, _ := Parse(newKey + "," + oldKey)
	if got, err := rotated.Open(sealed, "r/password"); err != nil || got != "hunter2" || rotated.Current(sealed) {
		t.Fatalf("old key after rotation: %q %v", got, err)
	}
	onlyNew, _ := Parse(newKey)
	if _, err := onlyNew.Open(sealed, "r/password"); err == nil || !strings.Contains(err.Error(), "SECRETS_KEY") {
		t.Fatalf("a value under a dropped key: %v", err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("zz", 32), newKey + ",nope"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// Credentials are sealed in the database, read back plain, and a stored
// remote of the previous version (plain) or under an old key is resealed.
func TestStoreSealsAtRest(t *testing.T) {
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	oldKey, _ := Generate()
	old, _ := Parse(oldKey)
	raw.CreateRemote(ctx, meta.Remote{Name: "legacy", PackageType: "generic", BaseURL: "http://x", Password: "plain-pass", Username: "u"})
	s := &Store{Store: raw, Keys: old}
	if err := s.CreateRemote(ctx, meta.Remote{Name: "r", PackageType: "generic", BaseURL: "http://x", Token: "tok-123"}); err != nil {
		t.Fatal(err)
	}
	stored, _ := raw.GetRemote(ctx, "r")
	if strings.Contains(stored.Token, "tok-123") || stored.Token == "" {
		t.Fatalf("token stored as %q", stored.Token)
	}
	if got, _ := s.GetRemote(ctx, "r"); got.Token != "tok-123" {
		t.Fatalf("read back %q", got.Token)
	}
	newKey, _ := Generate()
	rotated, _ := Parse(newKey + "," + oldKey)
	s.Keys = rotated
	if n, err := s.Reseal(ctx); err != nil || n != 2 {
		t.Fatalf("reseal: %d %v", n, err)
	}
	onlyNew, _ := Parse(newKey)
	s.Keys = onlyNew
	rs, err := s.ListRemotes(ctx)
	if err != nil || len(rs) != 2 || rs[0].Password != "plain-pass" || rs[0].Username != "u" || rs[1].Token != "tok-123" {
		t.Fatalf("after rotation: %+v %v", rs, err)
	}
	if legacy, _ := raw.GetRemote(ctx, "legacy"); strings.Contains(legacy.Password, "plain-pass") {
		t.Fatal("the previous version's plain password was not sealed")
	}
}
