package npm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/jsonstream"
)

// Merge implements format.Merger: every version any member has, the first
// member's copy winning; dist-tags and times first member first (so they
// are deterministic by member order); each tarball linked to the member
// that owns its version. Versions are copied one at a time as members'
// documents stream past, so memory does not grow with them.
func (Type) Merge(w io.Writer, p string, members []format.MergeInput) (string, error) {
	name, _, _ := split(p)
	bw := bufio.NewWriterSize(w, 64<<10)
	nameJSON, _ := json.Marshal(name)
	fmt.Fprintf(bw, `{"name":%s,"versions":{`, nameJSON)
	seen := map[string]bool{}
	tags, times := map[string]string{}, map[string]string{}
	modified := ""
	for _, m := range members {
		if err := mergeMember(bw, m, seen, tags, times, &modified); err != nil {
			return "", fmt.Errorf("member %s: %w", m.Name, err)
		}
	}
	bw.WriteString(`},"dist-tags":`)
	writeSorted(bw, tags)
	if len(times) > 0 {
		bw.WriteString(`,"time":`)
		writeSorted(bw, times)
	}
	if modified != "" {
		fmt.Fprintf(bw, `,"modified":%q`, modified)
	}
	bw.WriteString("}")
	ct := "application/json"
	if strings.HasSuffix(p, abbreviated) {
		ct = AbbreviatedType
	}
	return ct, bw.Flush()
}

func mergeMember(bw *bufio.Writer, m format.MergeInput, seen map[string]bool, tags, times map[string]string, modified *string) error {
	rc, err := m.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(rc, 64<<10))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("not a package document")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch key, _ := t.(string); key {
		case "versions":
			if err := mergeVersions(bw, dec, m.Root, seen); err != nil {
				return err
			}
		case "dist-tags", "time":
			var kv map[string]json.RawMessage
			if err := dec.Decode(&kv); err != nil {
				return err
			}
			dst := map[string]map[string]string{"dist-tags": tags, "time": times}[key]
			for k, raw := range kv {
				var v string
				if json.Unmarshal(raw, &v) == nil {
					if _, ok := dst[k]; !ok {
						dst[k] = v
					}
				}
			}
		case "modified":
			var v string
			if err := dec.Decode(&v); err != nil {
				return err
			}
			*modified = max(*modified, v)
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeVersions copies the versions not yet seen, one at a time, linking
// their tarballs to the member's root.
func mergeVersions(bw *bufio.Writer, dec *json.Decoder, root string, seen map[string]bool) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("versions is not an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		version, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if seen[version] {
			continue
		}
		if len(seen) > 0 {
			bw.WriteByte(',')
		}
		seen[version] = true
		key, _ := json.Marshal(version)
		bw.Write(key)
		bw.WriteByte(':')
		err = jsonstream.Walk(bytes.NewReader(raw), bw, func(container, key, v string) string {
			if container == "dist" && key == "tarball" && !strings.Contains(v, "://") {
				return root + v
			}
			return v
		}, nil)
		if err != nil {
			return err
		}
	}
	_, err := dec.Token() // the closing brace
	return err
}

func writeSorted(bw *bufio.Writer, m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	bw.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			bw.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(m[k])
		bw.Write(kj)
		bw.WriteByte(':')
		bw.Write(vj)
	}
	bw.WriteByte('}')
}
