package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/artifactapi/artifactapi/internal/tui"
	"github.com/artifactapi/artifactapi/internal/warm"
)

// errFailed: the job ran, and some items failed (exit status 1, the
// report already printed).
var errFailed = errors.New("some items failed")

// runWarm is `artifactapi warm --remote NAME FILE`: it sends the file,
// shows the job's progress and exits non-zero if anything failed.
func runWarm(args []string) error {
	fs := flag.NewFlagSet("warm", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "http://localhost:8000", "the server's base URL")
	token := fs.String("token", "", "API token (default: $ARTIFACTAPI_TOKEN, or DATA_DIR/admin-token for a local endpoint)")
	remote := fs.String("remote", "", "the remote to warm (required)")
	kind := fs.String("kind", "", `"paths" to read FILE as a list of paths whatever the remote's type`)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: artifactapi warm [--endpoint URL] [--token T] --remote NAME [--kind paths] FILE\n\nFILE: package-lock.json, npm-shrinkwrap.json, requirements.txt, go.sum, Chart.lock, a list of image references, or a list of paths (- reads stdin).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *remote == "" || fs.NArg() != 1 {
		fs.Usage()
		return errors.New("give --remote and one FILE")
	}
	tok, err := endpointToken(*endpoint, *token)
	if err != nil {
		return err
	}
	name := fs.Arg(0)
	var in io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	} else {
		name = "paths.txt"
	}
	ctx := context.Background()
	c := &warm.Client{Endpoint: *endpoint, Token: tok}
	start := time.Now()
	rep, err := c.Start(ctx, *remote, name, *kind, in)
	if err != nil {
		return err
	}
	p := &progressLine{out: os.Stderr, tty: isTerminal(os.Stderr)}
	for rep.State == "running" {
		p.show(rep)
		time.Sleep(200 * time.Millisecond)
		if rep, err = c.Get(ctx, rep.ID); err != nil {
			return err
		}
	}
	p.show(rep)
	p.done()
	var bytes int64
	for _, it := range rep.Items {
		bytes += it.Bytes
		if it.Status == warm.Failed {
			fmt.Fprintf(os.Stderr, "failed  %s: %s\n", it.Name, it.Error)
		}
	}
	fmt.Fprintf(os.Stderr, "%s on %s: %d items: %d cached, %d already there, %d failed (%s) in %s\n",
		rep.File, rep.Remote, rep.Total, rep.Cached, rep.Present, rep.Failed, tui.Bytes(bytes), time.Since(start).Round(time.Millisecond))
	if rep.State != "done" {
		return fmt.Errorf("the job was %s (the server stopped)", rep.State)
	}
	if rep.Failed > 0 {
		return errFailed
	}
	return nil
}

// progressLine draws the job's progress: a bar redrawn in place on a
// terminal, a line every few seconds otherwise (CI logs).
type progressLine struct {
	out  io.Writer
	tty  bool
	last time.Time
}

func (p *progressLine) show(rep warm.Report) {
	const width = 30
	filled := 0
	if rep.Total > 0 {
		filled = width * rep.Done / rep.Total
	}
	line := fmt.Sprintf("warming %s [%s%s] %d/%d  cached %d · present %d · failed %d",
		rep.File, strings.Repeat("█", filled), strings.Repeat("░", width-filled), rep.Done, rep.Total, rep.Cached, rep.Present, rep.Failed)
	if p.tty {
		fmt.Fprintf(p.out, "\r\x1b[2K%s", line)
		return
	}
	if time.Since(p.last) >= 2*time.Second || rep.State != "running" {
		fmt.Fprintln(p.out, line)
		p.last = time.Now()
	}
}

func (p *progressLine) done() {
	if p.tty {
		fmt.Fprintln(p.out)
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
