// Package secrets keeps upstream credentials encrypted at rest: AES-256-GCM
// under a key from SECRETS_KEY, bound to the remote and field they belong
// to, with old keys kept for reading while a new one takes over.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// prefix marks a sealed value; anything else is a plain value stored
// before encryption existed (read as is, sealed on the next write).
const prefix = "enc:v1:"

type key struct {
	id   string // first bytes of the key's sha256, to pick the key for a value
	aead cipher.AEAD
}

// Keyring seals with its first key and opens with any of them.
type Keyring struct{ keys []key }

// Parse reads "KEY[,OLDKEY...]": each 32 bytes, in base64 or hex.
func Parse(spec string) (*Keyring, error) {
	k := &Keyring{}
	for _, s := range strings.Split(spec, ",") {
		s = strings.TrimSpace(s)
		raw, err := decodeKey(s)
		if err != nil {
			return nil, err
		}
		block, _ := aes.NewCipher(raw)
		aead, _ := cipher.NewGCM(block)
		sum := sha256.Sum256(raw)
		k.keys = append(k.keys, key{id: hex.EncodeToString(sum[:4]), aead: aead})
	}
	return k, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, dec := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if b, err := dec(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("want 32 random bytes in base64 or hex (openssl rand -base64 32), comma-separated when old keys are kept")
}

// Generate returns a new key in the form Parse reads.
func Generate() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// Seal encrypts plain for the place it belongs to (remote and field): a
// sealed value moved to another remote or field does not open.
func (k *Keyring) Seal(plain, place string) (string, error) {
	if plain == "" {
		return "", nil
	}
	cur := k.keys[0]
	nonce := make([]byte, cur.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := cur.aead.Seal(nonce, nonce, []byte(plain), []byte(place))
	return prefix + cur.id + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Open decrypts a sealed value; a plain (legacy) value comes back as is.
func (k *Keyring) Open(v, place string) (string, error) {
	rest, ok := strings.CutPrefix(v, prefix)
	if !ok {
		return v, nil
	}
	id, b64, _ := strings.Cut(rest, ":")
	for _, kk := range k.keys {
		if kk.id != id {
			continue
		}
		ct, err := base64.RawStdEncoding.DecodeString(b64)
		if err != nil || len(ct) < kk.aead.NonceSize() {
			return "", fmt.Errorf("sealed %s is malformed", place)
		}
		plain, err := kk.aead.Open(nil, ct[:kk.aead.NonceSize()], ct[kk.aead.NonceSize():], []byte(place))
		if err != nil {
			return "", fmt.Errorf("sealed %s does not open (tampered, or moved from another remote)", place)
		}
		return string(plain), nil
	}
	return "", fmt.Errorf("%s is sealed with key %s, which SECRETS_KEY does not hold (add the old key after the new one)", place, id)
}

// Current reports whether v needs no re-sealing: empty, or sealed with the
// first key.
func (k *Keyring) Current(v string) bool {
	return v == "" || strings.HasPrefix(v, prefix+k.keys[0].id+":")
}
