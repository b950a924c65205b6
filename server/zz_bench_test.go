package server

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
)


func TestZZSmall(t *testing.T) {
	f := newFixture(t, nil)
	for i := range 200 {
		f.put(fmt.Sprintf("s.%d", i), pseudoRandom(byte(i), 4096), true)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	hc := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1500 {
				resp, err := hc.Get(fmt.Sprintf("%s/mn/v2/object/s.%d", f.ts.URL, (i*7+g)%200))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
}
