package results

import (
	"runtime"
	"runtime/debug"
)

// Version is the tool's version, recorded in every results document. Set it
// with -ldflags "-X github.com/agentic-eval/agentic-eval/results.Version=..."
// or let the module's build information supply it.
var Version = ""

// ToolInfo describes this build.
func ToolInfo() Tool {
	v := Version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok {
			if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += "+" + s.Value[:12]
				}
			}
		}
	}
	return Tool{Name: "agentic-eval", Version: v, GoVersion: runtime.Version()}
}
