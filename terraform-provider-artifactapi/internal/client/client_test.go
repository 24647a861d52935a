package client

import (
	"encoding/json"
	"testing"
)

// A type's settings travel beside the remote's other fields, as the API
// has them.
func TestRemoteSettingsBesideFields(t *testing.T) {
	in := `{"name":"hub","package_type":"docker","base_url":"https://r","immutable_ttl":0,"mutable_ttl":60,"negative_ttl":60,` +
		`"patterns":[],"blocklist":[],"mutable_patterns":[],"immutable_patterns":[],"auth":"none","ban_tags_enabled":true,"ban_tags":["latest"]}`
	var r Remote
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Name != "hub" || string(r.Settings["ban_tags_enabled"]) != "true" || string(r.Settings["ban_tags"]) != `["latest"]` || len(r.Settings) != 2 {
		t.Fatalf("read %+v", r)
	}
	b, _ := json.Marshal(r)
	var out map[string]any
	json.Unmarshal(b, &out)
	if out["ban_tags_enabled"] != true || out["name"] != "hub" || out["mutable_ttl"] != float64(60) {
		t.Fatalf("sent %s", b)
	}
	r.Settings = map[string]json.RawMessage{"name": json.RawMessage(`"other"`)}
	b, _ = json.Marshal(r)
	json.Unmarshal(b, &out)
	if out["name"] != "hub" {
		t.Fatalf("a setting replaced a field: %s", b)
	}
}
