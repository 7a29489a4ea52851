// Package compare holds one run's figures against another's, or against the
// bounds a team keeps. Its opinions: a change is a regression only when it
// is both significant on the raw samples (a Mann-Whitney U test, as
// benchstat does, through golang.org/x/perf/benchmath) and larger than a
// stated threshold, Firecracker's A/B rule by default (p < 0.01 and more
// than 20%); a figure on one side only, or with too few samples to tell, is
// said to be so and never passes as "no change"; and figures are found by
// stable names ("start-latency", "tti/python-hello/first-result"), so that
// a bound written today still names the same figure tomorrow. It does no
// I/O but reading the baseline it is handed; the faces render.
package compare
