package egress

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
)

// Link-local and metadata addresses are classified here and never dialled.
func TestClassify(t *testing.T) {
	for s, want := range map[string]Class{
		"169.254.169.254": LinkLocal, "169.254.1.1": LinkLocal, "fe80::1": LinkLocal, "fd00:ec2::254": LinkLocal,
		"100.100.100.200": LinkLocal, "192.0.0.192": LinkLocal,
		"127.0.0.1": Loopback, "127.0.0.2": Loopback, "::1": Loopback, "::ffff:127.0.0.1": Loopback,
		"10.1.2.3": Private, "172.16.0.1": Private, "192.168.1.1": Private, "100.64.0.1": Private, "fd12::1": Private,
		"0.0.0.0": Reserved, "::": Reserved, "224.0.0.1": Reserved, "255.255.255.255": Reserved, "192.0.2.1": Public,
		"8.8.8.8": Public, "2a00:1450::1": Public, "::ffff:8.8.8.8": Public,
	} {
		if got := Classify(netip.MustParseAddr(s)); got != want {
			t.Errorf("Classify(%s) = %s, want %s", s, got, want)
		}
	}
	for rule, admits := range map[Rule][]Class{
		Foreign:        {Public},
		ForeignPrivate: {Public, Private, Loopback},
		Chosen:         {Public, Private, Loopback},
		Allowed:        {Public, Private, Loopback, LinkLocal},
	} {
		for _, s := range []string{"8.8.8.8", "10.0.0.1", "127.0.0.1", "169.254.169.254", "0.0.0.0"} {
			a := netip.MustParseAddr(s)
			want := false
			for _, c := range admits {
				want = want || c == Classify(a)
			}
			if got := rule.Check(a) == nil; got != want {
				t.Errorf("rule %d, %s: admitted %v, want %v", rule, s, got, want)
			}
		}
	}
}

// counting is a server on another loopback address, standing in for an
// internal host; it counts the connections that reach it.
func counting(t *testing.T) (*url.URL, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	var conns atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("internal")) }),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	u, _ := url.Parse("http://" + ln.Addr().String() + "/secret")
	return u, &conns
}

func TestTransportRefusesBeforeConnecting(t *testing.T) {
	target, conns := counting(t)
	get := func(tr *Transport, ctx context.Context, u string) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	strict := NewTransport(http.DefaultTransport.(*http.Transport), false)
	ctx := context.Background()
	if err := get(strict, ctx, target.String()); err == nil {
		t.Fatal("a loopback address the upstream chose was fetched")
	} else if _, ok := Refused(err); !ok {
		t.Fatalf("not a refusal: %v", err)
	}
	// A name is checked after resolution.
	byName := "http://localhost:" + target.Port() + "/secret"
	if err := get(strict, ctx, byName); err == nil {
		t.Fatal("a name resolving to loopback was fetched")
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("%d connections reached the internal host", n)
	}
	// The operator's own base URL, a host it allowed, or private
	// addresses allowed as a whole: reached.
	base, _ := url.Parse("http://" + target.Host + "/repo/")
	for name, c := range map[string]context.Context{
		"base":    WithPolicy(ctx, Policy{Base: base}),
		"allowed": WithPolicy(ctx, Policy{Allowed: []string{"127.0.0.2"}}),
		"port":    WithPolicy(ctx, Policy{Allowed: []string{target.Host}}),
	} {
		if err := get(strict, c, target.String()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := get(NewTransport(http.DefaultTransport.(*http.Transport), true), ctx, target.String()); err != nil {
		t.Errorf("UPSTREAM_ALLOW_PRIVATE: %v", err)
	}
	// Another port of an allowed host:port is not allowed.
	other := WithPolicy(ctx, Policy{Allowed: []string{"127.0.0.2:1"}})
	if err := get(strict, other, target.String()); err == nil {
		t.Error("an allowed host:port let another port through")
	}
}
