package config

import (
	"os"
	"strings"
	"testing"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr != ":8000" || c.DataDir != "./data" || c.DBDriver != "sqlite" || c.StorageDriver != "fs" || c.StateDriver != "memory" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.Postgres.Port != "5432" || c.S3.Bucket != "artifacts" || c.AccessLogDays != 30 || c.RowCacheRows != 65536 {
		t.Fatalf("backend defaults: %+v", c)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	for name, val := range map[string]string{
		"DB_DRIVER": "mysql", "STORAGE_DRIVER": "gcs", "STATE_DRIVER": "etcd", "LISTEN_ADDR": "8000",
		"LOG_LEVEL": "loud", "LOG_FORMAT": "xml", "PUBLIC_URL": "ftp://x", "ADMIN_TOKEN": "short",
		"FILL_TIMEOUT": "-1s", "UPSTREAM_IDLE_TIMEOUT": "soon", "ACCESS_LOG_DAYS": "0", "MINIO_SECURE": "maybe", "UPSTREAM_ALLOW_PRIVATE": "sometimes", "MAX_FILLS": "0", "METRICS_PUBLIC": "yes please", "FILL_ABANDON_AFTER": "never", "SECRETS_KEY": "short", "CACHE_MAX_SIZE": "lots", "CACHE_MIN_FREE": "-1", "JANITOR_INTERVAL": "0s", "CLIENT_IDLE_TIMEOUT": "forever", "ROW_CACHE_ROWS": "100", "PPROF_ADDR": "6060",
	} {
		_, err := Load(env(map[string]string{name: val}))
		if err == nil || !strings.HasPrefix(err.Error(), name+"=") && !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s=%s: err = %v, want it to name the variable", name, val, err)
		}
	}
}

// The profiles have no authentication: only a loopback address is taken.
func TestPprofAddrIsLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:6060": true, "[::1]:6060": true, "localhost:6060": true, "127.0.0.2:0": true,
		":6060": false, "0.0.0.0:6060": false, "10.0.0.1:6060": false, "example.com:6060": false, "127.0.0.1": false,
	} {
		c, err := Load(env(map[string]string{"PPROF_ADDR": addr}))
		switch {
		case ok && (err != nil || c.PprofAddr != addr):
			t.Errorf("PPROF_ADDR=%s: refused (%v)", addr, err)
		case !ok && err == nil:
			t.Errorf("PPROF_ADDR=%s: taken, want it refused", addr)
		}
	}
	if c, _ := Load(env(nil)); c.PprofAddr != "" {
		t.Errorf("PPROF_ADDR defaults to %q, want off", c.PprofAddr)
	}
}

// The seed's table: DBUSER and DBNAME default to artifacts, DBPASS to
// empty, and an empty DBPASS is honoured rather than replaced.
func TestPostgresSeedDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"DB_DRIVER": "postgres", "ADMIN_TOKEN": "0123456789abcdef0123456789", "SECRETS_KEY": "dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY="}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Postgres.DSN(), "postgres://artifacts@localhost:5432/artifacts"; got != want {
		t.Errorf("default DSN = %q, want %q", got, want)
	}
	c, err = Load(env(map[string]string{"DB_DRIVER": "postgres", "ADMIN_TOKEN": "0123456789abcdef0123456789", "SECRETS_KEY": "dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=", "DBUSER": "u", "DBPASS": "p w", "DBNAME": "d"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Postgres.DSN(), "postgres://u:p%20w@localhost:5432/d"; got != want {
		t.Errorf("DSN = %q, want %q", got, want)
	}
}

// The README's table must name every variable the server reads.
func TestREADMEListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		if !strings.Contains(string(readme), "`"+v[0]+"`") {
			t.Errorf("README does not document %s", v[0])
		}
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1GB": 1 << 30, "512mb": 512 << 20, "10 GB": 10 << 30, "4096": 4096, "2KB": 2048} {
		if got, err := byteSize(in); err != nil || got != want {
			t.Errorf("byteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1GB", "GB", "1.5GB", "10XB"} {
		if _, err := byteSize(bad); err == nil {
			t.Errorf("byteSize(%q) accepted", bad)
		}
	}
}
