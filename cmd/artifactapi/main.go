// Command artifactapi is the caching proxy: `artifactapi` (or `serve`)
// runs it, `tui` is the terminal UI for a running server, `version`
// prints the version.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/artifactapi/artifactapi/internal/config"
	"github.com/artifactapi/artifactapi/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	cmd := "serve"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "serve":
		if err := serve(); err != nil {
			fmt.Fprintln(os.Stderr, "artifactapi:", err)
			os.Exit(1)
		}
	case "warm":
		if err := runWarm(os.Args[2:]); err != nil {
			if !errors.Is(err, errFailed) {
				fmt.Fprintln(os.Stderr, "artifactapi warm:", err)
			}
			os.Exit(1)
		}
	case "tui":
		if err := runTUI(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "artifactapi tui:", err)
			os.Exit(1)
		}
	case "version", "--version":
		fmt.Println("artifactapi", version)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "artifactapi: unknown command %q\n", cmd)
		usage()
		os.Exit(2)
	}
}

func usage() {
	fmt.Println("usage: artifactapi [serve|version]\n       artifactapi tui [--endpoint http://localhost:8000] [--token T]\n       artifactapi warm [--endpoint URL] [--token T] --remote NAME FILE\n\nenvironment:")
	for _, v := range config.Vars {
		fmt.Printf("  %-22s %-40s %s\n", v[0], v[1], v[2])
	}
}

func serve() error {
	cfg, err := config.Load(config.Env)
	if err != nil {
		return err
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var log *slog.Logger
	if cfg.LogFormat == "json" {
		log = slog.New(slog.NewJSONHandler(os.Stderr, opts))
	} else {
		log = slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Everything the server writes (database, tokens, keys, blobs, spools)
	// is for its own user only.
	syscall.Umask(0o077)
	app, err := server.Open(ctx, cfg, log, version)
	if err != nil {
		return err
	}
	defer app.Close()
	if cfg.PprofAddr != "" {
		if err := servePprof(ctx, cfg.PprofAddr, log); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR=%s: %w", cfg.ListenAddr, err)
	}
	srv := server.NewHTTPServer(cfg.ListenAddr, app.Server.Handler())
	srv.RegisterOnShutdown(app.EndStreams)
	log.Info("listening", "addr", ln.Addr().String(), "version", version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
