package server

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"testing"
)

// A repodata file that does not match the checksum repomd.xml publishes is
// refused and not stored; one that matches is served and cached forever.
func TestRpmRepodataVerifiedAgainstRepomd(t *testing.T) {
	primary := []byte("<metadata packages=\"0\"/>")
	sum := fmt.Sprintf("%x", sha256.Sum256(primary))
	good, bad := "repodata/"+sum+"-primary.xml.gz", "repodata/"+sum+"-other.xml.gz"
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/repodata/repomd.xml":
			fmt.Fprintf(w, `<repomd><data type="primary"><checksum type="sha256">%s</checksum><location href="%s"/><size>%d</size></data>`+
				`<data type="other"><checksum type="sha256">%s</checksum><location href="%s"/></data></repomd>`, sum, good, len(primary), sum, bad)
		case "/" + good:
			w.Write(primary)
		case "/" + bad:
			w.Write([]byte("tampered"))
		}
	})
	h := newHarness(t, nil)
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "el", "package_type": "rpm", "base_url": up.URL}, nil); code != 201 {
		t.Fatal(code)
	}
	h.get("/api/v1/remote/el/repodata/repomd.xml")
	if resp, body, _ := h.get("/api/v1/remote/el/" + good); resp.StatusCode != 200 || string(body) != string(primary) {
		t.Fatalf("matching repodata: %d %s", resp.StatusCode, body)
	}
	if resp, _, err := h.get("/api/v1/remote/el/" + bad); err == nil && resp.StatusCode == 200 {
		t.Fatal("repodata that fails its published checksum was served whole")
	}
	for _, o := range h.objects("el") {
		if o["path"] == bad {
			t.Fatal("refused repodata was stored")
		}
		if o["path"] == good && o["mutable"] != false {
			t.Fatal("checksum-named repodata must be immutable")
		}
	}
}
