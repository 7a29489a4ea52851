package host

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// ParseOSRelease parses os-release(5) text into its variables, with shell
// quoting removed. Comments and malformed lines are skipped.
func ParseOSRelease(data []byte) map[string]string {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || key == "" {
			continue
		}
		vars[key] = unquoteShell(val)
	}
	return vars
}

func unquoteShell(v string) string {
	if len(v) >= 2 {
		switch {
		case v[0] == '"' && v[len(v)-1] == '"':
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
			return v[1 : len(v)-1]
		case v[0] == '\'' && v[len(v)-1] == '\'':
			return v[1 : len(v)-1]
		}
	}
	return v
}

// OSName is the name os-release gives the system: PRETTY_NAME, else NAME
// and VERSION, else ID.
func OSName(vars map[string]string) string {
	if v := vars["PRETTY_NAME"]; v != "" {
		return v
	}
	if n := vars["NAME"]; n != "" {
		return strings.TrimSpace(n + " " + vars["VERSION"])
	}
	return vars["ID"]
}
