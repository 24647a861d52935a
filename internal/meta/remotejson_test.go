package meta

import (
	"encoding/json"
	"testing"
)

// A remote stored before settings were per type had ban_tags at the top
// level; it reads back with them as settings, and writes back the same.
func TestRemoteSettingsSitBesideCoreFields(t *testing.T) {
	old := `{"name":"hub","package_type":"docker","base_url":"https://r.example","immutable_ttl":0,"mutable_ttl":300,"negative_ttl":60,"patterns":null,"blocklist":null,"mutable_patterns":null,"immutable_patterns":null,"ban_tags_enabled":true,"ban_tags":["latest"],"created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z"}`
	var r Remote
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	if r.Name != "hub" || r.MutableTTL != 300 || string(r.Settings["ban_tags_enabled"]) != "true" || string(r.Settings["ban_tags"]) != `["latest"]` || len(r.Settings) != 2 {
		t.Fatalf("read %+v", r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back, want map[string]any
	json.Unmarshal(b, &back)
	json.Unmarshal([]byte(old), &want)
	for k := range want {
		if _, ok := back[k]; !ok {
			t.Errorf("%s lost when written back: %s", k, b)
		}
	}
	if back["ban_tags_enabled"] != true || back["name"] != "hub" {
		t.Fatalf("written back as %s", b)
	}
	// A setting may not shadow a core field.
	r.Settings = map[string]json.RawMessage{"name": json.RawMessage(`"evil"`)}
	b, _ = json.Marshal(r)
	var again Remote
	json.Unmarshal(b, &again)
	if again.Name != "hub" || again.Settings != nil {
		t.Fatalf("a setting named like a core field changed the remote: %s", b)
	}
	if !IsCoreField("base_url") || IsCoreField("ban_tags") || IsCoreField("Settings") {
		t.Fatal("IsCoreField")
	}
}
