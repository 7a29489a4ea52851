package evaluate

import (
	"cmp"
	"slices"

	"github.com/agentic-eval/agentic-eval/results"
	"github.com/agentic-eval/agentic-eval/vms"
)

// ordered returns sys's results among variants, most preferred first: the
// names of o.Preferred[sys] in their order, then any other variant by name.
// The order of variants itself never matters.
func (o Options) ordered(sys vms.System, variants []results.VariantResult) []results.VariantResult {
	var mine []results.VariantResult
	for _, vr := range variants {
		if vr.System == sys {
			mine = append(mine, vr)
		}
	}
	pref := o.Preferred[sys]
	rank := func(variant string) int {
		if i := slices.Index(pref, variant); i >= 0 {
			return i
		}
		return len(pref)
	}
	slices.SortStableFunc(mine, func(a, b results.VariantResult) int {
		return cmp.Or(cmp.Compare(rank(a.Variant), rank(b.Variant)), cmp.Compare(a.Variant, b.Variant))
	})
	return mine
}
