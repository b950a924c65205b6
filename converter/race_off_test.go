//go:build !race

package converter_test

// raceEnabled is true under the race detector, which makes the longest tests shorter.
const raceEnabled = false
