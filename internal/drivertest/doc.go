// Package drivertest is what the drivers' tests share: the static probe
// they run, the harness's side of a sandbox's probe (Attached), reading an
// exec's probe line, and the check that a sandbox's processes are gone.
// Only _test.go files import it.
//
// Its opinion: tests run the real probe in the real runtime, so the probe
// is the one probebin.Build builds for the harness, never a stand-in;
// a probe that does not build fails the test (it is this module's own
// code), while a missing runtime is each driver's to skip with its precise
// reason. Nothing here knows a runtime: what a driver leaves behind is
// checked by that driver's tests, with its own means.
package drivertest
