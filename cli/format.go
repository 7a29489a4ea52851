package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// Format is an output format chosen with --format. It implements
// pflag.Value, so an unknown format is rejected while flags are parsed.
type Format string

// The output formats.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
)

// Formats lists the valid formats in the order help shows them.
func Formats() []Format { return []Format{FormatText, FormatJSON, FormatMarkdown} }

func formatNames() string {
	var names []string
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// ParseFormat accepts a format's name, case-insensitively.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: valid formats are %s", s, formatNames())
}

func (f *Format) String() string { return string(*f) }
func (f *Format) Type() string   { return "format" }
func (f *Format) Set(s string) error {
	v, err := ParseFormat(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// format is the output format the user chose.
func (a *App) format() Format { return a.out }

// Output is one command's result in every format. emit uses, by format:
//   - text: Text if set, else Table rendered as aligned columns;
//   - markdown: Markdown if set, else Table as a markdown table, else Text;
//   - json: JSON encoded with two-space indentation.
type Output struct {
	Text     func(w io.Writer) error
	Markdown func(w io.Writer) error
	Table    *Table
	JSON     any
}

// emit writes o to stdout in the chosen format.
func (a *App) emit(cmd *cobra.Command, o Output) error {
	w := a.stdout
	var err error
	switch a.format() {
	case FormatJSON:
		err = writeJSON(w, o.JSON)
	case FormatMarkdown:
		switch {
		case o.Markdown != nil:
			err = o.Markdown(w)
		case o.Table != nil:
			err = o.Table.WriteMarkdown(w)
		case o.Text != nil:
			err = o.Text(w)
		}
	default:
		switch {
		case o.Text != nil:
			err = o.Text(w)
		case o.Table != nil:
			err = o.Table.WriteText(w)
		}
	}
	if err != nil {
		return fmt.Errorf("write %s output of %s: %w", a.format(), cmd.Name(), err)
	}
	return nil
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Align is a column's alignment.
type Align int

// Column alignments.
const (
	AlignLeft Align = iota
	AlignRight
)

// Table is a small table of strings rendered as aligned text columns or as a
// GitHub-flavoured markdown table.
type Table struct {
	Header []string
	Align  []Align // per column; missing entries are AlignLeft
	Rows   [][]string
}

// NewTable returns a table with the given header.
func NewTable(header ...string) *Table { return &Table{Header: header} }

// AlignRight sets the given columns (0-based) right-aligned.
func (t *Table) AlignRight(cols ...int) *Table {
	for _, c := range cols {
		for len(t.Align) <= c {
			t.Align = append(t.Align, AlignLeft)
		}
		t.Align[c] = AlignRight
	}
	return t
}

// AddRow appends a row; missing cells are empty, extra cells are kept.
func (t *Table) AddRow(cells ...string) { t.Rows = append(t.Rows, cells) }

func (t *Table) columns() int {
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	return n
}

func (t *Table) align(c int) Align {
	if c < len(t.Align) {
		return t.Align[c]
	}
	return AlignLeft
}

func cell(row []string, c int) string {
	if c < len(row) {
		return row[c]
	}
	return ""
}

// WriteText writes the table as columns separated by two spaces, header
// first, without trailing spaces.
func (t *Table) WriteText(w io.Writer) error {
	n := t.columns()
	width := make([]int, n)
	rows := append([][]string{t.Header}, t.Rows...)
	for _, r := range rows {
		for c := 0; c < n; c++ {
			width[c] = max(width[c], utf8.RuneCountInString(cell(r, c)))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for c := 0; c < n; c++ {
			s := cell(r, c)
			pad := strings.Repeat(" ", width[c]-utf8.RuneCountInString(s))
			if c > 0 {
				line.WriteString("  ")
			}
			if t.align(c) == AlignRight {
				line.WriteString(pad + s)
			} else {
				line.WriteString(s + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the table as a markdown table. A '|' in a cell is
// escaped and a line break becomes a space, so every row stays one row.
func (t *Table) WriteMarkdown(w io.Writer) error {
	n := t.columns()
	var b strings.Builder
	row := func(r []string) {
		b.WriteString("|")
		for c := 0; c < n; c++ {
			b.WriteString(" " + markdownCell(cell(r, c)) + " |")
		}
		b.WriteByte('\n')
	}
	row(t.Header)
	b.WriteString("|")
	for c := 0; c < n; c++ {
		if t.align(c) == AlignRight {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteByte('\n')
	for _, r := range t.Rows {
		row(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func markdownCell(s string) string {
	s = strings.ReplaceAll(s, "\r\n", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
