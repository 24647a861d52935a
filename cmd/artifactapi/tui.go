package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/artifactapi/artifactapi/internal/config"
	"github.com/artifactapi/artifactapi/internal/tui"
)

// runTUI is `artifactapi tui`: it needs only the endpoint and a token.
func runTUI(args []string) error {
	fs := flag.NewFlagSet("tui", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "http://localhost:8000", "the server's base URL")
	token := fs.String("token", "", "API token (default: $ARTIFACTAPI_TOKEN, or DATA_DIR/admin-token for a local endpoint)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tok, err := endpointToken(*endpoint, *token)
	if err != nil {
		return err
	}
	c := tui.NewClient(*endpoint, tok)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	check, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := c.Check(check); err != nil {
		return err
	}
	_, err = tea.NewProgram(tui.New(ctx, c), tea.WithAltScreen()).Run()
	return err
}

// endpointToken checks a command's --endpoint and finds its token.
func endpointToken(endpoint, flagValue string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--endpoint %q: want a URL like http://localhost:8000", endpoint)
	}
	return findToken(flagValue, u)
}

// findToken: the flag, then ARTIFACTAPI_TOKEN, then (for an endpoint on
// this machine) the token the server generated into its DATA_DIR.
func findToken(flagValue string, endpoint *url.URL) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if t := os.Getenv("ARTIFACTAPI_TOKEN"); t != "" {
		return t, nil
	}
	if !config.LoopbackHost(endpoint.Hostname()) {
		return "", errors.New("no token: give --token or set ARTIFACTAPI_TOKEN")
	}
	dir := os.Getenv("DATA_DIR")
	if dir == "" {
		dir = config.DefaultDataDir
	}
	b, err := os.ReadFile(filepath.Join(dir, "admin-token"))
	if err != nil {
		return "", fmt.Errorf("no token: give --token or set ARTIFACTAPI_TOKEN (%w)", err)
	}
	return strings.TrimSpace(string(b)), nil
}
