package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// scaleOutEnv points the proxy at the services named by the test
// variables (scripts/with-services.sh sets them): a new PostgreSQL schema,
// S3 bucket and Redis prefix. The returned func drops the schema.
func scaleOutEnv() ([]string, func()) {
	pg, rd, s3 := os.Getenv("ARTIFACTAPI_TEST_POSTGRES"), os.Getenv("ARTIFACTAPI_TEST_REDIS"), os.Getenv("ARTIFACTAPI_TEST_S3")
	if pg == "" || rd == "" || s3 == "" {
		panic("-scaleout needs ARTIFACTAPI_TEST_POSTGRES, _REDIS and _S3 (run through scripts/with-services.sh)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg)
	check(err)
	defer conn.Close(ctx)
	name := fmt.Sprintf("bench%d", time.Now().UnixNano())
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+name)
	check(err)
	pgURL, err := url.Parse(pg)
	check(err)
	q := pgURL.Query()
	q.Set("search_path", name)
	pgURL.RawQuery = q.Encode()
	s3URL, err := url.Parse(s3)
	check(err)
	secret, _ := s3URL.User.Password()
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{
		"SECRETS_KEY=" + base64.StdEncoding.EncodeToString(key),
		"DB_DRIVER=postgres", "DATABASE_URL=" + pgURL.String(),
		"STATE_DRIVER=redis", "REDIS_URL=" + rd, "REDIS_PREFIX=" + name + ":",
		"STORAGE_DRIVER=s3", "MINIO_ENDPOINT=" + s3URL.Host, "MINIO_ACCESS_KEY=" + s3URL.User.Username(),
		"MINIO_SECRET_KEY=" + secret, "MINIO_BUCKET=" + name, "MINIO_SECURE=" + fmt.Sprint(strings.EqualFold(s3URL.Scheme, "https")),
	}
	return env, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, pg); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+name+" CASCADE")
			c.Close(ctx)
		}
	}
}
