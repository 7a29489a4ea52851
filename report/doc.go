// Package report renders an evaluation as one self-contained HTML page for
// people: the ranked table with each score's provenance, small-multiple
// charts of curated against effective scores, and, when a results file is
// given, start-latency and per-instance memory charts per variant, the
// time to interactive as a waterfall, the files moved through the probe
// and through each runtime's own copy path, the
// disagreements with both evidences, the systems not measured and why, and
// the host and run settings the figures belong to.
//
// Its opinions: a report is a file you can mail, archive or print, so the
// page carries everything inline (CSS and SVG drawn in Go, no script, no
// font, no network); every value on a chart is also written as text, and
// series differ by pattern and lightness as well as colour, so the page
// survives greyscale printing and screen readers; everything comes through
// html/template, which escapes whatever a runtime wrote into a results
// file; and a page without measurements says so at the top instead of
// letting curated judgments pass for figures. The page fits any width
// from a phone's up, and paper: a table is squeezed before it scrolls, and
// scrolls only inside its own wrapper; nothing is truncated to fit.
package report
