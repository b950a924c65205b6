package hashstoretest

import "sync"

// concurrently runs fn(i) for i in [0, n) on workers goroutines released at the same moment,
// goroutine g taking i = g, g+workers, g+2*workers, ..., and returns the errors by i. With
// workers == n every call runs on its own goroutine, all racing from the start.
func concurrently(n, workers int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g := range min(n, workers) {
		wg.Go(func() {
			<-start
			for i := g; i < n; i += workers {
				errs[i] = fn(i)
			}
		})
	}
	close(start)
	wg.Wait()
	return errs
}
