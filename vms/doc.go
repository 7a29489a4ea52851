// Package vms is the curated catalog of VM and sandbox systems for agent
// workloads: seven systems, five agent-native axes, scores from 0.0 to 1.0
// with the evidence behind each, ranked and compared.
//
// The catalog's opinion is the reference's: an agent runtime spawns a fleet
// of short-lived sandboxes, one per tool call, so start-latency, density,
// isolation, snapshotting and agent-control decide fitness, not the virtues
// of a long-lived datacenter VM. Every number here is a curated judgment,
// not a measurement; package measure and its drivers produce the measured
// counterpart, and nothing in this package does I/O.
//
// Names, aliases, scores, fitness arithmetic, ordering and text formats
// follow the reference module exactly, so that its users find every
// behaviour where they expect it. Weighted fitness and presets go beyond it.
package vms
