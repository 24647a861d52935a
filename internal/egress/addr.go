// Package egress is the one way out to upstreams: every connection is
// checked against the address it was resolved to, so a host the upstream
// chose (a redirect, a file an index lists on another host, a token
// realm) cannot reach the proxy's own network, and DNS rebinding cannot
// slip past a check made before the dial.
package egress

import (
	"fmt"
	"net/netip"
)

// Class is what an address is, as far as egress cares.
type Class int

// Classes, from harmless to never.
const (
	Public Class = iota
	Private
	Loopback
	LinkLocal // includes the cloud metadata endpoints
	Reserved  // unspecified, multicast, broadcast, documentation: never an upstream
)

func (c Class) String() string {
	return [...]string{"public", "private", "loopback", "link-local or metadata", "reserved"}[c]
}

var (
	private = prefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7",
		"198.18.0.0/15") // benchmark networks sit inside data centres too
	// Metadata services outside the link-local ranges.
	metadata = prefixes("100.100.100.200/32", "192.0.0.192/32", "fd00:ec2::254/128")
	// Documentation ranges (192.0.2.0/24 …) are left public: they are not
	// anyone's internal network, and sandboxes route registries there.
	reserved = prefixes("0.0.0.0/8", "240.0.0.0/4", "::/128")
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func in(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Classify says what a is (IPv4-mapped IPv6 addresses as their IPv4).
func Classify(a netip.Addr) Class {
	a = a.Unmap()
	switch {
	case a.IsMulticast():
		return Reserved
	case in(metadata, a), a.IsLinkLocalUnicast():
		return LinkLocal
	case a.IsLoopback():
		return Loopback
	case in(reserved, a), a.IsUnspecified(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return Reserved
	case a.IsPrivate(), in(private, a):
		return Private
	}
	return Public
}

// Rule is what a connection may reach.
type Rule int

// Rules, from strict to open.
const (
	// Foreign: a host the upstream chose: public addresses only.
	Foreign Rule = iota
	// ForeignPrivate: as Foreign, but private and loopback addresses too
	// (UPSTREAM_ALLOW_PRIVATE, for test suites and all-internal networks).
	ForeignPrivate
	// Chosen: a host the operator named (a remote's base_url): anything
	// but link-local, metadata and reserved addresses.
	Chosen
	// Allowed: a host the operator allowed by name (allowed_hosts): any
	// address but reserved ones.
	Allowed
)

// RefusedError is a connection the rule did not allow.
type RefusedError struct {
	Addr  netip.Addr
	Class Class
	Rule  Rule
}

func (e *RefusedError) Error() string {
	hint := "list the host in the remote's allowed_hosts to allow it"
	if e.Rule == Foreign && (e.Class == Private || e.Class == Loopback) {
		hint += " (or set UPSTREAM_ALLOW_PRIVATE=true)"
	}
	return fmt.Sprintf("egress refused: %s is a %s address; %s", e.Addr, e.Class, hint)
}

// Check applies r to a.
func (r Rule) Check(a netip.Addr) error {
	c := Classify(a)
	ok := false
	switch r {
	case Foreign:
		ok = c == Public
	case ForeignPrivate:
		ok = c <= Loopback
	case Chosen:
		ok = c <= Loopback
	case Allowed:
		ok = c <= LinkLocal
	}
	if !ok {
		return &RefusedError{Addr: a.Unmap(), Class: c, Rule: r}
	}
	return nil
}
