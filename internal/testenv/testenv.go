// Package testenv hands tests fresh, isolated pieces of the shared backends
// (a PostgreSQL schema, a Redis key space, an S3 bucket) named by the
// ARTIFACTAPI_TEST_* variables. A test skips when its variable is unset and
// fails when it is set but the service does not answer: CI sets them all, so
// a missing service is a failure there, never a silent skip.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Variables that name the test services.
const (
	PostgresVar = "ARTIFACTAPI_TEST_POSTGRES" // postgres://user@host:port/db
	RedisVar    = "ARTIFACTAPI_TEST_REDIS"    // redis://host:port/db
	S3Var       = "ARTIFACTAPI_TEST_S3"       // http://access:secret@host:port
)

// Unique returns a short random name for a schema, bucket or key prefix.
func Unique(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func need(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set", name)
	}
	return v
}

// Postgres returns a DSN whose search_path is a new, empty schema, dropped
// when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	base := need(t, PostgresVar)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresVar, err)
	}
	defer conn.Close(ctx)
	schema := Unique("t_")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Redis returns the Redis URL; tests keep apart by key prefixes.
func Redis(t testing.TB) string {
	t.Helper()
	return need(t, RedisVar)
}

// S3Server is an S3 endpoint and its credentials.
type S3Server struct {
	Endpoint, AccessKey, SecretKey string
	Secure                         bool
}

// S3 returns the S3 server; callers create their own bucket (Unique).
func S3(t testing.TB) S3Server {
	t.Helper()
	u, err := url.Parse(need(t, S3Var))
	if err != nil || u.User == nil {
		t.Fatalf("%s must look like http://access:secret@host:port: %v", S3Var, err)
	}
	secret, _ := u.User.Password()
	return S3Server{Endpoint: u.Host, AccessKey: u.User.Username(), SecretKey: secret, Secure: strings.EqualFold(u.Scheme, "https")}
}

// ScaleOut is the server environment for the shared backends: a fresh
// PostgreSQL schema, S3 bucket and Redis prefix. Servers started with the
// same map are replicas of one installation.
func ScaleOut(t testing.TB) map[string]string {
	t.Helper()
	s3 := S3(t)
	return map[string]string{
		"DB_DRIVER": "postgres", "DATABASE_URL": Postgres(t),
		"STORAGE_DRIVER": "s3", "MINIO_ENDPOINT": s3.Endpoint, "MINIO_ACCESS_KEY": s3.AccessKey,
		"MINIO_SECRET_KEY": s3.SecretKey, "MINIO_SECURE": strconv.FormatBool(s3.Secure), "MINIO_BUCKET": Unique("b-"),
		"STATE_DRIVER": "redis", "REDIS_URL": Redis(t), "REDIS_PREFIX": Unique("t") + ":",
		"ADMIN_TOKEN": "test-token-0123456789",
		"SECRETS_KEY": "dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=", // shared by the replicas of a test
	}
}

// Via returns env with the service at key (DATABASE_URL, REDIS_URL or
// MINIO_ENDPOINT) reached through a cuttable proxy.
func Via(t testing.TB, env map[string]string, key string) *Proxy {
	t.Helper()
	v := env[key]
	var host string
	if key == "MINIO_ENDPOINT" {
		host = v
	} else {
		u, err := url.Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		host = u.Host
	}
	p := NewProxy(t, host)
	env[key] = strings.Replace(v, host, p.Addr, 1)
	return p
}
