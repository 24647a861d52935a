package metatest

import (
	"strings"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// LegacyAccess is one row of the access_log table stores had before they
// summed traffic per second: each store's migration test writes these
// rows in its own dialect and checks them with CheckLegacyTraffic.
type LegacyAccess struct {
	At     time.Time
	Path   string
	Status int
	Cache  string
	Bytes  int64
}

// Before is the schema up to the migration containing stmt (which the
// migration test then applies to rows written in the older schema).
func Before(t *testing.T, migrations []string, stmt string) []string {
	for i, m := range migrations {
		if strings.Contains(m, stmt) {
			return migrations[:i]
		}
	}
	t.Fatalf("no migration has %q", stmt)
	return nil
}

// LegacyAccessRows is four requests of remote "r" over two seconds from at,
// one of them a 502.
func LegacyAccessRows(at time.Time) []LegacyAccess {
	return []LegacyAccess{
		{at, "0", 200, "HIT", 10},
		{at.Add(500 * time.Millisecond), "1", 200, "HIT", 10},
		{at.Add(999 * time.Millisecond), "2", 502, "MISS", 10},
		{at.Add(time.Second), "3", 200, "HIT", 10},
	}
}

// CheckLegacyTraffic checks that the rows of LegacyAccessRows(at) arrived
// in s summed per second.
func CheckLegacyTraffic(t *testing.T, s meta.Store, at time.Time) {
	t.Helper()
	pts, err := s.TrafficSeries(t.Context(), at, time.Second)
	if err != nil || len(pts) != 2 {
		t.Fatalf("%+v %v", pts, err)
	}
	if p := pts[0]; p.Requests != 3 || p.Bytes != 30 || p.Errors != 1 || p.Cache["HIT"] != 2 || p.Cache["MISS"] != 1 {
		t.Fatalf("first second %+v", p)
	}
	if p := pts[1]; !p.Start.Equal(at.Add(time.Second)) || p.Requests != 1 {
		t.Fatalf("second second %+v", p)
	}
}
