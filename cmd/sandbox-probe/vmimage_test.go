//go:build linux

package main

import (
	"reflect"
	"testing"
)

func TestModuleParamsAreTheCommandLinesModuleWordsBeforeInitsArguments(t *testing.T) {
	for _, tc := range []struct {
		cmdline string
		want    map[string]string
	}{
		{"console=ttyS0 panic=-1 quiet -- --sandbox=ae-x-000001 --image-disk", map[string]string{}},
		{"console=ttyS0 virtio_mmio.device=4K@0xfeb00000:12 virtio_mmio.device=4K@0xfeb00200:13 virtio-blk.queue_depth=8 -- virtio_mmio.device=nope",
			map[string]string{"virtio_mmio": "device=4K@0xfeb00000:12 device=4K@0xfeb00200:13", "virtio_blk": "queue_depth=8"}},
		{"a.b c=d.e/f.g=h ./x=y", map[string]string{}},
	} {
		if got := parseModuleParams(tc.cmdline); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseModuleParams(%q) = %q, want %q", tc.cmdline, got, tc.want)
		}
	}
}
