package admin

import (
	"runtime/debug"
	"strings"
)

// Version describes this build: the module version when built from a tagged module
// ("v1.2.3"), else "devel", plus the VCS revision and time when the build recorded them,
// and the Go version. It comes from the build info, so there is nothing to set with
// -ldflags and no mutable global.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, at, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	var extra []string
	if rev != "" {
		extra = append(extra, rev+modified)
	}
	if at != "" {
		extra = append(extra, at)
	}
	extra = append(extra, bi.GoVersion)
	return v + " (" + strings.Join(extra, ", ") + ")"
}
