package qemu

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/agentic-eval/agentic-eval/driver"
	"github.com/agentic-eval/agentic-eval/internal/drivertest"
	"github.com/agentic-eval/agentic-eval/probe"
)

// BenchmarkPutThroughTheAgentChannel moves 1 MiB into the guest through
// the probe, in the protocol's chunks, over each channel the driver has:
// the serial console of the probe-only initramfs (into its /tmp) and the
// virtio-serial port of a guest on the image (into /work). It is why a
// guest on the image talks on virtio-serial.
//
//	go test ./drivers/qemu -run '^$' -bench PutThroughTheAgentChannel -benchtime 3x
func BenchmarkPutThroughTheAgentChannel(b *testing.B) {
	data := make([]byte, 1<<20)
	rand.Read(data)
	for _, tc := range []struct {
		name, path string
		image      bool
	}{{"serial-8250", "/tmp/f", false}, {"virtio-serial", "/work/f", true}} {
		b.Run(tc.name, func(b *testing.B) {
			d := NewTCG()
			if fp := d.Fingerprint(context.Background()); !fp.Available {
				b.Skipf("qemu-kvm/tcg unavailable here: %s", fp.Reason)
			}
			var img driver.Image
			if tc.image {
				img = benchImage(b)
			}
			env := driver.RunEnv{RunID: drivertest.NewRunID(b), Probe: drivertest.Probe(b), Dir: b.TempDir(), Image: img}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if err := d.Prepare(ctx, env); err != nil {
				b.Fatal(err)
			}
			defer d.Close(context.Background())
			var a drivertest.Attached
			defer a.Close()
			spec := driver.Spec{ID: "ae-" + env.RunID + "-000001", Probe: env.Probe, Dir: env.Dir, Image: img, Attach: a.Attach}
			sb, _, _ := drivertest.StartReady(ctx, b, d, &a, spec)
			defer sb.Destroy(context.Background())
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for off := 0; off < len(data); off += probe.MaxChunk {
					end := min(off+probe.MaxChunk, len(data))
					var res probe.PutResult
					req := probe.PutRequest{V: probe.AgentVersion, Path: tc.path, Offset: int64(off), Data: data[off:end], Last: end == len(data)}
					if err := a.Stream().Call(ctx, probe.ReqPut, req, &res); err != nil || res.Error != "" {
						b.Fatalf("put at %d: %v %s", off, err, res.Error)
					}
				}
			}
		})
	}
}

func benchImage(b *testing.B) driver.Image {
	img, err := findImage()
	if err != nil {
		b.Skip(err)
	}
	return img
}
