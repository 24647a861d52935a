package provider

import (
	"context"
	"fmt"
	"net/url"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// nameValidator checks a remote or virtual name as the server does.
type nameValidator struct{}

func (nameValidator) Description(context.Context) string {
	return "1-64 letters, digits, '-', '_' or '.', starting with a letter or digit"
}
func (v nameValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (v nameValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if s := req.ConfigValue.ValueString(); !nameRE.MatchString(s) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid name", fmt.Sprintf("%q: use %s", s, v.Description(ctx)))
	}
}

// urlValidator checks an absolute http(s) URL without credentials.
type urlValidator struct{}

func (urlValidator) Description(context.Context) string {
	return "an absolute http(s) URL without credentials, query or fragment"
}
func (v urlValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (v urlValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid base_url", fmt.Sprintf("%q: want %s", s, v.Description(ctx)))
	}
}

// regexListValidator checks that every element compiles (Go RE2 syntax,
// as the server uses).
type regexListValidator struct{}

func (regexListValidator) Description(context.Context) string {
	return "every element must be a valid regular expression (RE2 syntax)"
}
func (v regexListValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (v regexListValidator) ValidateList(ctx context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for i, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() || s.IsNull() {
			continue
		}
		if _, err := regexp.Compile(s.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(i), "Invalid regular expression", fmt.Sprintf("%q: %v", s.ValueString(), err))
		}
	}
}
