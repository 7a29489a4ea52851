package cli_test

import (
	"strings"
	"testing"

	"github.com/agentic-eval/agentic-eval/cli"
)

func TestTableTextAlignsColumnsWithoutTrailingSpaces(t *testing.T) {
	tb := cli.NewTable("NAME", "SCORE", "NOTE").AlignRight(1)
	tb.AddRow("gvisor", "0.65", "userspace kernel")
	tb.AddRow("qemu-kvm", "1.00")
	var b strings.Builder
	if err := tb.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"NAME      SCORE  NOTE\n" +
		"gvisor     0.65  userspace kernel\n" +
		"qemu-kvm   1.00\n"
	if b.String() != want {
		t.Errorf("text table:\n%q\nwant\n%q", b.String(), want)
	}
}

func TestTableMarkdownEscapesPipesAndLineBreaks(t *testing.T) {
	tb := cli.NewTable("a", "b").AlignRight(1)
	tb.AddRow("x|y", "1\n2")
	tb.AddRow("only")
	var b strings.Builder
	if err := tb.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	want := "| a | b |\n|---|---:|\n| x\\|y | 1 2 |\n| only |  |\n"
	if b.String() != want {
		t.Errorf("markdown table:\n%q\nwant\n%q", b.String(), want)
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range cli.Formats() {
		if got, err := cli.ParseFormat(strings.ToUpper(string(f))); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", strings.ToUpper(string(f)), got, err)
		}
	}
	if _, err := cli.ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), "text, json, markdown") {
		t.Errorf("ParseFormat(yaml) error = %v, want one listing the formats", err)
	}
}
