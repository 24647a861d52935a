package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// service is a backend this program runs itself, so it can stop and
// start it for real.
type service struct {
	name string
	addr string
	args []string // the command line
	uid  *syscall.Credential
	cmd  *exec.Cmd
	logf *os.File
}

func (s *service) start() error {
	s.cmd = exec.Command(s.args[0], s.args[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = s.logf, s.logf
	if s.uid != nil {
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.uid}
	}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	for i := 0; i < 300; i++ {
		if c, err := net.Dial("tcp", s.addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not start (log: %s)", s.name, s.logf.Name())
}

// stop ends the service as an outage would: at once.
func (s *service) stop() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
}

func newService(dir, name, addr string, args ...string) (*service, error) {
	f, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	return &service{name: name, addr: addr, args: args, logf: f}, nil
}

// services are a PostgreSQL, a Redis and an S3 server of this run's own.
type services struct {
	pg, redis, s3 *service
	env           []string
}

func startServices(dir, root string) (*services, error) {
	s := &services{}
	// PostgreSQL refuses to run as root: its own cluster, owned by postgres.
	initdb, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(initdb) == 0 {
		return nil, fmt.Errorf("PostgreSQL server binaries not found under /usr/lib/postgresql")
	}
	bindir := filepath.Dir(initdb[len(initdb)-1])
	pgdir := filepath.Join(dir, "pg")
	os.MkdirAll(pgdir, 0o700)
	cred, err := postgresUser()
	if err != nil {
		return nil, err
	}
	os.Chown(pgdir, int(cred.Uid), int(cred.Gid))
	os.Chown(dir, int(cred.Uid), int(cred.Gid))
	init := exec.Command(filepath.Join(bindir, "initdb"), "-D", pgdir, "-A", "trust", "-U", "postgres")
	init.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := init.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	pgAddr := freeAddr()
	_, pgPort, _ := net.SplitHostPort(pgAddr)
	if s.pg, err = newService(dir, "postgres", pgAddr, filepath.Join(bindir, "postgres"), "-D", pgdir, "-p", pgPort, "-k", pgdir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"); err != nil {
		return nil, err
	}
	s.pg.uid = cred
	redisAddr := freeAddr()
	_, redisPort, _ := net.SplitHostPort(redisAddr)
	if s.redis, err = newService(dir, "redis", redisAddr, "redis-server", "--port", redisPort, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"); err != nil {
		return nil, err
	}
	s3Addr := freeAddr()
	s3dir := filepath.Join(dir, "s3")
	os.MkdirAll(s3dir, 0o755)
	// Keep-alive as production S3 does: a restart then also breaks the
	// proxy's pooled connections.
	if s.s3, err = newService(dir, "versitygw", s3Addr, filepath.Join(root, "bin", "versitygw"), "--port", s3Addr, "--keep-alive", "--quiet", "posix", s3dir); err != nil {
		return nil, err
	}
	os.Setenv("ROOT_ACCESS_KEY", "faultskey")
	os.Setenv("ROOT_SECRET_KEY", "faultssecret12345")
	for _, svc := range []*service{s.pg, s.redis, s.s3} {
		if err := svc.start(); err != nil {
			s.stop()
			return nil, err
		}
	}
	s.env = []string{"DB_DRIVER=postgres", "DATABASE_URL=postgres://postgres@" + pgAddr + "/postgres?sslmode=disable",
		"STATE_DRIVER=redis", "REDIS_URL=redis://" + redisAddr + "/0",
		"STORAGE_DRIVER=s3", "MINIO_ENDPOINT=" + s3Addr, "MINIO_ACCESS_KEY=faultskey", "MINIO_SECRET_KEY=faultssecret12345",
		"MINIO_BUCKET=faults", "SECRETS_KEY=ZmF1bHRzLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDEyMzQ="}
	return s, nil
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("no postgres user to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *services) stop() {
	for _, svc := range []*service{s.pg, s.redis, s.s3} {
		if svc != nil && svc.cmd != nil && svc.cmd.Process != nil {
			svc.stop()
		}
	}
}
