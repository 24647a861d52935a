// Package alpinetest builds Alpine packages and indexes for tests, laid
// out as abuild and apk index write them.
package alpinetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
)

// gzipTar is one gzip member holding a tar of files (without the tar
// end-of-archive blocks, as abuild cuts them so members concatenate).
func gzipTar(files map[string]string, order []string, cut bool) []byte {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, name := range order {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name]))})
		tw.Write([]byte(files[name]))
	}
	tw.Flush()
	raw := tb.Bytes()
	if !cut {
		tw.Close()
		raw = tb.Bytes()
	}
	var gb bytes.Buffer
	zw := gzip.NewWriter(&gb)
	zw.Write(raw)
	zw.Close()
	return gb.Bytes()
}

// Package is a built .apk and what its index entry says of it.
type Package struct {
	Name, Version string
	APK           []byte
	Control       []byte // the control gzip member
}

// File is the package's file name in a repository.
func (p Package) File() string { return p.Name + "-" + p.Version + ".apk" }

// Checksum is the index's C: field, Q1 + base64 sha1 of the control member.
func (p Package) Checksum() string {
	s := sha1.Sum(p.Control)
	return "Q1" + base64.StdEncoding.EncodeToString(s[:])
}

// Build makes a package: a signature member (when signed), the control
// member and the data member, concatenated.
func Build(name, version string, signed bool) Package {
	control := gzipTar(map[string]string{".PKGINFO": "pkgname = " + name + "\npkgver = " + version + "\narch = x86_64\n"}, []string{".PKGINFO"}, true)
	data := gzipTar(map[string]string{"usr/share/" + name + "/README": name + " " + version + "\n"}, []string{"usr/share/" + name + "/README"}, false)
	var apk []byte
	if signed {
		apk = append(apk, gzipTar(map[string]string{".SIGN.RSA.test.rsa.pub": "not a real signature"}, []string{".SIGN.RSA.test.rsa.pub"}, true)...)
	}
	apk = append(append(apk, control...), data...)
	return Package{Name: name, Version: version, APK: apk, Control: control}
}

// Index is an APKINDEX.tar.gz listing pkgs (S: and C: as apk writes them).
func Index(pkgs ...Package) []byte {
	var b strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&b, "C:%s\nP:%s\nV:%s\nA:x86_64\nS:%d\nI:%d\nT:test package\n\n", p.Checksum(), p.Name, p.Version, len(p.APK), len(p.APK)*2)
	}
	files := map[string]string{"DESCRIPTION": "test repository", "APKINDEX": b.String()}
	return gzipTar(files, []string{"DESCRIPTION", "APKINDEX"}, false)
}
