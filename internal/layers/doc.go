// Package layers holds no code: its test checks that the module's imports
// point down, as docs/architecture.md draws them. A package that reaches
// up (a driver into the harness, a face into a driver, the results format
// into the harness) fails it, with the import named.
package layers
