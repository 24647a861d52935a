package format

// Caps is a type with its optional capabilities found once, when the type
// list is built: the fetch path reads these fields instead of asserting
// interfaces on every request. A nil field is a capability the type lacks.
type Caps struct {
	Type
	Verifier        Verifier
	Upstream        Upstream
	HeadRevalidator HeadRevalidator
	Rewriter        Rewriter
	Published       Published
	Chained         Chained
	Merger          Merger
	Negotiator      Negotiator
	Presenter       Presenter
	FrontEnd        FrontEnd
	Settings        Configurable
	Releases        Releases
	Warmer          Warmer
	Prefetcher      Prefetcher
}

// Resolve finds t's capabilities.
func Resolve(t Type) *Caps {
	c := &Caps{Type: t}
	c.Verifier, _ = t.(Verifier)
	c.Upstream, _ = t.(Upstream)
	c.HeadRevalidator, _ = t.(HeadRevalidator)
	c.Rewriter, _ = t.(Rewriter)
	c.Published, _ = t.(Published)
	c.Chained, _ = t.(Chained)
	c.Merger, _ = t.(Merger)
	c.Negotiator, _ = t.(Negotiator)
	c.Presenter, _ = t.(Presenter)
	c.FrontEnd, _ = t.(FrontEnd)
	c.Settings, _ = t.(Configurable)
	c.Releases, _ = t.(Releases)
	c.Warmer, _ = t.(Warmer)
	c.Prefetcher, _ = t.(Prefetcher)
	return c
}
