package vms

// ProfileOf returns the curated profile of s. The evidence slice is a fresh
// copy: callers may keep or change it.
func ProfileOf(s System) Profile {
	if !s.Valid() {
		panic("vms: ProfileOf of invalid system")
	}
	p := catalog[s]
	p.System = s
	p.Evidence = append([]string(nil), p.Evidence...)
	return p
}

// Profiles returns every curated profile in All order.
func Profiles() []Profile {
	out := make([]Profile, 0, len(catalog))
	for _, s := range All() {
		out = append(out, ProfileOf(s))
	}
	return out
}

// catalog holds the reference's 35 scores exactly. The evidence states the
// reference's facts in this project's own words; each line backs one axis, in
// axis order.
var catalog = [...]Profile{
	AetherVM: {
		StartLatency: 0.8, Density: 0.85, Isolation: 0.8, Snapshotting: 0.9, AgentControl: 0.95,
		Evidence: []string{
			"spawns by forking a sub-VM copy-on-write from a warm template pool instead of booting; its HV2 hypervisor runs on KVM, WHPX or HVF",
			"one base template is shared page by page, copy-on-write, by every sandbox of the fleet, which is what its density rests on",
			"the boundary is hardware virtualization (KVM, WHPX or HVF, with an optional bare-metal type-1 HV1), but the code is young and far less proven at scale than Firecracker or QEMU",
			"branching is its central primitive: copy-on-write memory templates and native snapshot/restore fork a primed context for each tool call",
			"built for agents to drive: an MCP registry of about thirty tools, exported to the OpenAI, Anthropic and Gemini tool formats, and it ships its own agent runtime with a REST API for agents, so no glue code is needed",
		},
	},
	Firecracker: {
		StartLatency: 0.9, Density: 0.9, Isolation: 0.85, Snapshotting: 0.8, AgentControl: 0.5,
		Evidence: []string{
			"the cold-start yardstick for microVMs: it reaches userspace in roughly 125 ms and runs AWS Lambda and Fargate",
			"a tiny device model and the jailer keep overhead to a few MB per VM, so a host holds thousands of them",
			"a KVM boundary with an intentionally small attack surface, and the microVM with the most production mileage",
			"snapshots can be restored to keep pools of pre-warmed clones",
			"driven through a REST API on a unix socket: programmatic, yet not shaped for agents or tools, and orchestration is left to the user",
		},
	},
	CloudHypervisor: {
		StartLatency: 0.85, Density: 0.8, Isolation: 0.85, Snapshotting: 0.8, AgentControl: 0.5,
		Evidence: []string{
			"a modern VMM written in Rust that boots almost as fast as Firecracker while offering more devices",
			"light on memory, though each VM costs a little more than a Firecracker one",
			"KVM provides the boundary, and the VMM process itself is written in a memory-safe language",
			"supports snapshot/restore and live migration, enough to clone warm VMs",
			"a REST and D-Bus control plane: complete, but not made for agents",
		},
	},
	GVisor: {
		StartLatency: 0.85, Density: 0.85, Isolation: 0.6, Snapshotting: 0.4, AgentControl: 0.55,
		Evidence: []string{
			"no kernel boot: its userspace kernel, the Sentry, traps the sandbox's system calls, so it starts about as fast as a container",
			"packs like containers and plugs in as the OCI runtime runsc",
			"exposes less of the host kernel than bare namespaces, yet a flaw in the Sentry reaches the host directly, with no hardware wall behind it",
			"has checkpoint/restore, but it is experimental and narrower than a VM snapshot",
			"Docker and Kubernetes control it through OCI: easy to adopt, but not a control plane built for agents",
		},
	},
	Kata: {
		StartLatency: 0.65, Density: 0.6, Isolation: 0.85, Snapshotting: 0.4, AgentControl: 0.6,
		Evidence: []string{
			"runs each OCI/CRI container inside its own lightweight VM, keeping the container workflow on top of hardware isolation",
			"the VM per pod costs more than namespaces, putting its density between a container's and a microVM's",
			"every workload gets hardware-virtualized isolation, a solid wall for untrusted code",
			"VM templating is available, but snapshotting or branching a live sandbox is not well supported",
			"plugs into Kubernetes and containerd as a RuntimeClass: standard tools, not an agent-facing interface",
		},
	},
	QEMUKVM: {
		StartLatency: 0.4, Density: 0.45, Isolation: 0.9, Snapshotting: 0.85, AgentControl: 0.45,
		Evidence: []string{
			"emulates a whole machine with a large device model, so booting takes seconds; the microvm machine type trims it, but the base stays heavy",
			"each VM carries full machine overhead, so far fewer fit on a host than microVMs for short-lived sandboxes",
			"the long-established hardware virtualization reference, though its broad device model has accumulated a long record of CVEs",
			"savevm snapshots and live migration are mature and capture state thoroughly",
			"libvirt and QMP are capable yet heavyweight, and were never meant for an agent to operate directly",
		},
	},
	Docker: {
		StartLatency: 0.95, Density: 0.95, Isolation: 0.35, Snapshotting: 0.4, AgentControl: 0.6,
		Evidence: []string{
			"containers start almost instantly, the quickest of the seven",
			"containers share the host kernel, so each adds very little and density is the highest here",
			"namespaces, cgroups and seccomp all run on the host's kernel, so one local privilege escalation in it breaks out; most consider that too weak for untrusted agent code",
			"images, layers and commit save the filesystem but not running memory, and CRIU checkpointing is rarely used",
			"most of today's agent sandbox stacks are built on the Docker API, and its tooling is everywhere: control is its strength, isolation its weakness",
		},
	},
}
