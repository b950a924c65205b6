//go:build race

package manifest

// raceEnabled is true under the race detector, which makes the longest tests shorter.
const raceEnabled = true
