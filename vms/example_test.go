package vms_test

import (
	"fmt"

	"github.com/agentic-eval/agentic-eval/vms"
)

// The reference's doc example: Firecracker has at least three evidence
// lines, and the ranking is best first.
func Example() {
	fc := vms.ProfileOf(vms.Firecracker)
	fmt.Println(len(fc.Evidence) >= 3)
	ranked := vms.Rank()
	fmt.Println(ranked[0].Fitness() >= ranked[len(ranked)-1].Fitness())
	for _, p := range ranked {
		fmt.Println(p)
	}
	// Output:
	// true
	// true
	// aethervm: fitness 0.86 (start 0.80, density 0.85, isolation 0.80, snapshot 0.90, agent-control 0.95)
	// firecracker: fitness 0.79 (start 0.90, density 0.90, isolation 0.85, snapshot 0.80, agent-control 0.50)
	// cloud-hypervisor: fitness 0.76 (start 0.85, density 0.80, isolation 0.85, snapshot 0.80, agent-control 0.50)
	// gvisor: fitness 0.65 (start 0.85, density 0.85, isolation 0.60, snapshot 0.40, agent-control 0.55)
	// docker: fitness 0.65 (start 0.95, density 0.95, isolation 0.35, snapshot 0.40, agent-control 0.60)
	// kata: fitness 0.62 (start 0.65, density 0.60, isolation 0.85, snapshot 0.40, agent-control 0.60)
	// qemu-kvm: fitness 0.61 (start 0.40, density 0.45, isolation 0.90, snapshot 0.85, agent-control 0.45)
}

func ExampleCompare() {
	fmt.Print(vms.Compare(vms.AetherVM, vms.Firecracker))
	// Output:
	// aethervm vs firecracker: fitness delta +0.07
	//   start-latency: -0.10
	//   density: -0.05
	//   isolation: -0.05
	//   snapshotting: +0.10
	//   agent-control: +0.45
}

func ExampleParse() {
	s, err := vms.Parse("FC")
	fmt.Println(s, err)
	_, err = vms.Parse("firecraker")
	fmt.Println(err)
	// Output:
	// firecracker <nil>
	// unknown system "firecraker": valid systems are aethervm, firecracker, cloud-hypervisor, gvisor, kata, qemu-kvm, docker (aliases accepted, e.g. fc, chv, runsc, kvm, runc); did you mean "firecracker"?
}

func ExampleRankWeighted() {
	w, err := vms.ParseWeights("isolation=3")
	if err != nil {
		panic(err)
	}
	for _, p := range vms.RankWeighted(w)[:3] {
		fmt.Printf("%s %.2f\n", p.System, w.Fitness(p))
	}
	// Output:
	// aethervm 0.84
	// firecracker 0.81
	// cloud-hypervisor 0.79
}
