package vms

import "sort"

// Rank returns every profile best-first by Fitness, keeping All order among
// equal fitness (gVisor stays ahead of Docker at 0.65).
func Rank() []Profile {
	return RankProfiles(Profiles(), Balanced())
}

// RankWeighted ranks every curated profile best-first by fitness under w.
func RankWeighted(w Weights) []Profile {
	return RankProfiles(Profiles(), w)
}

// RankProfiles sorts a copy of ps best-first by fitness under w, stable on
// ties. Other packages rank measured or effective profiles with it.
func RankProfiles(ps []Profile, w Weights) []Profile {
	out := append([]Profile(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool { return w.Fitness(out[i]) > w.Fitness(out[j]) })
	return out
}
