package docker

import (
	"encoding/json"
	"regexp"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Settings are a docker remote's own settings.
type Settings struct {
	BanTagsEnabled bool     `json:"ban_tags_enabled"`
	BanTags        []string `json:"ban_tags"`
	banned         []*regexp.Regexp
}

// Fields implements format.Configurable.
func (Type) Fields() []format.Field {
	return []format.Field{
		{Name: "ban_tags_enabled", Kind: format.Bool, Description: "Refuse the tags in ban_tags."},
		{Name: "ban_tags", Kind: format.Strings, Description: "Tags to refuse: regular expressions matched against the whole tag (\"latest\" bans only latest)."},
	}
}

// Configure implements format.Configurable: every ban_tags entry must
// compile, enabled or not, so enabling it later cannot fail.
func (Type) Configure(raw map[string]json.RawMessage) (any, error) {
	s := &Settings{}
	if err := format.DecodeSettings(raw, s); err != nil {
		return nil, err
	}
	for _, src := range s.BanTags {
		re, err := regexp.Compile("^(?:" + src + ")$") // a tag is banned when the whole tag matches
		if err != nil {
			return nil, apierr.New(apierr.ErrInvalid, "ban_tags: pattern %q does not compile: %v", src, err)
		}
		s.banned = append(s.banned, re)
	}
	return s, nil
}

// Banned reports whether the remote's settings refuse tag.
func (s *Settings) Banned(tag string) bool {
	if s == nil || !s.BanTagsEnabled {
		return false
	}
	for _, re := range s.banned {
		if re.MatchString(tag) {
			return true
		}
	}
	return false
}
