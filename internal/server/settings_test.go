package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// Package-type settings sit in a remote's JSON beside the core fields; the
// type declares, validates (400 naming the field) and compiles them.
func TestTypeSettingsDeclaredValidatedAndReturned(t *testing.T) {
	h := newHarness(t, nil)
	docker := func(extra map[string]any) map[string]any {
		m := map[string]any{"name": "hub", "package_type": "docker", "base_url": "http://127.0.0.1:1"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for name, c := range map[string]struct {
		body  map[string]any
		field string
	}{
		"bad ban_tags pattern":    {docker(map[string]any{"ban_tags": []string{"("}}), "ban_tags"},
		"ban_tags of wrong shape": {docker(map[string]any{"ban_tags": "latest"}), "ban_tags"},
		"bool of wrong shape":     {docker(map[string]any{"ban_tags_enabled": "yes"}), "ban_tags_enabled"},
		"another type's setting": {map[string]any{"name": "n", "package_type": "npm", "base_url": "http://127.0.0.1:1",
			"ban_tags_enabled": true, "ban_tags": []string{"latest"}}, "ban_tags"},
		"no type declares it": {docker(map[string]any{"ban_tag": []string{"x"}}), "ban_tag"},
	} {
		var out map[string]string
		if code := h.api("POST", "/api/v2/remotes", c.body, &out); code != 400 || !strings.Contains(out["error"], c.field) {
			t.Errorf("%s: %d %v, want 400 naming %s", name, code, out, c.field)
		}
	}
	var list struct{ Remotes []any }
	h.api("GET", "/api/v2/remotes", nil, &list)
	if len(list.Remotes) != 0 {
		t.Fatalf("refused input stored: %v", list.Remotes)
	}

	// A client of the previous schema sends docker's fields, zero, for
	// every type (the Terraform provider did): accepted, not returned.
	var npm map[string]any
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "n", "package_type": "npm", "base_url": "http://127.0.0.1:1",
		"ban_tags_enabled": false, "ban_tags": nil}, &npm); code != 201 {
		t.Fatalf("zero settings of another type: %d %v", code, npm)
	}
	if _, ok := npm["ban_tags"]; ok {
		t.Errorf("an npm remote shows docker's setting: %v", npm)
	}

	// Declared settings come back where they were, at their zero value
	// when unset.
	var hub map[string]any
	if code := h.api("POST", "/api/v2/remotes", docker(nil), &hub); code != 201 {
		t.Fatalf("docker remote: %d %v", code, hub)
	}
	if hub["ban_tags_enabled"] != false || hub["ban_tags"] == nil || len(hub["ban_tags"].([]any)) != 0 {
		t.Errorf("unset settings: %v", hub)
	}
	if code := h.api("PUT", "/api/v2/remotes/hub", docker(map[string]any{"ban_tags_enabled": true, "ban_tags": []string{"latest", "dev-.*"}}), &hub); code != 200 {
		t.Fatalf("replace: %d %v", code, hub)
	}
	if hub["ban_tags_enabled"] != true || len(hub["ban_tags"].([]any)) != 2 {
		t.Errorf("replaced settings: %v", hub)
	}
}

// A remote stored before settings were per type carried docker's fields
// whatever its type (the API took them): it is still served, and its
// docker remotes keep their bans.
func TestStoredRemoteFromThePreviousSchemaMigrates(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("bytes")) })
	h := newHarness(t, nil)
	ctx := context.Background()
	old := `{"name":"files","package_type":"generic","base_url":"` + up.URL + `","immutable_ttl":0,"mutable_ttl":3600,"negative_ttl":60,` +
		`"patterns":null,"blocklist":null,"mutable_patterns":null,"immutable_patterns":null,"ban_tags_enabled":true,"ban_tags":["latest"]}`
	var r meta.Remote
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Meta.CreateRemote(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Server.reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if resp, body, _ := h.get("/api/v1/remote/files/a.bin"); resp.StatusCode != 200 || len(body) == 0 {
		t.Fatalf("migrated generic remote: %d", resp.StatusCode)
	}
	var view map[string]any
	h.api("GET", "/api/v2/remotes/files", nil, &view)
	if _, ok := view["ban_tags"]; ok || view["name"] != "files" {
		t.Errorf("migrated view: %v", view)
	}
}
