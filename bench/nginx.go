package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// nginxServer is an nginx run from its own prefix folder: the origin that
// serves the corpus, or proxy_cache in front of it, the reference for a
// caching HTTP proxy on one machine.
type nginxServer struct {
	cmd    *exec.Cmd
	addr   string
	prefix string
}

const nginxCommon = `worker_processes %d;
user root;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 8192; }
http {
	client_body_temp_path %[2]s/body; proxy_temp_path %[2]s/proxy; fastcgi_temp_path %[2]s/fcgi;
	uwsgi_temp_path %[2]s/uwsgi; scgi_temp_path %[2]s/scgi;
	sendfile on; tcp_nodelay on; keepalive_requests 1000000; keepalive_timeout 120s;
	default_type application/octet-stream;
	%s
}
`

// originConf serves files, logging every request so the herd test can
// count what reached the origin.
func originConf(files string, port int) string {
	return fmt.Sprintf(`access_log %%[2]s/access.log;
	server {
		listen 127.0.0.1:%d; root %s;
		types { text/html html; application/json json; application/gzip tgz; }
		# npm asks for /{name}: documents are files named {name}.json.
		location /npmc/ { default_type application/json; try_files $uri $uri.json =404; }
	}`, port, files)
}

// cacheConf is nginx proxy_cache with the lock a herd needs, the way a
// careful operator sets it up: keepalive to the origin, one fill per key.
func cacheConf(origin string, port int) string {
	return fmt.Sprintf(`access_log off;
	proxy_cache_path %%[2]s/cache levels=1:2 keys_zone=c:128m max_size=20g inactive=1d use_temp_path=off;
	upstream origin { server %s; keepalive 128; }
	server {
		listen 127.0.0.1:%d;
		location / {
			proxy_pass http://origin;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_cache c;
			proxy_cache_valid 200 1d;
			proxy_cache_lock on;
			proxy_cache_lock_timeout 120s;
			proxy_cache_lock_age 120s;
			add_header X-Cache $upstream_cache_status;
		}
	}`, origin, port)
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startNginx runs nginx with server (a config body made by originConf or
// cacheConf, with %[2]s standing for its prefix) and waits for its port.
func startNginx(work, name string, workers int, server func(port int) string) *nginxServer {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	prefix := filepath.Join(work, name)
	check(os.MkdirAll(prefix, 0o755))
	port := freePort()
	body := server(port)
	conf := fmt.Sprintf(nginxCommon, workers, prefix, strings.ReplaceAll(body, "%[2]s", prefix))
	check(os.WriteFile(filepath.Join(prefix, "nginx.conf"), []byte(conf), 0o644))
	cmd := exec.Command(bin, "-p", prefix, "-c", filepath.Join(prefix, "nginx.conf"), "-g", "daemon off;")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// Its own process group, so stopping it stops its workers too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	check(cmd.Start())
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i > 250 {
			panic(fmt.Sprintf("nginx %s did not start: %s", name, stderr.String()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &nginxServer{cmd: cmd, addr: addr, prefix: prefix}
}

func (n *nginxServer) stop() {
	syscall.Kill(-n.cmd.Process.Pid, syscall.SIGTERM)
	n.cmd.Wait()
}

// requests counts the origin's logged requests for a path.
func (n *nginxServer) requests(path string) int {
	b, _ := os.ReadFile(filepath.Join(n.prefix, "access.log"))
	return bytes.Count(b, []byte("GET "+path+" "))
}
