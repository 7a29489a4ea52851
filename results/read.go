package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"
)

// DefaultMaxBytes is the size limit when Options.MaxBytes is zero: far
// above any real run (a few MiB with every raw sample), far below what
// would hurt the host to hold in memory.
const DefaultMaxBytes = 64 << 20

// The rules a file can break; every error wraps one of them, so callers
// and tests can tell them apart with errors.Is.
var (
	ErrNotRegular  = errors.New("only regular files are read")
	ErrTooLarge    = errors.New("over the size limit")
	ErrOutside     = errors.New("results are read only from the allowed directories")
	ErrNotJSON     = errors.New("not JSON")
	ErrTrailing    = errors.New("a results file holds exactly one JSON document")
	ErrNotResults  = errors.New("not an agentic-eval results document")
	ErrUnsupported = errors.New("unsupported results schema")
)

// ruleError is a message that already states its rule in words of its own.
type ruleError struct {
	msg  string
	rule error
}

func (e ruleError) Error() string { return e.msg }
func (e ruleError) Unwrap() error { return e.rule }

// Options say what a reader accepts.
type Options struct {
	// Schemas are the accepted values of the document's top-level
	// "schema" field, newest first. At least one is required.
	Schemas []string
	// MaxBytes caps the file's size; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Dirs, when not empty, are the only directories a file is read from
	// (their subdirectories included), after resolving symlinks in both
	// the file's path and theirs.
	Dirs []string
	// Subject names what the file is in errors; "results file" when empty.
	Subject string
}

func (o Options) subject(path string) string {
	if o.Subject != "" {
		return o.Subject + " " + Shorten(path)
	}
	return "results file " + Shorten(path)
}

func (o Options) limit() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

// Shorten returns s for an error message: at most 80 characters (cut with
// "…"), quoted and escaped so that it stays on one line.
func Shorten(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}

// Read reads the results file at path into v under opts: Open, then Decode.
// Errors name the path and the rule, never the content.
func Read(path string, v any, opts Options) error {
	f, err := Open(path, opts)
	if err != nil {
		return err
	}
	defer f.Close()
	return decode(f, v, opts, opts.subject(path))
}

// Open opens path for reading if it may be read under opts: within
// opts.Dirs if given, a regular file, no larger than the limit. It never
// blocks, whatever path names.
func Open(path string, opts Options) (*os.File, error) {
	subject := opts.subject(path)
	open := path
	flags := os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC
	if len(opts.Dirs) > 0 {
		resolved, err := confine(path, opts.Dirs, subject)
		if err != nil {
			return nil, err
		}
		// The resolved path has no symlink left; one appearing now is a
		// race, and refused.
		open, flags = resolved, flags|syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(open, flags, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", subject, plainPathError(err))
	}
	fi, err := f.Stat() // fstat: the descriptor, not the name
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", subject, plainPathError(err))
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is %s: %w", subject, kind(fi.Mode()), ErrNotRegular)
	}
	if len(opts.Dirs) > 0 {
		if err := recheck(f, opts.Dirs, subject); err != nil {
			f.Close()
			return nil, err
		}
	}
	if limit := opts.limit(); fi.Size() > limit {
		f.Close()
		return nil, ruleError{fmt.Sprintf("%s is %s: the limit is %s", subject, size(fi.Size()), size(limit)), ErrTooLarge}
	}
	return f, nil
}

// Decode reads one results document from r into v under opts: at most the
// size limit, exactly one JSON value, only whitespace after it, and a
// schema among opts.Schemas. Errors never echo the content.
func Decode(r io.Reader, v any, opts Options) error {
	return decode(r, v, opts, "results document")
}

func decode(r io.Reader, v any, opts Options, subject string) error {
	if len(opts.Schemas) == 0 {
		return fmt.Errorf("%s: no schema is accepted (a reader must name the schemas it reads)", subject)
	}
	limit := opts.limit()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return fmt.Errorf("%s: read: %w", subject, plainPathError(err))
	}
	if int64(len(b)) > limit {
		return ruleError{fmt.Sprintf("%s is larger than the limit of %s", subject, size(limit)), ErrTooLarge}
	}
	if len(bytes.TrimLeft(b, " \t\r\n")) == 0 {
		return fmt.Errorf("%s is empty: %w", subject, ErrNotResults)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("%s: %w", subject, syntaxError(err))
	}
	if rest := b[dec.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) > 0 {
		return fmt.Errorf("%s has data after its JSON document at byte %d: %w", subject, dec.InputOffset()+1, ErrTrailing)
	}
	if err := checkSchema(raw, opts.Schemas); err != nil {
		return fmt.Errorf("%s: %w", subject, err)
	}
	// The document says it is ours: its own field names and types may be
	// named now, still without its values.
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", subject, fieldError(err))
	}
	upgrade(v)
	return nil
}

// upgrade migrates what documents written by older versions recorded
// differently (upgradeFailures), in a results document or in each of a
// fleet set's.
func upgrade(v any) {
	switch d := v.(type) {
	case *Results:
		upgradeFailures(d)
	case *FleetSet:
		for _, n := range d.Nodes {
			if n.Results != nil {
				upgradeFailures(n.Results)
			}
		}
	}
}

// ourSchema matches the schema strings this project writes, the only
// foreign schema values an error may name.
var ourSchema = regexp.MustCompile(`^agentic-eval/(results|fleet)/v[0-9]{1,4}$`)

func checkSchema(raw json.RawMessage, schemas []string) error {
	supported := "supported: " + strings.Join(schemas, ", ")
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return fmt.Errorf("%w: not a JSON object (%s)", ErrNotResults, supported)
	}
	field, ok := top["schema"]
	if !ok {
		return fmt.Errorf("%w: no schema field (%s)", ErrNotResults, supported)
	}
	var schema string
	if err := json.Unmarshal(field, &schema); err != nil {
		return fmt.Errorf("%w: its schema is not a string (%s)", ErrNotResults, supported)
	}
	for _, s := range schemas {
		if schema == s {
			return nil
		}
	}
	if ourSchema.MatchString(schema) {
		return fmt.Errorf("%w %s: this tool reads %s", ErrUnsupported, schema, strings.Join(schemas, ", "))
	}
	return fmt.Errorf("%w: its schema is not one this tool knows (%s)", ErrNotResults, supported)
}

// syntaxError describes a JSON decoding failure by position only.
func syntaxError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%w: syntax error at byte %d", ErrNotJSON, se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the document is truncated", ErrNotJSON)
	}
	return fmt.Errorf("%w: the document does not parse", ErrNotJSON)
}

// fieldError describes a failure to fill v by field and type, never by
// value: a type error's Value may hold the number found.
func fieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("field %s is not a %s", Shorten(field), te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return syntaxError(err)
	}
	// A field's own decoder (a time, a system name) may quote the value:
	// keep one line, and short.
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if utf8.RuneCountInString(msg) > 160 {
		msg = string([]rune(msg)[:160]) + "…"
	}
	return fmt.Errorf("a field does not decode: %s", msg)
}

// confine resolves path and each dir and requires path to lie within one
// of them; it returns the resolved path.
func confine(path string, dirs []string, subject string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", subject, err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("%s: %w", subject, plainPathError(err))
	}
	roots, err := resolveDirs(dirs)
	if err != nil {
		return "", err
	}
	if !within(resolved, roots) {
		return "", fmt.Errorf("%s resolves outside %s: %w", subject, strings.Join(roots, ", "), ErrOutside)
	}
	return resolved, nil
}

// ResolveDirs resolves each allowed directory (absolute, symlinks
// followed) and checks it is a directory, so that a server can refuse a bad
// --results-dir at start.
func ResolveDirs(dirs []string) ([]string, error) { return resolveDirs(dirs) }

func resolveDirs(dirs []string) ([]string, error) {
	var roots []string
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("results directory %s: %w", Shorten(d), err)
		}
		r, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("results directory %s: %w", Shorten(d), plainPathError(err))
		}
		fi, err := os.Stat(r)
		if err != nil {
			return nil, fmt.Errorf("results directory %s: %w", Shorten(d), plainPathError(err))
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("results directory %s is not a directory", Shorten(d))
		}
		roots = append(roots, r)
	}
	return roots, nil
}

func within(path string, roots []string) bool {
	for _, r := range roots {
		rel, err := filepath.Rel(r, path)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}

// recheck asks the kernel where the opened descriptor really is, so a
// directory swapped for a symlink between resolving and opening is caught.
// Without /proc the check before opening stands alone.
func recheck(f *os.File, dirs []string, subject string) error {
	real, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil || !filepath.IsAbs(real) {
		return nil
	}
	roots, err := resolveDirs(dirs)
	if err != nil {
		return err
	}
	if !within(real, roots) {
		return fmt.Errorf("%s was opened outside %s: %w", subject, strings.Join(roots, ", "), ErrOutside)
	}
	return nil
}

// plainPathError drops the *fs.PathError's own copy of the path (the
// subject already names it, shortened) and keeps the cause.
func plainPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file"
}

func size(n int64) string {
	const mib = 1 << 20
	switch {
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= mib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	}
	return fmt.Sprintf("%d bytes", n)
}
